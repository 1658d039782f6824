"""The pipeline's named steps, each over one typed `RunContext` and reading only its own config section.

`harness.pipeline.run_pipeline` calls them in order; nothing else here decides what runs.
The context starts with what the command asked for (`Plan`) and gains each step's product:
the sandbox and its time scale, the problems, the labels to evaluate, the engine's record.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.config import EvalConfig, RunConfig
from harness.errors import ConfigError
from harness.evaluation import Judging, generate, judge_completions
from harness.generation import Engine, EngineFactory, sampling_from
from harness.problems import Problem
from harness.progress import Progress
from harness.rundir import RunDir
from harness.selection import prepare_split, write_problem_index
from reports.records import ResultRecord, latest_results
from sandboxes import Sandbox


@dataclass(frozen=True)
class Plan:
    """What the command asked for."""

    train: bool = False
    eval: bool = False
    adapters: Mapping[str, str] = field(default_factory=dict)  # label -> PEFT directory, given on the command line
    include_base: bool = True
    completions: Path | None = None  # `harness eval --completions FILE`: judge these instead of generating
    resume: bool = False
    overwrite: bool = False
    quiet: bool = False
    verbose: bool = False  # other libraries' warnings, logs and bars on the console instead of RUN/logs/<command>.log
    command: str = "run"  # the subcommand: names that log file


@dataclass
class RunContext:
    """One run in progress: its directory and config, and what each step has produced so far."""

    run: RunDir
    config: RunConfig
    plan: Plan
    progress: Progress
    sandbox: Sandbox
    time_scale: float
    model_path: str = ""  # the resolved model: a rebuilt builtin model must not reuse old completions
    train_problems: list[Problem] = field(default_factory=list)
    replay_problems: list[Problem] = field(default_factory=list)  # data.replay_problems: trained on with the base's answers
    problems: list[Problem] = field(default_factory=list)  # evaluated, in order
    labels: dict[str, str | None] = field(default_factory=dict)  # label -> adapter directory (None: no weights)
    engine_record: dict[str, Any] = field(default_factory=dict)  # env.json's engine fields

    @property
    def judging(self) -> Judging:
        """What judging takes from the run."""
        return Judging(self.config.eval, self.config.generation.language, self.sandbox, self.time_scale)


def time_scale_for(run: RunDir, sandbox: Sandbox, calibrate: bool) -> float:
    """The one time-scale rule: a resumed run keeps the scale it recorded, else measure (or 1.0 uncalibrated)."""
    from judges.calibration import time_scale

    recorded = (run.read_json(run.env) or {}).get("sandbox", {}).get("time_scale")
    if recorded is not None:
        return float(recorded)
    return time_scale(sandbox) if calibrate else 1.0


def setup(run: RunDir, config: RunConfig, plan: Plan, progress: Progress) -> RunContext:
    """The sandbox (it fails closed, before any work) and the limits it judges under; the model, when one runs."""
    from harness.models import resolve_model
    from sandboxes import SandboxError, make_sandbox

    try:
        sandbox = make_sandbox(config.eval.sandbox)
    except SandboxError as exc:
        raise ConfigError(f"eval.sandbox: {exc}") from None
    scale = time_scale_for(run, sandbox, config.eval.calibrate_time_limits)
    model_path = "" if plan.completions else resolve_model(config.model.name_or_path)
    return RunContext(run, config, plan, progress, sandbox, scale, model_path)


def select_problems(ctx: RunContext) -> None:
    """split.json, and the problems to evaluate (eval/problems.json) with their labels: base first, then adapters."""
    selection = prepare_split(ctx.run, ctx.config.data, ctx.config.eval.seen_problems)
    ctx.train_problems = selection.train
    ctx.replay_problems = selection.replay
    if ctx.plan.eval:
        ctx.problems = selection.evaluated(ctx.config.eval.max_problems)
        write_problem_index(ctx.run, ctx.problems, set(selection.split.held_out))
    ctx.labels = {"base": None} if ctx.plan.include_base else {}
    ctx.labels.update(ctx.plan.adapters)


def import_completions(ctx: RunContext) -> None:
    """`--completions FILE`: the file's problems (each must be in data.source) and labels, journaled as completions."""
    from harness import imported
    from harness.problems import load_source
    from harness.problems.split import Split

    path = ctx.plan.completions
    assert path is not None
    d = ctx.config.data
    known = {p.id: p for p in load_source(d.source, d.codeforces_tests_dir).problems}
    contents = imported.check_completions(path, known)  # every line checked before anything is written
    chosen = contents.problems
    split = Split(train=(), held_out=tuple(chosen), seed=d.split_seed, method="completions file",
                  extra={"completions": str(path)})
    ctx.run.write_json(ctx.run.split, split.to_json())
    ctx.problems = [known[pid] for pid in chosen]
    write_problem_index(ctx.run, ctx.problems, set(chosen))
    imported.import_completions(ctx.run, path, known, contents)
    ctx.labels = dict.fromkeys(contents.labels)
    ctx.engine_record = {"engine": f"completions file {path}"}


