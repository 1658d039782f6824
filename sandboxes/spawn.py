"""Start a sandbox's first process without forking the harness: small exec'd tools do the child's setup.

Before the program runs, the child takes its rlimits, joins its cgroups, shields itself from the
OOM killer and gives up root. Done in a `preexec_fn`, that makes `subprocess` fork the whole
caller, page tables and all: 2 ms from a bare interpreter, 50-70 ms from one that holds the ML
stack (benchmarks/RESULTS.md), at every sandbox start of a run that judges where it generated.
Without a `preexec_fn`, `subprocess` uses vfork (under a millisecond at any size), and the same
steps are done by what the child execs in turn: util-linux's `prlimit` (the rlimits), bash (the
cgroups, the OOM score), util-linux's `setpriv` (the uid), bash again (a mark that setup is
complete), then the program. Where those tools are missing, the steps run in a `preexec_fn` as before.

Setup fails closed either way: the mark arrives only when every step has succeeded, and
without it the process is killed and `SandboxError` raised; the program never starts.
"""

from __future__ import annotations

import functools
import os
import resource
import shutil
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sandboxes.cgroups import Cgroup
from sandboxes.result import SandboxError

UNLIMITED = resource.RLIM_INFINITY
# prlimit's option for each rlimit the sandboxes set
PRLIMIT_OPTIONS = {resource.RLIMIT_CPU: "cpu", resource.RLIMIT_AS: "as", resource.RLIMIT_STACK: "stack",
                   resource.RLIMIT_FSIZE: "fsize", resource.RLIMIT_NOFILE: "nofile", resource.RLIMIT_CORE: "core",
                   resource.RLIMIT_NPROC: "nproc"}
_READY = b"ready"
# The shell's parts, each taking its arguments off the front: the cgroups (a count, then that many
# cgroup.procs files) and the OOM shield ("protect" or "-"); the mark (its descriptor, closed once
# written, so the program never holds it); then the rest of the chain. `set -e`: a step that fails
# ends the shell before the mark is written.
_JOIN = """set -e
count=$1; shift
while [ "$count" -gt 0 ]; do echo $$ > "$1"; shift; count=$((count - 1)); done
if [ "$1" = protect ]; then echo -1000 2>/dev/null > /proc/self/oom_score_adj || true; fi
shift
"""
_MARK = """set -e
mark=$1; shift
printf ready >&"$mark"
exec {mark}>&-
"""
_EXEC = 'exec "$@"\n'


@functools.cache
def exec_tools() -> Mapping[str, str | None]:
    """Absolute paths of the tools the exec'd setup uses (None where missing)."""
    return {name: shutil.which(name) for name in ("prlimit", "bash", "setpriv")}


@dataclass(frozen=True)
class ChildSetup:
    """What the child does before the program: rlimits `(resource, soft, hard)`, cgroups, OOM shield, uid."""

    rlimits: tuple[tuple[int, int, int], ...] = ()
    cgroups: tuple[Cgroup, ...] = ()
    protect_from_oom: bool = False  # root only: the sandbox's runner outlives its programs' OOM kills
    uid: int | None = None  # root only: real, effective and saved uid and gid, no supplementary groups
    tools: Mapping[str, str | None] = field(default_factory=lambda: exec_tools())  # looked up when made

    @property
    def by_exec(self) -> bool:
        """Whether the exec'd tools do the setup (all three are installed)."""
        return all(self.tools.values())


def start(argv: Sequence[str], setup: ChildSetup, *, env: Mapping[str, str], pass_fds: Sequence[int] = (),
          **popen: object) -> subprocess.Popen:
    """`subprocess.Popen(argv, ...)` in a new session, with `setup` done in the child before `argv` starts.

    Raises SandboxError when the program cannot be started or a setup step fails (nothing of it ran).
    """
    if not setup.by_exec:
        return _popen(list(argv), env, pass_fds, preexec_fn=_preexec(setup), **popen)
    program = _resolve(argv[0], env, popen.get("cwd"))
    mark_read, mark_write = os.pipe()
    try:
        proc = _popen(_chain(setup, mark_write, [program, *argv[1:]]), env, (*pass_fds, mark_write), **popen)
    finally:
        os.close(mark_write)
    try:
        mark = _read_all(mark_read)
    finally:
        os.close(mark_read)
    if mark != _READY:
        _fail(proc)
    return proc


