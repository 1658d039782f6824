"""Uid leases across processes: two harness processes on one host never share a sandbox uid.

Real processes, not threads: the lease is a kernel file lock, and what used to break was
one process killing every process of a uid the other was using.
"""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from sandboxes import BwrapSandbox, Limits, SandboxError
from sandboxes.leases import LEASES, UidLeases, live_pids

REPO = Path(__file__).resolve().parents[2]
LIMITS = Limits(wall_time_s=10.0, cpu_time_s=5.0)
# Sleeps so that a uid-wide kill from the other process has a window to land in.
PROGRAM = b"import sys, time\ntoken = sys.stdin.read()\ntime.sleep(0.05)\nprint(token[::-1])\n"
pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="uids are leased only by a root harness")


def _python(code: str, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], env=env, text=True, **kwargs)


def _sessions(sandbox: BwrapSandbox, label: str, count: int) -> list[str]:
    """Run `count` sessions of three tests each; the problems seen (empty when all went right)."""
    problems = []
    for i in range(count):
        tokens = [f"{label}-{i}-{t}" for t in range(3)]
        try:
            with sandbox.session({"main.py": PROGRAM}) as session:
                results = [session.run_python("main.py", token.encode(), LIMITS) for token in tokens]
        except SandboxError as exc:
            problems.append(f"{label}-{i}: SandboxError: {exc}")
            continue
        for token, result in zip(tokens, results, strict=True):
            if not result.ok or result.stdout != f"{token[::-1]}\n".encode():
                problems.append(f"{token}: exit {result.exit_code} signal {result.signal} {result.stdout!r}")
    return problems


WORKER = """
    import json, sys, threading
    from concurrent.futures import ThreadPoolExecutor
    from sandboxes import BwrapSandbox
    from tests.sandboxes.test_uid_leases import _sessions

    stop = threading.Event()
    sandbox = BwrapSandbox()
    assert _sessions(sandbox, "warmup", 1) == []
    print("ready", flush=True)
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()

    def loop(worker):
        problems, rounds = [], 0
        while not stop.is_set():
            problems += _sessions(sandbox, f"other{worker}-{rounds}", 1)
            rounds += 1
        return problems, rounds

    with ThreadPoolExecutor(3) as pool:
        outcomes = list(pool.map(loop, range(3)))
    print(json.dumps({"problems": [p for o in outcomes for p in o[0]], "sessions": sum(o[1] for o in outcomes)}))
"""


@pytest.mark.slow  # two judging processes, started cold
def test_two_processes_judging_at_once_get_exactly_their_own_results(no_process_left_behind):
    other = _python(WORKER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=REPO)
    try:
        assert other.stdout.readline().strip() == "ready"
        sandbox = BwrapSandbox()
        with ThreadPoolExecutor(3) as pool:
            ours = [p for problems in pool.map(lambda w: _sessions(sandbox, f"ours{w}", 6), range(3)) for p in problems]
        other.stdin.close()
        report = json.loads(other.stdout.read())
    finally:
        other.kill()
        other.wait()
    assert ours == []
    assert report["problems"] == [] and report["sessions"] >= 3


def test_a_uid_held_by_another_process_is_never_handed_out_here():
    holder = _python("""
        import sys
        from contextlib import ExitStack
        from sandboxes.leases import LEASES
        with ExitStack() as stack:
            uids = [stack.enter_context(LEASES.lease()) for _ in range(8)]
            print(*uids, flush=True)
            sys.stdin.read()
    """, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    pool, ours = UidLeases(), []
    try:
        theirs = {int(uid) for uid in holder.stdout.readline().split()}
        ours += [pool._acquire() for _ in range(24)]
        assert len(theirs) == 8 and not theirs & set(ours) and len(set(ours)) == len(ours)
    finally:
        for uid in ours:
            pool._release(uid)
        holder.kill()
        holder.wait()


def test_a_crashed_holder_frees_its_uid_and_its_leftovers_are_killed_before_reuse():
    uid = LEASES.uids[-1]
    holder = _python(f"""
        import os, sys, time
        from sandboxes.leases import UidLeases
        with UidLeases(base={uid}, size=1).lease() as uid:
            if os.fork() == 0:
                os.setsid()
                os.setresuid(uid, uid, uid)
                os.execv("/usr/bin/sleep", ["sleep", "60"])
            while not os.popen("ps -o pid= -u {uid}").read().strip():
                time.sleep(0.01)
            print("leased", flush=True)
            time.sleep(60)
    """, stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == "leased"
        [leftover] = live_pids(uid)
        holder.send_signal(signal.SIGKILL)  # the kernel drops its lock; the sleeper lives on
        holder.wait()
        assert live_pids(uid) == [leftover]
        started = time.monotonic()
        with UidLeases(base=uid, size=1).lease() as leased:
            assert leased == uid and live_pids(uid) == []
        assert time.monotonic() - started < 5
    finally:
        holder.kill()
        holder.wait()


def test_cgroups_of_a_crashed_harness_process_are_swept():
    from sandboxes.cgroups import cpu_controller, sweep_stale

    controller = cpu_controller()
    if controller is None:
        pytest.skip("no writable cpuacct hierarchy on this host")
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = controller.parent / f"harness-{dead.pid}-deadbeef-0"
    stale.mkdir()
    live = controller.create()  # ours: this process is alive
    try:
        sweep_stale(controller.parent)
        assert not stale.exists() and live.path.exists()
    finally:
        live.remove()
        if stale.exists():
            stale.rmdir()
