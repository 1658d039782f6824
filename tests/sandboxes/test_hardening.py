"""Issue 13, the sandbox hardened: one attack per class, each asserting the field it is about.

Classes: fail closed, CPU of unreaped descendants, memory that belongs to no process,
state carried between tests, what a program leaves behind, the kernel's attack surface,
the stale kill, and the recursion budget of `python3 main.py`.
"""

import errno
import os
import shutil
import subprocess
import tempfile
import time

import pytest

import sandboxes
from sandboxes import BwrapSandbox, LimitHit, Limits, ProcessSandbox, SandboxError, make_sandbox
from sandboxes.reset import remove_tree

LIMITS = Limits(wall_time_s=10.0, cpu_time_s=2.0, memory_mb=256, stdout_bytes=1 << 16)
SANDBOX = BwrapSandbox()


@pytest.fixture(autouse=True)
def _no_process_left_behind(no_process_left_behind):
    yield


def runs(source: str, count: int = 1, limits: Limits = LIMITS, sandbox: BwrapSandbox = SANDBOX):
    with sandbox.session({"main.py": source.encode()}, limits) as session:
        return [session.run_python("main.py", b"", limits) for _ in range(count)]


# 1. Fail closed -------------------------------------------------------------------------------

def test_auto_refuses_to_run_without_bubblewrap_and_names_the_fix(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap on it
    sandboxes.bwrap_available.cache_clear()
    try:
        with pytest.raises(SandboxError) as raised:
            make_sandbox("auto")
    finally:
        sandboxes.bwrap_available.cache_clear()
    message = str(raised.value)
    assert "bubblewrap is not installed" in message and "fix:" in message and "\n" not in message


@pytest.mark.parametrize(("said", "cause"), [
    ("bwrap: No permissions to create new namespace, likely because the kernel does not allow non-privileged user "
     "namespaces.", "refuses unprivileged user namespaces"),
    ("bwrap: setting up uid map: Permission denied", "refuses unprivileged user namespaces"),
    ("could not start bwrap: [Errno 11] Resource temporarily unavailable", "process limit is full"),
])
def test_a_start_failure_is_one_line_naming_cause_and_fix(said, cause):
    from sandboxes.bwrap_command import explain

    line = explain(said)
    assert cause in line and "fix:" in line and "\n" not in line


def test_the_process_sandbox_only_by_name_and_it_says_reduced():
    assert isinstance(make_sandbox("auto"), BwrapSandbox)
    process = make_sandbox("process")
    assert process.mechanisms.isolation == "reduced" and SANDBOX.mechanisms.isolation == "full"


def test_a_tmpdir_inside_a_private_folder_does_not_stop_the_sandbox(monkeypatch, tmp_path):
    """Once a cause of a silent fallback: /work is the sandbox's own tmpfs, TMPDIR plays no part."""
    private = tmp_path / "private"
    (private / "tmp").mkdir(parents=True)
    private.chmod(0o700)
    monkeypatch.setenv("TMPDIR", str(private / "tmp"))
    monkeypatch.setattr("tempfile.tempdir", None)
    result = SANDBOX.run([SANDBOX.python, "-c", "print(1)"], b"", LIMITS)
    assert result.stdout == b"1\n"


# 2. CPU time of descendants the kernel reaps itself ------------------------------------------

WORKERS = """
import os, signal, time
signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the workers: their time reaches no rusage
for _ in range({workers}):
    if os.fork() == 0:
        start = time.process_time()
        while time.process_time() - start < {each}:
            pass
        os._exit(0)
while True:
    try:
        os.waitpid(-1, 0)
    except ChildProcessError:
        break
print("done")
"""


def test_cpu_time_of_unreaped_workers_is_counted():
    [result] = runs(WORKERS.format(workers=3, each=0.3))
    assert SANDBOX.mechanisms.cpu.startswith("cgroup")
    assert result.stdout == b"done\n" and result.cpu_s >= 0.85


def test_unreaped_workers_over_the_limit_are_a_cpu_limit_hit():
    [result] = runs(WORKERS.format(workers=3, each=1.0), limits=Limits(wall_time_s=15, cpu_time_s=0.3))
    assert result.limit_hit is LimitHit.CPU_TIME and 0.3 <= result.cpu_s < 0.8


# 3. Memory that belongs to no process ---------------------------------------------------------

FILL = """
import os
print(not [name for name in os.listdir("{folder}") if name.startswith("fill")], flush=True)
for i in range({megabytes}):  # files of 1 MiB: each under the file-size limit
    with open(f"{folder}/fill{{i}}", "wb") as f:
        f.write(b"x" * (1 << 20))
buffer = bytearray({then_mb} << 20)
print("alive")
"""


@pytest.mark.parametrize(("folder", "megabytes", "then_mb"), [("/dev/shm", 400, 0), ("/dev/shm", 200, 100),
                                                          ("/work", 400, 0), ("/tmp", 200, 100)])
def test_memory_put_in_a_tmpfs_is_a_memory_limit_hit_and_the_runner_survives(folder, megabytes, then_mb):
    first, second = runs(FILL.format(folder=folder, megabytes=megabytes, then_mb=then_mb), count=2)
    # The second run of the same session starts from an empty folder: the runner lived through it.
    assert first.limit_hit is LimitHit.MEMORY and first.stdout == b"True\n"
    assert second.limit_hit is LimitHit.MEMORY and second.stdout == b"True\n"


def test_sysv_shared_memory_is_refused():
    source = ("import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
              "print(libc.shmget(0, 1 << 20, 0o1600), ctypes.get_errno())")
    [result] = runs(source)
    assert result.stdout.split() == [b"-1", str(errno.EPERM).encode()]


def test_without_the_filter_ipc_objects_do_not_outlive_their_test():
    sandbox = BwrapSandbox(use_seccomp=False)
    source = ("import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
              "print(libc.shmget(4242, 0, 0) >= 0, flush=True)\nlibc.shmget(4242, 1 << 20, 0o1600)\n")
    results = runs(source, count=2, sandbox=sandbox)
    assert sandbox.mechanisms.seccomp.startswith("off") and [r.stdout for r in results] == [b"False\n"] * 2


def test_the_program_not_the_runner_is_the_oom_killers_choice():
    [result] = runs("print(open('/proc/self/oom_score_adj').read().strip())")
    assert result.stdout == b"1000\n"


# 4. State carried between tests ---------------------------------------------------------------

STATE = """
import glob, os
def seen():
    out = []
    for root in ("/work", "/tmp", "/dev/shm"):
        info = os.stat(root)
        out.append((root, oct(info.st_mode), info.st_mtime_ns, sorted(os.listdir(root)), os.listxattr(root)))
    info = os.stat("main.py")
    out.append(("main.py", oct(info.st_mode), info.st_mtime_ns, os.listxattr("main.py")))
    return out
print(seen())
os.makedirs("locked/inner")
os.chmod("locked", 0)
os.makedirs("/tmp/ro/inner")
open("/tmp/ro/inner/f", "w").write("x")
os.chmod("/tmp/ro", 0o500)
open("/dev/shm/left", "w").write("x")
for root in ("/work", "/tmp", "/dev/shm"):
    os.setxattr(root, "user.mark", b"1")
    os.chmod(root, 0o777)
os.setxattr("main.py", "user.mark", b"1")
os.chmod("main.py", 0o777)
os.utime("main.py", (0, 0))
"""


def test_each_test_sees_exactly_what_the_first_saw():
    results = runs(STATE, count=3)
    assert all(r.ok for r in results), results[0].stderr_tail()
    assert len({r.stdout for r in results}) == 1


# 5. What a program leaves behind --------------------------------------------------------------

NEST = "import os\nprint(len(os.listdir('.')))\nfor _ in range(1500):\n    os.mkdir('d')\n    os.chdir('d')\n"


def test_deeply_nested_folders_do_not_crash_the_runner_or_the_cleanup():
    results = runs(NEST, count=2)
    assert [r.stdout for r in results] == [b"1\n", b"1\n"] and SANDBOX.cleanup_failures == []


def test_judging_a_program_that_nests_folders_returns_normally_and_leaves_nothing_on_the_host(monkeypatch, tmp_path):
    from judges import JudgeSettings, OutputRule, TestCase, judge

    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))  # anything of ours left on the host would be here
    judgement = judge(NEST, [TestCase(f"t{i}", "", "1\n") for i in range(3)], OutputRule(), JudgeSettings(), SANDBOX)
    assert judgement.verdict == "AC" and list(tmp_path.iterdir()) == []


