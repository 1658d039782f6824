"""The sandbox's seccomp filter: system calls no contest program needs, refused with EPERM.

In the style of container runtimes' default profiles and contest judges: no namespaces
(unshare, setns, clone with a CLONE_NEW* flag; clone3 answers ENOSYS so that libc falls
back to clone, whose flags a filter can read), no mounts, no keyrings, no bpf, no
perf_event_open, no io_uring, no userfaultfd, no ptrace or cross-process memory access, no
kexec or kernel modules, no clock or host settings, and no SysV IPC or POSIX message
queues (objects that would outlive a test and hold memory that belongs to no process).
Everything else is allowed, so Python and g++-built programs run unchanged; system calls
of another architecture (32-bit ABIs) kill the process, libseccomp's default.

The filter is built with libseccomp's Python bindings (Debian `python3-seccomp`), which
exist for the system interpreter, not necessarily the harness's: it is compiled once per
process by `/usr/bin/python3` in a subprocess, and bubblewrap loads the BPF program
(`--seccomp FD`) just before it starts the runner, so the runner is under it too.
"""

from __future__ import annotations

import subprocess
from functools import cache

SYSTEM_PYTHON = "/usr/bin/python3"
DENIED = (
    # namespaces and the filesystem view
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "fsopen", "fsconfig", "fsmount", "fspick",
    "move_mount", "open_tree", "mount_setattr",
    # kernel interfaces with a record of exploits
    "keyctl", "add_key", "request_key", "bpf", "perf_event_open", "io_uring_setup", "io_uring_enter",
    "io_uring_register", "userfaultfd",
    # other processes and the kernel itself
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd", "kexec_load", "kexec_file_load",
    "init_module", "finit_module", "delete_module", "create_module", "reboot", "swapon", "swapoff", "acct",
    "quotactl", "syslog", "iopl", "ioperm", "lookup_dcookie", "name_to_handle_at", "open_by_handle_at", "uselib",
    "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "sethostname", "setdomainname", "vhangup",
    "fanotify_init",
    # state that would outlive a test: SysV IPC and POSIX message queues
    "shmget", "semget", "msgget", "mq_open",
)
CLONE_NAMESPACE_FLAGS = (0x10000000, 0x00020000, 0x40000000, 0x20000000, 0x08000000, 0x04000000, 0x02000000)

_COMPILER = f"""
import errno, sys, seccomp
f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
for name in {DENIED!r}:
    try:
        f.add_rule(seccomp.ERRNO(errno.EPERM), name)
    except (RuntimeError, ValueError, OSError):
        pass  # unknown to this libseccomp (or this architecture): nothing to refuse
for flag in {CLONE_NAMESPACE_FLAGS!r}:
    f.add_rule(seccomp.ERRNO(errno.EPERM), "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
f.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
f.export_bpf(sys.stdout)
"""


@cache
def compiled_filter() -> tuple[bytes | None, str]:
    """(the BPF program, "on") or (None, why there is none), compiled once per process."""
    try:
        result = subprocess.run([SYSTEM_PYTHON, "-I", "-c", _COMPILER], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"off: {SYSTEM_PYTHON} cannot run ({exc})"
    if result.returncode != 0 or not result.stdout:
        last = (result.stderr.decode(errors="replace").strip().splitlines() or ["no output"])[-1]
        if "No module named 'seccomp'" in last:
            return None, "off: libseccomp's Python bindings are missing (Debian package 'python3-seccomp')"
        return None, f"off: the filter did not compile ({last})"
    return result.stdout, "on"

