"""Where judging jobs run: threads of this process (`local`) or tasks on a Ray cluster (`ray`).

A judging job is one program against one problem's tests. `judge_completions` hands an
executor the jobs grouped by problem and journals each judgement as it comes back, in
whatever order the jobs finish: the journal is keyed by content, so order never matters and
an interrupted run resumes with either executor. The executor decides only where the jobs
run; both call the same `judges.judge` in the same kind of sandbox. Ray is imported only
when `eval.executor` is `ray` (`harness/ray_executor.py`).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from harness.errors import ConfigError
from judges import Judgement, JudgeSettings, Language, TestCase, judge
from sandboxes import Sandbox

if TYPE_CHECKING:
    from harness.config import EvalConfig
    from harness.problems import Problem


class ExecutorKind(StrEnum):
    """Where judging runs (config `eval.executor`)."""

    LOCAL = "local"  # a thread pool of `eval.workers` in this process
    RAY = "ray"  # a Ray task per program, on whichever node of the cluster picks it up


@dataclass(frozen=True)
class Program:
    """One judging job: code to judge (never empty) and the problem whose tests, rule and limits apply."""

    code: str
    problem: Problem
    settings: JudgeSettings


class Executor(Protocol):
    """Judges programs somewhere; all `judge_completions` calls."""

    def judge(self, programs: Sequence[Program]) -> Iterator[tuple[int, Judgement]]:
        """Judge every program; yield each one's index in `programs` and its judgement as it finishes."""
        ...


class _LoadedTests:
    """Tests of the problems being judged, read from disk once per problem and dropped after its last job.

    Jobs are submitted grouped by problem, so a handful of problems' tests are in memory at a time.
    """

    def __init__(self, jobs_per_problem: Mapping[str, int]) -> None:
        self._left = dict(jobs_per_problem)
        self._tests: dict[str, Sequence[TestCase]] = {}
        self._lock = threading.Lock()
        self._loading: dict[str, threading.Lock] = {}

    def acquire(self, problem: Problem) -> Sequence[TestCase]:
        with self._lock:
            loading = self._loading.setdefault(problem.id, threading.Lock())
        with loading:  # one read per problem, even when several workers start on it at once
            if problem.id not in self._tests:
                self._tests[problem.id] = problem.tests
            return self._tests[problem.id]

    def release(self, problem: Problem) -> None:
        with self._lock:
            self._left[problem.id] -= 1
            if self._left[problem.id] == 0:
                self._tests.pop(problem.id, None)
                self._loading.pop(problem.id, None)


class LocalExecutor:
    """`workers` threads of this process, each judging one program at a time in `sandbox`."""

    def __init__(self, sandbox: Sandbox, language: Language, workers: int) -> None:
        self.sandbox, self.language, self.workers = sandbox, language, workers

    def judge(self, programs: Sequence[Program]) -> Iterator[tuple[int, Judgement]]:
        """Judge every program on the thread pool; yield (index, judgement) as each finishes."""
        loaded = _LoadedTests(Counter(program.problem.id for program in programs))
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            futures = {pool.submit(self._one, program, loaded): index for index, program in enumerate(programs)}
            for future in as_completed(futures):
                yield futures[future], future.result()

    def _one(self, program: Program, loaded: _LoadedTests) -> Judgement:
        problem = program.problem
        try:
            tests = loaded.acquire(problem)
            return judge(program.code, tests, problem.output_rule, program.settings, self.sandbox,
                         language=self.language, checker=problem.checker, call=problem.call)
        finally:
            loaded.release(problem)


@contextmanager
def open_executor(config: EvalConfig, sandbox: Sandbox, language: Language) -> Iterator[Executor]:
    """The executor `config.executor` names, connected (Ray) and closed again after the block.

    `sandbox` is this process's: the local executor judges in it; Ray's workers build their own
    of kind `config.sandbox` on their nodes.
    """
    if config.executor == ExecutorKind.RAY:
        try:
            from harness.ray_executor import connect
        except ImportError as exc:
            raise ConfigError(f"eval.executor: ray needs Ray ({exc}); fix: pip install -e '.[ray]'") from None
        with connect(config.ray_address, config.sandbox, language, config.workers) as executor:
            yield executor
    else:
        yield LocalExecutor(sandbox, language, config.workers)