def train(ctx: RunContext) -> None:
    """Fine-tune when asked; a run that trained before evaluates its adapter too."""
    if ctx.plan.train:
        from harness.training import Training
        from harness.training import train as fine_tune

        training = Training(ctx.config.train, ctx.config.generation.language, ctx.model_path,
                            tuple(ctx.replay_problems), ctx.config.generation)
        ctx.labels["adapter"] = str(fine_tune(training, ctx.run, ctx.train_problems, ctx.progress))
    elif ctx.run.adapter.is_dir() and "adapter" not in ctx.labels:
        ctx.labels["adapter"] = str(ctx.run.adapter)


@contextmanager
def open_engine(ctx: RunContext, engines: EngineFactory) -> Iterator[Engine | None]:
    """The engine with every adapter loaded, checked for fidelity; None when nothing is generated. Always closed."""
    if not ctx.plan.eval or ctx.plan.completions is not None:
        yield None
        return
    from harness.generation import fidelity

    adapters = {label: path for label, path in ctx.labels.items() if path is not None}
    engine = engines(ctx.config.generation, ctx.config.model, ctx.model_path, adapters)
    try:
        ctx.engine_record = {"engine": engine.name, "engine_settings": engine.settings}
        record = fidelity.before_evaluation(engine, ctx.config.generation, ctx.config.model, ctx.model_path, adapters,
                                            ctx.problems)
        if record is not None:
            ctx.engine_record["fidelity"] = record
        yield engine
    finally:
        engine.close()  # an endpoint engine stops the server it started


def record_environment(ctx: RunContext) -> None:
    """env.json: versions, hardware, seeds, the sandbox and its time scale, the engine (its use added after generating)."""
    from harness.environment import environment

    env = environment(ctx.config, ctx.sandbox)
    env["sandbox"]["time_scale"] = ctx.time_scale
    env.update({"engine": None, **ctx.engine_record})
    ctx.run.write_json(ctx.run.env, env)


def generate_completions(ctx: RunContext, engine: Engine | None) -> None:
    """Every label's completions on the evaluated problems, journaled chunk by chunk."""
    if engine is None:
        return
    g = ctx.config.generation
    try:
        generate(engine, ctx.run, ctx.labels, ctx.problems, sampling_from(g), ctx.model_path, ctx.progress, g.language,
                 g.chunk_problems)
    finally:  # what only generating tells (an endpoint fleet: which server answered how many), failed or not
        ctx.engine_record["engine_settings"] = engine.settings
        env = ctx.run.read_json(ctx.run.env)
        if env is not None:
            ctx.run.write_json(ctx.run.env, {**env, **ctx.engine_record})


def judge(ctx: RunContext) -> None:
    """Judge every journaled completion that has no result under the current code, tests and limits."""
    if ctx.plan.eval:
        judge_completions(ctx.run, ctx.labels, {p.id: p for p in ctx.problems}, ctx.judging, ctx.progress)


def score(ctx: RunContext) -> None:
    """eval/summary.json from the journaled results."""
    if ctx.plan.eval:
        score_run(ctx.run, ctx.config.eval, ctx.config.generation.samples, ctx.labels)


def score_run(run: RunDir, eval_config: EvalConfig, samples: int, labels: Mapping[str, object]) -> dict[str, Any]:
    """Score every label's latest results into eval/summary.json; training problems ("seen") apart."""
    from harness.scoring import reported_ks, summarize

    index = run.read_json(run.eval / "problems.json") or {}
    seen = {p["id"] for p in index.get("problems", []) if p.get("set") == "seen"}
    meta = {p["id"]: {"rating": p.get("rating"), "difficulty": p.get("difficulty"), "tags": p.get("tags", [])}
            for p in index.get("problems", [])}
    results = {label: latest_results(run.results(label).records(ResultRecord)) for label in labels}
    ks = reported_ks(eval_config.k, samples)

    def part(held: bool) -> dict[str, list[ResultRecord]]:
        return {label: [r for r in rows if (r.problem_id in seen) != held] for label, rows in results.items()}

    summary = summarize(part(held=True), ks, eval_config.bootstrap_resamples, meta=meta)
    if seen:  # training problems, scored apart: the gap to held-out separates learning from generalising
        summary["seen"] = summarize(part(held=False), ks, eval_config.bootstrap_resamples, meta=meta)
    for label, rows in results.items():  # a sandbox that failed and was retried is never silent
        if label in summary["labels"]:
            summary["labels"][label]["sandbox_retries"] = sum(r.sandbox_retries for r in rows)
    run.write_json(run.summary, summary)
    return summary
