"""The bundled set: well-formed, and every reference solution is AC through the real judge."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from harness.problems.bundled import load_bundled
from harness.prompts import training_messages
from judges import JudgeSettings, Verdict, judge
from sandboxes import ProcessSandbox

PROBLEMS = load_bundled()


def _judge(problem, source):
    settings = JudgeSettings(time_limit_s=problem.time_limit_s, memory_mb=problem.memory_limit_mb)
    return judge(source, problem.tests, problem.output_rule, settings, ProcessSandbox())


def test_at_least_twelve_problems_with_everything_a_problem_needs():
    assert len(PROBLEMS) >= 12
    assert len({p.id for p in PROBLEMS}) == len(PROBLEMS)
    for p in PROBLEMS:
        assert p.title and p.description and p.input_format and p.output_format, p.id
        assert p.examples and len(p.hidden_tests) >= 8, p.id
        assert p.reference_solution and p.wrong_solutions and p.reasoning, p.id
        assert p.rating is not None and 800 <= p.rating <= 2000, p.id


def test_training_conversation_is_think_then_code():
    for p in PROBLEMS:
        messages = training_messages(p)
        assert [m["role"] for m in messages] == ["system", "user", "assistant"]
        answer = messages[-1]["content"]
        assert answer.startswith("<think>\n") and "</think>\n\n```python\n" in answer and answer.endswith("```")


def test_every_reference_solution_is_accepted():
    with ThreadPoolExecutor(max_workers=4) as pool:
        judgements = list(pool.map(lambda p: (p.id, _judge(p, p.reference_solution)), PROBLEMS))
    failed = {pid: (j.verdict, j.detail) for pid, j in judgements if j.verdict is not Verdict.AC}
    assert not failed


@pytest.mark.parametrize("problem", PROBLEMS, ids=lambda p: p.id)
def test_every_wrong_solution_is_rejected(problem):
    for source in problem.wrong_solutions:
        assert _judge(problem, source).verdict is not Verdict.AC
