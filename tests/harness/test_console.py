"""A clean console: other libraries' warnings, logs and bars go to RUN/logs/<command>.log; `--verbose` shows them.

First `library_output` itself, on each channel a library uses (fast); then real CLI runs on the
tiny model (train 2 steps, one problem, one sample), as a user runs them: `harness run --train
--eval`, then `harness eval --adapter` of what it trained with no model named in the config (the
end-to-end test of the base read from adapter_config.json) and `--verbose`.
"""

import importlib.util
import json
import logging
import os
import subprocess
import sys
import warnings

import pytest

from harness import console
from harness.adapters import recorded_base
from tests.conftest import run_cli


def say_everything() -> None:
    """One line down each channel other libraries use."""
    warnings.warn("a library's FutureWarning", FutureWarning, stacklevel=1)
    logging.getLogger("some.library").warning("a library's log record")
    print("a library's print", file=sys.__stdout__, flush=True)  # fd 1, as print is outside pytest's capture
    os.write(2, b"C code writing to fd 2\n")
    subprocess.run([sys.executable, "-c", "import sys; sys.stderr.write('a child process on stderr\\n')"], check=True)


def test_library_output_goes_to_the_log_and_the_harness_keeps_the_terminal(tmp_path, capfd):
    log = console.log_path(tmp_path, "run")
    with console.library_output(log):
        say_everything()
        console.terminal().write("harness progress\n")
        logging.getLogger("harness.training").warning("the harness's own warning")
        assert console.capturing()
    out, err = capfd.readouterr()
    assert out == "" and err == "harness progress\nthe harness's own warning\n"
    written = log.read_text()
    for line in ("FutureWarning: a library's FutureWarning", "some.library: a library's log record", "a library's print",
                 "C code writing to fd 2", "a child process on stderr", "the harness's own warning"):
        assert line in written
    assert not console.capturing() and "VLLM_CONFIGURE_LOGGING" not in os.environ  # all put back
    os.write(2, b"after\n")
    assert capfd.readouterr().err == "after\n"


@pytest.mark.filterwarnings("ignore::FutureWarning")  # on the console it would be pytest's to report
def test_verbose_leaves_everything_on_the_console(tmp_path, capfd):
    log = console.log_path(tmp_path, "run")
    with console.library_output(log, verbose=True):
        say_everything()
    out, err = capfd.readouterr()
    assert "a library's print" in out and "C code writing to fd 2" in err and "a child process on stderr" in err
    assert not log.exists()

SMALL = ["--set", "generation.samples=1", "--set", "generation.max_new_tokens=16", "--set", "eval.k=[1]",
         "--set", "eval.max_problems=1"]
TRAIN = ["--set", "train.max_steps=2", "--set", "train.logging_steps=1", "--set", "train.save_steps=2"]
# What other libraries print: Python warnings, log records, tqdm bars, vLLM's and torch's notices from C++.
THIRD_PARTY = ("Warning", "WARNING", "INFO", "it/s]", "s/it]", "Triton", "NUMA", "site-packages", "Loading safetensors")


slow = pytest.mark.slow  # what follows trains and generates


@pytest.fixture(scope="module")
def quiet_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("console") / "run"
    result = run_cli("run", "--train", "--eval", "--config", "configs/test-tiny.yaml", "--out", str(out), *TRAIN, *SMALL)
    assert result.returncode == 0, result.stderr[-3000:]
    return out, result


@pytest.fixture(scope="module")
def verbose_eval(quiet_run, tmp_path_factory):
    out = tmp_path_factory.mktemp("console") / "eval"
    trained, _ = quiet_run
    result = run_cli("eval", "--adapter", str(trained / "train" / "adapter"), "--out", str(out), "--verbose", *SMALL)
    assert result.returncode == 0, result.stderr[-3000:]
    return out, result


@slow
def test_the_console_holds_the_harness_output_only(quiet_run):
    out, result = quiet_run
    assert result.stdout == f"run written to {out}\n"
    assert [marker for marker in THIRD_PARTY if marker in result.stderr] == [], result.stderr[-3000:]
    assert "training" in result.stderr and "judging" in result.stderr  # the harness's own progress stays


@slow
def test_what_the_libraries_said_is_in_the_runs_log(quiet_run, verbose_eval):
    out, _ = quiet_run
    log = (out / "logs" / "run.log").read_text()
    assert log.startswith("==== ") and "harness run --train --eval" in log.splitlines()[0]
    _, verbose = verbose_eval
    said = [m for m in ("FutureWarning", "Triton", "NUMA", "Loading safetensors") if m in verbose.stdout + verbose.stderr]
    assert [m for m in said if m not in log] == []  # what --verbose shows, the quiet run logged


@slow
def test_verbose_shows_the_libraries_output_on_the_console(verbose_eval):
    out, result = verbose_eval
    console = result.stdout + result.stderr
    if importlib.util.find_spec("vllm"):  # vLLM's engine always says something (Triton, NUMA, deprecations)
        assert [marker for marker in THIRD_PARTY if marker in console]
    assert not (out / "logs").exists()


@slow
def test_eval_of_an_adapter_with_no_model_named_runs_on_the_adapters_base(quiet_run, verbose_eval):
    trained, _ = quiet_run
    out, _ = verbose_eval
    base = recorded_base(trained / "train" / "adapter").name
    assert "tiny-qwen3" in base  # the built model's cache folder
    config = (out / "config.yaml").read_text()
    assert f"name_or_path: {base}\n" in config
    summary = json.loads((out / "eval" / "summary.json").read_text())
    assert set(summary["labels"]) == {"base", "adapter"}
    assert json.loads((out / "status.json").read_text())["state"] == "done"
