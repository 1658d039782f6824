"""Function-call problems: the tests call the program's function instead of feeding it stdin.

Three kinds, one per benchmark convention:
- `method`: LeetCode's `class Solution` (LiveCodeBench "functional" tests). A test's input is
  the call's positional arguments, one JSON value per line; its answer the expected return
  value as JSON. Values are compared, not text.
- `function`: the same, calling a top-level function.
- `check`: a test's input is a Python test program run in the solution's namespace after it
  (HumanEval's `check(candidate)`, one of MBPP's asserts); it passes when it runs to the end.
  A failed assert is WA, any other exception RE.

The program is wrapped in a small driver (`judges/call_driver.py`, its protocol in its docstring)
and run in the same sandbox with the same limits as a stdin/stdout program; the sandbox never
knows the difference. Values are compared here, in the harness: `json.loads` of both sides,
then Python's `==` (a tuple returned is a list after JSON, as LiveCodeBench's grader makes it).
"""

from __future__ import annotations

import ast
import json
import re
import textwrap
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from judges import call_driver
from judges.language import Build, Language, build
from judges.outcome import limit_verdict, run_verdict, syntax_error
from judges.verdict import Verdict
from sandboxes import Execution

if TYPE_CHECKING:
    from judges.judge import TestCase

DRIVER, SOLUTION = "driver.py", call_driver.SOLUTION
DRIVER_SOURCE = (Path(__file__).parent / "call_driver.py").read_bytes()
_REPORT_VERDICTS = {call_driver.MISSING: Verdict.CE, call_driver.ASSERTION: Verdict.WA,
                    call_driver.UNSERIALISABLE: Verdict.WA}
_SHOWN_CHARS = 120  # of each value in a WA detail
_CARETS = re.compile(r"\s*[~^]+\s*$")


@dataclass(frozen=True)
class FunctionCall:
    """What a function-call problem's tests call: the kind and the function's (or method's) name."""

    kind: CallKind
    name: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", CallKind(self.kind))
        if not self.name.isidentifier():
            raise ValueError(f"function name '{self.name}' is not a Python identifier")


class CallKind(StrEnum):
    """How a function-call problem's tests reach the program (see the module docstring)."""

    METHOD = "method"
    FUNCTION = "function"
    CHECK = "check"


def call_program(source: str) -> Build:
    """The build that runs `source` under the driver: driver.py (the script) beside solution.py."""
    return build(Language.PYTHON, {DRIVER: DRIVER_SOURCE, SOLUTION: source.encode()}, entry=DRIVER)


def driver_args(call: FunctionCall) -> tuple[str, str]:
    """The driver's command-line arguments for a call."""
    return call.kind.value, call.name


def call_verdict(execution: Execution, test: TestCase, call: FunctionCall) -> tuple[Verdict, str]:
    """Verdict and detail for one driver run of a function-call test.

    A limit decides first; then a test that cannot be judged (IE); then the driver's report
    (missing entry point CE, failed assert or unserialisable value WA); a run without one
    crashed (RE, MLE) or exited early; last, the returned value against the expected one.
    """
    if execution.limit_hit is not None:
        return limit_verdict(execution.limit_hit)
    broken = _broken_test(test.input, test.answer, call.kind)
    if broken:
        return Verdict.IE, f"test '{test.name}': {broken}"
    report = _report(execution)
    if report is None:
        return run_verdict(execution) or (
            Verdict.RE, "the program ended before the driver reported (sys.exit() or os._exit() in it?)")
    status, payload = report
    if status in _REPORT_VERDICTS:
        return _REPORT_VERDICTS[status], _tail(payload)
    if call.kind is CallKind.CHECK:
        return Verdict.AC, ""
    return _compare_values(test.answer, payload)


