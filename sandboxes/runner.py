"""The warm runner: PID 1 of a bubblewrap sandbox, starting one fresh child per test.

Executed inside the sandbox from source (`python3 -I -c <this file> FD`), so it uses the
standard library only. It never sees a test's input or output: the harness passes each
test's stdin/stdout/stderr pipes over the control socket (SCM_RIGHTS), and the runner only
forks, applies limits, waits and reports. It holds no secrets and no expected answers.

Why PID 1: the kernel delivers no signal to a namespace's init from inside unless init
handles it, so `kill(-1)` or `kill(getppid())` by a program cannot take the runner down,
and every orphan a program leaves is reparented here and killed after its test.

Protocol (one JSON object per SOCK_SEQPACKET message):
  runner -> harness  {"ready": true, "rss_kb": N}
  harness -> runner  {"op": "run", "argv": [...] | null, "script": "main.py" | null, "args": [...],
                      "limits": {...}, "keep": bool, "extra": [names], "dirs": [names]}
                     + fds [stdin, stdout, stderr]
  harness -> runner  {"op": "kill"}          (while a test runs: the output cap fired)
  runner -> harness  {"status": wait status, "cpu_s": ..., "rss_kb": ..., "wall_s": ...,
                      "timed_out": bool} | {"error": "..."}
Before each run the work directory is restored to its snapshot (files the program created
are removed, files it changed are rewritten) and /tmp is emptied, so tests cannot leak state
into each other; "extra" names files the harness put there for this run (a checker's
inputs), "dirs" folders to create (a feedback directory). A run with "keep" (a compile step)
takes a new snapshot afterwards.
"""

import atexit
import builtins
import ctypes
import json
import os
import resource
import select
import shutil
import signal
import socket
import sys
import time
import traceback
import types

WORK = "/work"
TMP = "/tmp"
MB = 1 << 20
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
CPU_POLL_S = 0.02
_PR_SET_DUMPABLE = 4


def snapshot(root):
    """Every regular file under `root`, by relative path, with its bytes."""
    files = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            if os.path.isfile(path) and not os.path.islink(path):
                with open(path, "rb") as handle:
                    files[os.path.relpath(path, root)] = (handle.read(), os.stat(path).st_mode & 0o777)
    return files


def _clear(folder, keep=()):
    for entry in os.scandir(folder):
        if entry.name in keep:
            continue
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
        else:
            try:
                os.unlink(entry.path)
            except OSError:
                pass


def restore(root, files, extra=()):
    """Put `root` back to exactly `files` (the snapshot), leaving the harness's `extra` names alone."""
    _clear(root, keep={name.split("/")[0] for name in files} | set(extra))
    current = snapshot(root)
    for name in set(current) - set(files) - set(extra):
        os.unlink(os.path.join(root, name))
    for name, (content, mode) in files.items():
        if current.get(name) != (content, mode):
            path = os.path.join(root, name)
            os.makedirs(os.path.dirname(path) or root, exist_ok=True)
            if os.path.lexists(path) and not os.path.isfile(path):
                shutil.rmtree(path, ignore_errors=True)
            with open(path, "wb") as handle:
                handle.write(content)
            os.chmod(path, mode)


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


def run_script(script, args=()):
    """Run a Python script as `__main__` in this (forked) interpreter; return its exit status."""
    path = os.path.join(WORK, script)
    sys.argv = [script, *args]
    sys.stdin = sys.__stdin__ = open(0, encoding="utf-8", closefd=False)
    sys.stdout = sys.__stdout__ = open(1, "w", encoding="utf-8", closefd=False)
    sys.stderr = sys.__stderr__ = open(2, "w", encoding="utf-8", errors="backslashreplace", buffering=1,
                                       closefd=False)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    main = types.ModuleType("__main__")
    main.__file__ = path
    main.__builtins__ = builtins
    sys.modules["__main__"] = main
    try:
        with open(path, "rb") as handle:
            code = compile(handle.read(), path, "exec", dont_inherit=True)
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


def child(request, fds, control):
    """In the forked child: own session, test pipes as 0/1/2, limits; then the program."""
    os.setsid()
    control.close()
    try:  # under a memory cgroup the program, never the runner, is the one the OOM killer picks
        with open("/proc/self/oom_score_adj", "w") as handle:
            handle.write("1000")
    except OSError:
        pass
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


def supervise(pid, request, control):
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
            elif cpu_seconds(pid) > limits["cpu_limit_s"]:
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


def serve(control):
    """Answer run requests until the harness closes the socket. Returns only in a test's child."""
    files = snapshot(WORK)
    control.send(json.dumps({"ready": True, "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}).encode())
    while True:
        message, fds, _, _ = socket.recv_fds(control, 1 << 16, 3)
        if not message:
            return 0
        request = json.loads(message)
        try:
            restore(WORK, files, request.get("extra", ()))
            for folder in request.get("dirs", ()):
                os.makedirs(os.path.join(WORK, folder), exist_ok=True)
            _clear(TMP)
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.monotonic()
            pid = os.fork()
        except OSError as exc:
            for fd in fds:
                os.close(fd)
            control.send(json.dumps({"error": f"runner: {exc}"}).encode())
            continue
        if pid == 0:
            try:
                return child(request, fds, control)
            except BaseException:  # noqa: BLE001 - never fall back into the runner's loop
                os._exit(126)
        for fd in fds:
            os.close(fd)
        status, rusage, timed_out, killed = supervise(pid, request, control)
        wall = time.monotonic() - started
        kill_everything()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if request.get("keep"):
            files = snapshot(WORK)
        control.send(json.dumps({"status": status, "cpu_s": cpu, "rss_kb": rusage.ru_maxrss, "wall_s": wall,
                                 "timed_out": timed_out, "killed": killed}).encode())


def main():
    """Entry point inside the sandbox: harden, then serve."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # as init: ignored from inside the namespace
    try:  # no ptrace and no /proc/1/mem for the programs (same uid)
        ctypes.CDLL(None).prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    control = socket.socket(fileno=int(sys.argv[1]))
    return serve(control)


if __name__ == "__main__":
    sys.exit(main())
