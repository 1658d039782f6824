"""The bubblewrap command line of a sandbox, and the check that bubblewrap can run here at all.

What the command line builds: new user, pid, network, ipc, uts, cgroup and mount
namespaces, no further user namespaces inside (`--disable-userns`), no capabilities, the
seccomp filter of `sandboxes/seccomp.py`; a read-only root holding only a read-only /usr
(with the /bin, /lib, /lib64 links), a fresh /proc, a read-only /dev with the usual
devices, and size-capped tmpfs at /work, /tmp and /dev/shm. /work is a tmpfs of the
sandbox's own, not a folder of the host: nothing a program writes reaches the host's
disks, /proc/self/mountinfo shows no host path, and there is nothing to clean up on the
host; the harness reaches it through a descriptor the runner hands over.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import cache
from pathlib import Path

from sandboxes.process import clean_environment
from sandboxes.result import Limits

BWRAP = "bwrap"
SANDBOX_PYTHON = "/usr/bin/python3"  # inside the sandbox: the system interpreter under the read-only /usr
RUNNER_SOURCE = "\n".join((Path(__file__).parent / name).read_text(encoding="utf-8") for name in ("reset.py", "runner.py"))
_SYSTEM_LINKS = (("usr/bin", "/bin"), ("usr/lib", "/lib"), ("usr/lib64", "/lib64"), ("usr/sbin", "/sbin"))


@cache
def supports_disable_userns() -> bool:
    """Whether this bubblewrap has `--disable-userns` (0.8.0 and later)."""
    try:
        text = subprocess.run([BWRAP, "--help"], capture_output=True, text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return "--disable-userns" in text


def bwrap_argv(fds: dict[str, int | None], limits: Limits) -> list[str]:
    """The bwrap command line starting the warm runner as the sandbox's PID 1.

    `fds`: "control" (the runner's socket), "info" (bwrap's --info-fd), "seccomp" (the BPF
    program, or None), "cpu" (the session cgroup's CPU usage file, or None).
    `limits.memory_mb` caps each memory file system: /work, /tmp and /dev/shm.
    """
    # found on the harness's PATH (as the availability check finds it): bwrap itself starts with an empty environment
    args = [shutil.which(BWRAP) or BWRAP, "--unshare-all", "--unshare-user", "--as-pid-1", "--info-fd", str(fds["info"]),
            "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--hostname", "sandbox"]
    if supports_disable_userns():
        args.append("--disable-userns")
    if fds.get("seccomp") is not None:
        args += ["--seccomp", str(fds["seccomp"])]
    args += ["--ro-bind", "/usr", "/usr"]
    for target, link in _SYSTEM_LINKS:
        if os.path.islink(link):
            args += ["--symlink", target, link]
        elif os.path.isdir(link):
            args += ["--ro-bind", link, link]
    cap = str(limits.memory_mb << 20)
    args += ["--proc", "/proc", "--dev", "/dev", "--size", cap, "--tmpfs", "/dev/shm", "--remount-ro", "/dev",
             "--size", cap, "--tmpfs", "/tmp", "--size", cap, "--tmpfs", "/work", "--remount-ro", "/",
             "--chdir", "/work", "--clearenv"]
    for key, value in clean_environment("/work").items():
        args += ["--setenv", key, value]
    cpu = "-" if fds.get("cpu") is None else str(fds["cpu"])
    args += ["--setenv", "TMPDIR", "/tmp", "--", SANDBOX_PYTHON, "-I", "-c", RUNNER_SOURCE, str(fds["control"]), cpu]
    return args


_CAUSES = (  # (what bwrap or the probe said, the cause, the fix)
    (("creating new namespace", "uid map", "No permissions", "max_user_namespaces", "Operation not permitted"),
     "the kernel refuses unprivileged user namespaces",
     "allow them (sysctl kernel.unprivileged_userns_clone=1, user.max_user_namespaces=10000, or on Ubuntu "
     "kernel.apparmor_restrict_unprivileged_userns=0)"),
    (("Resource temporarily unavailable", "Cannot allocate memory", "fork"),
     "a sandbox uid cannot start a process (its process limit is full, or memory is short)",
     "kill the leftover processes of the sandbox uids 62000-62063 (see /run/harness-sandbox) and retry"),
    (("Permission denied", "Can't find source path", "Can't chdir"),
     "the sandbox uid cannot reach a path it needs",
     "check that /usr and bwrap are readable and executable by every user"),
)


def explain(what: str) -> str:
    """One line naming the cause of a failed start and its fix, from bwrap's message."""
    for needles, cause, fix in _CAUSES:
        if any(needle in what for needle in needles):
            return f"bubblewrap cannot start a sandbox: {cause} ({what.strip()[:160]}); fix: {fix}"
    return (f"bubblewrap cannot start a sandbox ({what.strip()[:200]}); fix: run "
            f"`bwrap --unshare-all --ro-bind /usr /usr /usr/bin/true` to see why")


def missing_parts() -> str | None:
    """Why no sandbox can start here before trying one (not installed), else None."""
    if shutil.which(BWRAP) is None:
        return ("bubblewrap is not installed; fix: scripts/install-system-deps (Debian package 'bubblewrap'), "
                "or ask for `sandbox: process` to run without isolation")
    if not os.path.exists(SANDBOX_PYTHON):
        return f"{SANDBOX_PYTHON} is missing; fix: install Debian's 'python3' (programs run with it)"
    return None
