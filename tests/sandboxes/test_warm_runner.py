"""The warm runner behaves like `python3 -I main.py` for each test, and keeps tests apart."""

import pytest

from sandboxes import BwrapSandbox, LimitHit, Limits

LIMITS = Limits(wall_time_s=3.0, cpu_time_s=1.0, memory_mb=256, stdout_bytes=1 << 16)
SANDBOX = BwrapSandbox()


def run_warm(source: str, stdin: bytes = b"", runs: int = 1):
    with SANDBOX.session({"main.py": source.encode()}) as session:
        return [session.run_python("main.py", stdin, LIMITS) for _ in range(runs)]


def test_script_runs_as_main_with_its_own_argv():
    [result] = run_warm("import sys\nprint(__name__, sys.argv, __file__)")
    assert result.stdout == b"__main__ ['main.py'] /work/main.py\n"


@pytest.mark.parametrize(("source", "code"), [("raise SystemExit(3)", 3), ("import sys; sys.exit('bye')", 1),
                                               ("pass", 0), ("1/0", 1)])
def test_exit_status_matches_the_interpreter(source, code):
    [result] = run_warm(source)
    assert result.exit_code == code


def test_traceback_shows_the_program_not_the_runner():
    [result] = run_warm("def f():\n    return 1 / 0\nf()")
    assert "ZeroDivisionError" in result.stderr_tail() and "runner" not in result.stderr.decode()
    assert 'File "/work/main.py", line 2' in result.stderr.decode()


def test_non_daemon_threads_are_joined_before_exit():
    source = ("import sys, threading\nsys.setrecursionlimit(10 ** 6)\nthreading.stack_size(1 << 26)\n"
              "def depth(n):\n    return 0 if n == 0 else 1 + depth(n - 1)\n"
              "threading.Thread(target=lambda: print(depth(100000))).start()")
    [result] = run_warm(source)
    assert result.ok and result.stdout == b"100000\n"


def test_output_is_flushed_at_exit_and_atexit_runs():
    [result] = run_warm("import atexit, sys\natexit.register(lambda: print('bye'))\nsys.stdout.write('partial')")
    assert result.stdout == b"partialbye\n"


def test_each_test_starts_from_the_same_files():
    source = "import os\nprint(sorted(os.listdir('.')), os.listdir('/tmp'))\nopen('x', 'w'); open('/tmp/y', 'w')"
    results = run_warm(source, runs=3)
    assert {r.stdout for r in results} == {b"['main.py'] []\n"}


def test_endless_loop_stops_near_the_cpu_limit():
    limits = Limits(wall_time_s=15.0, cpu_time_s=0.3)  # wall room: on a loaded host 0.3 s of CPU takes longer
    with SANDBOX.session({"main.py": b"while True: pass"}) as session:
        result = session.run_python("main.py", b"", limits)
    assert result.limit_hit is LimitHit.CPU_TIME and result.cpu_s < limits.cpu_time_s + 0.3


def test_program_holds_only_its_three_pipes_not_the_runners_socket():
    [result] = run_warm("import os\nprint(len(os.listdir('/proc/self/fd')))")
    assert result.stdout == b"4\n"  # 0, 1, 2 and the directory listing itself


def test_runner_memory_is_not_readable_by_the_program():
    [result] = run_warm("import os\ntry:\n    open('/proc/1/mem', 'rb')\nexcept OSError as e:\n    print(type(e).__name__)")
    assert result.stdout == b"PermissionError\n"
