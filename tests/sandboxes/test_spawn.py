"""A sandbox's first process: set up by exec'd tools (the harness is not forked) or, where they are missing, in
a preexec_fn. The child is the same either way, and a step that fails starts nothing."""

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from sandboxes import SandboxError
from sandboxes.bwrap_command import SANDBOX_PYTHON
from sandboxes.cgroups import Cgroup, memory_controller
from sandboxes.spawn import ChildSetup, exec_tools, start

WAYS = {"exec": dict(exec_tools()), "preexec": dict.fromkeys(exec_tools())}
ROOT = os.geteuid() == 0
UID = 61234  # a uid no one uses; only set when the suite runs as root
PROBE = r"""
import json, os, resource
print(json.dumps({
    "uids": os.getresuid(), "gids": os.getresgid(), "groups": os.getgroups(),
    "limits": {str(r): resource.getrlimit(r) for r in (resource.RLIMIT_CPU, resource.RLIMIT_NOFILE,
                                                        resource.RLIMIT_CORE, resource.RLIMIT_STACK)},
    "cgroup": open("/proc/self/cgroup").read(), "oom": open("/proc/self/oom_score_adj").read().strip(),
    "fds": sorted(int(fd) for fd in os.listdir("/proc/self/fd")), "session_leader": os.getsid(0) == os.getpid(),
}))
"""
LIMITS = ((resource.RLIMIT_CPU, 5, 6), (resource.RLIMIT_NOFILE, 40, 40), (resource.RLIMIT_CORE, 0, 0),
          (resource.RLIMIT_STACK, resource.RLIM_INFINITY, resource.RLIM_INFINITY))


def probe(setup: ChildSetup, pass_fds=()) -> dict:
    """What the child sees of itself (the system python: the uid cannot read this suite's interpreter)."""
    proc = start([SANDBOX_PYTHON, "-I", "-c", PROBE], setup, env={"PATH": "/usr/bin:/bin"}, cwd="/",
                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=pass_fds)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    return json.loads(out)


def can_lower_oom_score() -> bool:
    return subprocess.run(["sh", "-c", "echo -1000 > /proc/self/oom_score_adj"], stderr=subprocess.DEVNULL).returncode == 0


@pytest.fixture
def cgroup():
    controller = memory_controller()
    if controller is None:
        yield None
        return
    made = controller.create()
    yield made
    made.remove()


@pytest.mark.parametrize("way", WAYS)
def test_the_child_has_its_limits_cgroup_session_and_uid_and_no_descriptor_of_ours(way, cgroup):
    assert all(WAYS["exec"].values()), "prlimit, bash and setpriv are installed here (scripts/install-system-deps)"
    setup = ChildSetup(rlimits=LIMITS, cgroups=(cgroup,) if cgroup else (), protect_from_oom=ROOT,
                       uid=UID if ROOT else None, tools=WAYS[way])
    assert setup.by_exec is (way == "exec")
    stray = os.open("/dev/null", os.O_RDONLY)  # inheritable only through pass_fds, and not passed
    os.set_inheritable(stray, True)
    try:
        seen = probe(setup)
    finally:
        os.close(stray)
    assert {int(k): tuple(v) for k, v in seen["limits"].items()} == {which: (soft, hard) for which, soft, hard in LIMITS}
    if cgroup is not None:
        assert str(cgroup.path).split("/sys/fs/cgroup/memory", 1)[-1] in seen["cgroup"]
    if ROOT:
        assert seen["uids"] == seen["gids"] == [UID] * 3 and seen["groups"] == []
        # lowering the score needs CAP_SYS_RESOURCE, which some containers withhold from root: then both ways keep 0
        assert seen["oom"] == ("-1000" if can_lower_oom_score() else "0")
    assert seen["session_leader"]
    assert seen["fds"] == [0, 1, 2, 3]  # 3: the probe's own listdir; no setup mark, no stray descriptor


@pytest.mark.parametrize("way", WAYS)
def test_a_failed_setup_step_starts_nothing_and_says_why(way, tmp_path):
    ran = tmp_path / "ran"
    setup = ChildSetup(cgroups=(Cgroup(Path("/nonexistent/cgroup"), 1),), tools=WAYS[way])
    with pytest.raises(SandboxError) as raised:
        start([sys.executable, "-c", f"open({str(ran)!r}, 'w')"], setup, env={}, stdout=subprocess.DEVNULL,
              stderr=subprocess.PIPE)
    assert not ran.exists()
    assert "\n" not in str(raised.value) and ("setup failed" in str(raised.value) or "could not start" in str(raised.value))


@pytest.mark.parametrize("way", WAYS)
def test_a_missing_program_is_an_error_not_a_run(way, tmp_path):
    with pytest.raises(SandboxError, match="could not start"):
        start([str(tmp_path / "nope")], ChildSetup(tools=WAYS[way]), env={})
    relative = tmp_path / "prog"
    relative.write_text("#!/bin/sh\necho here\n")
    relative.chmod(0o755)
    proc = start(["./prog"], ChildSetup(tools=WAYS[way]), env={}, cwd=tmp_path, stdout=subprocess.PIPE)
    assert proc.communicate(timeout=10)[0] == b"here\n"


NON_ROOT_CALLER = r"""
import json, resource, subprocess, sys
from sandboxes.spawn import ChildSetup, exec_tools, start
tools = dict(exec_tools()) if sys.argv[1] == "exec" else dict.fromkeys(exec_tools())
setup = ChildSetup(rlimits=((resource.RLIMIT_NOFILE, 30, 30), (resource.RLIMIT_CORE, 0, 0)), tools=tools)
child = start(["/usr/bin/python3", "-c", "import os, resource; print(os.getuid(), *resource.getrlimit(resource.RLIMIT_NOFILE))"],
              setup, env={}, stdout=subprocess.PIPE)
print(child.communicate(timeout=30)[0].decode().strip())
"""


@pytest.mark.skipif(not ROOT, reason="the suite runs as a non-root user: every other test here is the non-root path")
@pytest.mark.parametrize("way", WAYS)
def test_a_harness_that_is_not_root_starts_its_children_the_same_way(way):
    """As a harness without root would (no uid to give up, no OOM shield): here a root suite demotes the caller.

    The package is copied where the demoted caller can read it, wherever the checkout is.
    """
    readable = Path(tempfile.mkdtemp(prefix="harness-spawn-"))
    try:
        readable.chmod(0o755)
        shutil.copytree(Path(__file__).resolve().parents[2] / "sandboxes", readable / "sandboxes",
                        ignore=shutil.ignore_patterns("__pycache__"))
        caller = subprocess.run(["setpriv", f"--reuid={UID + 1}", f"--regid={UID + 1}", "--clear-groups", "env",
                                 f"PYTHONPATH={readable}", "PYTHONDONTWRITEBYTECODE=1", SANDBOX_PYTHON, "-c",
                                 NON_ROOT_CALLER, way], capture_output=True, text=True, timeout=60, cwd="/")
    finally:
        shutil.rmtree(readable)
    assert caller.returncode == 0, caller.stderr
    assert caller.stdout.split() == [str(UID + 1), "30", "30"]
