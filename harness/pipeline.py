"""The run as named steps: prepare, split, train, evaluate, score, report. No stage logic here."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from harness.config import RunConfig
from harness.distributed import is_main
from harness.errors import ConfigError, DataError
from harness.rundir import RunDir
from harness.selection import prepare_split, write_problem_index
from reports.records import ResultRecord, latest_results


def score(run: RunDir, config: RunConfig, labels) -> dict:
    """Score every label's journaled results into eval/summary.json."""
    from harness.scoring import reported_ks, summarize

    index = run.read_json(run.eval / "problems.json") or {}
    seen = {p["id"] for p in index.get("problems", []) if p.get("set") == "seen"}
    meta = {p["id"]: {"rating": p.get("rating"), "tags": p.get("tags", [])} for p in index.get("problems", [])}
    records = {label: latest_results(run.results(label).records(ResultRecord)) for label in labels}
    results = {label: [r.to_json() for r in rows] for label, rows in records.items()}  # scoring reads plain rows
    held = {label: [r for r in rows if r["problem_id"] not in seen] for label, rows in results.items()}
    ks = reported_ks(config.eval.k, config.generation.samples)
    summary = summarize(held, ks, config.eval.bootstrap_resamples, meta=meta)
    if seen:  # training problems, scored apart: the gap to held-out separates learning from generalising
        seen_rows = {label: [r for r in rows if r["problem_id"] in seen] for label, rows in results.items()}
        summary["seen"] = summarize(seen_rows, ks, config.eval.bootstrap_resamples, meta=meta)
    for label, rows in records.items():  # a sandbox that failed and was retried is never silent
        if label in summary["labels"]:
            summary["labels"][label]["sandbox_retries"] = sum(r.sandbox_retries for r in rows)
    run.write_json(run.summary, summary)
    return summary


def checkpoint_labels(run_dir: str) -> dict[str, str]:
    """Every `train/checkpoint-N` of a run (labelled `checkpoint-N`, by step) and its final adapter (`adapter`)."""
    train_dir = Path(run_dir) / "train"
    checkpoints = sorted((p for p in train_dir.glob("checkpoint-*") if p.name.split("-")[-1].isdigit()
                          and (p / "adapter_config.json").is_file()), key=lambda p: int(p.name.split("-")[-1]))
    labels = {p.name: str(p) for p in checkpoints}
    if (train_dir / "adapter" / "adapter_config.json").is_file():
        labels["adapter"] = str(train_dir / "adapter")
    if not labels:
        raise DataError(f"--checkpoints {run_dir}: no train/checkpoint-N or train/adapter with an adapter_config.json")
    return labels


def adapter_labels(paths: list[str]) -> dict[str, str]:
    """Labels for adapters given on the command line: 'adapter' for one, directory names for several."""
    labels: dict[str, str] = {}
    for path in paths:
        p = Path(path)
        if not (p / "adapter_config.json").is_file():
            raise DataError(f"--adapter {path}: not a PEFT adapter directory (no adapter_config.json)")
        if p.name.startswith("checkpoint-"):
            name = p.name  # a training checkpoint keeps its step, so reports can place it on the step axis
        else:
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
    completions: Path | None = None,
) -> RunDir:
    """Run the requested stages into `out`; the run's status records success or the error.

    With `completions` (a JSONL file made elsewhere), nothing is trained or generated: its
    completions are judged, scored and reported as if an engine had written them.
    Under `torchrun` / `accelerate launch`, processes other than the main one only train.
    """
    if not is_main():
        return _train_worker(config, out, do_train)
    run = RunDir.prepare(out, config, resume=resume, overwrite=overwrite)
    run.set_status("running", stages={"train": do_train, "eval": do_eval})
    try:
        if completions is not None:
            _imported_stages(run, config, completions, quiet)
        else:
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


def _train_worker(config: RunConfig, out: Path, do_train: bool) -> RunDir:
    """A non-main process of a distributed launch: same problems, same model, train in step; write nothing."""
    from harness.models import resolve_model
    from harness.progress import SilentProgress, silence_library_bars
    from harness.selection import select
    from harness.training import train

    run = RunDir(out)
    if do_train:
        silence_library_bars()
        train(config, run, select(config).train, resolve_model(config.model.name_or_path), SilentProgress())
    return run


def _report(run: RunDir, best_effort: bool = False) -> None:
    """Render what the run has so far; reports read files only and can always be redone."""
    from reports import write_reports

    try:
        write_reports(run.root)
    except Exception:
        if not best_effort:
            raise  # on a failing run, the stage's own error is the one to show



