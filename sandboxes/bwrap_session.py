"""The harness's side of one bubblewrap sandbox: start it, hand it files, send run requests, collect results.

Started as the sandbox's uid (leased by `BwrapSandbox`), inside the session's cgroups, with
the seccomp program and the CPU usage file handed over as descriptors; the runner answers
with a descriptor of its /work (a tmpfs of the namespace), through which the harness writes
the program's files as the sandbox's uid and reads what a run left.
"""

from __future__ import annotations

import ctypes
import json
import math
import os
import resource
import select
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from sandboxes.bwrap_command import bwrap_argv, explain
from sandboxes.cgroups import Cgroup, MemoryCgroup
from sandboxes.process import OutputDrain, feed_stdin_in_background, make_execution, read_private, write_private
from sandboxes.result import Execution, Limits, SandboxError
from sandboxes.spawn import ChildSetup, start

_START_TIMEOUT_S = 10.0
_STOP_TIMEOUT_S = 5.0
_REPLY_GRACE_S = 3.0  # past the wall limit, the runner's own deadline should long have fired
_DRAIN_GRACE_S = 0.5
_CGROUP_SLACK_MB = 8


def _child_setup(uid: int, processes: int, cgroups: Sequence[Cgroup]) -> ChildSetup:
    """What the bwrap process does before bwrap runs: join the cgroups, shield itself from the OOM killer, demote.

    As root only, the last two; the OOM shield is inherited by bwrap and the runner, whose children
    raise their own score to 1000. The process limit is per uid: real only for a uid of its own.
    """
    root = os.geteuid() == 0
    return ChildSetup(rlimits=((resource.RLIMIT_STACK, resource.RLIM_INFINITY, resource.RLIM_INFINITY),
                               (resource.RLIMIT_CORE, 0, 0), (resource.RLIMIT_NPROC, processes, processes)),
                      cgroups=tuple(cgroups), protect_from_oom=root, uid=uid if root else None)


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


@contextmanager
def _filesystem_identity(uid: int):
    """File operations of this thread as `uid` (root's harness only): the sandbox's tmpfs maps no other uid.

    setfsuid is per thread (glibc does not broadcast it), so other threads keep root's rights.
    """
    if os.geteuid() != 0:
        yield
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.setfsgid(uid)
    libc.setfsuid(uid)
    try:
        yield
    finally:
        libc.setfsuid(0)
        libc.setfsgid(0)


def _memfd(name: str, data: bytes) -> int:
    """A memory file holding `data` (the seccomp program), positioned at its start for bwrap to read."""
    fd = os.memfd_create(name, os.MFD_CLOEXEC)
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


