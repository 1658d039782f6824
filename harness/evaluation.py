"""The evaluation loop: sample completions per label, extract code, judge it; both journaled.

Each stage writes one JSONL line per (problem, sample) keyed by a content hash, so a rerun
does only what is missing and a changed setting never reuses a stale record.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.config import EvalConfig
from harness.executors import Program, open_executor
from harness.extraction import Extraction, extract_code
from harness.generation import Engine, Job, Request, Sampling
from harness.problems import Problem
from harness.progress import Progress
from harness.prompts import generation_messages
from harness.rundir import RunDir
from judges import Judgement, JudgeSettings, Language, judge
from judges.calls import assemble
from reports.records import CompletionRecord, ResultRecord
from sandboxes import Sandbox


@dataclass(frozen=True)
class Judging:
    """What judging needs, and nothing more: the eval section, the language, the sandbox, the time scale."""

    eval: EvalConfig
    language: Language
    sandbox: Sandbox
    time_scale: float = 1.0


def _sha(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def file_digest(path: str | None) -> str:
    """Content hash of an adapter's weights (what makes two adapters the same), or 'base'."""
    if path is None:
        return "base"
    weights = Path(path) / "adapter_model.safetensors"
    return hashlib.sha256(weights.read_bytes()).hexdigest()[:16] if weights.exists() else _sha(str(path))


def generate(
    engine: Engine,
    run: RunDir,
    labels: Mapping[str, str | None],
    problems: Sequence[Problem],
    sampling: Sampling,
    model_id: str,
    progress: Progress,
    language: Language = Language.PYTHON,
    chunk: int = 16,
) -> None:
    """Append completions for every (label, problem, sample) not yet journaled.

    Problems go to the engine a chunk at a time with every label's requests mixed in one
    batch (one vLLM engine serves the base and all adapters), and each chunk is journaled
    as soon as it returns, so a crash loses at most one chunk.
    """
    journals = {label: run.completions(label) for label in labels}
    done = {label: journal.keys() for label, journal in journals.items()}
    hashes = {label: file_digest(path) for label, path in labels.items()}
    task = progress.add_task("generating · " + ", ".join(labels), total=len(problems) * len(labels))
    for start in range(0, len(problems), chunk):
        jobs: list[tuple[str, Problem, str, list[str]]] = []
        for problem in problems[start : start + chunk]:
            prompt_hash = _sha(engine.render(generation_messages(problem, language)))
            for label in labels:
                keys = [_sha(model_id, hashes[label], prompt_hash, dataclasses.asdict(sampling), sample)
                        for sample in range(sampling.n)]
                if all(key in done[label] for key in keys):
                    progress.advance(task)
                else:
                    jobs.append((label, problem, prompt_hash, keys))
        if not jobs:
            continue
        requests: list[Job] = [(Request(problem.id, generation_messages(problem, language)),
                                label if labels[label] else None) for label, problem, _, _ in jobs]
        for (label, problem, prompt_hash, keys), completions in zip(jobs, engine.generate_mixed(requests, sampling),
                                                                    strict=True):
            journals[label].append_many([
                CompletionRecord(key=key, label=label, problem_id=problem.id, sample=sample, text=completion.text,
                                 prompt_hash=prompt_hash, adapter_hash=hashes[label],
                                 finish_reason=completion.finish_reason, prompt_tokens=completion.prompt_tokens,
                                 completion_tokens=completion.completion_tokens)
                for sample, (key, completion) in enumerate(zip(keys, completions, strict=True))
                if key not in done[label]
            ])
            progress.advance(task)


def _settings(problem: Problem, judging: Judging) -> JudgeSettings:
    return JudgeSettings(
        time_limit_s=problem.time_limit_s,
        memory_mb=problem.memory_limit_mb,
        stop_on_failure=judging.eval.stop_on_failure,
        rerun_tle=judging.eval.rerun_tle,
        time_scale=judging.time_scale,
    )


def tests_digest(problem: Problem) -> str:
    """What a program is judged against: the tests, the comparison rule, the checker and the call (no test is read)."""
    checker, call = problem.checker, problem.call
    return _sha([(e.name, e.input, e.output) for e in problem.examples], problem.hidden_tests.digest,
                dataclasses.asdict(problem.output_rule),
                None if checker is None else (checker.contract, checker.language, [(n, c.hex()) for n, c in checker.files],
                                              checker.flags),
                *(() if call is None else ((call.kind, call.name, problem.starter_code),)))


