"""Output comparators: pure functions from (expected, actual) text to a `Comparison`.

Chosen by name from a problem's `OutputRule`, never by if-chains inside the executor.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class RuleKind(StrEnum):
    """The comparators an `OutputRule` can name (each one function in `COMPARATORS`)."""

    TOKENS = "tokens"
    EXACT = "exact"
    FLOAT = "float"


@dataclass(frozen=True)
class OutputRule:
    """How a problem's output is compared (mirrors Kattis `validator_flags`)."""

    kind: RuleKind = RuleKind.TOKENS
    case_sensitive: bool = True
    space_change_sensitive: bool = False
    float_absolute_tolerance: float = 0.0
    float_relative_tolerance: float = 0.0


@dataclass(frozen=True)
class Comparison:
    """Result of one comparison; `detail` says where the outputs first differ."""

    ok: bool
    detail: str = ""


def _show(token: str | None) -> str:
    if token is None:
        return "end of output"
    return repr(token if len(token) <= 40 else token[:37] + "...")


def _first_difference(expected: list[str], actual: list[str], same: Callable[[str, str], bool], unit: str) -> Comparison:
    for index in range(max(len(expected), len(actual))):
        want = expected[index] if index < len(expected) else None
        got = actual[index] if index < len(actual) else None
        if want is None or got is None or not same(want, got):
            return Comparison(False, f"{unit} {index + 1}: expected {_show(want)}, got {_show(got)}")
    return Comparison(True)


def exact(expected: str, actual: str, rule: OutputRule = OutputRule()) -> Comparison:
    """Byte-for-byte equality, reported by the first differing line."""
    if expected == actual:
        return Comparison(True)
    result = _first_difference(expected.split("\n"), actual.split("\n"), str.__eq__, "line")
    return result if not result.ok else Comparison(False, "outputs differ in trailing characters")


def tokens(expected: str, actual: str, rule: OutputRule = OutputRule()) -> Comparison:
    """Whitespace-separated tokens must match (Kattis default validator without tolerance)."""
    if rule.space_change_sensitive:
        return _lines_with_spacing(expected, actual, rule)
    same = str.__eq__ if rule.case_sensitive else _same_casefold
    return _first_difference(expected.split(), actual.split(), same, "token")


def float_tolerant(expected: str, actual: str, rule: OutputRule = OutputRule()) -> Comparison:
    """Tokens match, and numeric tokens may differ by the absolute OR relative tolerance."""
    def same(want: str, got: str) -> bool:
        try:
            a, b = float(want), float(got)
        except ValueError:
            return want == got if rule.case_sensitive else _same_casefold(want, got)
        if math.isnan(a) or math.isnan(b):
            return False
        diff = abs(a - b)
        return diff <= rule.float_absolute_tolerance or diff <= rule.float_relative_tolerance * abs(a)

    return _first_difference(expected.split(), actual.split(), same, "token")


def _same_casefold(a: str, b: str) -> bool:
    return a.casefold() == b.casefold()


def _lines_with_spacing(expected: str, actual: str, rule: OutputRule) -> Comparison:
    same = str.__eq__ if rule.case_sensitive else _same_casefold
    return _first_difference(expected.rstrip("\n").split("\n"), actual.rstrip("\n").split("\n"), same, "line")


COMPARATORS: dict[RuleKind, Callable[[str, str, OutputRule], Comparison]] = {
    RuleKind.EXACT: exact,
    RuleKind.TOKENS: tokens,
    RuleKind.FLOAT: float_tolerant,
}


def compare(expected: str, actual: str, rule: OutputRule) -> Comparison:
    """Compare with the comparator the rule names."""
    return COMPARATORS[rule.kind](expected, actual, rule)
