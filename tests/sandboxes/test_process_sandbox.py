"""The process sandbox, one property per test, each asserting a field of the Execution."""

import os
import sys

import pytest

from sandboxes import LimitHit, Limits, ProcessSandbox

LIMITS = Limits(wall_time_s=2.0, cpu_time_s=1.0, memory_mb=256, stdout_bytes=1 << 16)
# For programs that wait out the wall limit (they sleep): a short one keeps the tier fast.
SHORT_WALL = Limits(wall_time_s=0.5, cpu_time_s=1.0, memory_mb=256, stdout_bytes=1 << 16)


def run(source: str, stdin: bytes = b"", limits: Limits = LIMITS):
    return ProcessSandbox().run([sys.executable, "-I", "main.py"], stdin, limits, {"main.py": source.encode()})


def test_echo_reads_stdin_and_exits_zero():
    result = run("print(input()[::-1])", b"abc\n")
    assert result.ok and result.stdout == b"cba\n" and result.limit_hit is None


@pytest.mark.slow  # RLIMIT_CPU counts whole seconds: waits out one
def test_endless_loop_hits_the_cpu_limit():
    limits = Limits(wall_time_s=8.0, cpu_time_s=1.0)  # wall room: on a loaded host 1 s of CPU takes longer
    result = run("while True: pass", limits=limits)
    assert result.limit_hit is LimitHit.CPU_TIME
    assert result.wall_s < limits.wall_time_s


def test_sleep_hits_the_wall_limit():
    result = run("import time; time.sleep(30)", limits=SHORT_WALL)
    assert result.limit_hit is LimitHit.WALL_TIME
    assert result.wall_s < SHORT_WALL.wall_time_s + 1.0


def test_exit_status_is_reported():
    result = run("raise SystemExit(3)")
    assert result.exit_code == 3 and result.signal is None and not result.ok


def test_crash_keeps_the_traceback_tail():
    result = run("1 / 0")
    assert result.exit_code == 1 and "ZeroDivisionError" in result.stderr_tail()


def test_memory_bomb_is_oom_killed_in_its_cgroup_where_there_is_one():
    sandbox = ProcessSandbox()
    result = sandbox.run([sys.executable, "-I", "main.py"], b"", LIMITS, {"main.py": b"x = bytearray(1 << 30)"})
    if sandbox.memory.startswith("cgroup"):
        assert result.limit_hit is LimitHit.MEMORY and result.signal == 9
    else:
        assert not result.ok and "MemoryError" in result.stderr_tail()


def test_memory_bomb_without_cgroups_fails_inside_the_address_space_limit():
    sandbox = ProcessSandbox(use_cgroups=False)
    result = sandbox.run([sys.executable, "-I", "main.py"], b"", LIMITS, {"main.py": b"x = bytearray(1 << 30)"})
    assert sandbox.memory == "rlimit" and not result.ok and "MemoryError" in result.stderr_tail()


def test_stdout_flood_is_capped_and_stopped():
    result = run("import sys\nwhile True: sys.stdout.write('x' * 65536)")
    assert result.limit_hit is LimitHit.OUTPUT
    assert result.stdout_truncated and len(result.stdout) == LIMITS.stdout_bytes


def test_stderr_flood_is_capped_without_killing():
    result = run("import sys\nsys.stderr.write('e' * (1 << 20))\nprint('done')")
    assert result.ok and result.stderr_truncated and len(result.stderr) == LIMITS.stderr_bytes
    assert result.stdout == b"done\n"


def test_environment_is_scrubbed(monkeypatch):
    monkeypatch.setenv("HARNESS_SECRET_TOKEN", "hunter2")
    result = run("import os; print(sorted(os.environ))")
    assert b"HARNESS_SECRET_TOKEN" not in result.stdout and b"hunter2" not in result.stdout


def test_fresh_working_directory_is_removed_afterwards():
    result = run("import os; open('left.txt', 'w').write('x'); print(os.getcwd())")
    workdir = result.stdout.decode().strip()
    assert workdir and not os.path.exists(workdir)


def test_closed_stdout_then_sleep_is_still_timed():
    result = run("import os, time; os.close(1); time.sleep(30)", limits=SHORT_WALL)
    assert result.limit_hit is LimitHit.WALL_TIME and result.wall_s < SHORT_WALL.wall_time_s + 1.0


def test_background_child_in_the_group_is_killed():
    source = "import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\nprint(1)"
    result = run(source)
    assert result.ok
    # The orphan shared the run's process group, which is killed when the run ends.
    assert os.system("pgrep -f 'time.sleep\\(60\\)' > /dev/null") != 0


def test_file_size_limit():
    result = run("open('big', 'wb').write(b'x' * (64 << 20))", limits=Limits(file_size_mb=8))
    # Python ignores SIGXFSZ, so the write fails with EFBIG instead of the process being killed.
    assert result.exit_code == 1 and "File too large" in result.stderr_tail()