def extract_program(text: str, problem: Problem, language: Language) -> Extraction:
    """The program judged for a completion: its code block, completed from the starter code for a function-call problem."""
    extraction = extract_code(text, language)
    if problem.call is None or extraction.code is None:
        return extraction
    return dataclasses.replace(extraction, code=assemble(extraction.code, problem.starter_code, problem.call))


def result_key(record: CompletionRecord, problem: Problem, judging: Judging, digests: dict[str, str]) -> str:
    """A judged result's identity: the completion, the code extracted from it, the test set and the limits.

    Change any of them (a new extraction rule, a fixed test, another time limit) and the result is redone.
    """
    return _result_key(record.key, extract_program(record.text, problem, judging.language).code, problem, judging,
                       digests)


def _result_key(completion_key: str, code: str | None, problem: Problem, judging: Judging,
                digests: dict[str, str]) -> str:
    if problem.id not in digests:
        digests[problem.id] = tests_digest(problem)
    return _sha(completion_key, judging.language, code, digests[problem.id],
                dataclasses.asdict(_settings(problem, judging)))


@dataclass(frozen=True)
class _Job:
    """One completion to judge, without its text: the raw completions of a whole run would not fit in memory."""

    completion: CompletionRecord  # `text` emptied; the journal keeps it
    key: str
    extraction: Extraction


def _record(job: _Job, judgement: Judgement) -> ResultRecord:
    record, extraction = job.completion, job.extraction
    return ResultRecord(
        key=job.key, completion_key=record.key, label=record.label, problem_id=record.problem_id, sample=record.sample,
        verdict=judgement.verdict, code=extraction.code, think_closed=extraction.think_closed,
        extraction=extraction.reason or "ok", finish_reason=record.finish_reason, detail=judgement.detail,
        language=judgement.language, tle_reruns=judgement.tle_reruns, tle_overturned=judgement.tle_overturned,
        sandbox_retries=judgement.sandbox_retries, tests=judgement.tests,
    )


def _pending(run: RunDir, labels: Iterable[str], problems: Mapping[str, Problem], judging: Judging) -> list[_Job]:
    """Completions without a result under the current code, tests and limits, grouped by problem.

    The journal is streamed and only each pending completion's extracted code is kept.
    """
    digests: dict[str, str] = {}
    pending: list[_Job] = []
    for label in labels:
        done = run.results(label).keys()
        for record in run.completions(label).records(CompletionRecord):
            if record.problem_id in problems:
                problem = problems[record.problem_id]
                extraction = extract_program(record.text, problem, judging.language)
                key = _result_key(record.key, extraction.code, problem, judging, digests)
                if key not in done:
                    pending.append(_Job(dataclasses.replace(record, text=""), key, extraction))
    order = {pid: i for i, pid in enumerate(problems)}
    return sorted(pending, key=lambda job: (order[job.completion.problem_id], job.completion.label, job.completion.sample))


def judge_completions(run: RunDir, labels: Iterable[str], problems: Mapping[str, Problem], judging: Judging,
                      progress: Progress) -> None:
    """Judge every completion of `labels` without a result under the current code, tests and limits.

    Programs go to the executor `eval.executor` names (threads here, or a Ray cluster) problem by
    problem (every label's samples of a problem together), so each problem's tests are read once
    and freed after its last sample; each result is journaled here, by this process alone, as it
    comes back. A completion without code needs no sandbox and no tests: it is judged here.
    """
    labels = list(labels)
    pending = _pending(run, labels, problems, judging)
    task = progress.add_task("judging · " + ", ".join(labels), total=len(pending))

    def journal(job: _Job, judgement: Judgement) -> None:
        run.results(job.completion.label).append(_record(job, judgement))
        progress.advance(task)

    runnable: list[tuple[_Job, Program]] = []
    for job in pending:
        problem = problems[job.completion.problem_id]
        settings = _settings(problem, judging)
        if job.extraction.code:
            runnable.append((job, Program(job.extraction.code, problem, settings)))
        else:
            journal(job, judge(None, (), problem.output_rule, settings, judging.sandbox, language=judging.language))
    if not runnable:
        return
    with open_executor(judging.eval, judging.sandbox, judging.language) as executor:
        for index, judgement in executor.judge([program for _, program in runnable]):
            journal(runnable[index][0], judgement)
