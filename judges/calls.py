"""Function-call problems: the tests call the program's function instead of feeding it stdin.

Three kinds, one per benchmark convention:
- `method`: LeetCode's `class Solution` (LiveCodeBench "functional" tests). A test's input is
  the call's positional arguments, one JSON value per line; its answer the expected return
  value as JSON. Values are compared, not text.
- `function`: the same, calling a top-level function.
- `check`: a test's input is a Python test program run in the solution's namespace after it
  (HumanEval's `check(candidate)`, one of MBPP's asserts); it passes when it runs to the end.
  A failed assert is WA, any other exception RE.

The program is wrapped in a small driver written here and run in the same sandbox with the
same limits as a stdin/stdout program; the sandbox never knows the difference.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class CallKind(StrEnum):
    """How a function-call problem's tests reach the program (see the module docstring)."""

    METHOD = "method"
    FUNCTION = "function"
    CHECK = "check"


@dataclass(frozen=True)
class FunctionCall:
    """What a function-call problem's tests call: the kind and the function's (or method's) name."""

    kind: CallKind
    name: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", CallKind(self.kind))
        if not self.name.isidentifier():
            raise ValueError(f"function name '{self.name}' is not a Python identifier")
