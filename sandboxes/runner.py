"""The warm runner: PID 1 of a bubblewrap sandbox, starting one fresh child per test.

Executed inside the sandbox from source (`python3 -I -c <this file> FD`), so it uses the
standard library only. It never sees a test's input or output: the harness passes each
test's stdin/stdout/stderr pipes over the control socket (SCM_RIGHTS), and the runner only
forks, applies limits, waits and reports. It holds no secrets and no expected answers.

Why PID 1: the kernel delivers no signal to a namespace's init from inside unless init
handles it, so `kill(-1)` or `kill(getppid())` by a program cannot take the runner down,
and every orphan a program leaves is reparented here and killed after its test.

Protocol (one JSON object per SOCK_SEQPACKET message):
  runner -> harness  {"ready": true, "rss_kb": N} + fd [/work, O_PATH]
  harness -> runner  {"op": "run", "argv": [...] | null, "script": "main.py" | null, "args": [...],
                      "limits": {...}, "keep": bool, "extra": [names], "dirs": [names]}
                     + fds [stdin, stdout, stderr]
  harness -> runner  {"op": "kill"}          (while a test runs: the output cap fired)
  runner -> harness  {"status": wait status, "cpu_s": ..., "rss_kb": ..., "wall_s": ...,
                      "timed_out": bool, "tmpfs_kb": ...} | {"error": "..."}
A "kill" that arrives after its test ended (the output cap fired just as the program
exited) is dropped, never taken for the next request.

Between tests (`reset`): every process but the runner is killed; the work directory is put
back to its snapshot (what the program created is removed, a file whose inode or change
time moved, i.e. its bytes, mode, times or xattrs, is written afresh, and the folders' own
mode, xattrs and times are set back); /tmp and /dev/shm are emptied and their roots reset;
SysV IPC objects are removed (where the seccomp filter does not forbid them already). The
removal never recurses, never follows a link, never opens anything but a directory, and
first makes unreadable folders readable. "extra" names files the harness put in /work for
this run (a checker's inputs), "dirs" folders to create (a feedback directory). A run with
"keep" (a compile step) takes a new snapshot afterwards.

CPU time: with a cgroup's usage file (argv[2], an fd), the session's CPU time, that of
every process however it ended, minus the runner's own; else the children's rusage.
"""

import atexit
import builtins
import ctypes
import json
import operator
import os
import resource
import select
import signal
import socket
import sys
import time
import traceback
import types

WORK = "/work"
MB = 1 << 20
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
CPU_POLL_S = 0.02
_PR_SET_DUMPABLE = 4
LIBC = ctypes.CDLL(None)  # loaded once, before the forks


if "restore" not in globals():  # imported by the harness; inside the sandbox reset.py's source comes first
    from sandboxes.reset import Scratch, remove_ipc_objects, restore, snapshot, usage_kb


# ---- one test ------------------------------------------------------------------------------

