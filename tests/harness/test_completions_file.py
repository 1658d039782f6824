"""`harness eval --completions FILE`: completions made elsewhere, judged, scored and reported like an engine's."""

import json

import pytest

from harness.problems.bundled import load_bundled
from harness.rundir import RunDir
from judges import Verdict
from reports.records import ResultRecord
from tests.conftest import call_cli, run_cli
from tests.harness.test_cli_errors import assert_one_line_error

PROBLEMS = load_bundled()[:3]


def fenced(code: str) -> str:
    return f"<think>\nreasoning\n</think>\n\n```python\n{code}```"


def write_lines(path, lines):
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))
    return path


def good_lines():
    lines = []
    for problem in PROBLEMS:
        lines += [
            {"problem_id": problem.id, "label": "base", "text": fenced(problem.wrong_solutions[0])},
            {"problem_id": problem.id, "label": "base", "text": "no program here"},
            {"problem_id": problem.id, "label": "api-model", "text": fenced(problem.reference_solution),
             "finish_reason": "stop", "completion_tokens": 17},
            {"problem_id": problem.id, "label": "api-model", "sample": 1, "text": fenced(problem.reference_solution)},
        ]
    return lines


def eval_file(path, out, *extra, cli=call_cli):
    return cli("eval", "--completions", str(path), "--config", "configs/test-tiny.yaml", "--out", str(out), "--quiet",
                   "--set", "eval.k=[1,2]", *extra)


@pytest.mark.slow
def test_completions_file_is_judged_scored_and_reported(tmp_path):
    out = tmp_path / "run"
    result = eval_file(write_lines(tmp_path / "c.jsonl", good_lines()), out, cli=run_cli)
    assert result.returncode == 0, result.stderr[-2000:]
    verdicts = {label: [r.verdict for r in RunDir(out).results(label).records(ResultRecord)]
                for label in ("base", "api-model")}
    assert verdicts["api-model"] == [Verdict.AC] * 6
    assert verdicts["base"].count(Verdict.NO_CODE) == 3 and Verdict.AC not in verdicts["base"]
    assert len(verdicts["base"]) == 6
    summary = json.loads((out / "eval" / "summary.json").read_text())
    assert summary["labels"]["api-model"]["scores"]["pass@1"]["estimate"] == 1.0
    assert summary["labels"]["base"]["scores"]["pass@1"]["estimate"] == 0.0
    split = json.loads((out / "split.json").read_text())
    assert split["held_out"] == sorted(p.id for p in PROBLEMS) and split["method"] == "completions file"
    assert (out / "report.html").is_file() and (out / "report.md").is_file()
    again = eval_file(tmp_path / "c.jsonl", out, "--resume")  # a resume imports and judges nothing twice
    assert again.returncode == 0, again.stderr[-2000:]
    assert len((out / "eval" / "api-model" / "completions.jsonl").read_text().splitlines()) == 6
    assert len((out / "eval" / "api-model" / "results.jsonl").read_text().splitlines()) == 6


@pytest.mark.parametrize(("line", "culprit"), [
    ({"problem_id": "bundled/nope", "label": "base", "text": "x"}, "problem_id 'bundled/nope' is not in data.source"),
    ({"label": "base", "text": "x"}, "missing field 'problem_id'"),
    ({"problem_id": PROBLEMS[0].id, "label": "base"}, "missing field 'text'"),
    ({"problem_id": PROBLEMS[0].id, "label": "base", "text": "x", "sample": "2"}, "field 'sample' must be int"),
    ({"problem_id": PROBLEMS[0].id, "label": "../up", "text": "x"}, "label '../up'"),
    ("{not json", "not a JSON line"),
])
def test_a_bad_line_is_one_error_naming_file_and_line(tmp_path, line, culprit):
    path = write_lines(tmp_path / "c.jsonl", [good_lines()[0], line])
    result = eval_file(path, tmp_path / "run")
    assert_one_line_error(result, f"{path}:2", culprit)
    assert not (tmp_path / "run" / "eval").exists()  # nothing imported from a file with a bad line


def test_a_duplicate_sample_names_both_lines(tmp_path):
    first = {"problem_id": PROBLEMS[0].id, "label": "base", "text": "a", "sample": 0}
    path = write_lines(tmp_path / "c.jsonl", [first, {**first, "text": "b"}])
    assert_one_line_error(eval_file(path, tmp_path / "run"), f"{path}:2", "duplicate", "first on line 1")


def test_completions_with_adapters_is_refused(tmp_path):
    path = write_lines(tmp_path / "c.jsonl", good_lines())
    result = call_cli("eval", "--completions", str(path), "--adapter", str(tmp_path), "--out", str(tmp_path / "r"))
    assert_one_line_error(result, "--completions")
