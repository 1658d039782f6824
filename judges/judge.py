"""Judge one program against a problem's tests: build it once in a sandbox, run each test, compare, decide."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field

from judges.calls import FunctionCall, call_program, call_verdict, driver_args
from judges.checker import Checker, CheckerError, CheckerRun
from judges.compare import OutputRule, compare
from judges.language import COMPILE_LIMITS, Build, Language, program_build
from judges.outcome import run_verdict, syntax_error
from judges.verdict import Verdict
from sandboxes import Execution, Limits, Sandbox, SandboxError, Session

_SANDBOX_ATTEMPTS = 2
@dataclass(frozen=True)
class TestCase:
    """One test: stdin and the expected answer. Samples are judged first."""

    __test__ = False  # not a pytest class, despite the name

    name: str
    input: str
    answer: str
    sample: bool = False


@dataclass(frozen=True)
class TestResult:
    """The verdict on one test with what was measured."""

    name: str
    verdict: Verdict
    wall_s: float = 0.0
    cpu_s: float = 0.0
    max_rss_mb: float = 0.0
    exit_code: int | None = None
    signal: int | None = None
    detail: str = ""  # first difference for WA, stderr tail for RE/MLE, error for IE
    stdout_truncated: bool = False
    rerun: bool = False  # a TLE that was run a second time; this is the second run's result


@dataclass(frozen=True)
class Judgement:
    """The overall verdict (first failing test, in order) and the per-test results."""

    verdict: Verdict
    tests: tuple[TestResult, ...] = field(default_factory=tuple)
    detail: str = ""
    language: Language = Language.PYTHON
    tle_reruns: int = 0  # TLEs run a second time
    tle_overturned: int = 0  # ... whose second run was not a TLE (a noisy machine, not a slow program)
    sandbox_retries: int = 0  # sandbox failures survived: each was retried in a fresh sandbox


@dataclass(frozen=True)
class JudgeSettings:
    """Limits that come from the problem and the harness."""

    time_limit_s: float = 1.0
    memory_mb: int = 256
    wall_factor: float = 2.0  # CPU time is the measure; wall time a safety net over it
    stop_on_failure: bool = True
    rerun_tle: bool = True  # run a TLE once more before believing it
    time_scale: float = 1.0  # from calibration: how much slower this host is than the reference

    def limits(self) -> Limits:
        """Sandbox limits for one test."""
        cpu = self.time_limit_s * self.time_scale
        wall = max(cpu * self.wall_factor, cpu + 1.0)
        return Limits(wall_time_s=wall, cpu_time_s=cpu, memory_mb=self.memory_mb)


def test_verdict(execution: Execution, answer: str, rule: OutputRule) -> tuple[Verdict, str]:
    """Verdict and detail for one finished execution compared by a rule (no checker)."""
    early = run_verdict(execution)
    if early is not None:
        return early
    comparison = compare(answer, execution.stdout.decode("utf-8", errors="replace"), rule)
    return (Verdict.AC, "") if comparison.ok else (Verdict.WA, comparison.detail)


class _ProgramRun:
    """Runs one built program over tests in one session, deciding each test's verdict.

    With a `call`, the program is the call driver's build: each test's input is the driver's
    stdin, and `call_verdict` decides (the rule and checker are unused).
    """

    def __init__(self, program: Build, session: Session, rule: OutputRule, settings: JudgeSettings,
                 checker: CheckerRun | None, call: FunctionCall | None = None) -> None:
        self.program, self.session, self.rule, self.settings, self.checker = program, session, rule, settings, checker
        self.call = call

    def execute(self, test: TestCase) -> Execution:
        stdin, limits = test.input.encode(), self.settings.limits()
        if self.program.script:
            args = driver_args(self.call) if self.call else ()
            return self.session.run_python(self.program.script, stdin, limits, args=args)
        return self.session.run(self.program.run_argv or (), stdin, limits)

    def verdict(self, test: TestCase, execution: Execution) -> tuple[Verdict, str]:
        if self.call is not None:
            return call_verdict(execution, test, self.call)
        if self.checker is None:
            return test_verdict(execution, test.answer, self.rule)
        early = run_verdict(execution)
        if early is not None:
            return early
        try:
            accepted, message = self.checker.check(test.input, test.answer, execution.stdout)
        except CheckerError as exc:
            return Verdict.IE, str(exc)
        return (Verdict.AC, message) if accepted else (Verdict.WA, message)

    def judge_test(self, test: TestCase) -> TestResult:
        execution = self.execute(test)
        verdict, detail = self.verdict(test, execution)
        rerun = verdict is Verdict.TLE and self.settings.rerun_tle
        if rerun:
            execution = self.execute(test)
            verdict, detail = self.verdict(test, execution)
        return TestResult(name=test.name, verdict=verdict, wall_s=execution.wall_s, cpu_s=execution.cpu_s,
                          max_rss_mb=execution.max_rss_mb, exit_code=execution.exit_code, signal=execution.signal,
                          detail=detail, stdout_truncated=execution.stdout_truncated, rerun=rerun)


def judge(
    source: str | None,
    tests: Sequence[TestCase],
    rule: OutputRule,
    settings: JudgeSettings,
    sandbox: Sandbox,
    *,
    language: Language = Language.PYTHON,
    checker: Checker | None = None,
    call: FunctionCall | None = None,
) -> Judgement:
    """Judge a program: build it once in a sandbox, then run the tests in the order given.

    With a `call` (a function-call problem, Python only) the program runs under the call
    driver and each test calls it (`judges.calls`); `rule` and `checker` are then unused.
    A failure of the sandbox itself is retried in a fresh sandbox; a test on which it fails
    twice is an IE, never an RE.
    """
    if source is None or not source.strip():
        return Judgement(Verdict.NO_CODE, detail="no code found in the completion", language=language)
    refused = _refusal(source, tests, language, call)
    if refused is not None:
        return refused
    program = call_program(source) if call else program_build(source, language)
    results: list[TestResult] = []
    failures = retries = 0
    while len(results) < len(tests) and not _stopped(results, settings):
        try:
            with ExitStack() as stack:
                # The session's writable folders hold at most the test's memory limit (they count as its memory).
                session = stack.enter_context(sandbox.session(program.files, settings.limits()))
                if program.compile_argv:
                    compiled = session.run(program.compile_argv, b"", COMPILE_LIMITS, keep=True)
                    if not compiled.ok:
                        return Judgement(Verdict.CE, detail=_compile_error(compiled), language=language,
                                         sandbox_retries=retries)
                checker_run = stack.enter_context(CheckerRun(checker, sandbox)) if checker and not call else None
                runner = _ProgramRun(program, session, rule, settings, checker_run, call)
                for test in tests[len(results):]:
                    results.append(runner.judge_test(test))
                    failures = 0
                    if _stopped(results, settings):
                        break
        except CheckerError as exc:
            results.append(TestResult(name=tests[len(results)].name, verdict=Verdict.IE, detail=str(exc)))
        except SandboxError as exc:
            failures += 1
            retries += 1
            if failures >= _SANDBOX_ATTEMPTS:
                results.append(TestResult(name=tests[len(results)].name, verdict=Verdict.IE, detail=str(exc)))
                failures = 0
    return dataclasses.replace(_overall(results, language), sandbox_retries=retries)


def _refusal(source: str, tests: Sequence[TestCase], language: Language, call: FunctionCall | None) -> Judgement | None:
    """The judgement of a program that is not run at all (wrong language, a syntax error, no tests), else None."""
    if call is not None and language != Language.PYTHON:
        return Judgement(Verdict.CE, detail=f"function-call problems are judged in Python, not {language}",
                         language=language)
    if language == Language.PYTHON and (error := syntax_error(source)):
        return Judgement(Verdict.CE, detail=error, language=language)
    if not tests:
        return Judgement(Verdict.IE, detail="the problem has no tests", language=language)
    return None


def _stopped(results: list[TestResult], settings: JudgeSettings) -> bool:
    return settings.stop_on_failure and bool(results) and results[-1].verdict is not Verdict.AC


def _compile_error(compiled: Execution) -> str:
    if compiled.limit_hit is not None:
        return f"compilation stopped: {compiled.limit_hit.value} limit"
    return compiled.stderr.decode("utf-8", errors="replace").strip()[-2000:] or f"exit code {compiled.exit_code}"


def _overall(results: list[TestResult], language: Language) -> Judgement:
    reruns = sum(r.rerun for r in results)
    overturned = sum(r.rerun and r.verdict is not Verdict.TLE for r in results)
    failed = next((r for r in results if r.verdict is not Verdict.AC), None)
    detail = f"{failed.name}: {failed.detail}" if failed else ""
    return Judgement(failed.verdict if failed else Verdict.AC, tuple(results), detail=detail, language=language,
                     tle_reruns=reruns, tle_overturned=overturned)
