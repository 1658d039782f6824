"""Judge one program against a problem's tests: run each test in a sandbox, compare, decide."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from judges.compare import OutputRule, compare
from judges.verdict import Verdict
from sandboxes import Execution, LimitHit, Limits, SandboxError

_SANDBOX_RETRIES = 2
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


@dataclass(frozen=True)
class Judgement:
    """The overall verdict (first failing test, in order) and the per-test results."""

    verdict: Verdict
    tests: tuple[TestResult, ...] = field(default_factory=tuple)
    detail: str = ""


@dataclass(frozen=True)
class JudgeSettings:
    """Limits that come from the problem and the harness."""

    time_limit_s: float = 1.0
    memory_mb: int = 256
    wall_factor: float = 2.0  # wall time is a safety net over CPU time
    stop_on_failure: bool = True
    python: str | None = None  # interpreter path as the sandbox sees it; None: the sandbox's own

    def limits(self) -> Limits:
        """Sandbox limits for one test."""
        wall = max(self.time_limit_s * self.wall_factor, self.time_limit_s + 1.0)
        return Limits(wall_time_s=wall, cpu_time_s=self.time_limit_s, memory_mb=self.memory_mb)


def syntax_error(source: str) -> str | None:
    """The compile error of a Python source, or None. Compiling runs none of the program."""
    try:
        compile(source, "main.py", "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def test_verdict(execution: Execution, answer: str, rule: OutputRule) -> tuple[Verdict, str]:
    """Verdict and detail for one finished execution."""
    if execution.limit_hit is not None:
        return _LIMIT_VERDICTS[execution.limit_hit], execution.limit_hit.value
    tail = execution.stderr_tail()
    if not execution.ok:
        if any(marker in tail for marker in _OOM_MARKERS):
            return Verdict.MLE, tail
        return Verdict.RE, tail or f"exit code {execution.exit_code}, signal {execution.signal}"
    output = execution.stdout.decode("utf-8", errors="replace")
    comparison = compare(answer, output, rule)
    return (Verdict.AC, "") if comparison.ok else (Verdict.WA, comparison.detail)


def _run_test(sandbox, source: str, test: TestCase, settings: JudgeSettings, rule: OutputRule) -> TestResult:
    argv = [settings.python or sandbox.python, "-I", "main.py"]
    files = {"main.py": source.encode()}
    error = ""
    for _ in range(_SANDBOX_RETRIES):
        try:
            execution = sandbox.run(argv, test.input.encode(), settings.limits(), files)
        except SandboxError as exc:
            error = str(exc)
            continue
        verdict, detail = test_verdict(execution, test.answer, rule)
        return TestResult(
            name=test.name,
            verdict=verdict,
            wall_s=execution.wall_s,
            cpu_s=execution.cpu_s,
            max_rss_mb=execution.max_rss_mb,
            exit_code=execution.exit_code,
            signal=execution.signal,
            detail=detail,
            stdout_truncated=execution.stdout_truncated,
        )
    return TestResult(name=test.name, verdict=Verdict.IE, detail=error)


def judge(
    source: str | None,
    tests: Sequence[TestCase],
    rule: OutputRule,
    settings: JudgeSettings,
    sandbox,
) -> Judgement:
    """Judge a Python program; tests run in the order given, samples first is the caller's order."""
    if source is None or not source.strip():
        return Judgement(Verdict.NO_CODE, detail="no code found in the completion")
    error = syntax_error(source)
    if error:
        return Judgement(Verdict.CE, detail=error)
    if not tests:
        return Judgement(Verdict.IE, detail="the problem has no tests")
    results: list[TestResult] = []
    for test in tests:
        result = _run_test(sandbox, source, test, settings, rule)
        results.append(result)
        if result.verdict is not Verdict.AC and settings.stop_on_failure:
            break
    failed = next((r for r in results if r.verdict is not Verdict.AC), None)
    if failed is None:
        return Judgement(Verdict.AC, tuple(results))
    return Judgement(failed.verdict, tuple(results), detail=f"{failed.name}: {failed.detail}")
