"""Turn a problem's tests plus sandboxed executions into verdicts.

Pure functions where possible: comparators and verdict mapping are pure; `judge` is the one
place that calls a sandbox.
"""

from judges.calls import CallKind, FunctionCall, assemble, call_verdict
from judges.checker import Checker, Contract
from judges.compare import COMPARATORS, Comparison, OutputRule, RuleKind, compare
from judges.judge import Judgement, JudgeSettings, TestCase, TestResult, judge, test_verdict
from judges.language import Language
from judges.outcome import syntax_error
from judges.verdict import Verdict

__all__ = [
    "COMPARATORS",
    "CallKind",
    "Checker",
    "Comparison",
    "Contract",
    "FunctionCall",
    "JudgeSettings",
    "Judgement",
    "Language",
    "OutputRule",
    "RuleKind",
    "TestCase",
    "TestResult",
    "Verdict",
    "assemble",
    "call_verdict",
    "compare",
    "judge",
    "syntax_error",
    "test_verdict",
]
