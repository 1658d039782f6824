"""Full isolation with bubblewrap: fresh namespaces, a read-only system, a private work dir, a non-root uid.

One sandbox per program (a `BwrapSession`): new user, pid, network, ipc, uts, cgroup and
mount namespaces; only a read-only /usr (with the /bin, /lib, /lib64 links), a fresh /proc
and /dev, a private /tmp and its own writable /work; no /etc, /root, /home or harness
files. Its PID 1 is the warm runner (`sandboxes/runner.py`), which forks a fresh child per
test: about 4 ms a test instead of the ~25 ms of a new interpreter (benchmarks/RESULTS.md).
It runs as a non-root uid from a pool, one per concurrent sandbox, so the process-count
limit is real and `kill(-1)` reaches only that sandbox. When the harness is not root, every
sandbox uses the harness's own uid (namespaces still separate them; the process limit is
then shared).
"""

from __future__ import annotations

import ctypes
import json
import math
import os
import queue
import resource
import select
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from sandboxes.cgroups import MemoryCgroup, memory_controller
from sandboxes.process import (
    OutputDrain,
    clean_environment,
    feed_stdin_in_background,
    fresh_workdir,
    make_execution,
    read_private,
    write_private,
)
from sandboxes.result import Execution, Limits, SandboxError

BWRAP = "bwrap"
RUNNER_SOURCE = (Path(__file__).parent / "runner.py").read_text(encoding="utf-8")
_START_TIMEOUT_S = 10.0
_STOP_TIMEOUT_S = 5.0
_REPLY_GRACE_S = 3.0  # past the wall limit, the runner's own deadline should long have fired
_DRAIN_GRACE_S = 0.5
_CGROUP_SLACK_MB = 8
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
            _reap_zombies(uid)
            self._free.put(uid)


def _processes(uid: int):
    """(pid, state, parent pid) of every process of `uid`, read from /proc; gone ones are skipped."""
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid != uid:
                continue
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
            yield int(entry.name), fields[0], int(fields[1])
        except (OSError, IndexError, ValueError):
            continue  # it exited meanwhile


def _live_pids(uid: int) -> list[int]:
    """Processes of `uid` that are not zombies (zombies hold nothing and are reaped by their parents)."""
    return [pid for pid, state, _ in _processes(uid) if state != b"Z"]


def _reap_zombies(uid: int) -> None:
    """Reap the run's processes that were reparented to us (we are a subreaper) when its namespace died."""
    me = os.getpid()
    for pid, state, parent in _processes(uid):
        if state == b"Z" and parent == me:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass


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


def bwrap_argv(control_fd: int, work_fd: int, limits: Limits, info_fd: int) -> list[str]:
    """The bwrap command line starting the warm runner as the sandbox's PID 1."""
    args = [BWRAP, "--unshare-all", "--as-pid-1", "--info-fd", str(info_fd), "--die-with-parent", "--new-session",
            "--cap-drop", "ALL", "--hostname", "sandbox", "--ro-bind", "/usr", "/usr"]
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
    args += ["--setenv", "TMPDIR", "/tmp", "--", SANDBOX_PYTHON, "-I", "-c", RUNNER_SOURCE, str(control_fd)]
    return args


