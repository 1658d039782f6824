"""MBPP (Mostly Basic Python Problems): a sentence, a reference function and three asserts each.

By hub name through `datasets.load_dataset("google-research-datasets/mbpp", config, split=...)`
(configs `full`: 974 rows, 500 in `test`; `sanitized`: 427 rows, 257 in `test`), or from local
.jsonl / .parquet files of either config's schema: `full` has `text` and `test_setup_code`,
`sanitized` has `prompt` and `test_imports`; both have `task_id`, `code`, `test_list`.

The statement follows MBPP's own prompt: the text, then "Your code should pass these tests:", a blank
line and the asserts, one a line.
Each assert is one test (`CallKind.CHECK`: the setup code and the assert, run after the
solution in its namespace), named assert-1, assert-2, ... `challenge_test_list` is not
judged, as in the published evaluations.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterator
from dataclasses import dataclass

from harness.errors import DataError
from harness.problems.model import Problem
from harness.problems.testset import TestSet
from judges import TestCase
from judges.calls import CallKind, FunctionCall

SOURCE = "mbpp"
HUB = "google-research-datasets/mbpp"
CONFIGS = ("full", "sanitized")
FIELDS = ("task_id", ("text", "prompt"), "code", "test_list")  # a tuple inside: one of these
# The usual harnesses (bigcode-evaluation-harness, evalplus) give each MBPP program 3 s.
TIME_LIMIT_S = 3.0


@dataclass(frozen=True)
class HubSpec:
    """`google-research-datasets/mbpp[:config][@split]`, short form `mbpp[:config][@split]`."""

    config: str = "full"
    split: str = "test"

    @classmethod
    def parse(cls, text: str) -> HubSpec | None:
        """The spec a source name asks for, or None when the name is not MBPP's."""
        name, _, split = text.partition("@")
        name, _, config = name.partition(":")
        if name not in (SOURCE, HUB):
            return None
        if config and config not in CONFIGS:
            raise DataError(f"data.source: '{text}': MBPP has configs {', '.join(CONFIGS)}, not '{config}'")
        return cls(config or "full", split or "test")

    def __str__(self) -> str:
        return f"{HUB}:{self.config}@{self.split}"


def hub_records(spec: HubSpec) -> Iterator[tuple[str, dict]]:
    """Rows from the hub (or its local cache), each labelled with the spec and its row number."""
    import datasets

    try:
        dataset = datasets.load_dataset(HUB, spec.config, split=spec.split)
    except Exception as exc:  # noqa: BLE001 - offline, unknown split: one line for the user
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise DataError(f"dataset '{spec}': {type(exc).__name__}: {first}") from None
    for number, row in enumerate(dataset, start=1):
        yield f"{spec} row {number}", dict(row)


def _tests(row: dict, key: str, where: str) -> list[str]:
    value = row.get(key)
    if value is None:
        return []
    if not isinstance(value, list | tuple) or not all(isinstance(t, str) for t in value):
        raise DataError(f"{where}: field '{key}' is not a list of strings")
    return [t for t in value if t.strip()]


def _setup(row: dict, where: str) -> str:
    """`test_setup_code` (full) or the `test_imports` lines (sanitized)."""
    setup = row.get("test_setup_code")
    if setup is not None and not isinstance(setup, str):
        raise DataError(f"{where}: field 'test_setup_code' is not text")
    imports = _tests(row, "test_imports", where)
    return "\n".join(part for part in [*imports, (setup or "").strip()] if part)


def called_function(first_assert: str, code: str) -> str | None:
    """The function the asserts test: the first name called in the first assert that `code` defines.

    Falls back to the first called name that is not a builtin (`set(f(x)) == ...` tests `f`).
    """
    try:
        calls = [n.func.id for n in ast.walk(ast.parse(first_assert))
                 if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    except SyntaxError:
        return None
    try:
        defined = {n.name for n in ast.walk(ast.parse(code)) if isinstance(n, ast.FunctionDef | ast.ClassDef)}
    except SyntaxError:
        defined = set()
    return (next((c for c in calls if c in defined), None)
            or next((c for c in calls if not hasattr(builtins, c)), None))


def problem_from_row(row: dict, where: str) -> Problem:
    """One MBPP row (either config) as a `Problem`; a bad field is a `DataError` naming `where`."""
    task_id = row.get("task_id")
    if isinstance(task_id, bool) or not isinstance(task_id, int | str) or not str(task_id).strip():
        raise DataError(f"{where}: field 'task_id' is missing")
    text = row.get("text") if row.get("text") is not None else row.get("prompt")
    if not isinstance(text, str) or not text.strip():
        raise DataError(f"{where}: field 'text' (or 'prompt') is missing or not text")
    code = row.get("code")
    if not isinstance(code, str) or not code.strip():
        raise DataError(f"{where}: field 'code' is missing or not text")
    asserts = _tests(row, "test_list", where)
    if not asserts:
        raise DataError(f"{where}: field 'test_list' has no asserts")
    name = called_function(asserts[0], code)
    if name is None:
        raise DataError(f"{where}: field 'test_list': no function call in the first assert")
    setup = _setup(row, where)
    tests = [TestCase(f"assert-{i}", f"{setup}\n{line.strip()}\n" if setup else f"{line.strip()}\n", "")
             for i, line in enumerate(asserts, start=1)]
    statement = f"{text.strip()} Your code should pass these tests:\n\n" + "\n".join(a.strip() for a in asserts)
    return Problem(
        id=f"mbpp/{task_id}",
        title=name,
        description=statement,
        hidden_tests=TestSet.of(tests),
        time_limit_s=TIME_LIMIT_S,
        source=SOURCE,
        reference_solution=code.replace("\r\n", "\n"),
        call=FunctionCall(CallKind.CHECK, name),
    )
