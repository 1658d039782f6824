"""The run as named steps: setup, problems, train, engine, environment, generate, judge, score, report.

`run_pipeline` is the list; the steps live in `harness.steps` and stage logic in the stages.
`harness eval --completions FILE` is the same list with its problems and completions taken
from the file instead of a split and an engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from harness import steps
from harness.checkpoints import checkpoint_step, checkpoints
from harness.config import RunConfig
from harness.distributed import is_main
from harness.errors import DataError
from harness.generation import EngineFactory, make_engine
from harness.rundir import RunDir
from harness.steps import Plan


def run_pipeline(config: RunConfig, out: Path, plan: Plan, engines: EngineFactory = make_engine) -> RunDir:
    """Run what `plan` asks for into `out`; the run's status records success or the error.

    Under `torchrun` / `accelerate launch`, processes other than the main one only train.
    `engines` builds the generation engine (tests pass a fake one).
    """
    from harness.console import library_output, log_path
    from harness.progress import progress_display

    if not is_main():
        return _train_worker(config, out, plan.train)
    run = RunDir.prepare(out, config, resume=plan.resume, overwrite=plan.overwrite)
    with library_output(log_path(run.root, plan.command), plan.verbose):  # other libraries' output: logs/
        with _recorded(run, plan), progress_display(plan.quiet) as progress:
            ctx = steps.setup(run, config, plan, progress)
            if plan.completions is not None:
                steps.import_completions(ctx)
            else:
                steps.select_problems(ctx)
            steps.train(ctx)
            with steps.open_engine(ctx, engines) as engine:
                steps.record_environment(ctx)
                steps.generate_completions(ctx, engine)
            steps.judge(ctx)
            steps.score(ctx)
        _report(run)
    return run


@contextmanager
def _recorded(run: RunDir, plan: Plan) -> Iterator[None]:
    """status.json around the steps: running, then done, failed or interrupted (with what reports can show)."""
    run.set_status("running", stages={"train": plan.train, "eval": plan.eval})
    try:
        yield
    except KeyboardInterrupt:
        run.set_status("interrupted", error="interrupted by the user")
        _report(run, best_effort=True)
        raise
    except Exception as exc:
        run.set_status("failed", error=f"{type(exc).__name__}: {exc}")
        _report(run, best_effort=True)
        raise
    run.set_status("done")


def _train_worker(config: RunConfig, out: Path, do_train: bool) -> RunDir:
    """A non-main process of a distributed launch: same problems, same model, train in step; write nothing."""
    from harness.console import library_switches
    from harness.models import resolve_model
    from harness.progress import SilentProgress
    from harness.selection import select
    from harness.training import Training, train

    run = RunDir(out)
    if do_train:
        library_switches()
        selection = select(config.data)
        training = Training(config.train, config.generation.language, resolve_model(config.model.name_or_path),
                            tuple(selection.replay), config.generation)
        train(training, run, selection.train, SilentProgress())
    return run


def _report(run: RunDir, best_effort: bool = False) -> None:
    """Render what the run has so far; reports read files only and can always be redone."""
    from reports import write_reports

    try:
        write_reports(run.root)
    except Exception:
        if not best_effort:
            raise  # on a failing run, the stage's own error is the one to show


def checkpoint_labels(run_dir: str) -> dict[str, str]:
    """Every evaluable `train/checkpoint-N` of a run (labelled `checkpoint-N`, by step) and its final adapter."""
    train_dir = Path(run_dir) / "train"
    labels = {c.label: str(c.path) for c in checkpoints(train_dir) if c.evaluable}
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
        if checkpoint_step(p.name) is not None:
            name = p.name  # a training checkpoint keeps its step, so reports can place it on the step axis
        else:
            name = "adapter" if len(paths) == 1 else (p.parent.parent.name if p.name == "adapter" else p.name)
        while name in labels or name == "base":
            name += "_"
        labels[name] = str(p)
    return labels
