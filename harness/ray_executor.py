"""Judging on a Ray cluster: each program a Ray task, judged by `judges.judge` in a sandbox of the node that runs it.

- Tests travel by reference, once per problem: the driver reads a problem's tests (as the
  local executor does) and puts them, with its comparison rule, checker and call, into Ray's
  object store once (`ray.put`); every task of that problem gets the reference, so a node
  fetches them at most once while the problem is being judged, and no test is copied into a
  task. This needs no shared filesystem (inline test sets, such as the bundled problems',
  have no file to share anyway), and the reference is dropped after the problem's last
  result, so the store holds only the problems in flight.
- Results stream back as they finish (`ray.wait`) and are journaled by the driver alone, in
  the same order-independent, content-keyed way as the local executor: a killed run resumes
  with either executor and judges only what is missing.
- Retries: a task whose worker or node dies is run again by Ray (`max_retries`); its
  reference resolves once, and only a resolved reference is journaled, so a retried program
  is in the journal exactly once. Exceptions of our own code are not retried.
- Isolation: a worker builds its sandbox itself (`make_sandbox(eval.sandbox)`, once per
  worker process), so `auto` and `bwrap` fail closed on the node: a node that cannot give
  bubblewrap isolation refuses its tasks and the run stops with a one-line error naming the
  node; it never judges with less isolation.
- Parallelism: at most `eval.workers` programs run at once (one CPU each), cluster-wide; as
  many more wait queued on the cluster only when its CPUs are no more than `eval.workers`.

Every node needs the harness installed (the same version) and bubblewrap; time limits use
the driver's calibration (`eval.calibrate_time_limits`), so nodes should be alike in speed.
"""

from __future__ import annotations

import os
import socket
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import ray
from ray.exceptions import RayError, RayTaskError

from harness.errors import HarnessError
from harness.executors import Program
from judges import Checker, FunctionCall, Judgement, JudgeSettings, Language, OutputRule, TestCase, judge
from sandboxes import Sandbox, SandboxError, make_sandbox

_RETRIES = 3  # runs of a task whose worker or node died, after the first
_CONNECT_TIMEOUT_S = 10.0


class NodeRefused(HarnessError):
    """A node of the cluster cannot build the sandbox asked for: the run stops rather than judge with less isolation."""


@dataclass(frozen=True)
class _Shared:
    """What every program of one problem is judged against; in the object store once per problem."""

    tests: tuple[TestCase, ...]
    rule: OutputRule
    checker: Checker | None
    call: FunctionCall | None


@dataclass(frozen=True)
class _Refused:
    """A task's answer when its node cannot sandbox: where, and the sandbox's own one-line reason."""

    node: str
    reason: str


_SANDBOXES: dict[str, Sandbox | _Refused] = {}  # per worker process: the sandbox (or refusal) of each kind


def _node() -> str:
    context = ray.get_runtime_context()
    return f"{ray.util.get_node_ip_address()} ({socket.gethostname()}, node {context.get_node_id()[:8]})"


def _worker_sandbox(kind: str) -> Sandbox | _Refused:
    """This worker's sandbox, built here on first use; `auto` and `bwrap` fail closed on a node without bubblewrap."""
    if kind not in _SANDBOXES:
        try:
            _SANDBOXES[kind] = make_sandbox(kind)
        except SandboxError as exc:
            _SANDBOXES[kind] = _Refused(_node(), str(exc))
    return _SANDBOXES[kind]


@ray.remote(num_cpus=1, max_retries=_RETRIES, retry_exceptions=False)
def _judge_task(shared: _Shared, code: str, settings: JudgeSettings, sandbox: str,
                language: Language) -> Judgement | _Refused:
    """Runs on a worker: one program against its problem's tests (resolved from the object store by Ray)."""
    built = _worker_sandbox(sandbox)
    if isinstance(built, _Refused):
        return built
    return judge(code, shared.tests, shared.rule, settings, built, language=language, checker=shared.checker,
                 call=shared.call)


