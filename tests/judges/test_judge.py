"""judge(): each verdict produced by a program written to produce it."""

import dataclasses

import pytest

from judges import JudgeSettings, OutputRule, TestCase, Verdict, judge
from sandboxes import BwrapSandbox, ProcessSandbox

TESTS = [TestCase("sample-1", "2 3\n", "5\n", sample=True), TestCase("hidden-1", "10 -4\n", "6\n")]
SETTINGS = JudgeSettings(time_limit_s=1.0, memory_mb=256)
# A TLE waits out its limit: the endless loop gets a short one, run once (the rerun is tested in
# test_languages_and_checkers.py).
TLE_SETTINGS = dataclasses.replace(SETTINGS, time_limit_s=0.25, rerun_tle=False)


def verdict_of(source, sandbox=None, settings=SETTINGS):
    return judge(source, TESTS, OutputRule(), settings, sandbox or ProcessSandbox())


@pytest.mark.parametrize("sandbox", [ProcessSandbox(), BwrapSandbox()], ids=["process", "bwrap"])
@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("a, b = map(int, input().split())\nprint(a + b)\n", Verdict.AC),
        ("a, b = map(int, input().split())\nprint(a - b)\n", Verdict.WA),
        pytest.param("while True:\n    pass\n", Verdict.TLE, marks=pytest.mark.slow),  # waits out the limit
        ("raise ValueError('boom')\n", Verdict.RE),
        ("x = bytearray(2 << 30)\n", Verdict.MLE),
        ("print(\n", Verdict.CE),
        (None, Verdict.NO_CODE),
        ("   \n", Verdict.NO_CODE),
    ],
)
def test_verdicts(source, expected, sandbox):
    settings = TLE_SETTINGS if expected is Verdict.TLE else SETTINGS
    assert verdict_of(source, sandbox, settings).verdict is expected


def test_first_failure_stops_and_names_the_test():
    result = verdict_of("print(5)\n")  # right on the sample, wrong on the hidden test
    assert result.verdict is Verdict.WA
    assert [t.verdict for t in result.tests] == [Verdict.AC, Verdict.WA]
    assert result.detail.startswith("hidden-1: token 1")


def test_run_all_tests_when_asked():
    settings = JudgeSettings(time_limit_s=1.0, stop_on_failure=False)
    tests = [TestCase("a", "", "1\n"), TestCase("b", "", "2\n"), TestCase("c", "", "1\n")]
    result = judge("print(1)\n", tests, OutputRule(), settings, ProcessSandbox())
    assert [t.verdict for t in result.tests] == [Verdict.AC, Verdict.WA, Verdict.AC]


def test_re_detail_holds_the_traceback_tail():
    result = verdict_of("raise ValueError('boom')\n")
    assert "ValueError: boom" in result.tests[0].detail


def test_sandbox_failure_is_an_internal_error_not_re():
    broken = ProcessSandbox(python="/nonexistent/python3")  # the harness's fault: it cannot start the program
    result = judge("print(5)\n", TESTS, OutputRule(), SETTINGS, broken)
    assert result.verdict is Verdict.IE and "could not start" in result.detail


def test_sandbox_failures_are_counted_on_the_judgement():
    broken = ProcessSandbox(python="/nonexistent/python3")
    result = judge("print(5)\n", TESTS, OutputRule(), SETTINGS, broken)
    assert result.sandbox_retries == 2  # the first failure retried in a fresh sandbox, the second an IE


def test_an_oversized_source_is_refused_before_the_harness_compiles_it():
    source = "x = 1\n" * 100_000  # 600 KB: a contest judge refuses it, and compiling it as root is not free
    result = judge(source, TESTS, OutputRule(), SETTINGS, ProcessSandbox())
    assert result.verdict is Verdict.CE and "over the 256 KB limit" in result.detail and not result.tests
