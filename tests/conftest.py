"""Shared fixtures: an isolated model cache, Kattis packages built on the fly, one real pipeline run."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "transformers", "trl", "peft", "vllm")  # what the fast tier never imports
FAST_TIER = "not slow"

# The suite starts the CLI and the sandbox runner hundreds of times; with no bytecode cache each start
# compiles every harness module again (a third of a second). Images that set PYTHONDONTWRITEBYTECODE
# (this one does) get the cache back for the suite and the processes it starts; __pycache__ is ignored by git.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False


SLOW_FIXTURES = {"smoke_run"}  # fixtures that train or generate: every test using one is slow


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that depends on a training or generating fixture `slow`, wherever it lives."""
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The fast tier runs without the ML stack: a fast-tier run that imported any of it fails, naming what."""
    loaded = [name for name in HEAVY if name in sys.modules]
    if session.config.getoption("markexpr") == FAST_TIER and loaded and exitstatus == pytest.ExitCode.OK:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"the fast tier imported {', '.join(loaded)}: mark the test that needs it slow", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session", autouse=True)
def harness_home(tmp_path_factory) -> Path:
    """Build the tiny model into a per-session cache, never the user's."""
    home = tmp_path_factory.mktemp("harness-home")
    os.environ["HARNESS_HOME"] = str(home)
    return home


def make_package(root: Path, tests: dict[str, tuple[str, str]], yaml_text: str = "name: Test\n",
                 timelimit: float | None = 1.0) -> Path:
    """Write a Kattis problem package: {name: (input, answer)}; names starting 'sample' go to data/sample."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "problem.yaml").write_text(yaml_text)
    if timelimit is not None:
        (root / ".timelimit").write_text(f"{timelimit}\n")
    for name, (given, answer) in tests.items():
        folder = root / "data" / ("sample" if name.startswith("sample") else "secret")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.in").write_text(given)
        (folder / f"{name}.ans").write_text(answer)
    return root


@pytest.fixture
def sum_package(tmp_path) -> Path:
    """'Print a + b' with one sample and two secret tests."""
    return make_package(tmp_path / "sum", {
        "sample1": ("1 2\n", "3\n"),
        "big": ("1000000000000 7\n", "1000000000007\n"),
        "neg": ("-5 5\n", "0\n"),
    })


def run_cli(*args: str, cwd: Path = REPO, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run `python -m harness ...` as a user would."""
    return subprocess.run([sys.executable, "-m", "harness", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ})


def call_cli(*args: str) -> subprocess.CompletedProcess:
    """`harness.cli.main(args)` in this process, from the repository root, its stdout and stderr captured.

    For the fast tier's tests of what a command decides (verdicts, one-line errors, reports): the same
    code as `run_cli` without a fresh interpreter importing the harness each time (a third of a second
    a call). What only a process shows (the console, exit statuses through `__main__`, whole runs)
    stays with `run_cli`.
    """
    from harness.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(REPO), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exit_:  # argparse's usage errors
            code = exit_.code if isinstance(exit_.code, int) else 2
    return subprocess.CompletedProcess(["harness", *args], code, out.getvalue(), err.getvalue())


TINY_RUN_OVERRIDES = [
    "--set", "train.max_steps=6", "--set", "train.logging_steps=1", "--set", "train.save_steps=3",
    "--set", "generation.samples=2", "--set", "generation.max_new_tokens=48",
    "--set", "eval.k=[1,2]", "--set", "eval.max_problems=2",
]


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory) -> Path:
    """One real `harness run --train --eval` on the tiny model, shared by end-to-end and report tests."""
    out = tmp_path_factory.mktemp("runs") / "smoke"
    result = run_cli("run", "--train", "--eval", "--config", "configs/test-tiny.yaml", "--out", str(out), "--quiet",
                     *TINY_RUN_OVERRIDES)
    assert result.returncode == 0, result.stderr[-3000:]
    return out
