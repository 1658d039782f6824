"""Run an untrusted program in a plain subprocess under rlimits, in its own session and temp dir.

This is the *reduced* isolation level: it bounds time, memory, file size, open files and
output, hides the harness's environment and kills the whole process group at the end, but
it shares the host's filesystem view, network and user id with the harness.
"""

from __future__ import annotations

import logging
import math
import os
import resource
import selectors
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from sandboxes.cgroups import MemoryCgroup, MemoryController, memory_controller
from sandboxes.reset import remove_at, remove_tree
from sandboxes.result import Execution, LimitHit, Limits, Mechanisms
from sandboxes.spawn import ChildSetup, start

_MB = 1 << 20
_DRAIN_GRACE_S = 0.5
log = logging.getLogger(__name__)


def clean_environment(home: str) -> dict[str, str]:
    """A minimal environment: nothing of the harness's (tokens, keys, paths) reaches the program."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "HOME": home,
        "TMPDIR": home,
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def _rlimits(limits: Limits, address_space: bool = True) -> tuple[tuple[int, int, int], ...]:
    """The program's rlimits `(resource, soft, hard)`; memory by address space unless a cgroup counts it."""
    cpu = math.ceil(limits.cpu_time_s) + 1
    memory = limits.memory_mb * _MB
    return ((resource.RLIMIT_CPU, cpu, cpu + 1),
            *([(resource.RLIMIT_AS, memory, memory)] if address_space else []),
            (resource.RLIMIT_STACK, resource.RLIM_INFINITY, resource.RLIM_INFINITY),
            (resource.RLIMIT_FSIZE, limits.file_size_mb * _MB, limits.file_size_mb * _MB),
            (resource.RLIMIT_NOFILE, limits.open_files, limits.open_files),
            (resource.RLIMIT_CORE, 0, 0))


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class OutputDrain:
    """Reads a program's stdout and stderr pipes as they fill, keeping at most a cap of each.

    Draining both concurrently is what keeps a program that floods stderr from blocking
    forever on a full pipe while we wait on stdout.
    """

    def __init__(self, stdout_fd: int, stderr_fd: int, limits: Limits, on_stdout_overflow):
        self.stdout_fd, self.stderr_fd = stdout_fd, stderr_fd
        self.buffers = {stdout_fd: bytearray(), stderr_fd: bytearray()}
        self.caps = {stdout_fd: limits.stdout_bytes, stderr_fd: limits.stderr_bytes}
        self.truncated = dict.fromkeys(self.buffers, False)
        self.on_stdout_overflow = on_stdout_overflow
        self.selector = selectors.DefaultSelector()
        for fd in self.buffers:
            os.set_blocking(fd, False)
            self.selector.register(fd, selectors.EVENT_READ)

    @property
    def open(self) -> bool:
        """True while some pipe has not reached end of file."""
        return bool(self.selector.get_map())

    def pump(self, timeout: float, wake_fd: int | None = None) -> bool:
        """Read whatever is ready within `timeout` seconds; True as soon as `wake_fd` is readable."""
        if wake_fd is not None:
            self.selector.register(wake_fd, selectors.EVENT_READ)
        try:
            if not self.selector.get_map():
                time.sleep(timeout)
                return False
            woken = False
            for key, _ in self.selector.select(timeout=timeout):
                if key.fd == wake_fd:
                    woken = True
                else:
                    self._read(key.fd)
            return woken
        finally:
            if wake_fd is not None:
                self.selector.unregister(wake_fd)

    def _read(self, fd: int) -> None:
        try:
            chunk = os.read(fd, 1 << 16)
        except BlockingIOError:
            return
        if not chunk:
            self.selector.unregister(fd)
            return
        buffer, cap = self.buffers[fd], self.caps[fd]
        room = cap - len(buffer)
        buffer += chunk[: max(room, 0)]
        if len(chunk) > room:
            self.truncated[fd] = True
            if fd == self.stdout_fd:
                self.on_stdout_overflow()

    def close(self) -> None:
        """Stop watching the pipes (the caller closes them)."""
        self.selector.close()

    @property
    def stdout(self) -> bytes:
        """What was kept of stdout."""
        return bytes(self.buffers[self.stdout_fd])

    @property
    def stderr(self) -> bytes:
        """What was kept of stderr."""
        return bytes(self.buffers[self.stderr_fd])


def feed_stdin_in_background(fd: int, data: bytes) -> threading.Thread:
    """Write `data` to the pipe `fd` from a thread, then close it; a program that stops reading is fine."""
    def feed() -> None:
        try:
            with open(fd, "wb", closefd=True) as pipe:
                pipe.write(data)
        except OSError:
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    return writer