def _sandbox(config: RunConfig):
    from sandboxes import SandboxError, make_sandbox

    try:
        return make_sandbox(config.eval.sandbox)
    except SandboxError as exc:
        raise ConfigError(f"eval.sandbox: {exc}") from None


def _imported_stages(run: RunDir, config: RunConfig, path: Path, quiet: bool) -> None:
    """`harness eval --completions FILE`: the file's problems (each must be in data.source), judged and scored."""
    from harness.environment import environment
    from harness.evaluation import judge_completions
    from harness.imported import import_completions, read_completions
    from harness.problems import load_source
    from harness.problems.split import Split
    from harness.progress import progress_display
    from judges.calibration import time_scale

    sandbox = _sandbox(config)
    known = {p.id: p for p in load_source(config.data.source, config.data.codeforces_tests_dir).problems}
    records = read_completions(path, known)  # every line checked before anything is written
    chosen = sorted({r.problem_id for r in records})
    split = Split(train=(), held_out=tuple(chosen), seed=config.data.split_seed, method="completions file",
                  extra={"completions": str(path)})
    run.write_json(run.split, split.to_json())
    write_problem_index(run, [known[pid] for pid in chosen], set(chosen))
    labels = import_completions(run, records)
    env = environment(config, sandbox, engine=f"completions file {path}")
    previous = (run.read_json(run.env) or {}).get("sandbox", {}).get("time_scale")
    scale = previous if previous is not None else (time_scale(sandbox) if config.eval.calibrate_time_limits else 1.0)
    env["sandbox"]["time_scale"] = scale
    run.write_json(run.env, env)
    with progress_display(quiet) as progress:
        judge_completions(run, labels, {pid: known[pid] for pid in chosen}, config, sandbox, progress, scale)
    score(run, config, labels)


def _stages(run, config, do_train, do_eval, adapters, include_base, quiet) -> None:
    from harness.environment import environment
    from harness.models import resolve_model
    from harness.progress import progress_display, silence_library_bars

    silence_library_bars()
    sandbox = _sandbox(config)
    selection = prepare_split(run, config)
    model_path = resolve_model(config.model.name_or_path)
    env = environment(config, sandbox, engine=config.generation.engine if do_eval else None)
    previous_scale = (run.read_json(run.env) or {}).get("sandbox", {}).get("time_scale")
    if previous_scale is not None:  # a resumed run judges under the limits it started with
        env["sandbox"]["time_scale"] = previous_scale
    run.write_json(run.env, env)
    with progress_display(quiet) as progress:
        if do_train:
            from harness.training import train

            adapters["adapter"] = str(train(config, run, selection.train, model_path, progress))
        elif run.adapter.is_dir() and "adapter" not in adapters:
            adapters["adapter"] = str(run.adapter)
        if do_eval:
            _evaluate(run, config, selection, model_path, adapters, include_base, sandbox, progress)
    if do_eval:
        score(run, config, _labels(adapters, include_base))


def _labels(adapters: Mapping[str, str], include_base: bool) -> dict[str, str | None]:
    labels: dict[str, str | None] = {"base": None} if include_base else {}
    labels.update(adapters)
    return labels


def _evaluate(run, config, selection, model_path, adapters, include_base, sandbox, progress) -> None:
    from harness.generation import make_engine

    chosen = selection.evaluated(config.eval.max_problems)
    write_problem_index(run, chosen, set(selection.split.held_out))
    engine = make_engine(config, model_path, adapters)
    try:
        _evaluate_with(engine, run, config, chosen, model_path, adapters, include_base, sandbox, progress)
    finally:
        engine.close()  # an endpoint engine stops the server it started


def _evaluate_with(engine, run, config, chosen, model_path, adapters, include_base, sandbox, progress) -> None:
    from harness.evaluation import evaluate
    from harness.generation import fidelity, sampling_from
    from judges.calibration import time_scale

    env = run.read_json(run.env) or {}
    env["engine"] = engine.name
    env["engine_settings"] = engine.settings
    record = fidelity.before_evaluation(engine, config, model_path, adapters, chosen)
    if record is not None:
        env["fidelity"] = record
    scale = env.get("sandbox", {}).get("time_scale")
    if scale is None:  # measured once per run: a resumed run keeps its limits
        scale = time_scale(sandbox) if config.eval.calibrate_time_limits else 1.0
        env.setdefault("sandbox", {})["time_scale"] = scale
    run.write_json(run.env, env)
    labels = _labels(adapters, include_base)
    # The resolved path, not the config's name: a rebuilt builtin model must not reuse old completions.
    evaluate(config, run, engine, labels, chosen, sandbox, model_path, sampling_from(config), progress, scale)