def test_the_process_sandbox_removes_what_a_program_nests_and_locks():
    sandbox = ProcessSandbox()
    source = NEST + "os.chdir('/')\n"
    result = sandbox.run([sandbox.python, "-I", "main.py"], b"", LIMITS, {"main.py": source.encode()})
    assert result.ok and sandbox.cleanup_failures == []


def test_a_fifo_in_place_of_main_py_does_not_stall_the_next_test():
    source = "import os\nprint('run')\nos.unlink('main.py')\nos.mkfifo('main.py')\n"
    started = time.monotonic()
    results = runs(source, count=3)
    assert [r.stdout for r in results] == [b"run\n"] * 3 and time.monotonic() - started < 5


def test_removal_of_a_deep_unreadable_tree_without_root():
    """The cleanup a non-root harness does: 1,500 levels, a mode-000 folder, a FIFO, a link out."""
    base = tempfile.mkdtemp()  # in /tmp, which every uid may traverse (pytest's tmp_path is root's only)
    top = os.path.join(base, "left")
    os.chown(base, 61999, 61999)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        try:
            os.setresuid(61999, 61999, 61999)
            os.mkdir(top)
            os.chdir(top)
            for _ in range(1500):
                os.mkdir("d")
                os.chdir("d")
            os.mkfifo("fifo")
            os.symlink("/etc/passwd", "link")
            os.mkdir("closed")
            os.chmod("closed", 0)
            os.chdir(base)
            os.chmod(os.path.join(top, "d"), 0)
            remove_tree(top)
            os._exit(0)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    left = os.path.exists(top)
    shutil.rmtree(base, ignore_errors=True)
    assert os.waitstatus_to_exitcode(status) == 0 and not left and os.path.exists("/etc/passwd")


