"""Per-run cgroups: an exact memory limit, the OOM-kill count and peak usage; a session's CPU time.

Memory: used where the memory controller is writable by the harness: cgroup v1 (a `memory`
hierarchy, as in many containers), or cgroup v2 where the harness's own cgroup already
delegates `memory` to its children (a systemd scope with `Delegate=yes`). Anywhere else
`memory_controller()` returns None and the sandboxes fall back to an address-space rlimit,
mapping `MemoryError` / allocation failures to MLE. Which one was used is recorded.

CPU: a cgroup counts the CPU time of every process that was ever in it, however it ended,
including workers the kernel reaped itself (a parent that ignores SIGCHLD), whose time
never reaches anyone's rusage. `cpu_controller()` finds a writable cpuacct hierarchy (v1);
on v2 the session's memory cgroup has the same count in `cpu.stat`.
"""

from __future__ import annotations

import itertools
import os
import secrets
import signal
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_MB = 1 << 20
_counter = itertools.count()
_tokens: dict[int, str] = {}


def _token() -> str:
    """A random word per process (a forked child gets its own), so no two processes' cgroup names meet.

    The pid alone is not enough: a crashed harness can leave a cgroup behind under a pid the
    kernel hands out again.
    """
    return _tokens.setdefault(os.getpid(), secrets.token_hex(4))


@dataclass(frozen=True)
class MemoryController:
    """Where per-run cgroups are made, and which cgroup version's files they have."""

    parent: Path
    version: int  # 1 or 2

    @property
    def mechanism(self) -> str:
        """How memory is enforced, as recorded in env.json."""
        return f"cgroup-v{self.version}"

    def create(self) -> MemoryCgroup:
        """A fresh, empty cgroup (removed by `MemoryCgroup.remove`)."""
        path = self.parent / f"harness-{os.getpid()}-{_token()}-{next(_counter)}"
        path.mkdir()
        return MemoryCgroup(path, self.version)


class Cgroup:
    """One cgroup: a sandbox's processes join it in their pre-exec step."""

    def __init__(self, path: Path, version: int) -> None:
        self.path = path
        self.version = version
        self._procs = os.fsencode(path / "cgroup.procs")

    def _write(self, name: str, value: str) -> bool:
        try:
            (self.path / name).write_text(value)
        except OSError:
            return False
        return True

    def _read(self, name: str) -> str:
        try:
            return (self.path / name).read_text()
        except OSError:
            return ""

    def join(self) -> None:
        """Move the calling process into this cgroup; safe between fork and exec (no Python I/O objects)."""
        fd = os.open(self._procs, os.O_WRONLY)
        try:
            os.write(fd, b"0")
        finally:
            os.close(fd)

    def remove(self, patience_s: float = 5.0) -> None:
        """Kill whatever is still inside, then delete the cgroup."""
        deadline = time.monotonic() + patience_s
        while time.monotonic() < deadline:
            pids = [int(p) for p in self._read("cgroup.procs").split()]
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                time.sleep(0.005)

    @property
    def cpu_usage_file(self) -> Path:
        """The file counting the CPU time of everything that ran here: ns in v1's cpuacct, `usage_usec` in v2."""
        return self.path / ("cpuacct.usage" if self.version == 1 else "cpu.stat")


def cpu_usage_s(text: str) -> float:
    """CPU seconds from the content of `Cgroup.cpu_usage_file` (either version)."""
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        if key == "usage_usec":
            return int(value) / 1e6
    return int(text.strip() or 0) / 1e9


