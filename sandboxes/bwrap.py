"""Full isolation with bubblewrap: fresh namespaces, a read-only system, a private work dir, a non-root uid.

One sandbox per program (a `BwrapSession`), built by the command line of
`sandboxes/bwrap_command.py`. Its PID 1 is the warm runner (`sandboxes/runner.py`), which
forks a fresh child per test: a few ms a test instead of the ~10-25 ms of a new
interpreter (benchmarks/RESULTS.md). It runs as a non-root uid leased host-wide
(`sandboxes/leases.py`), one per concurrent sandbox, so the process-count limit is real and
`kill(-1)` reaches only that sandbox. When the harness is not root, every sandbox uses the
harness's own uid (namespaces still separate them; the process limit is then shared).
Per session, where the host lets the harness make them: a memory cgroup (limit, OOM kills)
and a CPU-accounting cgroup (every process's CPU time, however it ended); bubblewrap and
the runner get `oom_score_adj` -1000, so the OOM killer picks the program.
"""

from __future__ import annotations

import ctypes
import subprocess
from collections.abc import Mapping, Sequence
from contextlib import ExitStack, contextmanager
from functools import cache

from sandboxes.bwrap_command import SANDBOX_PYTHON, explain, missing_parts, supports_disable_userns
from sandboxes.bwrap_session import BwrapSession
from sandboxes.cgroups import cpu_controller, memory_controller
from sandboxes.leases import LEASES
from sandboxes.result import Execution, Limits, Mechanisms, SandboxError
from sandboxes.seccomp import compiled_filter

_PR_SET_CHILD_SUBREAPER = 36


def _become_subreaper() -> None:
    """Orphans of our children come to us, not to PID 1 (which, in containers, may never reap them).

    bwrap's monitor exits without waiting for the namespace's init; that init must be reaped
    by someone, or its zombie keeps counting against the uid's process limit.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


class BwrapSandbox:
    """Namespaced runs with bubblewrap: one sandbox per program, a fresh child per test."""

    kind = "bwrap"
    isolation = "full"
    python = SANDBOX_PYTHON

    def __init__(self, use_cgroups: bool = True, use_seccomp: bool = True) -> None:
        self.memory_controller = memory_controller() if use_cgroups else None
        self.cpu_controller = cpu_controller() if use_cgroups else None
        self.memory = self.memory_controller.mechanism if self.memory_controller else "rlimit"
        self.seccomp, seccomp_state = compiled_filter() if use_seccomp else (None, "off: not asked for")
        cpu = self.cpu_controller.mechanism if self.cpu_controller else None
        if cpu is None and self.memory_controller is not None and self.memory_controller.version == 2:
            cpu = "cgroup-v2"  # the session's memory cgroup counts CPU time too
        userns = "disabled" if supports_disable_userns() else ("seccomp" if self.seccomp else "allowed")
        self.mechanisms = Mechanisms(isolation="full", memory=self.memory, cpu=cpu or "rusage",
                                     seccomp=seccomp_state, userns=userns)
        self.cleanup_failures: list[str] = []
        _become_subreaper()

    @contextmanager
    def session(self, files: Mapping[str, bytes] | None = None, limits: Limits | None = None):
        """A started sandbox whose /work holds `files`; its runs share the warm runner.

        `limits` bounds the session as a whole (each of /work, /tmp and /dev/shm holds at most
        its memory limit; per uid, its processes).
        """
        with LEASES.lease() as uid, ExitStack() as stack:
            try:
                session = self._open(uid, stack, files or {}, limits or Limits())
            except OSError as exc:  # a cgroup, a descriptor, a process: the host said no
                raise SandboxError(f"cannot set up a sandbox: {exc}") from exc
            yield session

    def _open(self, uid: int, stack: ExitStack, files: Mapping[str, bytes], limits: Limits) -> BwrapSession:
        """The session's cgroups, the started sandbox and its files; `stack` undoes them in reverse."""
        memory = self.memory_controller.create() if self.memory_controller else None
        if memory is not None:
            stack.callback(memory.remove)
        cpu = self.cpu_controller.create() if self.cpu_controller else None
        if cpu is not None:
            stack.callback(cpu.remove)
        counter = cpu or (memory if memory is not None and memory.version == 2 else None)
        session = BwrapSession(uid, memory, limits, cpu_cgroup=counter, seccomp=self.seccomp)
        stack.callback(session.close)
        session.start()
        session.add_files(files)
        return session

    def run(self, argv: Sequence[str], stdin: bytes, limits: Limits, files: Mapping[str, bytes] | None = None) -> Execution:
        """Run `argv` once inside a fresh sandbox whose /work holds `files`."""
        with self.session(files, limits) as session:
            return session.run(argv, stdin, limits)


@cache
def bwrap_available() -> str | None:
    """None when bubblewrap runs here, else one line naming the cause and the fix (checked once, by a tiny program)."""
    if (missing := missing_parts()) is not None:
        return missing
    try:
        result = BwrapSandbox().run([SANDBOX_PYTHON, "-I", "-c", "print(6 * 7)"], b"", Limits(wall_time_s=10, cpu_time_s=5))
    except (SandboxError, OSError, subprocess.SubprocessError) as exc:
        return str(exc)
    if result.stdout.strip() != b"42":
        return explain(f"the probe program failed: {result.stderr_tail(2)}")
    return None
