"""Verdicts: a small closed set, never free strings."""

from enum import StrEnum


class Verdict(StrEnum):
    """Outcome of judging a program on one test or on a whole problem."""

    AC = "AC"  # accepted
    WA = "WA"  # wrong answer
    TLE = "TLE"  # time limit exceeded
    MLE = "MLE"  # memory limit exceeded
    OLE = "OLE"  # output limit exceeded
    RE = "RE"  # runtime error
    CE = "CE"  # compile error (C++), or a Python SyntaxError found before running
    NO_CODE = "NO_CODE"  # the completion held no program to run
    IE = "IE"  # internal error: the sandbox failed, not the program

    @property
    def passed(self) -> bool:
        """Whether this verdict counts as solved."""
        return self is Verdict.AC