class MemoryCgroup(Cgroup):
    """A memory cgroup: limit, peak and OOM kills."""

    def set_limit(self, limit_mb: int) -> None:
        """Memory (and memory+swap, so nothing is swapped out instead of counted) capped at `limit_mb`."""
        value = str(limit_mb * _MB)
        if self.version == 1:
            # memsw may not be lowered below memory's limit, nor memory raised above memsw's: order matters.
            raising = limit_mb * _MB > int(self._read("memory.limit_in_bytes") or 0)
            names = ["memory.memsw.limit_in_bytes", "memory.limit_in_bytes"]
            for name in names if raising else reversed(names):
                self._write(name, value)
        else:
            self._write("memory.max", value)
            self._write("memory.swap.max", "0")

    def reset_peak(self) -> None:
        """Start a new peak measurement (v1; v2's memory.peak is reset per open file from kernel 6.12)."""
        if self.version == 1:
            self._write("memory.max_usage_in_bytes", "0")
            self._write("memory.memsw.max_usage_in_bytes", "0")

    def usage_mb(self) -> float:
        """Current usage."""
        name = "memory.usage_in_bytes" if self.version == 1 else "memory.current"
        return int(self._read(name) or 0) / _MB

    def peak_mb(self) -> float:
        """Peak usage since the last reset (v1) or creation (v2)."""
        name = "memory.max_usage_in_bytes" if self.version == 1 else "memory.peak"
        return int(self._read(name) or 0) / _MB

    def oom_kills(self) -> int:
        """How many processes the kernel killed here for going over the limit."""
        text = self._read("memory.oom_control" if self.version == 1 else "memory.events")
        for line in text.splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                return int(value)
        return 0


def sweep_stale(parent: Path) -> None:
    """Remove the empty cgroups a crashed harness process left here (named by its pid, now dead)."""
    try:
        entries = list(parent.glob("harness-*-*-*"))
    except OSError:
        return
    for path in entries:
        try:
            os.kill(int(path.name.split("-")[1]), 0)
            continue  # alive (or the pid was reused): not ours to touch
        except ProcessLookupError:
            pass
        except (ValueError, PermissionError):
            continue
        try:
            path.rmdir()  # refused while a process is inside
        except OSError:
            pass


def _own_cgroup(controller: str) -> str | None:
    """This process's cgroup path in the hierarchy holding `controller` ('' for the v2 unified one)."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            return path
    return None


@dataclass(frozen=True)
class CpuController:
    """Where per-session CPU-accounting cgroups are made (a v1 cpuacct hierarchy)."""

    parent: Path

    @property
    def mechanism(self) -> str:
        """How CPU time is counted, as recorded in env.json."""
        return "cgroup-v1"

    def create(self) -> Cgroup:
        """A fresh, empty cpuacct cgroup (removed by `Cgroup.remove`)."""
        path = self.parent / f"harness-{os.getpid()}-{_token()}-{next(_counter)}"
        path.mkdir()
        return Cgroup(path, 1)


@cache
def cpu_controller() -> CpuController | None:
    """A writable v1 cpuacct hierarchy, or None (on v2 the memory cgroup counts CPU time too)."""
    own = _own_cgroup("cpuacct")
    if own is None:
        return None
    for mount in (Path("/sys/fs/cgroup/cpuacct"), Path("/sys/fs/cgroup/cpu,cpuacct"), Path("/sys/fs/cgroup/cpuacct,cpu")):
        candidate = CpuController(mount / own.lstrip("/"))
        if not (mount / "cpuacct.usage").exists():
            continue
        try:
            cgroup = candidate.create()
        except OSError:
            continue
        try:
            if cgroup.cpu_usage_file.read_text().strip() == "0":
                sweep_stale(candidate.parent)
                return candidate
        except OSError:
            pass
        finally:
            cgroup.remove()
    return None


def _probe(controller: MemoryController) -> bool:
    try:
        cgroup = controller.create()
    except OSError:
        return False
    try:
        cgroup.set_limit(64)
        return cgroup.oom_kills() == 0 and (cgroup.path / "cgroup.procs").exists()
    finally:
        cgroup.remove()


@cache
def memory_controller() -> MemoryController | None:
    """The writable memory controller of this host, or None (checked once by making a cgroup)."""
    v1_path = _own_cgroup("memory")
    if v1_path is not None:
        for mount in (Path("/sys/fs/cgroup/memory"), Path("/sys/fs/cgroup/memory,cpu")):
            candidate = MemoryController(mount / v1_path.lstrip("/"), 1)
            if (mount / "memory.limit_in_bytes").exists() and _probe(candidate):
                sweep_stale(candidate.parent)
                return candidate
    v2_path = _own_cgroup("")
    if v2_path is not None:
        for mount in (Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/unified")):
            parent = mount / v2_path.lstrip("/")
            try:
                delegated = "memory" in (parent / "cgroup.subtree_control").read_text().split()
            except OSError:
                continue
            candidate = MemoryController(parent, 2)
            if delegated and _probe(candidate):
                sweep_stale(candidate.parent)
                return candidate
    return None