def apply_limits(limits):
    """Resource limits for one test, set in the child before it runs anything of the program's."""
    cpu = limits["cpu_s"]
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    if limits.get("address_space_mb"):
        space = limits["address_space_mb"] * MB
        resource.setrlimit(resource.RLIMIT_AS, (space, space))
    resource.setrlimit(resource.RLIMIT_STACK, (resource.RLIM_INFINITY,) * 2)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["file_size_mb"] * MB,) * 2)
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits["open_files"],) * 2)
    resource.setrlimit(resource.RLIMIT_NPROC, (limits["processes"],) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _program_frames(tb, script):
    """Skip the runner's own frames so a traceback reads as if `python3 script` had run."""
    while tb is not None and tb.tb_frame.f_code.co_filename != script:
        tb = tb.tb_next
    return tb


def _stack_depth():
    """How many frames are on the stack of the caller (itself included)."""
    depth, frame = 0, sys._getframe(1)
    while frame is not None:
        depth += 1
        frame = frame.f_back
    return depth


def shift_recursion_limit(offset):
    """Give the program the recursion budget of `python3 main.py` although the runner's frames sit under it.

    The real limit is `offset` higher than the one the program sets and reads, so a program
    that sets 1001 and recurses 995 deep gets as far as under the bare interpreter.
    """
    real_set, real_get = sys.setrecursionlimit, sys.getrecursionlimit

    def setrecursionlimit(limit, /):
        limit = operator.index(limit)
        if limit < 1:
            raise ValueError("recursion limit must be greater or equal than 1")
        real_set(limit + offset)

    def getrecursionlimit():
        return real_get() - offset

    real_set(real_get() + offset)
    sys.setrecursionlimit, sys.getrecursionlimit = setrecursionlimit, getrecursionlimit


def run_script(script, args=()):
    """Run a Python script as `__main__` in this (forked) interpreter; return its exit status."""
    path = os.path.join(WORK, script)
    sys.argv = [script, *args]
    # sys.__std*__ must be these streams too, as under `python3 main.py`; typeshed marks them Final
    # (setattr() would dodge that but trips ruff's B010), hence the ignores.
    sys.stdin = sys.__stdin__ = open(0, encoding="utf-8", closefd=False)  # type: ignore[misc]
    sys.stdout = sys.__stdout__ = open(1, "w", encoding="utf-8", closefd=False)  # type: ignore[misc]
    sys.stderr = sys.__stderr__ = open(2, "w", encoding="utf-8", errors="backslashreplace",  # type: ignore[misc]
                                       buffering=1, closefd=False)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    main = types.ModuleType("__main__")
    main.__file__ = path
    main.__builtins__ = builtins
    sys.modules["__main__"] = main
    try:
        with open(path, "rb") as handle:
            code = compile(handle.read(), path, "exec", dont_inherit=True)
        shift_recursion_limit(_stack_depth() + 1)  # the frames under the program's, and exec() itself counts one
        exec(code, main.__dict__)
    except SystemExit as exc:
        return _exit_status(exc)
    except BaseException as exc:  # noqa: BLE001 - the program's own failure, reported like the interpreter would
        traceback.print_exception(type(exc), exc, _program_frames(exc.__traceback__, path) or exc.__traceback__)
        return 1
    return 0


def _exit_status(exc):
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code & 0xFF
    print(exc.code, file=sys.stderr)
    return 1


def finish(status):
    """End a Python child as the interpreter would, minus the slow module teardown.

    Non-daemon threads are joined (a common way to get a deep recursion stack), atexit
    handlers run, and a failure to flush stdout is exit status 120, as in CPython.
    """
    try:
        if "threading" in sys.modules:
            sys.modules["threading"]._shutdown()
        atexit._run_exitfuncs()
    except SystemExit as exc:
        status = _exit_status(exc)
    except BaseException:  # noqa: BLE001
        traceback.print_exc()
        status = status or 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001 - a closed or broken pipe
            status = 120 if stream is sys.stdout and status == 0 else status
    os._exit(status)


def prefer_for_oom_kill():
    """Make this child the OOM killer's first choice (the runner has -1000 from the harness).

    A fork of the non-dumpable runner cannot open its own /proc files, so it is dumpable for
    the write, then not again.
    """
    prctl = LIBC.prctl
    prctl(_PR_SET_DUMPABLE, 1, 0, 0, 0)
    try:
        with open("/proc/self/oom_score_adj", "w") as handle:
            handle.write("1000")
    except OSError:
        pass
    finally:
        prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)


def child(request, fds, control):
    """In the forked child: own session, test pipes as 0/1/2, limits; then the program."""
    os.setsid()
    control.close()
    prefer_for_oom_kill()
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
    os.closerange(3, 4096)
    apply_limits(request["limits"])
    os.chdir(WORK)
    if request.get("script"):
        finish(run_script(request["script"], request.get("args", ())))
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    argv = request["argv"]
    try:
        os.execv(argv[0], argv)
    except OSError as exc:
        os.write(2, f"cannot execute {argv[0]}: {exc.strerror}\n".encode())
    return 127


def kill_everything():
    """SIGKILL every process of the namespace but this one, and reap them all."""
    try:
        os.kill(-1, signal.SIGKILL)
    except ProcessLookupError:
        pass
    while True:
        try:
            os.wait4(-1, 0)
        except ChildProcessError:
            return
        except InterruptedError:
            continue


