"""Turn a problem's tests plus sandboxed executions into verdicts.

Pure functions where possible: comparators and verdict mapping are pure; `judge` is the one
place that calls a sandbox.
"""

from judges.compare import COMPARATORS, Comparison, OutputRule, compare
from judges.judge import Judgement, JudgeSettings, TestCase, TestResult, judge, syntax_error, test_verdict
from judges.verdict import Verdict

__all__ = [
    "COMPARATORS",
    "Comparison",
    "JudgeSettings",
    "Judgement",
    "OutputRule",
    "TestCase",
    "TestResult",
    "Verdict",
    "compare",
    "judge",
    "syntax_error",
    "test_verdict",
]
