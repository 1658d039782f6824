"""The reference-size evaluation on one host: every stage's wall time, peak memory and growth with the work.

Builds a synthetic source in the open-r1/codeforces schema (parquet; official tests with a
skewed size distribution: most tests under a kilobyte, a few hundred kilobytes, one multi-megabyte
input in every 60th problem; 30% of problems with a `generated_checker`) and a synthetic
`--completions` file (long reasoning traces ending in programs that are AC, WA, TLE, RE, CE or
no code, in shares typical of a small model) for base + adapter + 5 checkpoints × 8 samples,
then runs load → import → judge → score → report through the harness's own functions, each
stage in its own process so its peak RSS is its own. Sizes are multiples of open-r1/codeforces's
test split (468 problems): 0.25x, 1x and 4x by default. Judging throughput with 1 and 2 workers is
measured on the smallest size, on the same completions.

Prints one JSON object. Usage:
    python benchmarks/scale.py [--sizes 0.25,1,4] [--workdir DIR] [--trace-chars 20000] [--keep]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REFERENCE_PROBLEMS = 468  # open-r1/codeforces, test split
SAMPLES = 8
LABELS = ["base", "adapter"] + [f"checkpoint-{step}" for step in (100, 200, 300, 400, 500)]
# Shares of each outcome per label (a small model: mostly no code or wrong; the adapter a little better).
MIX_BASE = {"no_code": 0.40, "ce": 0.08, "wa": 0.36, "re": 0.08, "tle": 0.003, "ac": 0.077}
MIX_ADAPTER = {"no_code": 0.30, "ce": 0.06, "wa": 0.42, "re": 0.08, "tle": 0.003, "ac": 0.137}
CHECKER = "import sys\nans, out = (open(p).read().split() for p in sys.argv[2:4])\nprint(1 if ans == out else 0)\n"


# --- the synthetic source -------------------------------------------------------------------

def _numbers(rng: random.Random, count: int) -> str:
    return " ".join(str(rng.randrange(10**9)) for _ in range(count))


def _test(rng: random.Random, count: int, factor: int) -> dict:
    values = _numbers(rng, count)
    total = sum(map(int, values.split())) * factor
    return {"input": f"{count}\n{values}\n", "output": f"{total}\n"}


def _test_sizes(rng: random.Random, index: int) -> list[int]:
    sizes = []
    for _ in range(10 + index % 21):
        roll = rng.random()
        sizes.append(rng.randrange(1, 150) if roll < 0.94 else rng.randrange(5_000, 15_000) if roll < 0.99
                     else rng.randrange(40_000, 60_000))
    if index % 60 == 0:
        sizes.append(400_000)  # about 4 MB
    return sizes


def problem_row(index: int) -> dict:
    """One open-r1/codeforces row: print the sum of n numbers times the problem's factor."""
    rng = random.Random(index)
    factor = 1 + index % 7
    contest = 2000 + index // 4
    return {
        "id": f"{contest}/{'ABCD'[index % 4]}", "aliases": [], "contest_id": str(contest), "contest_name": f"Round {contest}",
        "contest_start": 1_700_000_000 + index * 3600, "index": "ABCD"[index % 4], "title": f"Synthetic sum {index}",
        "description": f"Problem {index}: read n integers and print their sum multiplied by {factor}. " * 8,
        "input_format": "The first line holds n, the second n integers.", "output_format": "One integer.",
        "examples": [{"input": "3\n1 2 3\n", "output": f"{6 * factor}\n"}], "note": "",
        "time_limit": 1.0, "memory_limit": 256.0, "rating": 800 + 100 * (index % 20), "tags": [["math", "implementation",
                                                                                                "greedy"][index % 3]],
        "official_tests": [_test(rng, size, factor) for size in _test_sizes(rng, index)],
        "input_mode": "stdio", "generated_checker": CHECKER if index % 10 < 3 else "",
    }


