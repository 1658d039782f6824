"""Per-run memory cgroups: an exact memory limit, the OOM-kill count and peak usage.

Used where the memory controller is writable by the harness: cgroup v1 (a `memory`
hierarchy, as in many containers), or cgroup v2 where the harness's own cgroup already
delegates `memory` to its children (a systemd scope with `Delegate=yes`). Anywhere else
`memory_controller()` returns None and the sandboxes fall back to an address-space rlimit,
mapping `MemoryError` / allocation failures to MLE. Which one was used is recorded.
"""

from __future__ import annotations

import itertools
import os
import signal
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_MB = 1 << 20
_counter = itertools.count()


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
        path = self.parent / f"harness-{os.getpid()}-{next(_counter)}"
        path.mkdir()
        return MemoryCgroup(path, self.version)


class MemoryCgroup:
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
                return candidate
    return None
