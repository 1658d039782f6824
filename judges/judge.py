"""Judge one program against a problem's tests: build it once in a sandbox, run each test, compare, decide."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field

from judges.checker import Checker, CheckerError, CheckerRun
from judges.compare import OutputRule, compare
from judges.language import COMPILE_LIMITS, Build, Language, program_build
from judges.verdict import Verdict
from sandboxes import Execution, LimitHit, Limits, Sandbox, SandboxError, Session

_SANDBOX_ATTEMPTS = 2
_LIMIT_VERDICTS = {
    LimitHit.OUTPUT: Verdict.OLE,
    LimitHit.CPU_TIME: Verdict.TLE,
    LimitHit.WALL_TIME: Verdict.TLE,
    LimitHit.MEMORY: Verdict.MLE,
}
_OOM_MARKERS = ("MemoryError", "std::bad_alloc", "Cannot allocate memory")


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


MAX_SOURCE_BYTES = 256 * 1024  # contest judges cap sources (Codeforces: 64 KB); also bounds the compile below


def syntax_error(source: str) -> str | None:
    """The compile error of a Python source, or None. Compiling runs none of the program.

    This runs in the harness, outside the sandbox, so the source is bounded first: an unbounded
    one (12 MB of generated code took 26 s and 4.4 GB to compile) would stall or exhaust the judge.
    """
    size = len(source.encode("utf-8", errors="replace"))
    if size > MAX_SOURCE_BYTES:
        return f"source is {size // 1024} KB, over the {MAX_SOURCE_BYTES // 1024} KB limit"
    try:
        compile(source, "main.py", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def test_verdict(execution: Execution, answer: str, rule: OutputRule) -> tuple[Verdict, str]:
    """Verdict and detail for one finished execution compared by a rule (no checker)."""
    early = _run_verdict(execution)
    if early is not None:
        return early
    comparison = compare(answer, execution.stdout.decode("utf-8", errors="replace"), rule)
    return (Verdict.AC, "") if comparison.ok else (Verdict.WA, comparison.detail)


def _run_verdict(execution: Execution) -> tuple[Verdict, str] | None:
    """The verdict when the run itself failed (a limit, a crash), else None: the output decides."""
    if execution.limit_hit is not None:
        return _LIMIT_VERDICTS[execution.limit_hit], execution.limit_hit.value
    tail = execution.stderr_tail()
    if not execution.ok:
        if any(marker in tail for marker in _OOM_MARKERS):
            return Verdict.MLE, tail
        return Verdict.RE, tail or f"exit code {execution.exit_code}, signal {execution.signal}"
    return None


class _ProgramRun:
    """Runs one built program over tests in one session, deciding each test's verdict."""

    def __init__(self, program: Build, session: Session, rule: OutputRule, settings: JudgeSettings,
                 checker: CheckerRun | None) -> None:
        self.program, self.session, self.rule, self.settings, self.checker = program, session, rule, settings, checker

    def execute(self, test: TestCase) -> Execution:
        stdin, limits = test.input.encode(), self.settings.limits()
        if self.program.script:
            return self.session.run_python(self.program.script, stdin, limits)
        return self.session.run(self.program.run_argv or (), stdin, limits)

    def verdict(self, test: TestCase, execution: Execution) -> tuple[Verdict, str]:
        if self.checker is None:
            return test_verdict(execution, test.answer, self.rule)
        early = _run_verdict(execution)
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
) -> Judgement:
    """Judge a program: build it once in a sandbox, then run the tests in the order given.

    A failure of the sandbox itself is retried in a fresh sandbox; a test on which it fails
    twice is an IE, never an RE.
    """
    if source is None or not source.strip():
        return Judgement(Verdict.NO_CODE, detail="no code found in the completion", language=language)
    if language == Language.PYTHON and (error := syntax_error(source)):
        return Judgement(Verdict.CE, detail=error, language=language)
    if not tests:
        return Judgement(Verdict.IE, detail="the problem has no tests", language=language)
    program = program_build(source, language)
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
                checker_run = stack.enter_context(CheckerRun(checker, sandbox)) if checker else None
                runner = _ProgramRun(program, session, rule, settings, checker_run)
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