def write_source(path: Path, problems: int) -> dict:
    """A parquet file of `problems` rows, written in batches so the writer holds a batch at a time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer, test_bytes, biggest = None, 0, 0
    for start in range(0, problems, 25):
        rows = [problem_row(i) for i in range(start, min(problems, start + 25))]
        for row in rows:
            sizes = [len(t["input"]) + len(t["output"]) for t in row["official_tests"]]
            test_bytes += sum(sizes)
            biggest = max(biggest, *sizes)
        table = pa.Table.from_pylist(rows)
        writer = writer or pq.ParquetWriter(str(path), table.schema)
        writer.write_table(table)
    writer.close()
    return {"problems": problems, "test_mb": round(test_bytes / 2**20, 1), "largest_test_mb": round(biggest / 2**20, 2),
            "parquet_mb": round(path.stat().st_size / 2**20, 1)}


# --- the synthetic completions --------------------------------------------------------------

PROGRAMS = {
    "ac": "import sys\ndata = sys.stdin.buffer.read().split()\nprint(sum(map(int, data[1:])) * {factor})\n",
    "wa": "import sys\ndata = sys.stdin.buffer.read().split()\nprint(sum(map(int, data[1:])) * {factor} + 1)\n",
    "re": "import sys\ndata = sys.stdin.buffer.read().split()\nraise ValueError(len(data))\n",
    "tle": "while True:\n    pass\n",
    "ce": "def solve(:\n    return {factor}\n",
}


def _outcome(label: str, problem: int, sample: int) -> str:
    mix = MIX_BASE if label == "base" else MIX_ADAPTER
    roll = int(hashlib.sha256(f"{label}/{problem}/{sample}".encode()).hexdigest()[:8], 16) / 2**32
    for outcome, share in mix.items():
        roll -= share
        if roll < 0:
            return outcome
    return "wa"


def completion_text(outcome: str, factor: int, trace_chars: int, seed: str) -> str:
    """A reasoning trace of about `trace_chars` characters, then the program (none for no code: cut off)."""
    sentence = f"Consider the sum again ({seed}); each value is below 1e9, so Python ints are fine. "
    trace = "<think>\n" + sentence * max(1, trace_chars // len(sentence))
    if outcome == "no_code":
        return trace  # the reasoning never closed: cut at the token limit
    return trace + "\n</think>\n\n```python\n" + PROGRAMS[outcome].format(factor=factor) + "```\n"


def write_completions(path: Path, problems: int, trace_chars: int) -> dict:
    counts: dict[str, int] = {}
    with path.open("w", encoding="utf-8") as handle:
        for index in range(problems):
            row_id = f"{2000 + index // 4}/{'ABCD'[index % 4]}"
            for label in LABELS:
                for sample in range(SAMPLES):
                    outcome = _outcome(label, index, sample)
                    counts[outcome] = counts.get(outcome, 0) + 1
                    text = completion_text(outcome, 1 + index % 7, trace_chars, f"{label}/{index}/{sample}")
                    handle.write(json.dumps({"problem_id": row_id, "label": label, "sample": sample, "text": text,
                                             "finish_reason": "length" if outcome == "no_code" else "stop"}) + "\n")
    return {"completions": sum(counts.values()), "outcomes": counts, "file_mb": round(path.stat().st_size / 2**20, 1)}


# --- one stage in its own process -----------------------------------------------------------

def _config(source: Path, workers: int):
    from harness.config import load_config

    return load_config(None, [f"data.source={source}", f"eval.workers={workers}", "eval.k=[1,2,4,8]",
                              f"generation.samples={SAMPLES}"])


def run_stage(stage: str, source: Path, completions: Path, run_dir: Path, workers: int) -> dict:
    """Run one stage against `run_dir`; returns its wall time (the stage's own work) and this process's peak RSS."""
    from harness.config import dump_config
    from harness.evaluation import Judging, judge_completions
    from harness.imported import check_completions, import_completions
    from harness.problems import load_source
    from harness.progress import SilentProgress
    from harness.rundir import RunDir
    from harness.selection import write_problem_index
    from harness.steps import score_run
    from reports import write_reports
    from sandboxes import make_sandbox

    config = _config(source, workers)
    run = RunDir(run_dir)
    started = time.perf_counter()
    known = {} if stage in ("score", "report") else {p.id: p for p in load_source(str(source)).problems}
    if stage != "load":
        started = time.perf_counter()  # the source's load is timed as its own stage
    if stage == "import":
        run.root.mkdir(parents=True, exist_ok=True)
        (run.root / "config.yaml").write_text(dump_config(config))
        write_problem_index(run, list(known.values()), set(known))
        import_completions(run, completions, known, check_completions(completions, known))
    elif stage == "judge":
        judging = Judging(config.eval, config.generation.language, make_sandbox("bwrap"))
        judge_completions(run, LABELS, known, judging, SilentProgress())
    elif stage == "score":
        score_run(run, config.eval, SAMPLES, dict.fromkeys(LABELS))
    elif stage == "report":
        write_reports(run.root)
    wall = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"wall_s": round(wall, 2), "peak_rss_mb": round(peak_mb, 1)}


def _stage_in_process(stage: str, source: Path, completions: Path, run_dir: Path, workers: int = 2) -> dict:
    argv = [sys.executable, __file__, "--stage", stage, "--source", str(source), "--completions", str(completions),
            "--run", str(run_dir), "--workers", str(workers)]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"stage {stage} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _dir_mb(path: Path, pattern: str) -> float:
    return round(sum(p.stat().st_size for p in path.glob(pattern) if p.is_file()) / 2**20, 1)


def measure_size(scale: float, workdir: Path, trace_chars: int) -> dict:
    problems = max(1, round(REFERENCE_PROBLEMS * scale))
    folder = workdir / f"x{scale:g}"
    folder.mkdir(parents=True, exist_ok=True)
    source, completions, run_dir = folder / "source.parquet", folder / "completions.jsonl", folder / "run"
    made = {"source": write_source(source, problems), **write_completions(completions, problems, trace_chars)}
    stages = {stage: _stage_in_process(stage, source, completions, run_dir)
              for stage in ("load", "import", "judge", "score", "report")}
    report = run_dir / "report.html"
    return {
        "scale": scale, "problems": problems, "labels": len(LABELS), "samples": SAMPLES, **made, "stages": stages,
        "journals_mb": _dir_mb(run_dir, "eval/*/*.jsonl"), "report_html_mb": round(report.stat().st_size / 2**20, 2),
        "report_dir_mb": _dir_mb(run_dir, "report*/**/*") + _dir_mb(run_dir, "report*"),
        "verdicts": {label: s.get("verdicts", {}) for label, s in
                     json.loads((run_dir / "eval" / "summary.json").read_text())["labels"].items()},
    }


def throughput(workdir: Path, scale: float) -> dict:
    """Programs judged per second with 1 and 2 workers on the same completions (fresh result journals)."""
    folder = workdir / f"x{scale:g}"
    rates = {}
    for workers in (1, 2):
        run_dir = folder / f"run-w{workers}"
        shutil.copytree(folder / "run", run_dir, ignore=shutil.ignore_patterns("results.jsonl", "report*"),
                        dirs_exist_ok=True)
        stage = _stage_in_process("judge", folder / "source.parquet", folder / "completions.jsonl", run_dir, workers)
        judged = sum(1 for p in run_dir.glob("eval/*/results.jsonl") for _ in p.open())
        rates[workers] = judged / stage["wall_s"]
    return {"programs_per_s": {str(w): round(r, 2) for w, r in rates.items()},
            "speedup_2_workers": round(rates[2] / rates[1], 2)}


def exponents(sizes: list[dict]) -> dict:
    """Each stage's growth exponent between consecutive sizes: log(time ratio) / log(work ratio)."""
    growth = {}
    for small, large in zip(sizes, sizes[1:], strict=False):
        ratio = large["problems"] / small["problems"]
        key = f"x{small['scale']:g}->x{large['scale']:g}"
        growth[key] = {stage: round(math.log(max(large["stages"][stage]["wall_s"], 1e-3)
                                             / max(small["stages"][stage]["wall_s"], 1e-3)) / math.log(ratio), 2)
                       for stage in small["stages"]}
    return growth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="0.25,1,4", help="multiples of 468 problems")
    parser.add_argument("--workdir", help="where sources and runs go (default: a temporary folder)")
    parser.add_argument("--trace-chars", type=int, default=20_000, help="length of each reasoning trace")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    parser.add_argument("--source", help=argparse.SUPPRESS)
    parser.add_argument("--completions", help=argparse.SUPPRESS)
    parser.add_argument("--run", help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        print(json.dumps(run_stage(args.stage, Path(args.source), Path(args.completions), Path(args.run), args.workers)))
        return
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="harness-scale-"))
    os.environ.setdefault("HARNESS_HOME", str(workdir / "home"))
    scales = [float(s) for s in args.sizes.split(",")]
    sizes = [measure_size(scale, workdir, args.trace_chars) for scale in scales]
    at_1x = next((s for s in sizes if s["scale"] == 1), sizes[-1])
    judge_s = at_1x["stages"]["judge"]["wall_s"]
    bookkeeping_s = sum(at_1x["stages"][s]["wall_s"] for s in ("import", "score", "report"))
    print(json.dumps({
        "cpus": os.cpu_count(), "trace_chars": args.trace_chars, "sizes": sizes, "growth_exponents": exponents(sizes),
        "bookkeeping_share_of_judging_at_1x": round(bookkeeping_s / judge_s, 3),
        "throughput": throughput(workdir, scales[0]),
    }, indent=1))
    if not args.keep and not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
