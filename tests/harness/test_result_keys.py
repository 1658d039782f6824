"""Judged results are keyed by completion, code, test set and limits: a change redoes them, nothing else does."""

import dataclasses

from harness.config import load_config
from harness.evaluation import Judging, result_key
from harness.problems.bundled import load_bundled
from harness.problems.testset import TestSet
from judges import TestCase, Verdict
from reports.records import CompletionRecord, ResultRecord, latest_results
from sandboxes import ProcessSandbox

PROBLEM = load_bundled()[0]
RECORD = CompletionRecord(key="c1", label="base", problem_id=PROBLEM.id, sample=0, text="```python\nprint(1)\n```")


def key(problem=PROBLEM, record=RECORD, overrides=(), scale=1.0):
    config = load_config(None, list(overrides))
    return result_key(record, problem, Judging(config.eval, config.generation.language, ProcessSandbox(), scale), {})


def test_same_inputs_same_key():
    assert key() == key()


def test_a_changed_test_code_or_limit_changes_the_key():
    tests = PROBLEM.hidden_tests.load()
    fixed = dataclasses.replace(PROBLEM, hidden_tests=TestSet.of((*tests[:-1], TestCase("hidden-x", "1\n", "2\n"))))
    other_code = dataclasses.replace(RECORD, text="```python\nprint(2)\n```")
    variants = {key(fixed), key(record=other_code), key(overrides=["eval.rerun_tle=false"]), key(scale=1.5),
                key(overrides=["generation.language=cpp"])}
    assert key() not in variants and len(variants) == 5


def test_a_stored_test_set_keys_like_the_same_tests_inline(tmp_path):
    stored = dataclasses.replace(PROBLEM, hidden_tests=TestSet.store(PROBLEM.hidden_tests.load(), tmp_path))
    assert key(stored) == key()


def test_scoring_uses_the_latest_result_of_each_completion():
    def result(key, completion, verdict):
        return ResultRecord(key=key, completion_key=completion, label="base", problem_id="p", sample=0,
                            verdict=verdict)

    records = [result("r1", "c1", Verdict.WA), result("r2", "c2", Verdict.AC), result("r3", "c1", Verdict.AC)]
    assert [(r.completion_key, r.verdict) for r in latest_results(records)] == [("c1", Verdict.AC), ("c2", Verdict.AC)]