def _popen(argv: list[str], env: Mapping[str, str], pass_fds: Sequence[int], **popen) -> subprocess.Popen:
    try:
        return subprocess.Popen(argv, env=dict(env), pass_fds=tuple(pass_fds), close_fds=True, start_new_session=True,
                                **popen)
    except (OSError, subprocess.SubprocessError) as exc:
        raise SandboxError(f"could not start {argv[0]}: {exc}") from exc


def _chain(setup: ChildSetup, mark_fd: int, argv: list[str]) -> list[str]:
    """The command: prlimit (the rlimits), bash (cgroups, OOM shield), setpriv (the uid), the mark, `argv`.

    The mark comes last, so it proves every step; without a uid change one shell does both its parts.
    """
    tools = setup.tools
    bash = str(tools["bash"])
    limits = [f"--{PRLIMIT_OPTIONS[which]}={_limit(soft)}:{_limit(hard)}" for which, soft, hard in setup.rlimits]
    join = [str(len(setup.cgroups)), *(str(cgroup.path / "cgroup.procs") for cgroup in setup.cgroups),
            "protect" if setup.protect_from_oom else "-"]
    mark = [str(mark_fd)]
    if setup.uid is None:
        shells = [bash, "-c", _JOIN + _MARK + _EXEC, "setup", *join, *mark]
    else:
        shells = [bash, "-c", _JOIN + _EXEC, "setup", *join,
                  str(tools["setpriv"]), f"--reuid={setup.uid}", f"--regid={setup.uid}", "--clear-groups", "--",
                  bash, "-c", _MARK + _EXEC, "setup", *mark]
    return [str(tools["prlimit"]), *limits, "--", *shells, *argv]


def _limit(value: int) -> str:
    return "unlimited" if value == UNLIMITED else str(value)


def _resolve(program: str, env: Mapping[str, str], cwd: object) -> str:
    """The program's path as exec would find it, so that a missing one is an error here, not a failed run."""
    if os.sep in program:
        path = program if os.path.isabs(program) or cwd is None else os.path.join(str(cwd), program)
        found = path if os.access(path, os.X_OK) and not os.path.isdir(path) else None
    else:
        found = shutil.which(program, path=os.pathsep.join(os.get_exec_path(dict(env))))
    if found is None:
        raise SandboxError(f"could not start {program}: not found or not executable")
    return program if os.sep in program else found


def _read_all(fd: int) -> bytes:
    """Everything written to the pipe until every writer has closed it (setup done, or the chain gone)."""
    data = b""
    while chunk := os.read(fd, 64):
        data += chunk
    return data


def _fail(proc: subprocess.Popen) -> None:
    """A setup step failed: kill what is left, say what the tools printed."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()
    said = proc.stderr.read(2048).decode(errors="replace").strip() if proc.stderr else ""
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()
    last = said.splitlines()[-1] if said else f"exit status {proc.returncode}"
    raise SandboxError(f"the sandbox's setup failed before the program started: {last}")


def _preexec(setup: ChildSetup):
    """The same steps in the child between fork and exec (no Python I/O objects there)."""
    def apply() -> None:
        for cgroup in setup.cgroups:
            cgroup.join()
        if setup.protect_from_oom:
            try:
                fd = os.open("/proc/self/oom_score_adj", os.O_WRONLY)
                os.write(fd, b"-1000")
                os.close(fd)
            except OSError:
                pass
        for which, soft, hard in setup.rlimits:
            resource.setrlimit(which, (soft, hard))
        if setup.uid is not None:
            os.setgroups([])
            os.setresgid(setup.uid, setup.uid, setup.uid)
            os.setresuid(setup.uid, setup.uid, setup.uid)

    return apply
