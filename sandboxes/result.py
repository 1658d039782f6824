"""What a sandboxed run is given (limits) and what it returns (an execution record)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass
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


@dataclass(frozen=True)
class Mechanisms:
    """How each protection works on this host (for env.json and the report's first screen).

    A host that lacks a mechanism gets the weaker one named here, never silence.
    """

    isolation: str  # "full" (bubblewrap) | "reduced" (the process sandbox)
    memory: str  # "cgroup-v1" | "cgroup-v2" (exact, OOM kills counted) | "rlimit" (address space)
    cpu: str  # "cgroup-v1" | "cgroup-v2" (every process's CPU) | "rusage" (not that of unreaped descendants)
    seccomp: str  # "on" | "off: <why>"
    userns: str  # "disabled" (bwrap --disable-userns) | "seccomp" (refused by the filter) | "allowed"

    def to_json(self) -> dict[str, str]:
        """The record as a plain dict."""
        return asdict(self)


class SandboxError(RuntimeError):
    """The sandbox itself failed (not the program): callers report an internal error, never RE."""


class Session(Protocol):
    """One program's sandbox, kept for all its runs (a compile step, then one run per test)."""

    def run(self, argv: Sequence[str], stdin: bytes, limits: Limits, files: Mapping[str, bytes] | None = None,
            *, keep: bool = False, dirs: Sequence[str] = ()) -> Execution:
        """Execute `argv` once; `files`/`dirs` exist for this run only; `keep` keeps what it writes."""
        ...

    def run_python(self, script: str, stdin: bytes, limits: Limits, files: Mapping[str, bytes] | None = None,
                   args: Sequence[str] = (), dirs: Sequence[str] = ()) -> Execution:
        """Run a Python script of the working directory as `python3 -I script args...` would."""
        ...

    def read(self, name: str, limit: int = 1 << 16) -> bytes:
        """A file the last run left in the working directory (b"" when absent; links are not followed)."""
        ...


class Sandbox(Protocol):
    """What every sandbox kind offers; kinds share the supervisor function, not a base class."""

    kind: str  # "bwrap" | "process"
    isolation: str  # "full" | "reduced"
    memory: str  # how memory is limited: "cgroup-v1" | "cgroup-v2" | "rlimit"
    mechanisms: Mechanisms  # how each protection works here (memory, cpu, seccomp, userns)
    cleanup_failures: list[str]  # session folders it could not remove (path: why); never raised
    python: str  # the Python interpreter's path as seen inside the sandbox

    def session(self, files: Mapping[str, bytes] | None = None,
                limits: Limits | None = None) -> AbstractContextManager[Session]:
        """A working directory holding `files`, and the sandbox that runs there, until the block ends.

        `limits` bound the session as a whole (its private /tmp); each run brings its own.
        """
        ...

    def run(self, argv: Sequence[str], stdin: bytes, limits: Limits, files: Mapping[str, bytes] | None = None) -> Execution:
        """Run `argv` in a fresh working directory holding `files`; data, never an exception, for misbehaviour."""
        ...
