"""The evaluation loop on bundled problems with a fake engine: generate -> journal -> judge -> score, and resume."""

import json
import shutil

import pytest

from harness.config import load_config
from harness.pipeline import run_pipeline
from harness.rundir import RunDir
from harness.steps import Plan
from reports.records import CompletionRecord, ResultRecord
from tests.harness.fake_engine import FakeEngines

OVERRIDES = ["model.name_or_path=fake/model", "eval.max_problems=2", "generation.samples=2", "eval.k=[1,2]",
             "eval.sandbox=bwrap", "eval.bootstrap_resamples=200"]
PLAN = Plan(eval=True, adapters={"tuned": "/nonexistent/tuned"}, quiet=True)


def run(out, engines, **plan):
    return run_pipeline(load_config(None, OVERRIDES), out, Plan(**{**PLAN.__dict__, **plan}), engines=engines)


def journal(run_dir, label, kind):
    return (run_dir.eval / label / f"{kind}.jsonl").read_text()


@pytest.fixture(scope="module")
def first(tmp_path_factory):
    """One finished run (its engines kept), shared: judging is the slow part."""
    engines = FakeEngines()
    return run(tmp_path_factory.mktemp("loop") / "run", engines), engines


def copy_of(first, tmp_path):
    shutil.copytree(first[0].root, tmp_path / "run")
    return RunDir(tmp_path / "run")


def test_generates_journals_judges_and_scores_every_label(first):
    run_dir, engines = first
    assert json.loads(run_dir.status.read_text())["state"] == "done"
    (engine,) = engines.made
    assert engine.closed and engine.adapters == {"tuned": "/nonexistent/tuned"}
    for label in ("base", "tuned"):
        completions = list(run_dir.completions(label).records(CompletionRecord))
        results = list(run_dir.results(label).records(ResultRecord))
        assert len(completions) == len(results) == 2 * 2
        assert {c.key for c in completions} == {r.completion_key for r in results}
    summary = json.loads(run_dir.summary.read_text())
    assert summary["labels"]["base"]["scores"]["pass@2"]["estimate"] == 0.0
    assert summary["labels"]["tuned"]["scores"]["pass@2"]["estimate"] == 1.0
    assert summary["labels"]["tuned"]["verdicts"] == {"AC": 4}
    env = json.loads(run_dir.env.read_text())
    assert env["engine"] == "fake" and env["engine_settings"] == {"adapters": ["tuned"]}
    assert env["sandbox"]["kind"] == "bwrap" and env["sandbox"]["time_scale"] == 1.0
    assert "fidelity" not in env  # the fake engine gives no log-probabilities: nothing to check


def test_a_resumed_run_generates_and_judges_nothing_twice(first, tmp_path):
    run_dir = copy_of(first, tmp_path)
    before = {p: p.read_text() for p in run_dir.eval.glob("*/*.jsonl")}
    engines = FakeEngines()
    run(run_dir.root, engines, resume=True)
    assert engines.made[0].calls == []
    assert {p: p.read_text() for p in run_dir.eval.glob("*/*.jsonl")} == before


def test_a_resumed_run_does_only_what_is_missing(first, tmp_path):
    run_dir = copy_of(first, tmp_path)
    def journaled():
        return (sorted(journal(run_dir, "base", "completions").splitlines()),
                sorted((r.key, r.verdict) for r in run_dir.results("base").records(ResultRecord)))

    full = journaled()
    path = run_dir.eval / "base" / "completions.jsonl"
    path.write_text("".join(path.read_text().splitlines(keepends=True)[:2]))  # one problem's samples survive
    (run_dir.eval / "base" / "results.jsonl").unlink()
    engines = FakeEngines()
    run(run_dir.root, engines, resume=True)
    (calls,) = engines.made[0].calls
    assert [label for _, label in calls] == [None]  # the second problem, base only
    assert journaled() == full


def test_a_failing_engine_is_closed_and_the_failure_recorded(tmp_path):
    engines = FakeEngines(fail=True)
    with pytest.raises(RuntimeError, match="on purpose"):
        run(tmp_path / "run", engines)
    status = json.loads(RunDir(tmp_path / "run").status.read_text())
    assert status["state"] == "failed" and "on purpose" in status["error"]
    assert engines.made[0].closed


def test_completions_file_is_the_same_steps_without_an_engine(tmp_path):
    from tests.harness.fake_engine import SOLUTIONS, fenced

    problem = next(iter(SOLUTIONS.values()))
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"problem_id": problem.id, "label": "api", "text": fenced(problem.reference_solution)})
                    + "\n")
    engines = FakeEngines()
    run_dir = run(tmp_path / "run", engines, completions=path, adapters={})
    assert engines.made == []
    assert [r.verdict.value for r in run_dir.results("api").records(ResultRecord)] == ["AC"]
    env = json.loads(run_dir.env.read_text())
    assert env["engine"] == f"completions file {path}" and env["sandbox"]["time_scale"] == 1.0