class RayExecutor:
    """Judges programs as Ray tasks on the connected cluster, at most `workers` running at a time."""

    def __init__(self, sandbox: str, language: Language, workers: int) -> None:
        self.sandbox, self.language, self.workers = sandbox, language, workers

    def judge(self, programs: Sequence[Program]) -> Iterator[tuple[int, Judgement]]:
        """Submit the programs in order, a bounded window in flight; yield (index, judgement) as each task finishes."""
        cpus = int(ray.cluster_resources().get("CPU", 0))
        if programs and cpus < 1:
            raise HarnessError("eval.executor ray: the cluster has no CPU to judge on (start a node with --num-cpus)")
        # A program waiting queued on the cluster starts when a CPU frees, without a round trip to the driver (a
        # task sent to an idle remote node costs a lease request, tens of ms on a busy host). Queue only where the
        # cluster's CPUs already cap the parallelism at eval.workers or fewer.
        window = self.workers if cpus > self.workers else 2 * self.workers
        left = Counter(program.problem.id for program in programs)
        shared: dict[str, Any] = {}  # problem id -> object reference of its _Shared, while jobs of it are left
        waiting: dict[Any, int] = {}  # task reference -> index of its program
        upcoming = iter(enumerate(programs))
        try:
            while True:
                self._fill(upcoming, waiting, shared, window)
                if not waiting:
                    return
                (ready,), _ = ray.wait(list(waiting), num_returns=1)
                index = waiting.pop(ready)
                self._fill(upcoming, waiting, shared, window)  # the next task starts before this result is journaled
                judgement = self._outcome(ready)
                problem_id = programs[index].problem.id
                left[problem_id] -= 1
                if not left[problem_id]:
                    del shared[problem_id]  # the store frees the tests once no task holds them
                yield index, judgement
        finally:
            for ref in waiting:  # a refusal, an error or an interrupted run: nothing more is judged
                ray.cancel(ref)

    def _fill(self, upcoming: Iterator[tuple[int, Program]], waiting: dict[Any, int], shared: dict[str, Any],
              window: int) -> None:
        while len(waiting) < window and (item := next(upcoming, None)) is not None:
            index, program = item
            problem = program.problem
            if problem.id not in shared:
                shared[problem.id] = ray.put(_Shared(problem.tests, problem.output_rule, problem.checker, problem.call))
            ref = _judge_task.remote(shared[problem.id], program.code, program.settings, self.sandbox, self.language)
            waiting[ref] = index

    def _outcome(self, ref: Any) -> Judgement:
        try:
            outcome = ray.get(ref)
        except RayTaskError:
            raise  # our own code failed on the worker: its traceback says where
        except RayError as exc:  # retries spent: the worker or node kept dying, or the cluster went away
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise HarnessError(f"eval.executor ray: a judging task failed after {_RETRIES} retries: {first}") from None
        if isinstance(outcome, _Refused):
            raise NodeRefused(f"eval.executor ray: node {outcome.node} refuses to judge: eval.sandbox "
                              f"{self.sandbox}: {outcome.reason}")
        return outcome


def _check_reachable(address: str) -> None:
    """A HOST:PORT that nothing answers on is one line now, not Ray's minutes of retries."""
    host, colon, port = address.rpartition(":")
    if not colon or not port.isdigit() or "://" in address:
        return  # '', 'auto' or a ray:// client address: ray.init says what is wrong
    try:
        socket.create_connection((host, int(port)), timeout=_CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise HarnessError(f"eval.ray_address '{address}': no Ray head answers there ({exc}); start one with "
                           f"`ray start --head --port {port}` or fix the address") from None


@contextmanager
def connect(address: str, sandbox: str, language: Language, workers: int) -> Iterator[RayExecutor]:
    """A `RayExecutor` on the cluster at `address` ('' starts a local Ray of `workers` CPUs unless $RAY_ADDRESS is set).

    A Ray this process had already joined is used as it is and left connected.
    """
    joined = not ray.is_initialized()
    if joined:
        _check_reachable(address or os.environ.get("RAY_ADDRESS", ""))
        try:
            if address or os.environ.get("RAY_ADDRESS"):
                ray.init(address=address or None)
            else:
                ray.init(num_cpus=workers, include_dashboard=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise HarnessError(f"eval.ray_address '{address}': cannot join a Ray cluster: {first}") from None
    try:
        yield RayExecutor(sandbox, language, workers)
    finally:
        if joined:
            ray.shutdown()
