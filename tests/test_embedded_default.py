"""The README's first command, as a new user runs it: the embedded default shows the gap the harness measures."""

from __future__ import annotations

import json

import pytest

from reports.sections import training_warnings
from tests.conftest import run_cli

pytestmark = pytest.mark.slow  # the whole default, as shipped: about three and a half minutes on 2 cores


def test_the_embedded_default_learns_its_training_problems_runs_real_programs_and_says_so(tmp_path):
    out = tmp_path / "smoke"
    result = run_cli("run", "--train", "--eval", "--config", "configs/smoke.yaml", "--out", str(out), "--quiet")
    assert result.returncode == 0, result.stderr[-3000:]

    metrics = [json.loads(line) for line in (out / "train" / "metrics.jsonl").read_text().splitlines()]
    assert training_warnings(metrics) == []  # the report warns of nothing on the project's own default
    assert metrics[-1]["loss"] < 0.5 * metrics[0]["loss"]

    summary = json.loads((out / "eval" / "summary.json").read_text())
    seen = summary["seen"]["labels"]
    assert seen["adapter"]["scores"]["pass@1"]["solved"] > seen["base"]["scores"]["pass@1"]["solved"]
    assert seen["adapter"]["problems"] == summary["labels"]["base"]["problems"] == 8
    for label in ("base", "adapter"):  # most samples of both labels are programs that run (self-replay keeps the
        verdicts = [summary["labels"][label]["verdicts"], seen[label]["verdicts"]]  # adapter's held-out ones so)
        ran = sum(n for counts in verdicts for verdict, n in counts.items() if verdict not in ("NO_CODE", "CE", "IE"))
        assert ran > sum(n for counts in verdicts for n in counts.values()) / 2, (label, verdicts)
    assert '<p id="gap-sentence">On 8 training problems it saw, the adapter solved' in (out / "report.html").read_text()
