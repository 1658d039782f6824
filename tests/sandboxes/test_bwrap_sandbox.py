"""The bubblewrap sandbox under attack: one property per test, each asserting a field of the result.

After each: nothing escaped (checked on the host), no process left, the harness alive.
"""

import os
import socket
import subprocess

import pytest

from sandboxes import BwrapSandbox, LimitHit, Limits, bwrap_available

LIMITS = Limits(wall_time_s=3.0, cpu_time_s=1.0, memory_mb=256, stdout_bytes=1 << 16)
# For programs that wait out the wall limit (they sleep): a short one keeps the tier fast.
SHORT_WALL = Limits(wall_time_s=0.5, cpu_time_s=1.0, memory_mb=256, stdout_bytes=1 << 16)
SANDBOX = BwrapSandbox()


@pytest.fixture(autouse=True, scope="module")
def _bwrap_works():
    # bubblewrap is installed by scripts/install-system-deps (run by .ci/run); not a hardware skip.
    assert bwrap_available() is None, bwrap_available()


@pytest.fixture(autouse=True)
def _no_process_left_behind(no_process_left_behind):
    yield


def run(source: str, stdin: bytes = b"", limits: Limits = LIMITS):
    return SANDBOX.run([SANDBOX.python, "-I", "main.py"], stdin, limits, {"main.py": source.encode()})


def test_runs_as_a_non_root_uid():
    result = run("import os; print(os.getuid())")
    assert result.ok and int(result.stdout) != 0


def test_endless_loop_is_cpu_limited():
    limits = Limits(wall_time_s=15.0, cpu_time_s=0.3)  # wall room: on a loaded host 0.3 s of CPU takes longer
    result = run("while True: pass", limits=limits)
    assert result.limit_hit is LimitHit.CPU_TIME and result.cpu_s >= limits.cpu_time_s


def test_sleep_is_wall_limited():
    result = run("import time; time.sleep(60)", limits=SHORT_WALL)
    assert result.limit_hit is LimitHit.WALL_TIME and result.wall_s < SHORT_WALL.wall_time_s + 1.0


def test_fork_bomb_is_contained():
    result = run("import os\nwhile True:\n    os.fork()")
    assert not result.ok and result.wall_s < LIMITS.wall_time_s + 1.0


def test_memory_bomb():
    result = run("x = bytearray(2 << 30)")
    if SANDBOX.memory.startswith("cgroup"):  # exact: the kernel's OOM kill in the run's own cgroup
        assert result.limit_hit is LimitHit.MEMORY and result.signal == 9
    else:
        assert not result.ok and "MemoryError" in result.stderr_tail()


def test_stdout_flood():
    result = run("import sys\nwhile True: sys.stdout.write('x' * 65536)")
    assert result.limit_hit is LimitHit.OUTPUT and len(result.stdout) == LIMITS.stdout_bytes


def test_stderr_flood():
    result = run("import sys\nsys.stderr.write('e' * (4 << 20))\nprint('ok')")
    assert result.stderr_truncated and result.stdout == b"ok\n"


def test_big_file_write_is_refused():
    result = run("f = open('big', 'wb')\nfor _ in range(1024):\n    f.write(b'x' * (1 << 20))", limits=Limits(file_size_mb=8))
    assert result.exit_code == 1 and "File too large" in result.stderr_tail()


def test_tmp_is_private(tmp_path):
    marker = "/tmp/harness-sandbox-escape-marker"
    result = run(f"open('{marker}', 'w').write('x'); print('written')")
    assert result.stdout == b"written\n" and not os.path.exists(marker)


def test_home_and_root_are_absent():
    result = run("import os; print(os.path.exists('/root'), os.path.exists('/home'), os.path.expanduser('~'))")
    assert result.stdout.split()[:2] == [b"False", b"False"]


def test_cannot_delete_files_in_the_parent_directory(tmp_path):
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me")
    result = run(f"import os; os.remove({str(victim)!r})")
    assert result.exit_code == 1 and "FileNotFoundError" in result.stderr_tail() and victim.exists()


def test_cannot_reach_a_listener_on_loopback():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    result = run(f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=1)")
    # A connection the program made was queued here (its handshake done) before connect() returned in the
    # program, and nothing of the sandbox outlives the run: what was not queued by now never will be.
    server.settimeout(0.2)
    accepted = _accept(server)
    server.close()
    assert result.exit_code == 1 and "Error" in result.stderr_tail() and accepted is None


def _accept(server):
    try:
        return server.accept()
    except OSError:
        return None


def test_harness_environment_is_invisible(monkeypatch):
    monkeypatch.setenv("HARNESS_SECRET_TOKEN", "hunter2")
    result = run("import os, glob\nprint(dict(os.environ))\n"
                 "for p in glob.glob('/proc/*/environ'):\n    print(open(p, 'rb').read())")
    assert b"hunter2" not in result.stdout


def test_etc_passwd_is_not_readable():
    result = run("print(open('/etc/passwd').read())")
    assert result.exit_code == 1 and "FileNotFoundError" in result.stderr_tail()


def test_setsid_double_fork_orphan_dies():
    source = ("import os, time\n"
              "if os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        time.sleep(60)\n    os._exit(0)\n"
              "print('parent done')")
    result = run(source)
    assert result.stdout == b"parent done\n"  # the fixture checks that the orphan is gone


def test_kill_parent_does_not_hurt_the_runner():
    source = "import os, signal; os.kill(os.getppid(), signal.SIGKILL); print(os.getppid())"
    with SANDBOX.session({"main.py": source.encode()}) as session:
        first = session.run_python("main.py", b"", LIMITS)
        second = session.run_python("main.py", b"", LIMITS)
    assert first.stdout == b"1\n" and second.ok  # PID 1 of the namespace ignores it; the session goes on


def test_kill_minus_one_reaches_nothing_outside():
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        result = run("import os, signal; os.kill(-1, signal.SIGKILL); print('after')")
        assert sleeper.poll() is None
        assert result.wall_s < LIMITS.wall_time_s
    finally:
        sleeper.kill()
        sleeper.wait()


def test_closed_stdout_then_sleep_is_still_timed():
    result = run("import os, time; os.close(1); time.sleep(60)", limits=SHORT_WALL)
    assert result.limit_hit is LimitHit.WALL_TIME and result.wall_s < SHORT_WALL.wall_time_s + 1.0


def test_deep_recursion_with_a_raised_limit_succeeds():
    source = ("import sys\nsys.setrecursionlimit(10**6)\n"
              "def depth(n):\n    return 0 if n == 0 else 1 + depth(n - 1)\nprint(depth(100000))")
    result = run(source, limits=Limits(wall_time_s=5, cpu_time_s=3, memory_mb=512))
    assert result.ok and result.stdout == b"100000\n"


def test_bwrap_is_the_one_on_the_harness_path_though_it_starts_with_an_empty_environment(monkeypatch, tmp_path):
    from sandboxes.bwrap_command import bwrap_argv

    own = tmp_path / "bwrap"  # e.g. unpacked from a .deb beside the harness, as benchmarks/gpu.sh does
    own.write_text("#!/bin/sh\nexec /usr/bin/bwrap \"$@\"\n")
    own.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    assert bwrap_argv({"info": 3, "control": 4}, Limits())[0] == str(own)
