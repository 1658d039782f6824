"""Full isolation with bubblewrap: fresh namespaces, a read-only system, a private work dir, a non-root uid.

Each run gets new user, pid, network, ipc, uts, cgroup and mount namespaces; sees only a
read-only /usr (with the /bin, /lib, /lib64 links), a fresh /proc and /dev, a private
/tmp, and its own writable /work; no /etc, /root, /home or harness files. It runs as a
non-root uid taken from a pool, one per concurrent run, so the process-count limit is
real and `kill(-1)` reaches only that run. When the harness is not root, every run uses
the harness's own uid (namespaces still separate them; the process limit is then shared).
"""

from __future__ import annotations

import ctypes
import json
import os
import queue
import resource
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from functools import cache
from pathlib import Path

from sandboxes.process import clean_environment, fresh_workdir, limit_fired, run_supervised
from sandboxes.result import Execution, LimitHit, Limits, SandboxError

BWRAP = "bwrap"
SANDBOX_PYTHON = "/usr/bin/python3"  # inside the sandbox: the system interpreter under the read-only /usr
_PR_SET_CHILD_SUBREAPER = 36
UID_BASE = 61000
UID_POOL = 64
_SYSTEM_LINKS = (("usr/bin", "/bin"), ("usr/lib", "/lib"), ("usr/lib64", "/lib64"), ("usr/sbin", "/sbin"))


class _UidPool:
    """Hands out one uid per concurrent run (root only), so runs can never signal or starve each other."""

    def __init__(self) -> None:
        self._free: queue.SimpleQueue[int] = queue.SimpleQueue()
        for uid in range(UID_BASE, UID_BASE + UID_POOL):
            self._free.put(uid)

    @contextmanager
    def lease(self):
        if os.geteuid() != 0:
            yield os.geteuid()
            return
        uid = self._free.get()
        try:
            yield uid
        finally:
            _kill_uid(uid)  # anything that escaped the namespace teardown dies here
            self._free.put(uid)


def _live_pids(uid: int) -> list[int]:
    """Processes of `uid` that are not zombies (zombies hold nothing and are reaped by their parents)."""
    pids = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid != uid:
                continue
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                state = handle.read().rsplit(b")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue  # it exited meanwhile
        if state != b"Z":
            pids.append(int(entry.name))
    return pids


def _signal_all_as(uid: int) -> None:
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        try:
            os.setresuid(uid, uid, uid)
            os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def _kill_uid(uid: int, patience_s: float = 5.0) -> None:
    """Kill every process of `uid` (which runs nothing else) and wait until none is left.

    The uid goes back to the pool only when empty, so a dying namespace never counts against
    the next run's process limit.
    """
    deadline = time.monotonic() + patience_s
    while _live_pids(uid) and time.monotonic() < deadline:
        _signal_all_as(uid)
        time.sleep(0.002)


# Runs inside the sandbox as the program's parent: bwrap's own monitor never reaps the program,
# so its exit status, CPU time and peak memory come back from here, on a pipe, as three numbers.
_REAPER = (
    "import os, sys\n"
    "fd = int(sys.argv[1])\n"
    "pid = os.fork()\n"
    "if pid == 0:\n"
    "    os.close(fd)\n"
    "    try:\n"
    "        os.execv(sys.argv[2], sys.argv[2:])\n"
    "    finally:\n"
    "        os._exit(127)\n"
    "_, status, ru = os.wait4(pid, 0)\n"
    "os.write(fd, b'%d %.6f %d' % (status, ru.ru_utime + ru.ru_stime, ru.ru_maxrss))\n"
)


def _demote(uid: int, processes: int):
    def apply() -> None:
        if os.geteuid() == 0:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
        # Per-uid: real only for a uid of its own (root ignores it).
        resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))

    return apply


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


def _reap(pid: int | None, patience_s: float = 2.0) -> None:
    """Wait for the namespace's init (reparented to us) so it leaves no zombie."""
    deadline = time.monotonic() + patience_s
    while pid and time.monotonic() < deadline:
        try:
            if os.waitpid(pid, os.WNOHANG)[0]:
                return
        except ChildProcessError:
            return  # not ours (no subreaper support) or already reaped
        time.sleep(0.001)


def _child_pid(fd: int) -> int | None:
    data = b""
    while chunk := os.read(fd, 4096):
        data += chunk
    try:
        return int(json.loads(data)["child-pid"])
    except (ValueError, KeyError, TypeError):
        return None


