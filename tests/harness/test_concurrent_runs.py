"""Two harness processes judging at once on one host get exactly the verdicts each gets alone.

Before host-wide uid leases, ending a sandbox in one process killed the other's running programs
(`SandboxError: the sandbox runner died`, then retries and IE).
"""

import json
import os
import subprocess
import sys

import pytest

from harness.problems.bundled import load_bundled
from tests.conftest import REPO
from tests.harness.test_completions_file import fenced, write_lines

PROBLEMS = load_bundled()[:8]
SLOW_RIGHT = "import time\ntime.sleep(0.05)\n"  # widens the window in which another process's kill would land


def lines():
    made = []
    for problem in PROBLEMS:
        for label, code in (("right", SLOW_RIGHT + problem.reference_solution), ("wrong", problem.wrong_solutions[0]),
                            ("crash", "raise SystemExit(3)\n")):
            made += [{"problem_id": problem.id, "label": label, "text": fenced(code)} for _ in range(2)]
    return made


def start(path, out):
    argv = [sys.executable, "-m", "harness", "eval", "--completions", str(path), "--config", "configs/test-tiny.yaml",
            "--out", str(out), "--quiet", "--set", "eval.k=[1]", "--set", "eval.workers=3"]
    return subprocess.Popen(argv, cwd=REPO, env={**os.environ}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def verdicts(out):
    found = {}
    for label in ("right", "wrong", "crash"):
        for line in (out / "eval" / label / "results.jsonl").read_text().splitlines():
            r = json.loads(line)
            assert r["sandbox_retries"] == 0, r  # not one sandbox failure, not even a retried one
            found[(label, r["problem_id"], r["sample"])] = r["verdict"]
    return found


def finish(process):
    _, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stderr[-2000:]


@pytest.mark.slow
def test_two_harness_processes_at_once_get_the_verdicts_each_gets_alone(tmp_path):
    path = write_lines(tmp_path / "c.jsonl", lines())
    alone = start(path, tmp_path / "alone")
    finish(alone)
    first, second = start(path, tmp_path / "first"), start(path, tmp_path / "second")
    finish(first)
    finish(second)
    expected = verdicts(tmp_path / "alone")
    assert {v for (label, _, _), v in expected.items() if label == "right"} == {"AC"}
    assert {v for (label, _, _), v in expected.items() if label == "crash"} == {"RE"}
    assert verdicts(tmp_path / "first") == expected and verdicts(tmp_path / "second") == expected
