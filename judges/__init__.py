"""Turn a problem's tests plus sandboxed executions into verdicts.

Pure functions where possible: comparators and verdict mapping are pure; `judge` is the one
place that calls a sandbox.
"""

from judges.checker import Checker, Contract
from judges.compare import COMPARATORS, Comparison, OutputRule, RuleKind, compare
from judges.judge import Judgement, JudgeSettings, TestCase, TestResult, judge, syntax_error, test_verdict
from judges.language import Language
from judges.verdict import Verdict

__all__ = [
    "COMPARATORS",
    "Checker",
    "Comparison",
    "Contract",
    "JudgeSettings",
    "Judgement",
    "Language",
    "OutputRule",
    "RuleKind",
    "TestCase",
    "TestResult",
    "Verdict",
    "compare",
    "judge",
    "syntax_error",
    "test_verdict",
]