class BwrapSandbox:
    """Namespaced runs with bubblewrap: one sandbox per program, a fresh child per test."""

    kind = "bwrap"
    isolation = "full"
    python = SANDBOX_PYTHON

    def __init__(self, use_cgroups: bool = True) -> None:
        self._uids = _UidPool()
        self.memory_controller = memory_controller() if use_cgroups else None
        self.memory = self.memory_controller.mechanism if self.memory_controller else "rlimit"
        _become_subreaper()

    @contextmanager
    def session(self, files: Mapping[str, bytes] | None = None, limits: Limits | None = None):
        """A started sandbox whose /work holds `files`; its runs share the warm runner.

        `limits` bounds the session as a whole (its /tmp size and, per uid, its processes).
        """
        with self._uids.lease() as uid, fresh_workdir(files, "harness-bwrap-") as workdir:
            if os.geteuid() == 0:
                for path in [workdir, *workdir.rglob("*")]:
                    os.chown(path, uid, uid, follow_symlinks=False)
            cgroup = self.memory_controller.create() if self.memory_controller else None
            session = BwrapSession(workdir, uid, cgroup, limits or Limits())
            try:
                session.start()
                yield session
            finally:
                session.close()
                if cgroup is not None:
                    cgroup.remove()

    def run(self, argv: Sequence[str], stdin: bytes, limits: Limits, files: Mapping[str, bytes] | None = None) -> Execution:
        """Run `argv` once inside a fresh sandbox whose /work holds `files`."""
        with self.session(files, limits) as session:
            return session.run(argv, stdin, limits)


class BwrapSession:
    """The harness's side of one sandbox: sends run requests with fresh pipes, collects the results."""

    def __init__(self, workdir: Path, uid: int, cgroup: MemoryCgroup | None, limits: Limits) -> None:
        self.workdir = workdir
        self.uid = uid
        self.cgroup = cgroup
        self.limits = limits
        self.proc: subprocess.Popen | None = None
        self.control: socket.socket | None = None
        self.baseline_mb = 0.0
        self._init_pid: int | None = None

    def start(self) -> None:
        """Start bwrap and wait for the runner's hello."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        work_fd = os.open(self.workdir, os.O_PATH | os.O_DIRECTORY)
        info_read, info_write = os.pipe()
        cgroup = self.cgroup
        demote = _demote(self.uid, self.limits.processes)

        def setup() -> None:
            if cgroup is not None:
                cgroup.join()
            resource.setrlimit(resource.RLIMIT_STACK, (resource.RLIM_INFINITY,) * 2)
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            demote()

        try:
            self.proc = subprocess.Popen(
                bwrap_argv(theirs.fileno(), work_fd, self.limits, info_write), cwd=self.workdir, env={},
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
                preexec_fn=setup, pass_fds=(theirs.fileno(), work_fd, info_write), close_fds=True)
        except (OSError, subprocess.SubprocessError) as exc:
            raise SandboxError(f"could not start bwrap: {exc}") from exc
        finally:
            theirs.close()
            os.close(work_fd)
            os.close(info_write)
        self.control = ours
        self._init_pid = _child_pid(info_read)
        os.close(info_read)
        if not self._receive(_START_TIMEOUT_S):
            self.close()
            raise SandboxError(self._bwrap_error() or "the sandbox runner did not start")
        if self.cgroup is not None:
            self.baseline_mb = self.cgroup.usage_mb()

    def _receive(self, timeout: float) -> dict | None:
        ready, _, _ = select.select([self.control], [], [], timeout)
        if not ready:
            return None
        try:
            message = self.control.recv(1 << 16)
        except OSError:
            return None
        return json.loads(message) if message else None

    def _bwrap_error(self) -> str:
        if self.proc is None or self.proc.poll() is None:
            return ""
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
        for name, content in (files or {}).items():
            write_private(self.workdir, name, content)
            if os.geteuid() == 0:
                os.lchown(self.workdir / name, self.uid, self.uid)
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
                              oom_killed=oom, wall_s=reply["wall_s"])

    def _prepare_cgroup(self, limits: Limits) -> int:
        if self.cgroup is None:
            return 0
        self.cgroup.set_limit(limits.memory_mb + math.ceil(self.baseline_mb) + _CGROUP_SLACK_MB)
        self.cgroup.reset_peak()
        return self.cgroup.oom_kills()

    def _await_reply(self, drain: OutputDrain, limits: Limits) -> dict:
        """Drain output until the runner answers and both pipes close; past the deadline the sandbox is dead."""
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
            self.proc.stderr.close()
            self.proc = None
        _reap(self._init_pid)
        self._init_pid = None


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