@lru_cache(maxsize=256)  # a property of the test, asked once per sample judged against it: checked once
def _broken_test(test_input: str, answer: str, kind: CallKind) -> str | None:
    """Why a test cannot judge any program (its arguments, answer or program is not what the kind needs)."""
    if kind is CallKind.CHECK:
        try:
            compile(test_input, call_driver.TEST, "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as exc:
            return f"the test program does not compile: {exc}"
        return None
    for number, line in enumerate(test_input.split("\n"), 1):  # split as the driver splits
        error = _json_error(line) if line.strip() else None
        if error:
            return f"argument line {number} is not JSON: {error}"
    error = _json_error(answer)
    return f"the expected answer is not JSON: {error}" if error else None


def _json_error(text: str) -> str | None:
    try:
        json.loads(text)
    except (ValueError, RecursionError) as exc:
        return str(exc) or type(exc).__name__
    return None


def _report(execution: Execution) -> tuple[str, str] | None:
    """The driver's (status, payload) when its marker is there and the exit status agrees with it."""
    header, _, payload = execution.stdout.decode("utf-8", errors="replace").partition("\n")
    marker, _, status = header.partition(" ")
    if marker != call_driver.MARKER or status not in call_driver.EXIT_STATUS:
        return None
    if execution.exit_code != call_driver.EXIT_STATUS[status]:
        return None
    return status, payload


def _compare_values(answer: str, payload: str) -> tuple[Verdict, str]:
    try:
        got = json.loads(payload)
    except (ValueError, RecursionError):
        return Verdict.WA, f"the return value cannot be read back: {_shown(payload)}"
    if got == json.loads(answer):  # Python's ==: 1 == 1.0 == True, as in LiveCodeBench's grader
        return Verdict.AC, ""
    return Verdict.WA, f"expected {_shown(answer.strip())}, got {_shown(payload)}"


def _shown(text: str) -> str:
    if len(text) <= _SHOWN_CHARS:
        return text
    half = _SHOWN_CHARS // 2
    return f"{text[:half]} ... {text[-half:]}"


def _tail(text: str, lines: int = 5, chars: int = 600) -> str:
    """The last lines of a report, without the traceback's ^^^ markers (they would crowd out the frames)."""
    kept = [line for line in text.rstrip().splitlines() if not _CARETS.match(line)]
    return "\n".join(kept[-lines:])[-chars:]


def assemble(code: str, starter_code: str, call: FunctionCall) -> str:
    """The program judged for an extracted code block, given the problem's starter code.

    A `method` block is the program as written. For `function` and `check`, a block that
    defines the function at top level is the program, after the starter's other lines (its
    imports and helpers, e.g. HumanEval's `is_palindrome` beside `make_palindrome`); a block
    that does not is the function's body, appended to the starter (HumanEval's convention).
    """
    if call.kind is CallKind.METHOD or not starter_code.strip():
        return code
    starter = starter_code if starter_code.endswith("\n") else starter_code + "\n"
    if _defines(code, call.name):
        context = _without_function(starter, call.name)
        return context + "\n" + code if context.strip() else code
    program = starter + code
    if _compiles(program):
        return program
    indented = starter + textwrap.indent(code, "    ")  # a body written flush left
    return indented if _compiles(indented) else program


def _defines(code: str, name: str) -> bool:
    """Whether `code` defines the function `name` at top level (by a regex when it does not parse)."""
    tree = _parsed(code)
    if tree is None:
        return re.search(rf"^(async\s+)?def\s+{re.escape(name)}\s*\(", code, re.MULTILINE) is not None
    return any(isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name for node in tree.body)


def _without_function(starter: str, name: str) -> str:
    """The starter's lines but the function `name` (decorators included); its import lines when it does not parse."""
    tree = _parsed(starter)
    lines = starter.split("\n")  # as ast numbers them (str.splitlines also splits at \f, \x1c, ...)
    if tree is None:
        return "".join(line + "\n" for line in lines if re.match(r"(import|from)\s+\w", line))
    drop: set[int] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            drop.update(range(first - 1, node.end_lineno or node.lineno))
    return "\n".join(line for index, line in enumerate(lines) if index not in drop)


def _parsed(source: str) -> ast.Module | None:
    """The syntax tree of a source that compiles, else None (nothing past the judge's source limit is parsed)."""
    return ast.parse(source) if _compiles(source) else None


def _compiles(source: str) -> bool:
    """Whether `source` compiles (not only parses: a `return` outside a function parses)."""
    return syntax_error(source) is None