def cpu_seconds(pid):
    """CPU time of a running process and its reaped children (from /proc; 0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(value) for value in fields[11:15]) / CLOCK_TICKS


def _own_cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class CpuClock:
    """A test's CPU time: the session cgroup's count, less the runner's own, where the harness gave one.

    Without a cgroup, the children's rusage and the running child's /proc line: CPU time of
    descendants the kernel reaped itself is then not counted.
    """

    def __init__(self, usage_fd):
        self.usage_fd = usage_fd
        self.start = 0.0
        self.over_at = 0.0  # CPU seconds read when the poll stopped the test for its CPU limit
        self.children_before = None

    def _session(self):
        text = os.pread(self.usage_fd, 4096, 0).decode()
        for line in text.splitlines():
            key, _, value = line.partition(" ")
            if key == "usage_usec":  # cgroup v2 cpu.stat
                return int(value) / 1e6
        return int(text.strip() or 0) / 1e9  # v1 cpuacct.usage, in ns

    def begin(self):
        """Mark the start of a test (and forget the last one's CPU kill)."""
        self.over_at = 0.0
        if self.usage_fd is not None:
            self.start = self._session() - _own_cpu()
        self.children_before = resource.getrusage(resource.RUSAGE_CHILDREN)

    def now(self, pid):
        """CPU seconds so far, while the test's child runs."""
        if self.usage_fd is not None:
            return self._session() - _own_cpu() - self.start
        return cpu_seconds(pid)

    def total(self):
        """CPU seconds of the whole test, once every process of it is dead; never less than the poll saw."""
        if self.usage_fd is not None:
            return max(self._session() - _own_cpu() - self.start, self.over_at)
        after, before = resource.getrusage(resource.RUSAGE_CHILDREN), self.children_before
        return max((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), self.over_at)


def supervise(pid, request, control, clock):
    """Wait for the child until it exits, uses up its CPU time, passes the wall limit or the harness says kill.

    CPU time is polled, so a program is stopped within a poll interval of its limit, not at
    the next whole second as the CPU rlimit (kept as a backstop) would.
    """
    limits = request["limits"]
    deadline = time.monotonic() + limits["wall_s"]
    pidfd = os.pidfd_open(pid)
    timed_out = killed = False
    status = rusage = None
    try:
        while status is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            ready, _, _ = select.select([pidfd, control], [], [], min(remaining, CPU_POLL_S))
            if control in ready:
                message = control.recv(4096)
                if not message or json.loads(message).get("op") == "kill":
                    killed = True
                    break
            if pidfd in ready:
                reaped, status, rusage = os.wait4(pid, os.WNOHANG)
                if not reaped:
                    status = None
            elif clock.now(pid) > limits["cpu_limit_s"]:
                clock.over_at = clock.now(pid)  # the report must agree with the reason for the kill
                break
    finally:
        os.close(pidfd)
    if status is None:
        try:
            os.kill(-1, signal.SIGKILL)  # the child and everything it started; never this init
        except ProcessLookupError:
            pass
        _, status, rusage = os.wait4(pid, 0)
    return status, rusage, timed_out, killed


def prepare(tree, request):
    """Put /work back to its snapshot (plus this run's folders) for the next test; KiB it then holds."""
    restore(WORK, tree, request.get("extra", ()))
    for folder in request.get("dirs", ()):
        os.makedirs(os.path.join(WORK, folder), exist_ok=True)
    return usage_kb(WORK)


def after_test(scratch, work_before_kb):
    """Kill what is left of a test, empty what it may have filled (/tmp, /dev/shm, SysV IPC); KiB it put there.

    What it added to /work counts too: every one of them is a tmpfs, memory of no process.
    """
    kill_everything()
    used_kb = scratch.used_kb() + max(usage_kb(WORK) - work_before_kb, 0)
    scratch.reset()
    remove_ipc_objects()
    return used_kb


def hello(control):
    """Tell the harness we are up, handing it /work (a tmpfs of this namespace) as an O_PATH descriptor."""
    work = os.open(WORK, os.O_PATH | os.O_DIRECTORY)
    message = json.dumps({"ready": True, "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}).encode()
    try:
        socket.send_fds(control, [message], [work])
    finally:
        os.close(work)


def serve(control, clock):
    """Answer run requests until the harness closes the socket. Returns only in a test's child.

    The snapshot is taken at the first request: the harness writes the program's files into
    /work after the hello.
    """
    tree, scratch = None, Scratch()
    hello(control)
    while True:
        message, fds, _, _ = socket.recv_fds(control, 1 << 16, 3)
        if not message:
            return 0
        request = json.loads(message)
        if request.get("op") != "run":  # a kill for a test that had ended already
            for fd in fds:
                os.close(fd)
            continue
        try:
            if tree is None:
                tree = snapshot(WORK, skip=set(request.get("extra", ())))
            work_kb = prepare(tree, request)
            clock.begin()
            started = time.monotonic()
            pid = os.fork()
        except OSError as exc:
            for fd in fds:
                os.close(fd)
            control.send(json.dumps({"error": f"runner: cannot reset the sandbox: {exc}"}).encode())
            continue
        if pid == 0:
            try:
                return child(request, fds, control)
            except BaseException:  # noqa: BLE001 - never fall back into the runner's loop
                os._exit(126)
        for fd in fds:
            os.close(fd)
        status, rusage, timed_out, killed = supervise(pid, request, control, clock)
        wall = time.monotonic() - started
        try:
            tmpfs_kb = after_test(scratch, work_kb)
            if request.get("keep"):
                tree = snapshot(WORK, skip=set(request.get("extra", ())))
        except OSError as exc:
            control.send(json.dumps({"error": f"runner: cannot clean up after a test: {exc}"}).encode())
            continue
        control.send(json.dumps({"status": status, "cpu_s": clock.total(), "rss_kb": rusage.ru_maxrss,
                                 "wall_s": wall, "timed_out": timed_out, "killed": killed,
                                 "tmpfs_kb": tmpfs_kb}).encode())


def main():
    """Entry point inside the sandbox: harden, then serve."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # as init: ignored from inside the namespace
    try:  # no ptrace and no /proc/1/mem for the programs (same uid)
        LIBC.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    control = socket.socket(fileno=int(sys.argv[1]))
    usage_fd = int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2] != "-" else None
    return serve(control, CpuClock(usage_fd))


if __name__ == "__main__":
    sys.exit(main())