def run_supervised(
    argv: Sequence[str],
    cwd: Path,
    env: Mapping[str, str],
    stdin: bytes,
    limits: Limits,
    pass_fds: Sequence[int] = (),
    cgroup: MemoryCgroup | None = None,
) -> Execution:
    """Start `argv` in its own session under `limits`, feed stdin, capture output, enforce the wall limit.

    With a `cgroup`, the program joins it and memory is limited there (exactly, with an OOM-kill
    count); without, by an address-space rlimit.
    """
    started = time.monotonic()
    if cgroup is not None:
        cgroup.set_limit(limits.memory_mb)
    setup = ChildSetup(rlimits=_rlimits(limits, address_space=cgroup is None), cgroups=(cgroup,) if cgroup else ())
    proc = start(argv, setup, env=env, pass_fds=pass_fds, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                 stderr=subprocess.PIPE)
    hits = {"wall": False, "output": False}

    def on_overflow() -> None:
        hits["output"] = True
        _kill_group(proc.pid)

    def on_deadline() -> None:
        hits["wall"] = True
        _kill_group(proc.pid)

    # All three were asked for as PIPE above, so Popen has set them.
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    child_stdout, child_stderr = proc.stdout, proc.stderr
    timer = threading.Timer(limits.wall_time_s, on_deadline)
    timer.start()
    feed_stdin_in_background(os.dup(proc.stdin.fileno()), stdin)
    proc.stdin.close()
    drain = OutputDrain(child_stdout.fileno(), child_stderr.fileno(), limits, on_overflow)
    try:
        status, usage = _wait(proc.pid, drain, started + limits.wall_time_s + _DRAIN_GRACE_S)
    finally:
        timer.cancel()
        _kill_group(proc.pid)  # orphans left in the group die with it
        proc.returncode = -1  # reaped above; stop Popen from reaping again
        drain.close()
        child_stdout.close()
        child_stderr.close()
    cpu = usage.ru_utime + usage.ru_stime
    # The child's ru_maxrss starts at the harness's own size (fork copies its page tables and
    # exec keeps the high-water mark), so only a fresh cgroup's peak measures the program itself.
    rss_mb = cgroup.peak_mb() if cgroup is not None else None
    oom = cgroup is not None and cgroup.oom_kills() > 0
    return make_execution(status, cpu, rss_mb, drain, limits, output_hit=hits["output"], wall_hit=hits["wall"],
                          oom_killed=oom, wall_s=time.monotonic() - started)


def _wait(pid: int, drain: OutputDrain, deadline: float):
    """Drain output until the program exits (then kill its group) or `deadline`; return wait4's status."""
    status = usage = None
    exited_at = math.inf
    while time.monotonic() < min(deadline, exited_at + _DRAIN_GRACE_S):
        drain.pump(0.02)
        if status is None:
            reaped, status, usage = os.wait4(pid, os.WNOHANG)
            if reaped:
                exited_at = time.monotonic()
                _kill_group(pid)  # whatever it left running in its group dies with it
            else:
                status = None
        if status is not None and not drain.open:
            break
    if status is None:
        _, status, usage = os.wait4(pid, 0)
    return status, usage


class ProcessSandbox:
    """Reduced isolation: rlimits (or a memory cgroup), own session, scrubbed environment, fresh directory."""

    kind = "process"
    isolation = "reduced"
    python = sys.executable

    def __init__(self, use_cgroups: bool = True, python: str = sys.executable) -> None:
        self.python = python
        self.memory_controller = memory_controller() if use_cgroups else None
        self.memory = self.memory_controller.mechanism if self.memory_controller else "rlimit"
        self.mechanisms = Mechanisms(isolation="reduced", memory=self.memory, cpu="rusage",
                                     seccomp="off: the process sandbox has no filter", userns="allowed")
        self.cleanup_failures: list[str] = []

    @contextmanager
    def session(self, files: Mapping[str, bytes] | None = None, limits: Limits | None = None):
        """A working directory holding `files` in which several runs happen (one process each; `limits` per run)."""
        with fresh_workdir(files, "harness-sbx-", self.cleanup_failures) as workdir:
            yield ProcessSession(workdir, self.memory_controller, self.python)

    def run(self, argv: Sequence[str], stdin: bytes, limits: Limits, files: Mapping[str, bytes] | None = None) -> Execution:
        """Run ``argv`` in a fresh directory holding ``files``; always returns an Execution."""
        with self.session(files) as session:
            return session.run(argv, stdin, limits)


class ProcessSession:
    """Runs in one directory; each run is a new process in a new session, in a new cgroup when available."""

    def __init__(self, workdir: Path, controller: MemoryController | None, python: str = sys.executable) -> None:
        self.workdir = workdir
        self.controller = controller
        self.python = python

    def run(self, argv: Sequence[str], stdin: bytes, limits: Limits, files: Mapping[str, bytes] | None = None,
            *, keep: bool = False, dirs: Sequence[str] = ()) -> Execution:
        """Run `argv` with `files` added to the directory and `dirs` created (empty) for this run."""
        for name, content in (files or {}).items():
            write_private(self.workdir, name, content)
        for name in dirs:
            dir_fd = os.open(self.workdir, os.O_PATH | os.O_DIRECTORY)
            try:
                remove_at(dir_fd, name)
            finally:
                os.close(dir_fd)
            (self.workdir / name).mkdir()
        cgroup = self.controller.create() if self.controller else None
        try:
            return run_supervised(argv, self.workdir, clean_environment(str(self.workdir)), stdin, limits, cgroup=cgroup)
        finally:
            if cgroup is not None:
                cgroup.remove()

    def run_python(self, script: str, stdin: bytes, limits: Limits, files: Mapping[str, bytes] | None = None,
                   args: Sequence[str] = (), dirs: Sequence[str] = ()) -> Execution:
        """Run a Python script from the directory with the harness's interpreter in isolated mode."""
        return self.run([self.python, "-I", script, *args], stdin, limits, files, dirs=dirs)

    def read(self, name: str, limit: int = 1 << 16) -> bytes:
        """Up to `limit` bytes of a file the last run left, b"" when there is none (never follows links)."""
        return read_private(self.workdir, name, limit)