def bwrap_argv(argv: Sequence[str], work_fd: int, report_fd: int, limits: Limits, info_fd: int) -> list[str]:
    """The bwrap command line wrapping `argv`."""
    args = [BWRAP, "--unshare-all", "--info-fd", str(info_fd), "--die-with-parent", "--new-session", "--cap-drop", "ALL",
            "--hostname", "sandbox", "--ro-bind", "/usr", "/usr"]
    for target, link in _SYSTEM_LINKS:
        if os.path.islink(link):
            args += ["--symlink", target, link]
        elif os.path.isdir(link):
            args += ["--ro-bind", link, link]
    args += ["--proc", "/proc", "--dev", "/dev",
             "--size", str(limits.file_size_mb << 20), "--tmpfs", "/tmp",
             "--bind-fd", str(work_fd), "/work", "--chdir", "/work", "--clearenv"]
    for key, value in clean_environment("/work").items():
        args += ["--setenv", key, value]
    args += ["--setenv", "TMPDIR", "/tmp", "--", SANDBOX_PYTHON, "-I", "-S", "-c", _REAPER, str(report_fd)]
    return args + list(argv)


class BwrapSandbox:
    """Namespaced runs with bubblewrap; the `process` sandbox's limits apply inside."""

    kind = "bwrap"
    isolation = "full"
    python = SANDBOX_PYTHON

    def __init__(self) -> None:
        self._uids = _UidPool()
        _become_subreaper()

    def run(
        self,
        argv: Sequence[str],
        stdin: bytes,
        limits: Limits,
        files: Mapping[str, bytes] | None = None,
    ) -> Execution:
        """Run `argv` inside a fresh bubblewrap sandbox whose /work holds `files`."""
        with self._uids.lease() as uid, fresh_workdir(files, "harness-bwrap-") as workdir:
            if os.geteuid() == 0:
                for path in [workdir, *workdir.iterdir()]:
                    os.chown(path, uid, uid)
            return self._run_in(workdir, argv, stdin, limits, uid)

    def _run_in(self, workdir: Path, argv: Sequence[str], stdin: bytes, limits: Limits, uid: int) -> Execution:
        work_fd = os.open(workdir, os.O_PATH | os.O_DIRECTORY)
        report_read, report_write = os.pipe()
        info_read, info_write = os.pipe()
        try:
            wrapped = bwrap_argv(argv, work_fd, report_write, limits, info_write)
            outer = run_supervised(wrapped, workdir, {}, stdin, limits, preexec=_demote(uid, limits.processes),
                                   pass_fds=(work_fd, report_write, info_write))
            for fd in (report_write, info_write):
                os.close(fd)
            report_write = info_write = -1
            report = _read_report(report_read)
            _reap(_child_pid(info_read))
        finally:
            for fd in (work_fd, report_read, report_write, info_read, info_write):
                if fd >= 0:
                    os.close(fd)
        _raise_on_bwrap_failure(outer, report)
        return _merge(outer, report, limits)


def _read_report(fd: int) -> tuple[int, float, int] | None:
    """The reaper's (wait status, CPU seconds, max RSS KiB), or None when it was killed first."""
    data = b""
    while chunk := os.read(fd, 256):
        data += chunk
    try:
        status, cpu, rss = data.split()
        return int(status), float(cpu), int(rss)
    except ValueError:
        return None


def _merge(outer: Execution, report: tuple[int, float, int] | None, limits: Limits) -> Execution:
    """The program's own status and usage (from the reaper) with the supervisor's output and wall time."""
    if report is None:  # killed from outside (wall time, output flood): the supervisor's view stands
        return outer
    status, cpu, rss_kb = report
    code = os.waitstatus_to_exitcode(status)
    sig = -code if code < 0 else None
    limit_hit = limit_fired(sig, cpu, rss_kb / 1024, limits, output_hit=outer.limit_hit is LimitHit.OUTPUT,
                            wall_hit=outer.limit_hit is LimitHit.WALL_TIME)
    return replace(outer, exit_code=None if sig else code, signal=sig, cpu_s=round(cpu, 4),
                   max_rss_mb=round(rss_kb / 1024, 2), limit_hit=limit_hit)


def _raise_on_bwrap_failure(outer: Execution, report) -> None:
    """Bwrap's own set-up errors are the harness's fault, never the program's (RE)."""
    if report is None and outer.limit_hit is None and outer.stderr.startswith(b"bwrap: "):
        raise SandboxError(outer.stderr.decode(errors="replace").strip())


@cache
def bwrap_available() -> str | None:
    """None when bubblewrap runs here, else why not (checked once by running a tiny program)."""
    if shutil.which(BWRAP) is None:
        return "bwrap is not installed (Debian package 'bubblewrap')"
    if not os.path.exists(SANDBOX_PYTHON):
        return f"{SANDBOX_PYTHON} is missing (Debian package 'python3')"
    try:
        result = BwrapSandbox().run([SANDBOX_PYTHON, "-I", "-c", "print(6 * 7)"], b"", Limits(wall_time_s=10, cpu_time_s=5))
    except (SandboxError, OSError, subprocess.SubprocessError) as exc:
        return f"bwrap cannot start a sandbox here: {exc}"
    if result.stdout.strip() != b"42":
        return f"bwrap probe failed: {result.stderr_tail(2)}"
    return None
