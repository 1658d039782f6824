"""The test tiers are real: the fast tier (`-m "not slow"`) loads no ML library and leaves out what trains."""

import os
import subprocess
import sys

import pytest

from tests.conftest import FAST_TIER, HEAVY, REPO

pytest_plugins = ["pytester"]

TRAINS_OR_GENERATES = ("tests/test_end_to_end.py", "tests/harness/test_training.py", "tests/harness/test_vllm_engine.py")
# Collects exactly what `pytest -m "not slow"` collects, then says which heavy libraries got imported.
# --assert=plain: rewriting the asserts of every module changes neither what is imported nor what is
# collected, and costs a third of the collection's time.
COLLECT = f"""
import sys, pytest
code = pytest.main(["--collect-only", "-q", "-m", {FAST_TIER!r}, "-p", "no:cacheprovider", "--assert=plain", "tests"])
print("HEAVY", sorted(name for name in {HEAVY!r} if name in sys.modules))
sys.exit(code)
"""


@pytest.mark.slow  # collects the whole suite again in a subprocess
def test_the_fast_tier_imports_no_ml_library_and_runs_nothing_that_trains():
    # No pytest plugin is a dependency of the project; those the environment happens to have are left out
    # (hypothesis's imports all of hypothesis at the summary, a second).
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    result = subprocess.run([sys.executable, "-c", COLLECT], cwd=REPO, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert next(line for line in lines if line.startswith("HEAVY")) == "HEAVY []"
    fast = {line.split("::")[0] for line in lines if "::" in line}
    assert "tests/harness/test_evaluation_loop.py" in fast  # the fake-engine loop is in the fast tier
    assert not fast & set(TRAINS_OR_GENERATES)


@pytest.mark.slow  # two pytest runs in subprocesses
def test_a_fast_tier_run_that_imports_the_ml_stack_fails_naming_it(pytester):
    pytester.makeconftest((REPO / "tests" / "conftest.py").read_text())
    pytester.makepyfile(test_imports="""
import sys, types

def test_light():
    assert "peft" not in sys.modules  # run first: nothing before it brought the ML stack in

def test_heavy():
    sys.modules["peft"] = types.ModuleType("peft")  # what an import leaves behind, without the import's seconds
""")
    heavy = pytester.runpytest_subprocess("-m", FAST_TIER, "-p", "no:cacheprovider")
    assert heavy.ret == pytest.ExitCode.TESTS_FAILED, heavy.ret
    heavy.stdout.fnmatch_lines(["the fast tier imported peft: mark the test that needs it slow", "*2 passed*"])
    light = pytester.runpytest_subprocess("-m", FAST_TIER, "-p", "no:cacheprovider", "-k", "light")
    assert light.ret == pytest.ExitCode.OK
    whole = pytester.runpytest_subprocess("-p", "no:cacheprovider")  # the whole suite may import anything
    assert whole.ret == pytest.ExitCode.OK
