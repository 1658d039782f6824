"""Several OpenAI-compatible servers behind the endpoint engine: which one takes a request, retries, rotation.

A request goes to the server in rotation with the fewest requests in flight (at most
`concurrency` on each; ties go round the list), so a fast server takes more of the work and a
slow one no more than its share. A failure that is the server's (no connection, a timeout,
HTTP 408/409/429/5xx: what the `openai` client itself retries) puts the request back, to be
sent after the client's backoff to a server that has not failed it yet where there is one. A
server whose last `max_failures` attempts all failed leaves the rotation for the rest of the
run; when none is left the run stops with one line. An error that is the request's (HTTP 400,
404...) is raised at once: another server would refuse it too.

Nothing here knows HTTP: the engine passes the call to make and the rule that tells a
server's failure from the request's, so this module is tested without a model.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from harness.errors import HarnessError

T = TypeVar("T")

# The `openai` client's own schedule: 0.5 s doubling up to 8 s, less up to 25 % jitter.
INITIAL_RETRY_DELAY_S = 0.5
MAX_RETRY_DELAY_S = 8.0


def backoff_s(retry: int) -> float:
    """Seconds to wait before retry number `retry` (0 for the first retry)."""
    return min(INITIAL_RETRY_DELAY_S * 2.0**retry, MAX_RETRY_DELAY_S) * (1 - 0.25 * random.random())


def one_line(exc: BaseException) -> str:
    """`APIConnectionError: Connection error.`: an exception as a short line."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:200]}" if text else type(exc).__name__


@dataclass
class Server:
    """One server of the fleet and what it has done so far."""

    url: str
    client: Any  # what the engine's call uses to reach it (an `openai.OpenAI`)
    in_flight: int = 0
    answered: int = 0  # requests it completed
    failed: int = 0  # attempts that failed there (each retried elsewhere, or the run stopped)
    failing: int = 0  # consecutive failures, back to 0 at each answer
    left_rotation: str = ""  # why it was taken out; empty while in rotation

    def record(self) -> dict[str, Any]:
        """What env.json keeps about it."""
        record: dict[str, Any] = {"url": self.url, "answered": self.answered, "failed": self.failed,
                                  "in_rotation": not self.left_rotation}
        if self.left_rotation:
            record["left_rotation"] = self.left_rotation
        return record


class Fleet:
    """Spreads calls over servers, retries a server's failures on the others, drops a server that keeps failing."""

    def __init__(self, servers: Sequence[Server], concurrency: int, retries: int,
                 is_server_failure: Callable[[BaseException], bool], max_failures: int | None = None):
        if not servers:
            raise ValueError("a fleet needs at least one server")
        self.servers = list(servers)
        self.concurrency = concurrency
        self.retries = retries
        self.is_server_failure = is_server_failure
        # One request that exhausts its attempts on a lone server takes it out, as a single URL always failed.
        self.max_failures = max_failures if max_failures is not None else retries + 1
        self._turn = 0  # round-robin among equally loaded servers
        self._lock = threading.Condition()

    @property
    def workers(self) -> int:
        """Threads that keep every server at its concurrency."""
        return self.concurrency * len(self.servers)

    def records(self) -> list[dict[str, Any]]:
        """Every server's record, in the configured order."""
        with self._lock:
            return [server.record() for server in self.servers]

    def call(self, send: Callable[[Server], T]) -> T:
        """`send(server)` on a chosen server; a server's failure is retried (after backoff) on the others."""
        tried: set[str] = set()
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(backoff_s(attempt - 1))
            server = self._acquire(tried)
            try:
                result = send(server)
            except Exception as exc:  # noqa: BLE001 - sorted into the server's failures and the request's errors
                if not self.is_server_failure(exc):
                    self._release(server, None)
                    raise HarnessError(f"endpoint {server.url}: {one_line(exc)}") from None
                self._release(server, exc)
                tried.add(server.url)
                if attempt == self.retries:
                    raise HarnessError(f"endpoint {server.url}: {one_line(exc)} (attempt {attempt + 1} of "
                                       f"{self.retries + 1}; generation.endpoint_timeout_s bounds each)") from None
                continue
            self._release(server, None, answered=True)
            return result
        raise AssertionError("unreachable")  # the loop returns or raises

    def _acquire(self, tried: set[str]) -> Server:
        """The least loaded server in rotation, preferring those this request has not failed on; waits for a slot."""
        with self._lock:
            while True:
                live = [s for s in self.servers if not s.left_rotation]
                if not live:
                    reasons = "; ".join(f"{s.url} ({s.left_rotation})" for s in self.servers)
                    raise HarnessError(f"endpoint: no server left in rotation: {reasons}")
                fresh = [s for s in live if s.url not in tried] or live
                free = [s for s in fresh if s.in_flight < self.concurrency]
                if free:
                    order = {s.url: (i - self._turn) % len(self.servers) for i, s in enumerate(self.servers)}
                    server = min(free, key=lambda s: (s.in_flight, order[s.url]))
                    self._turn = (self.servers.index(server) + 1) % len(self.servers)
                    server.in_flight += 1
                    return server
                self._lock.wait()

    def _release(self, server: Server, failure: BaseException | None, answered: bool = False) -> None:
        with self._lock:
            server.in_flight -= 1
            if answered:
                server.answered += 1
                server.failing = 0
            elif failure is not None:
                server.failed += 1
                server.failing += 1
                if server.failing >= self.max_failures and not server.left_rotation:
                    server.left_rotation = f"{server.failing} failures in a row, the last {one_line(failure)}"
            self._lock.notify_all()