# 6. Kernel attack surface ---------------------------------------------------------------------

SYSCALLS = """
import ctypes, errno
libc = ctypes.CDLL(None, use_errno=True)
calls = {"unshare_user": (272, 0x10000000), "mount": (165, 0, 0, 0, 0, 0), "keyctl": (250, 0, -3, 0),
         "bpf": (321, 0, 0, 0), "perf_event_open": (298, 0, 0, -1, -1, 0), "io_uring_setup": (425, 1, 0),
         "userfaultfd": (323, 0), "ptrace": (101, 16, 1, 0, 0), "kexec_load": (246, 0, 0, 0, 0),
         "init_module": (175, 0, 0, 0), "setns": (308, 0, 0)}
out = {}
for name, (number, *args) in calls.items():
    result = libc.syscall(number, *args)
    out[name] = errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno())) if result == -1 else "allowed"
print(sorted(set(out.values())), [k for k, v in out.items() if v != "EPERM"])
"""


def test_dangerous_system_calls_are_refused():
    [result] = runs(SYSCALLS)
    assert SANDBOX.mechanisms.seccomp == "on" and SANDBOX.mechanisms.userns == "disabled"
    assert result.stdout == b"['EPERM'] []\n"


@pytest.mark.slow  # g++
def test_python_threads_processes_and_a_compiled_cpp_program_still_work():
    if shutil.which("g++") is None:
        pytest.skip("g++ is installed by scripts/install-system-deps")
    cpp = (b"#include <iostream>\n#include <thread>\n#include <vector>\nint main(){long s=0;std::vector<std::thread> t;"
           b"for(int i=0;i<4;i++)t.emplace_back([&s,i]{s+=i;});for(auto&x:t)x.join();std::cout<<s<<std::endl;}\n")
    python = ("import multiprocessing, subprocess, threading\n"
              "t = threading.Thread(target=print, args=('thread',)); t.start(); t.join()\n"
              "with multiprocessing.Pool(2) as pool:\n    print(sum(pool.map(abs, [-1, -2])))\n"
              "print(subprocess.run(['/usr/bin/echo', 'child'], capture_output=True, text=True).stdout.strip())\n")
    limits = Limits(wall_time_s=60, cpu_time_s=30, memory_mb=1024, file_size_mb=64)
    with SANDBOX.session({"main.cpp": cpp, "main.py": python.encode()}, limits) as session:
        compiled = session.run(["/usr/bin/g++", "-O2", "-pthread", "-o", "main", "main.cpp"], b"", limits, keep=True)
        native = session.run(["./main"], b"", limits)
        script = session.run_python("main.py", b"", limits)
    assert compiled.ok, compiled.stderr_tail()
    assert native.stdout == b"6\n"
    assert script.stdout == b"thread\n3\nchild\n", script.stderr_tail()


