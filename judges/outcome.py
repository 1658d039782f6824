"""What a run says before its output is read: the limit it hit or the crash it ended in; and whether a source compiles.

Shared by stdin/stdout judging (`judges.judge`) and function-call judging (`judges.calls`).
"""

from __future__ import annotations

from judges.verdict import Verdict
from sandboxes import Execution, LimitHit

_LIMIT_VERDICTS = {
    LimitHit.OUTPUT: Verdict.OLE,
    LimitHit.CPU_TIME: Verdict.TLE,
    LimitHit.WALL_TIME: Verdict.TLE,
    LimitHit.MEMORY: Verdict.MLE,
}
_OOM_MARKERS = ("MemoryError", "std::bad_alloc", "Cannot allocate memory")


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


def limit_verdict(hit: LimitHit) -> tuple[Verdict, str]:
    """The verdict and detail of a run a limit ended."""
    return _LIMIT_VERDICTS[hit], hit.value


def run_verdict(execution: Execution) -> tuple[Verdict, str] | None:
    """The verdict when the run itself failed (a limit, a crash), else None: the output decides."""
    if execution.limit_hit is not None:
        return limit_verdict(execution.limit_hit)
    tail = execution.stderr_tail()
    if not execution.ok:
        if any(marker in tail for marker in _OOM_MARKERS):
            return Verdict.MLE, tail
        return Verdict.RE, tail or f"exit code {execution.exit_code}, signal {execution.signal}"
    return None
