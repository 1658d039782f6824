"""Run untrusted programs (every generated solution) with limits and isolation.

Knows nothing about problems or verdicts: it takes an argv (or a Python script), stdin
bytes, files for a fresh working directory and `Limits`, and returns an `Execution` record.
A misbehaving program yields data; only a failure of the sandbox itself raises
`SandboxError`. `sandbox.session(files)` keeps one sandbox for all of a program's runs (a
compile step, then one run per test); `sandbox.run(...)` is a session of one run.

Threat model.

`bwrap` (full isolation; see `sandboxes/bwrap.py` and `sandboxes/runner.py`):
- covered: CPU time (polled every 20 ms, with the rlimit as a backstop) and wall time;
  memory (a per-session memory cgroup where one is writable: exact limit, OOM-kill count;
  else an address-space rlimit); file size, open files, process count (a non-root uid per
  concurrent sandbox); output floods; the filesystem (only a read-only /usr, a private
  /work and /tmp: no /etc, /root, /home, no harness files; nothing written survives the
  session, and /work and /tmp are reset before every test, so tests cannot pass state to
  each other); the network (an empty network namespace: loopback listeners of the host are
  unreachable); other processes (a pid namespace, a uid of its own, so `kill(-1)` and
  /proc/*/environ reach nothing of the host); the runner itself (PID 1 of the namespace:
  immune to the program's signals, not dumpable, so not ptrace-able and its memory is not
  readable; it never holds test inputs or expected outputs, which travel as pipes straight
  to the program); the harness's environment (cleared); escapees (`setsid`, double forks):
  every process but the runner is killed after each test, the namespace dies with the
  session, and every process of the session's uid is killed before the uid is reused.
- not covered: kernel exploits and side channels (bubblewrap is not a VM); CPU and memory
  bandwidth contention between parallel runs; a Python program sees the modules the warm
  runner imported already loaded (the standard library's, nothing of the harness's).

`process` (reduced isolation, the fallback where bubblewrap cannot run):
- covered: runaway CPU and wall time (rlimit + timer, whole process group killed), memory
  (address-space rlimit), huge files, descriptor exhaustion, output floods, the harness's
  environment variables (a minimal fresh environment), stray files (a fresh temporary
  working directory, removed afterwards), core dumps;
- not covered: the filesystem view (the program can read what the harness's user can read
  and write outside its directory), the network, other processes of the same user
  (`kill(-1)`), fork bombs, and descendants that leave the process group with `setsid`.
"""

import logging

from sandboxes.bwrap import BwrapSandbox, bwrap_available
from sandboxes.process import ProcessSandbox, clean_environment, run_supervised
from sandboxes.result import Execution, LimitHit, Limits, Sandbox, SandboxError, Session

KINDS = ("auto", "bwrap", "process")
log = logging.getLogger(__name__)


def make_sandbox(kind: str = "auto") -> Sandbox:
    """The sandbox of the given kind; 'auto' picks bubblewrap when it works here, else warns loudly."""
    if kind not in KINDS:
        raise ValueError(f"unknown sandbox kind '{kind}' (known: {', '.join(KINDS)})")
    if kind == "process":
        return ProcessSandbox()
    problem = bwrap_available()
    if problem is None:
        return BwrapSandbox()
    if kind == "bwrap":
        raise SandboxError(problem)
    log.warning("REDUCED ISOLATION: %s; untrusted programs run in the process sandbox "
                "(no filesystem, network or process isolation)", problem)
    return ProcessSandbox()


__all__ = [
    "KINDS",
    "BwrapSandbox",
    "Execution",
    "LimitHit",
    "Limits",
    "ProcessSandbox",
    "Sandbox",
    "SandboxError",
    "Session",
    "bwrap_available",
    "clean_environment",
    "make_sandbox",
    "run_supervised",
]
