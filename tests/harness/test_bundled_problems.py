"""The bundled set: at least 60 well-formed problems across the tiers, verified through the real judge."""

import json
from collections import Counter

import pytest

from harness.problems.bundled import load_bundled
from harness.prompts import training_messages
from tests.conftest import call_cli, run_cli

PROBLEMS = load_bundled()


def test_sixty_problems_with_everything_a_problem_needs():
    assert len(PROBLEMS) >= 60
    assert len({p.id for p in PROBLEMS}) == len(PROBLEMS)
    for p in PROBLEMS:
        assert p.title and p.description and p.input_format and p.output_format, p.id
        assert p.examples and len(p.hidden_tests) >= 8, p.id
        assert p.reference_solution and p.wrong_solutions and p.reasoning, p.id
        assert p.rating is not None and 800 <= p.rating <= 2000, p.id
    tiers = Counter("easy" if p.rating < 1300 else "medium" if p.rating < 1700 else "hard" for p in PROBLEMS)
    assert min(tiers.values()) >= 10, tiers


def test_training_conversation_is_think_then_code():
    for p in PROBLEMS:
        messages = training_messages(p)
        assert [m["role"] for m in messages] == ["system", "user", "assistant"]
        answer = messages[-1]["content"]
        assert answer.startswith("<think>\n") and "</think>\n\n```python\n" in answer and answer.endswith("```")


@pytest.mark.slow  # judges every bundled solution in the sandbox: a minute or more
def test_problems_verify_accepts_every_reference_and_rejects_every_wrong_solution():
    result = run_cli("problems", "verify", "bundled", "--json")
    report = json.loads(result.stdout)
    assert report["failed"] == [] and result.returncode == 0
    assert report["problems"] == len(PROBLEMS) and report["reference_ac"] == len(PROBLEMS)
    assert report["wrong_rejected"] == report["wrong"] >= len(PROBLEMS)


def test_problems_verify_reports_a_misjudged_solution(tmp_path, sum_package):
    submissions = sum_package / "submissions"
    (submissions / "accepted").mkdir(parents=True)
    (submissions / "wrong_answer").mkdir()
    (submissions / "accepted" / "sum.py").write_text("a, b = map(int, input().split())\nprint(a + b)\n")
    (submissions / "wrong_answer" / "lucky.py").write_text("print(3)\n")  # right on the sample only
    (submissions / "wrong_answer" / "too_kind.py").write_text("a, b = map(int, input().split())\nprint(abs(a + b))\n")
    result = call_cli("problems", "verify", str(sum_package), "--json")
    report = json.loads(result.stdout)
    assert result.returncode == 1 and report["reference_ac"] == 1 and report["wrong_rejected"] == 1
    assert report["failed"] == [{"id": "kattis/sum", "solution": "wrong-2", "verdict": "AC", "detail": ""}]