# 7. A kill that arrives after its test ended --------------------------------------------------

def test_a_late_output_kill_does_not_crash_the_next_test():
    """The output cap's kill can reach the runner after its test ended; it must be dropped, not run."""
    with SANDBOX.session({"main.py": b"print('ok')"}, LIMITS) as session:
        first = session.run_python("main.py", b"", LIMITS)
        session.control.send(b'{"op": "kill"}')  # what on_overflow sends, arriving late
        later = [session.run_python("main.py", b"", LIMITS) for _ in range(2)]
    assert [r.stdout for r in (first, *later)] == [b"ok\n"] * 3 and all(r.limit_hit is None for r in later)


def test_mountinfo_does_not_show_a_host_path():
    [result] = runs("print(open('/proc/self/mountinfo').read())")
    lines = [line for line in result.stdout.decode().splitlines() if line]
    work = [line for line in lines if " /work " in line]
    roots = {line.split()[3] for line in lines}  # the 4th field: the mount's root within its file system
    assert len(work) == 1 and work[0].split()[3] == "/" and roots <= {"/", "/newroot", "/usr", "/null", "/zero",
                                                                       "/full", "/random", "/urandom", "/tty"}


# 8. The recursion budget of `python3 main.py` -------------------------------------------------

DEPTH = """
import sys
sys.setrecursionlimit({limit})
best = 0
def down(n):
    global best
    best = n
    down(n + 1)
try:
    down(1)
except RecursionError:
    pass
print(best, sys.getrecursionlimit())
"""


@pytest.mark.parametrize("limit", [50, 1001, 20000])
def test_recursion_budget_equals_the_bare_interpreters(tmp_path, limit):
    source = DEPTH.format(limit=limit)
    (tmp_path / "main.py").write_text(source)
    bare = subprocess.run([SANDBOX.python, "-I", "main.py"], cwd=tmp_path, capture_output=True, check=True).stdout
    [result] = runs(source)
    assert result.stdout == bare


def test_the_process_sandbox_mechanisms_say_what_it_lacks():
    assert ProcessSandbox().mechanisms.to_json() == {
        "isolation": "reduced", "memory": ProcessSandbox().memory, "cpu": "rusage",
        "seccomp": "off: the process sandbox has no filter", "userns": "allowed"}
