"""Run an untrusted program in a plain subprocess under rlimits, in its own session and temp dir.

This is the *reduced* isolation level: it bounds time, memory, file size, open files and
output, hides the harness's environment and kills the whole process group at the end, but
it shares the host's filesystem view, network and user id with the harness.
"""

from __future__ import annotations

import math
import os
import resource
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from sandboxes.result import Execution, LimitHit, Limits, SandboxError

_MB = 1 << 20
_DRAIN_GRACE_S = 0.5


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


def _rlimit_setter(limits: Limits):
    cpu = math.ceil(limits.cpu_time_s) + 1
    memory = limits.memory_mb * _MB

    def apply() -> None:  # runs in the child between fork and exec
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_STACK, (memory, memory))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_size_mb * _MB,) * 2)
        resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files,) * 2)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _feed_stdin(pipe, data: bytes) -> None:
    try:
        pipe.write(data)
    except (BrokenPipeError, OSError):
        pass  # the program stopped reading: its business, not ours
    finally:
        try:
            pipe.close()
        except OSError:
            pass


class _Capture:
    """Drains stdout and stderr concurrently (keeping at most a cap of each) while waiting for the program."""

    def __init__(self, proc: subprocess.Popen, limits: Limits):
        self.buffers = {proc.stdout.fileno(): bytearray(), proc.stderr.fileno(): bytearray()}
        self.caps = {proc.stdout.fileno(): limits.stdout_bytes, proc.stderr.fileno(): limits.stderr_bytes}
        self.truncated = dict.fromkeys(self.buffers, False)
        self.stdout_fd = proc.stdout.fileno()

    def _read(self, fd: int, on_stdout_overflow) -> bool:
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return False
        buffer, cap = self.buffers[fd], self.caps[fd]
        room = cap - len(buffer)
        buffer += chunk[: max(room, 0)]
        if len(chunk) > room:
            self.truncated[fd] = True
            if fd == self.stdout_fd:
                on_stdout_overflow()
        return True

    def wait(self, pid: int, deadline: float, on_stdout_overflow):
        """Read output until the program exits (then kill its group) or `deadline`; return wait4's status."""
        selector = selectors.DefaultSelector()
        for fd in self.buffers:
            selector.register(fd, selectors.EVENT_READ)
        status = usage = None
        exited_at = math.inf
        while time.monotonic() < min(deadline, exited_at + _DRAIN_GRACE_S):
            if not selector.get_map():
                time.sleep(0.02)  # both pipes closed: only waiting for the exit now
            for key, _ in selector.select(timeout=0.02) if selector.get_map() else ():
                if not self._read(key.fd, on_stdout_overflow):
                    selector.unregister(key.fd)
            if status is None:
                reaped, status, usage = os.wait4(pid, os.WNOHANG)
                if reaped:
                    exited_at = time.monotonic()
                    _kill_group(pid)  # whatever it left running in its group dies with it
                else:
                    status = None
            if status is not None and not selector.get_map():
                break
        selector.close()
        if status is None:
            _, status, usage = os.wait4(pid, 0)
        return status, usage


def run_supervised(
    argv: Sequence[str],
    cwd: Path,
    env: Mapping[str, str],
    stdin: bytes,
    limits: Limits,
    preexec=None,
    pass_fds: Sequence[int] = (),
) -> Execution:
    """Start `argv` in its own session under `limits`, feed stdin, capture output, enforce the wall limit.

    Shared by every sandbox kind: they differ only in the argv wrapper and the child's set-up.
    """
    started = time.monotonic()
    set_limits = _rlimit_setter(limits)

    def child_setup() -> None:
        set_limits()
        if preexec is not None:
            preexec()

    try:
        proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            preexec_fn=child_setup,
            close_fds=True,
            pass_fds=tuple(pass_fds),
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise SandboxError(f"could not start {argv[0]}: {exc}") from exc
    hits: dict[str, bool] = {"wall": False, "output": False}

    def on_deadline() -> None:
        hits["wall"] = True
        _kill_group(proc.pid)

    def on_overflow() -> None:
        hits["output"] = True
        _kill_group(proc.pid)

    timer = threading.Timer(limits.wall_time_s, on_deadline)
    timer.start()
    writer = threading.Thread(target=_feed_stdin, args=(proc.stdin, stdin), daemon=True)
    writer.start()
    capture = _Capture(proc, limits)
    try:
        status, usage = capture.wait(proc.pid, started + limits.wall_time_s + _DRAIN_GRACE_S, on_overflow)
    finally:
        timer.cancel()
        _kill_group(proc.pid)  # orphans left in the group die with it
        proc.returncode = -1  # reaped above; stop Popen from reaping again
        proc.stdout.close()
        proc.stderr.close()
    return _execution(status, usage, capture, limits, hits, time.monotonic() - started)


class ProcessSandbox:
    """Reduced isolation: rlimits, own session, scrubbed environment, fresh working directory."""

    kind = "process"
    isolation = "reduced"
    python = sys.executable

    def run(
        self,
        argv: Sequence[str],
        stdin: bytes,
        limits: Limits,
        files: Mapping[str, bytes] | None = None,
    ) -> Execution:
        """Run ``argv`` in a fresh directory holding ``files``; always returns an Execution."""
        with fresh_workdir(files, "harness-sbx-") as workdir:
            return run_supervised(argv, workdir, clean_environment(str(workdir)), stdin, limits)


def limit_fired(
    sig: int | None, cpu_s: float, rss_mb: float, limits: Limits, *, output_hit: bool, wall_hit: bool
) -> LimitHit | None:
    """Which limit ended a run, in judge precedence: output, CPU, wall, then memory (a kill near the cap)."""
    if output_hit:
        return LimitHit.OUTPUT
    if sig == signal.SIGXCPU or cpu_s > limits.cpu_time_s:
        return LimitHit.CPU_TIME
    if wall_hit:
        return LimitHit.WALL_TIME
    if sig is not None and rss_mb >= 0.9 * limits.memory_mb:
        return LimitHit.MEMORY
    return None


@contextmanager
def fresh_workdir(files: Mapping[str, bytes] | None, prefix: str):
    """A new temporary directory holding `files`, removed with everything in it afterwards."""
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        for name, content in (files or {}).items():
            (workdir / name).write_bytes(content)
        yield workdir
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _execution(status, usage, capture: _Capture, limits: Limits, hits, wall: float) -> Execution:
    exit_code = os.waitstatus_to_exitcode(status)
    sig = -exit_code if exit_code < 0 else None
    cpu = usage.ru_utime + usage.ru_stime
    rss_mb = usage.ru_maxrss / 1024
    out_fd, err_fd = list(capture.buffers)
    limit_hit = limit_fired(sig, cpu, rss_mb, limits, output_hit=hits["output"], wall_hit=hits["wall"])
    return Execution(
        exit_code=None if sig is not None else exit_code,
        signal=sig,
        stdout=bytes(capture.buffers[out_fd]),
        stderr=bytes(capture.buffers[err_fd]),
        stdout_truncated=capture.truncated[out_fd],
        stderr_truncated=capture.truncated[err_fd],
        wall_s=round(wall, 4),
        cpu_s=round(cpu, 4),
        max_rss_mb=round(rss_mb, 2),
        limit_hit=limit_hit,
    )
