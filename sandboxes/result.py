"""What a sandboxed run is given (limits) and what it returns (an execution record)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


@dataclass(frozen=True)
class Limits:
    """Resource limits for one run of an untrusted program."""

    wall_time_s: float = 2.0
    cpu_time_s: float = 1.0
    memory_mb: int = 256
    stdout_bytes: int = 8 << 20
    stderr_bytes: int = 64 << 10
    file_size_mb: int = 16
    open_files: int = 64
    processes: int = 64


class LimitHit(StrEnum):
    """The limit that ended a run, when one did."""

    WALL_TIME = "wall_time"
    CPU_TIME = "cpu_time"
    MEMORY = "memory"
    OUTPUT = "output"


@dataclass(frozen=True)
class Execution:
    """Everything observed about one run: data, never an exception, when the program misbehaves."""

    exit_code: int | None
    signal: int | None
    stdout: bytes
    stderr: bytes
    stdout_truncated: bool
    stderr_truncated: bool
    wall_s: float
    cpu_s: float
    max_rss_mb: float
    limit_hit: LimitHit | None = None

    @property
    def ok(self) -> bool:
        """True when the program exited by itself with status 0 and no limit fired."""
        return self.limit_hit is None and self.exit_code == 0

    def stderr_tail(self, lines: int = 5, chars: int = 600) -> str:
        """The last few lines of stderr, decoded leniently: enough to show a traceback's cause."""
        text = self.stderr.decode("utf-8", errors="replace").rstrip()
        return "\n".join(text.splitlines()[-lines:])[-chars:]


class SandboxError(RuntimeError):
    """The sandbox itself failed (not the program): callers report an internal error, never RE."""


class Sandbox(Protocol):
    """What every sandbox kind offers; kinds share the supervisor function, not a base class."""

    kind: str  # "bwrap" | "process"
    isolation: str  # "full" | "reduced"
    python: str  # the Python interpreter's path as seen inside the sandbox

    def run(self, argv: Sequence[str], stdin: bytes, limits: Limits, files: Mapping[str, bytes] | None = None) -> Execution:
        """Run `argv` in a fresh working directory holding `files`; data, never an exception, for misbehaviour."""
        ...
