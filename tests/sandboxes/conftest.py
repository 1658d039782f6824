"""Shared checks of the sandbox tests: nothing a sandbox of this process started may outlive it."""

import os

import pytest

from sandboxes.leases import LEASES, live_pids


def _parents() -> dict[int, int]:
    parents = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as handle:
                    parents[int(entry.name)] = int(handle.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    return parents


def stray_pids() -> list[int]:
    """Live processes of sandbox uids that this process started (it is their subreaper, so they stay below it).

    Other harness processes of the host (another test run, an evaluation, an older checkout)
    may be using sandbox uids at the same time: their processes descend from them, not us.
    """
    parents, me = _parents(), os.getpid()
    strays = []
    for uid in LEASES.uids:
        for pid in live_pids(uid):
            ancestor, seen = parents.get(pid), 0
            while ancestor not in (None, 0, 1, me) and seen < 256:
                ancestor, seen = parents.get(ancestor), seen + 1
            if ancestor == me:
                strays.append(pid)
    return strays


@pytest.fixture
def no_process_left_behind():
    """After the test, every process a sandbox of this test process started is gone (checked on the host)."""
    yield
    assert stray_pids() == []