class BwrapSession:
    """The harness's side of one sandbox: sends run requests with fresh pipes, collects the results."""

    def __init__(self, uid: int, cgroup: MemoryCgroup | None, limits: Limits, *,
                 cpu_cgroup: Cgroup | None = None, seccomp: bytes | None = None) -> None:
        self.work_fd: int | None = None  # the sandbox's /work (its own tmpfs), handed over by the runner
        self.uid = uid
        self.cgroup = cgroup
        self.cpu_cgroup = cpu_cgroup
        self.seccomp = seccomp
        self.limits = limits
        self.proc: subprocess.Popen | None = None
        self.control: socket.socket | None = None
        self.baseline_mb = 0.0
        self._init_pid: int | None = None

    def start(self) -> None:
        """Start bwrap and wait for the runner's hello."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        info_read, info_write = os.pipe()
        fds = {"control": theirs.fileno(), "info": info_write,
               "seccomp": _memfd("harness-seccomp", self.seccomp) if self.seccomp else None,
               "cpu": os.open(self.cpu_cgroup.cpu_usage_file, os.O_RDONLY) if self.cpu_cgroup else None}
        cgroups = [c for c in dict.fromkeys((self.cgroup, self.cpu_cgroup)) if c is not None]  # v2: one and the same
        setup = _child_setup(self.uid, self.limits.processes, cgroups)
        try:
            self.proc = start(bwrap_argv(fds, self.limits), setup, env={}, cwd="/", stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              pass_fds=[fd for fd in fds.values() if fd is not None])
        except SandboxError as exc:
            ours.close()
            os.close(info_read)
            raise SandboxError(explain(f"could not start bwrap: {exc}")) from exc
        finally:
            theirs.close()
            for name in ("info", "seccomp", "cpu"):
                fd = fds[name]
                if fd is not None:
                    os.close(fd)
        self.control = ours
        self._init_pid = _child_pid(info_read)
        os.close(info_read)
        if not self._receive_hello(_START_TIMEOUT_S):
            why = self._bwrap_error()
            self.close()
            raise SandboxError(explain(why) if why else "the sandbox runner did not start")
        if self.cgroup is not None:
            self.baseline_mb = self.cgroup.usage_mb()

    def _receive_hello(self, timeout: float) -> bool:
        assert self.control is not None, "called by start() once the control socket is set"
        ready, _, _ = select.select([self.control], [], [], timeout)
        if not ready:
            return False
        try:
            message, fds, _, _ = socket.recv_fds(self.control, 1 << 16, 1)
        except OSError:
            return False
        if not message or len(fds) != 1:
            for fd in fds:
                os.close(fd)
            return False
        self.work_fd = fds[0]
        return bool(json.loads(message).get("ready"))

    @property
    def workdir(self) -> Path:
        """The sandbox's /work as this process reaches it (through the runner's descriptor)."""
        if self.work_fd is None:
            raise SandboxError("the sandbox is closed")
        return Path(f"/proc/self/fd/{self.work_fd}")

    def add_files(self, files: Mapping[str, bytes]) -> None:
        """Write `files` into /work as the sandbox's uid, never following what is in their place."""
        if not files:
            return
        try:
            with _filesystem_identity(self.uid):
                for name, content in files.items():
                    write_private(self.workdir, name, content)
        except OSError as exc:  # /work full, or what a program left there refuses to go
            raise SandboxError(f"cannot write {', '.join(files)} into the sandbox: {exc}") from exc

    def _receive(self, timeout: float) -> dict | None:
        assert self.control is not None, "called only while a run holds the control socket"
        ready, _, _ = select.select([self.control], [], [], timeout)
        if not ready:
            return None
        try:
            message = self.control.recv(1 << 16)
        except OSError:
            return None
        return json.loads(message) if message else None

    def _bwrap_error(self) -> str:
        """What bwrap (or the runner) said on stderr before dying."""
        if self.proc is None:
            return ""
        try:
            self.proc.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            return ""
        assert self.proc.stderr is not None, "bwrap is started with stderr=PIPE"
        return self.proc.stderr.read(4096).decode(errors="replace").strip()

    def run(self, argv: Sequence[str], stdin: bytes, limits: Limits, files: Mapping[str, bytes] | None = None,
            *, keep: bool = False, dirs: Sequence[str] = ()) -> Execution:
        """Execute `argv` (a path inside the sandbox) for one test; `keep` keeps the files it writes.

        `files` are added to /work for this run only, `dirs` are created empty for it.
        """
        return self._run({"argv": list(argv), "keep": keep, "dirs": list(dirs)}, stdin, limits, files)

    def run_python(self, script: str, stdin: bytes, limits: Limits, files: Mapping[str, bytes] | None = None,
                   args: Sequence[str] = (), dirs: Sequence[str] = ()) -> Execution:
        """Run the Python `script` in /work in a fork of the warm interpreter (as `python3 -I script` would)."""
        return self._run({"script": script, "args": list(args), "dirs": list(dirs)}, stdin, limits, files)

    def read(self, name: str, limit: int = 1 << 16) -> bytes:
        """Up to `limit` bytes of a file the last run left in /work (never follows links)."""
        return read_private(self.workdir, name, limit)

    def _run(self, request: dict, stdin: bytes, limits: Limits, files: Mapping[str, bytes] | None) -> Execution:
        if self.control is None:
            raise SandboxError("the sandbox is closed")
        self.add_files(files or {})
        oom_before = self._prepare_cgroup(limits)
        request.update(op="run", extra=sorted(files or ()), dirs=list(request.get("dirs", ())),
                       limits=_runner_limits(limits, address_space=self.cgroup is None))
        stdin_r, stdin_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        try:
            socket.send_fds(self.control, [json.dumps(request).encode()], [stdin_r, out_w, err_w])
        except OSError as exc:
            for fd in (stdin_r, stdin_w, out_r, out_w, err_r, err_w):
                os.close(fd)
            self._fail(f"the sandbox runner is gone: {exc}")
        for fd in (stdin_r, out_w, err_w):
            os.close(fd)
        feed_stdin_in_background(stdin_w, stdin)
        hits = {"output": False}

        def on_overflow() -> None:
            if not hits["output"]:
                hits["output"] = True
                assert self.control is not None, "the drain runs only inside this run, socket open"
                self.control.send(b'{"op": "kill"}')

        drain = OutputDrain(out_r, err_r, limits, on_overflow)
        try:
            reply = self._await_reply(drain, limits)
        finally:
            drain.close()
            os.close(out_r)
            os.close(err_r)
        if "error" in reply:
            raise SandboxError(reply["error"])
        oom = self.cgroup is not None and self.cgroup.oom_kills() > oom_before
        return make_execution(reply["status"], reply["cpu_s"], reply["rss_kb"] / 1024, drain, limits,
                              output_hit=hits["output"], wall_hit=reply["timed_out"] and not hits["output"],
                              oom_killed=oom, wall_s=reply["wall_s"], tmpfs_mb=reply.get("tmpfs_kb", 0) / 1024)

    def _prepare_cgroup(self, limits: Limits) -> int:
        if self.cgroup is None:
            return 0
        self.cgroup.set_limit(limits.memory_mb + math.ceil(self.baseline_mb) + _CGROUP_SLACK_MB)
        self.cgroup.reset_peak()
        return self.cgroup.oom_kills()

    def _await_reply(self, drain: OutputDrain, limits: Limits) -> dict:
        """Drain output until the runner answers and both pipes close; past the deadline the sandbox is dead."""
        assert self.control is not None, "called only by _run(), which checked the control socket"
        deadline = time.monotonic() + limits.wall_time_s + _REPLY_GRACE_S
        while time.monotonic() < deadline:
            if drain.pump(0.05, wake_fd=self.control.fileno()):
                reply = self._receive(0) or self._fail("the sandbox runner died")
                break
        else:
            self._fail("the sandbox runner did not answer in time")
        closing = time.monotonic() + _DRAIN_GRACE_S  # every process is dead: the pipes are at their end
        while drain.open and time.monotonic() < closing:
            drain.pump(0.05)
        return reply

    def _fail(self, why: str):
        self.close()
        raise SandboxError(why)

    def close(self) -> None:
        """Stop the runner (closing its socket ends it; PID 1's exit ends the namespace) and reap."""
        if self.control is not None:
            self.control.close()
            self.control = None
        if self.proc is not None:
            try:
                self.proc.wait(timeout=_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            assert self.proc.stderr is not None, "bwrap is started with stderr=PIPE"
            self.proc.stderr.close()
            self.proc = None
        _reap(self._init_pid)
        self._init_pid = None
        if self.work_fd is not None:
            os.close(self.work_fd)
            self.work_fd = None


def _runner_limits(limits: Limits, *, address_space: bool) -> dict:
    return {
        "cpu_limit_s": limits.cpu_time_s,  # polled by the runner
        "cpu_s": math.ceil(limits.cpu_time_s) + 1,  # the rlimit: a backstop
        "wall_s": limits.wall_time_s,
        "address_space_mb": limits.memory_mb if address_space else None,
        "file_size_mb": limits.file_size_mb,
        "open_files": limits.open_files,
        "processes": limits.processes,
    }
