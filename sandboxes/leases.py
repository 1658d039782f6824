"""Host-wide leases of the sandbox uids, so that harness processes on one host never share a uid.

Each concurrent sandbox runs as a uid of its own (62000-62063): that is what makes the
per-uid process limit real and confines `kill(-1)` to one sandbox. Ending a sandbox kills
every process of its uid, so two holders of one uid would kill each other's programs. A
lease is an exclusive `flock` on one lock file per uid in a root-owned directory
(/run/harness-sandbox), as ioi/isolate locks its boxes: the kernel drops the lock when
its holder dies, however it dies, so a crashed harness never strands a uid. Threads of
one process also keep a set of the uids they hold, so they do not even try each other's.
Before a uid is handed out, whatever a crashed previous holder left running as it is
killed; when it is given back, everything of it is killed again and its zombies reaped.
Only root leases uids; a non-root harness runs every sandbox as itself.
"""

from __future__ import annotations

import fcntl
import os
import random
import signal
import stat
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from sandboxes.result import SandboxError

# Not the 61000-61063 of the earlier in-process pool: a harness still running that code takes
# no locks, and the two must not kill each other's programs while checkouts are updated.
UID_BASE = 62000
UID_POOL = 64
LEASE_DIR = Path("/run/harness-sandbox")
_WAIT_S = 0.02  # between tries when every uid is held (another process's release wakes no one here)
_PATIENCE_S = 600.0


def _safe_directory(path: Path) -> bool:
    """True when `path` is (made) a real directory owned by us that nobody else may write to."""
    try:
        path.mkdir(mode=0o755, exist_ok=True)
        info = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid() and not info.st_mode & 0o022


def lease_directory() -> Path:
    """Where the lock files live: /run/harness-sandbox, else a private folder in the temp dir.

    Both are checked to be ours and writable by nobody else: a sandbox uid able to plant a
    lock file could hold a uid forever or point our open at something else.
    """
    for candidate in (LEASE_DIR, Path(tempfile.gettempdir()) / f"harness-sandbox-{os.geteuid()}"):
        if _safe_directory(candidate):
            return candidate
    raise SandboxError(f"no safe directory for uid leases: make {LEASE_DIR} a root-owned folder (mode 0755)")


class UidLeases:
    """Hands out one uid per concurrent sandbox, exclusive across every process of the host."""

    def __init__(self, base: int = UID_BASE, size: int = UID_POOL) -> None:
        self.uids = range(base, base + size)
        self._held: dict[int, int] = {}  # uid -> the fd holding its lock
        self._changed = threading.Condition()
        self._directory: Path | None = None

    @contextmanager
    def lease(self):
        """A uid that no other sandbox on this host uses until the block ends (the harness's own when not root)."""
        if os.geteuid() != 0:
            yield os.geteuid()
            return
        uid = self._acquire()
        try:
            _clear_uid(uid)  # left by a previous holder that crashed
            yield uid
        finally:
            try:
                _clear_uid(uid)  # anything that escaped the namespace's teardown dies here
            finally:
                self._release(uid)

    def held(self) -> frozenset[int]:
        """The uids this process holds now."""
        with self._changed:
            return frozenset(self._held)

    def leased_anywhere(self, uid: int) -> bool:
        """True when some process of this host (this one included) holds `uid` now."""
        with self._changed:
            if uid in self._held:
                return True
            fd = self._try_lock(uid)
        if fd is None:
            return True
        _unlock(fd)
        return False

    def _acquire(self) -> int:
        deadline = time.monotonic() + _PATIENCE_S
        order = list(self.uids)
        start = random.randrange(len(order))  # processes starting together spread over the pool
        order = order[start:] + order[:start]
        with self._changed:
            while time.monotonic() < deadline:
                for uid in order:
                    if uid not in self._held and (fd := self._try_lock(uid)) is not None:
                        self._held[uid] = fd
                        return uid
                self._changed.wait(_WAIT_S)
        raise SandboxError(f"no sandbox uid free in {_PATIENCE_S:.0f} s (all of {self.uids} leased)")

    def _try_lock(self, uid: int) -> int | None:
        if self._directory is None:
            self._directory = lease_directory()
        path = self._directory / f"uid-{uid}.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)  # who holds it, for a person looking
        return fd

    def _release(self, uid: int) -> None:
        with self._changed:
            _unlock(self._held.pop(uid))
            self._changed.notify()


def _clear_uid(uid: int) -> None:
    """Kill and reap every process of `uid`; a host that will not let us is a sandbox failure."""
    try:
        kill_uid(uid)
        reap_zombies(uid)
    except OSError as exc:
        raise SandboxError(f"cannot clear the processes of sandbox uid {uid}: {exc}") from exc


def _unlock(fd: int) -> None:
    # LOCK_UN first: a child forked meanwhile shares the open file and would keep the lock alive.
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


def _processes(uid: int):
    """(pid, state, parent pid) of every process of `uid`, read from /proc; gone ones are skipped."""
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid != uid:
                continue
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
            yield int(entry.name), fields[0], int(fields[1])
        except (OSError, IndexError, ValueError):
            continue  # it exited meanwhile


def live_pids(uid: int) -> list[int]:
    """Processes of `uid` that are not zombies (zombies hold nothing and are reaped by their parents)."""
    return [pid for pid, state, _ in _processes(uid) if state != b"Z"]


def reap_zombies(uid: int) -> None:
    """Reap the run's processes that were reparented to us (we are a subreaper) when its namespace died."""
    me = os.getpid()
    for pid, state, parent in _processes(uid):
        if state == b"Z" and parent == me:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass


def _signal_all_as(uid: int) -> None:
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        try:
            os.setresuid(uid, uid, uid)
            os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def kill_uid(uid: int, patience_s: float = 5.0) -> None:
    """Kill every process of `uid` (leased: it runs nothing else) and wait until none is left.

    The uid goes back only when empty, so a dying namespace never counts against the next
    holder's process limit.
    """
    deadline = time.monotonic() + patience_s
    while live_pids(uid) and time.monotonic() < deadline:
        _signal_all_as(uid)
        time.sleep(0.002)


LEASES = UidLeases()  # one per process: every BwrapSandbox of it shares the pool