def write_private(root: Path, name: str, content: bytes) -> None:
    """Create `root/name` afresh without following any link a program may have left in its place."""
    dir_fd = os.open(root, os.O_PATH | os.O_DIRECTORY)
    try:
        try:
            os.unlink(name, dir_fd=dir_fd)
        except FileNotFoundError:
            pass
        except IsADirectoryError:
            remove_at(dir_fd, name)
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644, dir_fd=dir_fd)
        with open(fd, "wb") as handle:
            handle.write(content)
    finally:
        os.close(dir_fd)


def read_private(root: Path, name: str, limit: int) -> bytes:
    """Read `root/name` (a relative path) refusing links at every step; b"" when absent or not a file."""
    fd = os.open(root, os.O_PATH | os.O_DIRECTORY)
    try:
        for part in name.split("/"):
            next_fd = os.open(part, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=fd)
            os.close(fd)
            fd = next_fd
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return b""
        return os.read(fd, limit)
    except OSError:
        return b""
    finally:
        os.close(fd)


def limit_fired(
    sig: int | None, cpu_s: float, rss_mb: float | None, limits: Limits, *, output_hit: bool, wall_hit: bool,
    oom_killed: bool = False, tmpfs_mb: float = 0.0,
) -> LimitHit | None:
    """Which limit ended a run, in judge precedence.

    Output first, then memory when a cgroup OOM-killed it or the program left its memory
    limit's worth in the sandbox's memory file systems (a tmpfs holds memory that belongs to
    no process, so no rlimit sees it), CPU, wall, and memory again for a kill near the
    address-space cap.
    """
    if output_hit:
        return LimitHit.OUTPUT
    in_tmpfs = tmpfs_mb >= 1 and tmpfs_mb + (rss_mb or 0.0) >= 0.9 * limits.memory_mb
    if oom_killed or in_tmpfs:
        return LimitHit.MEMORY
    if sig == signal.SIGXCPU or cpu_s > limits.cpu_time_s:
        return LimitHit.CPU_TIME
    if wall_hit:
        return LimitHit.WALL_TIME
    if sig is not None and rss_mb is not None and rss_mb >= 0.9 * limits.memory_mb:
        return LimitHit.MEMORY
    return None


@contextmanager
def fresh_workdir(files: Mapping[str, bytes] | None, prefix: str, failures: list[str] | None = None):
    """A new temporary directory holding `files`, removed with everything in it afterwards.

    A folder that cannot be removed (whatever a program left in it) is logged and noted in
    `failures`, never raised: it must not stop an evaluation.
    """
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        for name, content in (files or {}).items():
            (workdir / name).write_bytes(content)
        yield workdir
    finally:
        discard(workdir, failures)


def discard(path: Path, failures: list[str] | None = None) -> None:
    """Remove a session folder; a failure is recorded, never raised."""
    try:
        remove_tree(path)
    except Exception as exc:  # noqa: BLE001 - whatever a program left, the evaluation goes on
        log.warning("could not remove the sandbox folder %s: %s", path, exc)
        if failures is not None:
            failures.append(f"{path}: {exc}")


def make_execution(status: int, cpu_s: float, rss_mb: float | None, drain: OutputDrain, limits: Limits, *,
                   output_hit: bool, wall_hit: bool, oom_killed: bool, wall_s: float, tmpfs_mb: float = 0.0) -> Execution:
    """The execution record from a wait status, resource usage and the drained output.

    `rss_mb` is None where the program's own peak cannot be told apart (recorded as 0).
    """
    exit_code = os.waitstatus_to_exitcode(status)
    sig = -exit_code if exit_code < 0 else None
    limit_hit = limit_fired(sig, cpu_s, rss_mb, limits, output_hit=output_hit, wall_hit=wall_hit, oom_killed=oom_killed,
                            tmpfs_mb=tmpfs_mb)
    return Execution(
        exit_code=None if sig is not None else exit_code,
        signal=sig,
        stdout=drain.stdout,
        stderr=drain.stderr,
        stdout_truncated=drain.truncated[drain.stdout_fd],
        stderr_truncated=drain.truncated[drain.stderr_fd],
        wall_s=round(wall_s, 4),
        cpu_s=round(cpu_s, 4),
        max_rss_mb=round(rss_mb or 0.0, 2),
        limit_hit=limit_hit,
    )
