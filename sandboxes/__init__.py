"""Run untrusted programs (every generated solution) with limits and isolation.

Knows nothing about problems or verdicts: it takes an argv (or a Python script), stdin
bytes, files for a fresh working directory and `Limits`, and returns an `Execution` record.
A misbehaving program yields data; only a failure of the sandbox itself raises
`SandboxError`. `sandbox.session(files)` keeps one sandbox for all of a program's runs (a
compile step, then one run per test); `sandbox.run(...)` is a session of one run.

Threat model.

`bwrap` (full isolation; `sandboxes/bwrap.py`, `bwrap_command.py`, `runner.py`, `reset.py`):
- covered:
  - time: CPU time polled every 20 ms (rlimit as a backstop) and wall time. CPU time is
    the session cgroup's count (cpuacct on v1, `cpu.stat` on v2) where the harness can make
    one: every process's, including workers the kernel reaped itself (a parent ignoring
    SIGCHLD). Elsewhere (`mechanisms.cpu == "rusage"`) CPU time of such unreaped
    descendants is NOT counted.
  - memory: a per-session memory cgroup where one is writable (exact limit, OOM kills
    counted; the program sets its `oom_score_adj` to 1000, and a root harness with
    CAP_SYS_RESOURCE gives bwrap and the runner -1000, so the OOM killer picks the
    program); else an address-space rlimit. /work, /tmp and /dev/shm are tmpfs capped at
    the session's memory limit each; what a test leaves in them counts towards its memory
    (MLE), and they are its memory in the cgroup too. SysV IPC and POSIX message queues are
    refused by the seccomp filter (and removed after each test where there is no filter).
  - the filesystem: a read-only root holding a read-only /usr, a fresh /proc, a read-only
    /dev, and the session's own /work (a tmpfs of the namespace: nothing reaches the host's
    disks, mountinfo shows no host path, nothing is left to clean on the host); no /etc,
    /root, /home or harness files.
  - state between tests: before each test /work is put back to its snapshot (contents,
    modes, times, xattrs, unreadable folders included); after each, every process but
    the runner is killed and /tmp and /dev/shm are emptied with their roots reset; keyrings
    and IPC objects cannot be made (seccomp). The removal never recurses, follows a link or
    opens a special file, so nested folders, FIFOs and mode-000 folders cannot stall or
    crash it; a failure is an error of that test's run (SandboxError: IE at worst).
    Without the filter, IPC objects are still removed after each test, but the keyrings
    are not reset.
  - the kernel's surface: no capabilities, no further user namespaces (`--disable-userns`),
    and a seccomp filter (libseccomp, `sandboxes/seccomp.py`) refusing namespaces, mount,
    keyctl, bpf, perf_event_open, io_uring, userfaultfd, ptrace and process_vm_*, kexec,
    modules, clock and host settings; other architectures' system calls kill.
  - the network (an empty network namespace); other processes (a pid namespace; a uid
    leased host-wide per concurrent sandbox, `sandboxes/leases.py`, so `kill(-1)` and the
    process limit reach only that sandbox, across every harness process of the host; every
    process of the uid is killed before and after a lease); the runner (PID 1: immune to
    the program's signals, not dumpable; it never holds inputs or expected outputs; a late
    kill message is dropped); the harness's environment (cleared).
  - fidelity: a Python program's recursion budget is that of `python3 main.py` in its
    main thread (the runner's frames are added to the limit it sets and hidden from the
    one it reads).
- not covered: kernel exploits through the allowed system calls, and side channels
  (bubblewrap is not a VM); CPU and memory bandwidth contention between parallel runs; a
  Python program sees the modules the warm runner imported already loaded (the standard
  library's, nothing of the harness's); threads other than the main one get the runner's
  few frames of extra recursion budget.
- where the host lacks a mechanism, `sandbox.mechanisms` (a `Mechanisms` record, for
  env.json) says which weaker one is used: memory "cgroup-v1" | "cgroup-v2" | "rlimit",
  cpu "cgroup-v1" | "cgroup-v2" | "rusage", seccomp "on" | "off: <why>", userns
  "disabled" | "seccomp" | "allowed".

Fail closed: `make_sandbox("auto")` is bubblewrap or a `SandboxError` whose one line names
the cause and the fix, raised before any program runs; it never falls back.

`process` (reduced isolation; only when asked for by name, `mechanisms.isolation ==
"reduced"`, which env.json and the report must show):
- covered: runaway CPU and wall time (rlimit + timer, whole process group killed), memory
  (address-space rlimit or a memory cgroup), huge files, descriptor exhaustion, output
  floods, the harness's environment variables (a minimal fresh environment), stray files
  (a fresh temporary working directory, removed without recursion afterwards; a failure is
  noted in `sandbox.cleanup_failures`, never raised), core dumps;
- not covered: the filesystem view (the program can read what the harness's user can read
  and write outside its directory), the network, other processes of the same user
  (`kill(-1)`), fork bombs, descendants that leave the process group with `setsid`, CPU
  time of unreaped descendants, no seccomp filter.
"""

from enum import StrEnum

from sandboxes.bwrap import BwrapSandbox, bwrap_available
from sandboxes.process import ProcessSandbox, clean_environment, run_supervised
from sandboxes.result import Execution, LimitHit, Limits, Mechanisms, Sandbox, SandboxError, Session


class SandboxKind(StrEnum):
    """The sandboxes one can ask for (config `eval.sandbox`, `--sandbox`)."""

    AUTO = "auto"  # bubblewrap, or stop with the reason: never a silent fallback
    BWRAP = "bwrap"
    PROCESS = "process"  # reduced isolation, only when asked for by name


KINDS = tuple(kind.value for kind in SandboxKind)


def make_sandbox(kind: str = "auto") -> Sandbox:
    """The sandbox of the given kind; fails closed.

    'auto' and 'bwrap' are bubblewrap, or a SandboxError naming why it cannot run here and
    how to fix that, raised before any program runs. The process sandbox (reduced isolation,
    `sandbox.mechanisms.isolation == "reduced"`) is used only when asked for by name.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown sandbox kind '{kind}' (known: {', '.join(KINDS)})")
    if kind == SandboxKind.PROCESS:
        return ProcessSandbox()
    problem = bwrap_available()
    if problem is not None:
        raise SandboxError(problem)
    return BwrapSandbox()


__all__ = [
    "KINDS",
    "BwrapSandbox",
    "Execution",
    "LimitHit",
    "Limits",
    "Mechanisms",
    "ProcessSandbox",
    "Sandbox",
    "SandboxError",
    "SandboxKind",
    "Session",
    "bwrap_available",
    "clean_environment",
    "make_sandbox",
    "run_supervised",
]
