"""Run untrusted programs (every generated solution) with limits and isolation.

Knows nothing about problems or verdicts: it takes an argv, stdin bytes, files for a fresh
working directory and `Limits`, and returns an `Execution` record. A misbehaving program
yields data; only a failure of the sandbox itself raises `SandboxError`.

Threat model of the `process` sandbox (reduced isolation, the walking skeleton's level):
- covered: runaway CPU and wall time (rlimit + timer, whole process group killed), memory
  (address-space rlimit), huge files (file-size rlimit), descriptor exhaustion, output
  floods (stdout/stderr drained concurrently and capped; an overflow kills the run), the
  harness's environment variables (the child gets a minimal fresh environment), stray
  files (a fresh temporary working directory, removed afterwards), core dumps;
- not covered: the filesystem view (the program can read what the harness's user can read
  and write outside its directory), the network, other processes of the same user
  (`kill(-1)`), fork bombs, and descendants that leave the process group with `setsid`.
  Those need namespaces: the bubblewrap sandbox closes them.
"""

import logging

from sandboxes.bwrap import BwrapSandbox, bwrap_available
from sandboxes.process import ProcessSandbox, clean_environment, run_supervised
from sandboxes.result import Execution, LimitHit, Limits, SandboxError

KINDS = ("auto", "bwrap", "process")
log = logging.getLogger(__name__)


def make_sandbox(kind: str = "auto") -> BwrapSandbox | ProcessSandbox:
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
    "SandboxError",
    "bwrap_available",
    "clean_environment",
    "make_sandbox",
    "run_supervised",
]
