"""The evaluation loop: sample completions per label, extract code, judge it; both journaled.

Each stage writes one JSONL line per (problem, sample) keyed by a content hash, so a rerun
does only what is missing and a changed setting never reuses a stale record.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from harness.config import RunConfig
from harness.extraction import extract_code
from harness.generation import Engine, Request, Sampling
from harness.problems import Problem
from harness.prompts import generation_messages
from harness.rundir import RunDir
from judges import JudgeSettings, judge

SCHEMA = 2


def _sha(*parts) -> str:
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
    problems: list[Problem],
    sampling: Sampling,
    model_id: str,
    progress,
    language: str = "python",
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
        jobs = []  # (label, problem, prompt hash, keys)
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
        requests = [(Request(problem.id, generation_messages(problem, language)), label if labels[label] else None)
                    for label, problem, _, _ in jobs]
        for (label, problem, prompt_hash, keys), completions in zip(jobs, engine.generate_mixed(requests, sampling),
                                                                    strict=True):
            journals[label].append_many([
                {
                    "schema": SCHEMA,
                    "key": key,
                    "label": label,
                    "problem_id": problem.id,
                    "sample": sample,
                    "prompt_hash": prompt_hash,
                    "adapter_hash": hashes[label],
                    "text": completion.text,
                    "finish_reason": completion.finish_reason,
                    "prompt_tokens": completion.prompt_tokens,
                    "completion_tokens": completion.completion_tokens,
                }
                for sample, (key, completion) in enumerate(zip(keys, completions, strict=True))
                if key not in done[label]
            ])
            progress.advance(task)


def _settings(problem: Problem, config: RunConfig, time_scale: float) -> JudgeSettings:
    return JudgeSettings(
        time_limit_s=problem.time_limit_s,
        memory_mb=problem.memory_limit_mb,
        stop_on_failure=config.eval.stop_on_failure,
        rerun_tle=config.eval.rerun_tle,
        time_scale=time_scale,
    )


def tests_digest(problem: Problem) -> str:
    """What a program is judged against: the tests, the comparison rule and the checker."""
    checker = problem.checker
    return _sha([(t.name, t.input, t.answer) for t in problem.tests], dataclasses.asdict(problem.output_rule),
                None if checker is None else (checker.contract, checker.language, [(n, c.hex()) for n, c in checker.files],
                                              checker.flags))


def result_key(record: dict, problem: Problem, config: RunConfig, time_scale: float, digests: dict) -> str:
    """A judged result's identity: the completion, the code extracted from it, the test set and the limits.

    Change any of them (a new extraction rule, a fixed test, another time limit) and the result is redone.
    """
    language = config.generation.language
    code = extract_code(record["text"], language).code
    if problem.id not in digests:
        digests[problem.id] = tests_digest(problem)
    return _sha(record["key"], language, code, digests[problem.id],
                dataclasses.asdict(_settings(problem, config, time_scale)))


def _judge_one(record: dict, key: str, problem: Problem, config: RunConfig, sandbox, time_scale: float) -> dict:
    language = config.generation.language
    extraction = extract_code(record["text"], language)
    settings = _settings(problem, config, time_scale)
    judgement = judge(extraction.code, problem.tests, problem.output_rule, settings, sandbox, language=language,
                      checker=problem.checker)
    return {
        "schema": SCHEMA,
        "key": key,
        "completion_key": record["key"],
        "label": record["label"],
        "problem_id": record["problem_id"],
        "sample": record["sample"],
        "code": extraction.code,
        "think_closed": extraction.think_closed,
        "extraction": extraction.reason or "ok",
        "finish_reason": record["finish_reason"],
        "verdict": judgement.verdict.value,
        "detail": judgement.detail,
        "language": judgement.language,
        "tle_reruns": judgement.tle_reruns,
        "tle_overturned": judgement.tle_overturned,
        "tests": [dict(dataclasses.asdict(t), verdict=t.verdict.value) for t in judgement.tests],
    }


def judge_completions(run: RunDir, label: str, problems: Mapping[str, Problem], config: RunConfig, sandbox, progress,
                      time_scale: float = 1.0) -> None:
    """Judge every completion of `label` without a result under the current code, tests and limits."""
    results = run.results(label)
    done = results.keys()
    digests: dict[str, str] = {}
    keyed = [(r, result_key(r, problems[r["problem_id"]], config, time_scale, digests))
             for r in run.completions(label) if r["problem_id"] in problems]
    pending = [(r, key) for r, key in keyed if key not in done]
    task = progress.add_task(f"judging · {label}", total=len(pending))
    with ThreadPoolExecutor(max_workers=config.eval.workers) as pool:
        futures = [pool.submit(_judge_one, r, key, problems[r["problem_id"]], config, sandbox, time_scale)
                   for r, key in pending]
        for future in as_completed(futures):
            results.append(future.result())
            progress.advance(task)


def evaluate(
    config: RunConfig,
    run: RunDir,
    engine: Engine,
    labels: Mapping[str, str | None],
    problems: list[Problem],
    sandbox,
    model_id: str,
    sampling: Sampling,
    progress,
    time_scale: float = 1.0,
) -> None:
    """Generate, then judge, every label (base and adapters) on the same problems and settings."""
    generate(engine, run, labels, problems, sampling, model_id, progress, config.generation.language,
             config.generation.chunk_problems)
    by_id = {p.id: p for p in problems}
    for label in labels:
        judge_completions(run, label, by_id, config, sandbox, progress, time_scale)
