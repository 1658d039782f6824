"""Judged results are keyed by completion, code, test set and limits: a change redoes them, nothing else does."""

import dataclasses

from harness.config import load_config
from harness.evaluation import result_key
from harness.pipeline import latest_results
from harness.problems.bundled import load_bundled
from judges import TestCase

PROBLEM = load_bundled()[0]
RECORD = {"key": "c1", "text": "```python\nprint(1)\n```"}


def key(problem=PROBLEM, record=RECORD, overrides=(), scale=1.0):
    return result_key(record, problem, load_config(None, list(overrides)), scale, {})


def test_same_inputs_same_key():
    assert key() == key()


def test_a_changed_test_code_or_limit_changes_the_key():
    fixed = dataclasses.replace(PROBLEM, hidden_tests=(*PROBLEM.hidden_tests[:-1], TestCase("hidden-x", "1\n", "2\n")))
    other_code = {**RECORD, "text": "```python\nprint(2)\n```"}
    variants = {key(fixed), key(record=other_code), key(overrides=["eval.rerun_tle=false"]), key(scale=1.5),
                key(overrides=["generation.language=cpp"])}
    assert key() not in variants and len(variants) == 5


def test_scoring_uses_the_latest_result_of_each_completion():
    records = [{"key": "r1", "completion_key": "c1", "verdict": "WA"}, {"key": "r2", "completion_key": "c2", "verdict": "AC"},
               {"key": "r3", "completion_key": "c1", "verdict": "AC"}]
    assert [(r["completion_key"], r["verdict"]) for r in latest_results(records)] == [("c1", "AC"), ("c2", "AC")]
