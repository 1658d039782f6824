"""The `harness` command: thin argument parsing over the pipeline's stages. Never prompts."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from harness.console import library_switches
from harness.errors import HarnessError
from judges.language import LANGUAGES
from sandboxes import KINDS

EXIT_BAD_INPUT = 2


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="YAML config file (defaults apply to what it leaves out)")
    parser.add_argument("--out", help="run directory (default: runs/<timestamp>)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE",
                        help="override one config value; repeatable")
    parser.add_argument("--resume", action="store_true", help="continue the run in --out from what it saved")
    parser.add_argument("--overwrite", action="store_true", help="delete what --out holds and start again")
    parser.add_argument("--quiet", action="store_true", help="no progress display")
    parser.add_argument("--verbose", action="store_true",
                        help="other libraries' warnings, logs and progress bars on the console (default: RUN/logs/)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(prog="harness", description="Train and benchmark code LLMs.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="train and/or evaluate (the whole pipeline)")
    run.add_argument("--train", action="store_true", help="fine-tune a LoRA adapter")
    run.add_argument("--eval", action="store_true", help="evaluate base and adapter on held-out problems")
    run.add_argument("--push-to-hub", action="store_true", help="upload the trained adapter to the Hugging Face hub")
    run.add_argument("--hub-model-id", metavar="USER/NAME", help="hub repository for --push-to-hub")
    _common(run)

    ev = sub.add_parser("eval", help="evaluate existing adapters and the base model")
    ev.add_argument("--adapter", action="append", default=[], metavar="PATH", help="PEFT adapter directory; repeatable")
    ev.add_argument("--checkpoints", metavar="RUN_DIR",
                    help="every train/checkpoint-N of a run plus its final adapter, in one engine (a sweep over steps)")
    ev.add_argument("--completions", metavar="FILE.jsonl",
                    help="judge, score and report completions made elsewhere (JSONL: problem_id, label, text, "
                         "optional sample, finish_reason, prompt_tokens, completion_tokens); nothing is generated")
    ev.add_argument("--base", action=argparse.BooleanOptionalAction, default=True, help="also evaluate the base model")
    _common(ev)

    report = sub.add_parser("report", help="(re)write a run's report.md and report.html")
    report.add_argument("run_dir", help="run directory")

    judge = sub.add_parser("judge", help="judge one program against one problem package")
    judge.add_argument("solution", help="source file (Python 3 or C++)")
    judge.add_argument("problem", help="Kattis / ICPC problem package directory")
    judge.add_argument("--json", action="store_true", help="print one JSON object")
    judge.add_argument("--sandbox", default="auto", choices=list(KINDS), help="sandbox kind")
    judge.add_argument("--language", default="auto", choices=["auto", *LANGUAGES],
                       help="language of SOLUTION (auto: by extension, then by content)")
    judge.add_argument("--all-tests", action="store_true", help="run every test instead of stopping at the first failure")
    judge.add_argument("--rerun-tle", action=argparse.BooleanOptionalAction, default=True,
                       help="run a TLE once more before reporting it")
    judge.add_argument("--calibrate", action="store_true",
                       help="scale time limits to this host's speed (measured with a fixed workload)")
    compare = sub.add_parser("compare", help="compare runs: the same labels across runs, paired where problems overlap")
    compare.add_argument("runs", nargs="+", metavar="RUN_DIR", help="run directories (the first is the baseline)")
    compare.add_argument("--out", help="where compare.json/.md/.html go (default: comparisons/<timestamp>)")

    problems = sub.add_parser("problems", help="inspect problem sources")
    problems_sub = problems.add_subparsers(dest="problems_command", required=True)
    verify = problems_sub.add_parser("verify", help="judge every reference (must be AC) and wrong solution (must not)")
    verify.add_argument("source", nargs="?", default="bundled", help="problem source, as data.source (default: bundled)")
    verify.add_argument("--json", action="store_true", help="print one JSON object")
    verify.add_argument("--sandbox", default="auto", choices=list(KINDS), help="sandbox kind")
    verify.add_argument("--quiet", action="store_true", help="no progress display")
    return parser


def _out_dir(value: str | None) -> Path:
    return Path(value) if value else Path("runs") / time.strftime("%Y%m%d-%H%M%S")


def _config_path(args) -> Path | str | None:
    from harness.rundir import RunDir

    if args.resume and not args.config and args.out and RunDir(Path(args.out)).config.exists():
        return RunDir(Path(args.out)).config  # resuming reuses exactly what ran
    return args.config


def _load(args):
    from harness.config import load_config

    return load_config(_config_path(args), args.overrides)


def cmd_run(args) -> int:
    """`harness run`."""
    from harness.pipeline import run_pipeline
    from harness.steps import Plan

    if not (args.train or args.eval):
        raise HarnessError("run: pass --train, --eval or both")
    if args.resume and not args.out:
        raise HarnessError("--resume needs --out RUN_DIR")
    if args.push_to_hub and not (args.train and args.hub_model_id):
        raise HarnessError("--push-to-hub needs --train and --hub-model-id USER/NAME")
    config = _load(args)
    plan = Plan(train=args.train, eval=args.eval, resume=args.resume, overwrite=args.overwrite, quiet=args.quiet,
                verbose=args.verbose, command="run")
    run = run_pipeline(config, _out_dir(args.out), plan)
    print(f"run written to {run.root}")
    if args.push_to_hub:
        from harness.training import push_adapter

        print(f"adapter pushed to {push_adapter(run.adapter, args.hub_model_id)}")
    return 0


def cmd_eval(args) -> int:
    """`harness eval`."""
    from harness.adapters import with_adapters_base
    from harness.config import given_keys
    from harness.pipeline import adapter_labels, checkpoint_labels, run_pipeline
    from harness.steps import Plan

    given = {"resume": args.resume, "overwrite": args.overwrite, "quiet": args.quiet, "verbose": args.verbose,
             "command": "eval"}
    config = _load(args)
    if args.completions:
        if args.adapter or args.checkpoints:
            raise HarnessError("eval: --completions judges the file's own labels; drop --adapter/--checkpoints")
        plan = Plan(eval=True, completions=Path(args.completions), **given)
    else:
        adapters = adapter_labels(args.adapter)
        if args.checkpoints:
            adapters.update(checkpoint_labels(args.checkpoints))
        if not adapters and not args.base:
            raise HarnessError("eval: nothing to evaluate (no --adapter and --no-base)")
        plan = Plan(eval=True, adapters=adapters, include_base=args.base, **given)
        named = "model.name_or_path" in given_keys(_config_path(args), args.overrides)
        config = with_adapters_base(config, adapters, named)  # the base the adapters were trained on
    run = run_pipeline(config, _out_dir(args.out), plan)
    print(f"run written to {run.root}")
    return 0


def cmd_report(args) -> int:
    """`harness report RUN_DIR`: rescore what is journaled, then render."""
    from reports import write_reports

    root = Path(args.run_dir)
    if not root.is_dir():
        raise HarnessError(f"report: {root} is not a run directory")
    _rescore(root)
    paths = write_reports(root)
    print("\n".join(str(p) for p in paths))
    return 0


def _rescore(root: Path) -> None:
    from harness.config import load_config
    from harness.rundir import RunDir
    from harness.steps import score_run

    run = RunDir(root)
    labels = sorted(r.parent.name for r in run.eval.glob("*/results.jsonl"))
    if labels and run.config.exists():
        config = load_config(run.config)
        score_run(run, config.eval, config.generation.samples, dict.fromkeys(labels))


def cmd_judge(args) -> int:
    """`harness judge SOLUTION PROBLEM`."""
    from harness.problems.kattis import load_package
    from judges import JudgeSettings, judge
    from judges.calibration import time_scale
    from judges.language import Language, detect_language
    from sandboxes import SandboxError, make_sandbox

    source_path = Path(args.solution)
    if not source_path.is_file():
        raise HarnessError(f"judge: solution file not found: {source_path}")
    try:
        source = source_path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise HarnessError(f"judge: {source_path} is not UTF-8 text") from None
    language = detect_language(source, source_path.name) if args.language == "auto" else Language(args.language)
    problem = load_package(Path(args.problem))
    try:
        sandbox = make_sandbox(args.sandbox)
    except (ValueError, SandboxError) as exc:
        raise HarnessError(f"--sandbox {args.sandbox}: {exc}") from None
    scale = time_scale(sandbox) if args.calibrate else 1.0
    settings = JudgeSettings(time_limit_s=problem.time_limit_s, memory_mb=problem.memory_limit_mb,
                             stop_on_failure=not args.all_tests, rerun_tle=args.rerun_tle, time_scale=scale)
    judgement = judge(source, problem.tests, problem.output_rule, settings, sandbox, language=language,
                      checker=problem.checker)
    if args.json:
        print(json.dumps({
            "verdict": judgement.verdict.value,
            "tests": [{"name": t.name, "verdict": t.verdict.value, "wall_s": t.wall_s, "cpu_s": t.cpu_s,
                       "max_rss_mb": t.max_rss_mb, "exit_code": t.exit_code, "signal": t.signal,
                       "detail": t.detail, "rerun": t.rerun} for t in judgement.tests],
            "sandbox": sandbox.kind,
            "isolation": sandbox.isolation,
            "memory": sandbox.memory,
            "mechanisms": sandbox.mechanisms.to_json(),
            "sandbox_retries": judgement.sandbox_retries,
            "language": language,
            "time_limit_s": round(problem.time_limit_s * scale, 3),
            "time_scale": scale,
            "tle_reruns": judgement.tle_reruns,
            "tle_overturned": judgement.tle_overturned,
            "detail": judgement.detail,
        }))
    else:
        for t in judgement.tests:
            print(f"{t.name:<24} {t.verdict.value:<4} {t.cpu_s:6.3f}s {t.max_rss_mb:7.1f} MB  {t.detail}")
        print(f"verdict: {judgement.verdict.value}" + (f" ({judgement.detail})" if judgement.detail else ""))
    return 0


def cmd_compare(args) -> int:
    """`harness compare RUN_A RUN_B ...`."""
    from harness.compare import compare_runs
    from reports import write_comparison

    out = Path(args.out) if args.out else Path("comparisons") / time.strftime("%Y%m%d-%H%M%S")
    out.mkdir(parents=True, exist_ok=True)
    result = compare_runs([Path(run) for run in args.runs])
    (out / "compare.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    print("\n".join(str(p) for p in write_comparison(out)))
    return 0


def cmd_problems(args) -> int:
    """`harness problems verify [SOURCE]`: exit status 1 when a solution is misjudged."""
    from harness.problems import load_source
    from harness.progress import progress_display
    from harness.verify import verify
    from sandboxes import SandboxError, make_sandbox

    loaded = load_source(args.source)
    try:
        sandbox = make_sandbox(args.sandbox)
    except (ValueError, SandboxError) as exc:
        raise HarnessError(f"--sandbox {args.sandbox}: {exc}") from None
    with progress_display(args.quiet or args.json) as progress:
        result = verify(loaded.problems, sandbox, progress)
    if args.json:
        print(json.dumps({**result.to_json(), "source": args.source, "skipped": dict(loaded.skipped)}))
    else:
        print(f"{result.problems} problems: {result.reference_ac}/{result.references} reference solutions AC, "
              f"{result.wrong_rejected}/{result.wrong} wrong solutions rejected")
        for failure in result.failed:
            print(f"  FAILED {failure['id']} {failure['solution']}: {failure['verdict']} {failure['detail'][:120]}")
    return 0 if result.ok else 1


COMMANDS = {"run": cmd_run, "eval": cmd_eval, "report": cmd_report, "judge": cmd_judge, "compare": cmd_compare,
            "problems": cmd_problems}


def main(argv: list[str] | None = None) -> int:
    """Entry point: bad input is one line on stderr and exit status 2."""
    args = build_parser().parse_args(argv)
    library_switches()  # before any library loads, also where a model is built before the run's log exists
    try:
        return COMMANDS[args.command](args)
    except HarnessError as exc:
        print(f"harness: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("harness: interrupted; rerun with --resume to continue", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
