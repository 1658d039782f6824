"""The run as named steps: prepare, split, train, evaluate, score, report. No stage logic here."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from harness.config import RunConfig
from harness.errors import ConfigError, DataError, RunDirError
from harness.problems import Problem, load_problems
from harness.problems.split import Split, split_problems
from harness.prompts import render_problem
from harness.rundir import RunDir


def prepare_split(run: RunDir, problems: list[Problem], config: RunConfig) -> Split:
    """Reuse the run's split.json when resuming (checked against the source), else make and save one."""
    saved = run.read_json(run.split)
    split = split_problems(problems, config.data.held_out_fraction, config.data.split_seed)
    if saved is not None and Split.from_json(saved) != split:
        raise RunDirError(f"{run.split}: the problem source changed since this run was split")
    run.write_json(run.split, split.to_json())
    return split


def eval_problems(split: Split, problems: list[Problem], config: RunConfig) -> list[Problem]:
    """The held-out problems to evaluate (the first `eval.max_problems` by id when capped)."""
    by_id = {p.id: p for p in problems}
    chosen = [by_id[pid] for pid in split.held_out]
    return chosen[: config.eval.max_problems] if config.eval.max_problems else chosen


def write_problem_index(run: RunDir, problems: list[Problem]) -> None:
    """`eval/problems.json`: what reports show about each evaluated problem."""
    run.write_json(
        run.eval / "problems.json",
        {
            "schema": 1,
            "problems": [
                {"id": p.id, "title": p.title, "rating": p.rating, "tags": list(p.tags), "statement": render_problem(p),
                 "tests": len(p.tests)}
                for p in problems
            ],
        },
    )


def score(run: RunDir, config: RunConfig, labels) -> dict:
    """Score every label's journaled results into eval/summary.json."""
    from harness.scoring import summarize

    results = {label: run.results(label).read() for label in labels}
    summary = summarize(results, config.eval.k, config.eval.bootstrap_resamples)
    run.write_json(run.summary, summary)
    return summary


def adapter_labels(paths: list[str]) -> dict[str, str]:
    """Labels for adapters given on the command line: 'adapter' for one, directory names for several."""
    labels: dict[str, str] = {}
    for path in paths:
        p = Path(path)
        if not (p / "adapter_config.json").is_file():
            raise DataError(f"--adapter {path}: not a PEFT adapter directory (no adapter_config.json)")
        name = "adapter" if len(paths) == 1 else (p.parent.parent.name if p.name == "adapter" else p.name)
        while name in labels or name == "base":
            name += "_"
        labels[name] = str(p)
    return labels


def run_pipeline(
    config: RunConfig,
    out: Path,
    *,
    do_train: bool,
    do_eval: bool,
    adapters: Mapping[str, str] | None = None,
    include_base: bool = True,
    resume: bool = False,
    overwrite: bool = False,
    quiet: bool = False,
) -> RunDir:
    """Run the requested stages into `out`; the run's status records success or the error."""
    run = RunDir.prepare(out, config, resume=resume, overwrite=overwrite)
    run.set_status("running", stages={"train": do_train, "eval": do_eval})
    try:
        _stages(run, config, do_train, do_eval, dict(adapters or {}), include_base, quiet)
    except KeyboardInterrupt:
        run.set_status("interrupted", error="interrupted by the user")
        _report(run, best_effort=True)
        raise
    except Exception as exc:
        run.set_status("failed", error=f"{type(exc).__name__}: {exc}")
        _report(run, best_effort=True)
        raise
    run.set_status("done")
    _report(run)
    return run


def _report(run: RunDir, best_effort: bool = False) -> None:
    """Render what the run has so far; reports read files only and can always be redone."""
    from reports import write_reports

    try:
        write_reports(run.root)
    except Exception:
        if not best_effort:
            raise  # on a failing run, the stage's own error is the one to show



def _stages(run, config, do_train, do_eval, adapters, include_base, quiet) -> None:
    from harness.environment import environment
    from harness.models import resolve_model
    from harness.progress import progress_display, silence_library_bars
    from sandboxes import SandboxError, make_sandbox

    silence_library_bars()
    try:
        sandbox = make_sandbox(config.eval.sandbox)
    except SandboxError as exc:
        raise ConfigError(f"eval.sandbox: {exc}") from None
    problems = load_problems(config.data.source)
    split = prepare_split(run, problems, config)
    model_path = resolve_model(config.model.name_or_path)
    env = environment(config, sandbox, engine=config.generation.engine if do_eval else None)
    previous_scale = (run.read_json(run.env) or {}).get("sandbox", {}).get("time_scale")
    if previous_scale is not None:  # a resumed run judges under the limits it started with
        env["sandbox"]["time_scale"] = previous_scale
    run.write_json(run.env, env)
    with progress_display(quiet) as progress:
        if do_train:
            from harness.training import train

            train_ids = set(split.train)
            adapters["adapter"] = str(train(config, run, [p for p in problems if p.id in train_ids], model_path, progress))
        elif run.adapter.is_dir() and "adapter" not in adapters:
            adapters["adapter"] = str(run.adapter)
        if do_eval:
            _evaluate(run, config, problems, split, model_path, adapters, include_base, sandbox, progress)
    if do_eval:
        score(run, config, _labels(adapters, include_base))


def _labels(adapters: Mapping[str, str], include_base: bool) -> dict[str, str | None]:
    labels: dict[str, str | None] = {"base": None} if include_base else {}
    labels.update(adapters)
    return labels


def _evaluate(run, config, problems, split, model_path, adapters, include_base, sandbox, progress) -> None:
    from harness.evaluation import evaluate
    from harness.generation import make_engine, sampling_from
    from judges.calibration import time_scale

    chosen = eval_problems(split, problems, config)
    write_problem_index(run, chosen)
    engine = make_engine(config, model_path, adapters)
    env = run.read_json(run.env) or {}
    env["engine"] = engine.name
    scale = env.get("sandbox", {}).get("time_scale")
    if scale is None:  # measured once per run: a resumed run keeps its limits
        scale = time_scale(sandbox) if config.eval.calibrate_time_limits else 1.0
        env.setdefault("sandbox", {})["time_scale"] = scale
    run.write_json(run.env, env)
    labels = _labels(adapters, include_base)
    # The resolved path, not the config's name: a rebuilt builtin model must not reuse old completions.
    evaluate(config, run, engine, labels, chosen, sandbox, model_path, sampling_from(config), progress, scale)

