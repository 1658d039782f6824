"""Per-test cost of the sandboxes against a bare interpreter start, and judging throughput.

Prints one JSON object. Everything is measured side by side in one run, in interleaved
rounds so that a busy moment of the machine hits every variant alike:

- `bare_interpreter_s`: `python3 -I -S -c pass`, the floor any per-test process start pays;
- `bare_program_s`: `python3 -I main.py < input` outside any sandbox;
- `bwrap_warm_per_test_s`: one test in an already started bubblewrap sandbox (the judge's path:
  one sandbox per program, a fork of the warm runner per test), timed by the harness;
- `bwrap_one_shot_s`: a fresh bubblewrap sandbox for a single run (start-up included);
- `process_per_test_s`: the reduced-isolation fallback (a new interpreter per test);
- throughput: programs judged per second with 1 and 2 workers (each program 10 tests).

Usage: python benchmarks/sandbox.py [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from judges import JudgeSettings, OutputRule, TestCase, judge
from sandboxes import BwrapSandbox, Limits, ProcessSandbox

PYTHON = "/usr/bin/python3"
PROGRAM = b"import sys\nprint(sum(map(int, sys.stdin.read().split())))\n"
STDIN = b"1 2 3 4 5\n"
LIMITS = Limits(wall_time_s=5.0, cpu_time_s=2.0, memory_mb=256)


def _timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _bare(argv: list[str], cwd: str) -> None:
    subprocess.run(argv, input=STDIN, capture_output=True, check=True, cwd=cwd)


def per_test_costs(rounds: int, per_round: int) -> dict[str, list[float]]:
    """Interleaved rounds: each variant runs `per_round` times per round."""
    samples: dict[str, list[float]] = {k: [] for k in
                                       ("bare_interpreter_s", "bare_program_s", "bwrap_warm_per_test_s",
                                        "bwrap_one_shot_s", "process_per_test_s")}
    bwrap, process = BwrapSandbox(), ProcessSandbox()
    workdir = os.path.join("/tmp", f"bench-{os.getpid()}")
    os.makedirs(workdir, exist_ok=True)
    with open(os.path.join(workdir, "main.py"), "wb") as handle:
        handle.write(PROGRAM)
    files = {"main.py": PROGRAM}
    with bwrap.session(files) as warm, process.session(files) as reduced:
        for _ in range(rounds):
            for _ in range(per_round):
                samples["bare_interpreter_s"].append(_timed(lambda: _bare([PYTHON, "-I", "-S", "-c", "pass"], workdir)))
                samples["bare_program_s"].append(_timed(lambda: _bare([PYTHON, "-I", "main.py"], workdir)))
                samples["bwrap_warm_per_test_s"].append(_timed(lambda: warm.run_python("main.py", STDIN, LIMITS)))
                samples["process_per_test_s"].append(_timed(lambda: reduced.run_python("main.py", STDIN, LIMITS)))
            samples["bwrap_one_shot_s"].append(
                _timed(lambda: bwrap.run([bwrap.python, "-I", "main.py"], STDIN, LIMITS, files)))
    return samples


def throughput(workers: int, programs: int) -> float:
    """Programs (10 tests each) judged per second in the bwrap sandbox with `workers` threads."""
    sandbox = BwrapSandbox()
    tests = [TestCase(f"t{i}", f"{i} {i}\n", f"{2 * i}\n") for i in range(10)]
    settings = JudgeSettings(time_limit_s=2.0)
    source = "a, b = map(int, input().split())\nprint(a + b)\n"
    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        verdicts = list(pool.map(lambda _: judge(source, tests, OutputRule(), settings, sandbox).verdict, range(programs)))
    assert all(v == "AC" for v in verdicts), verdicts
    return programs / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--per-round", type=int, default=10)
    parser.add_argument("--programs", type=int, default=24)
    args = parser.parse_args()
    samples = per_test_costs(args.rounds, args.per_round)
    medians = {name: round(statistics.median(values), 5) for name, values in samples.items()}
    one, two = throughput(1, args.programs), throughput(2, args.programs)
    bare = medians["bare_interpreter_s"]
    print(json.dumps({
        "benchmark": "sandbox",
        "cpus": os.cpu_count(),
        "python": subprocess.run([PYTHON, "--version"], capture_output=True, text=True).stdout.strip(),
        "mechanisms": BwrapSandbox().mechanisms.to_json(),
        "load_average_1min_at_end": round(os.getloadavg()[0], 2),
        "samples_per_variant": {name: len(values) for name, values in samples.items()},
        "median_s": medians,
        "ratio_bwrap_warm_per_test_to_bare_interpreter": round(medians["bwrap_warm_per_test_s"] / bare, 3),
        "ratio_bwrap_warm_per_test_to_bare_program": round(medians["bwrap_warm_per_test_s"] / medians["bare_program_s"], 3),
        "ratio_bwrap_one_shot_to_bare_interpreter": round(medians["bwrap_one_shot_s"] / bare, 3),
        "ratio_process_per_test_to_bare_interpreter": round(medians["process_per_test_s"] / bare, 3),
        "throughput_programs_per_s": {"1_worker": round(one, 2), "2_workers": round(two, 2)},
        "scaling_2_workers": round(two / one, 3),
    }, indent=2))


if __name__ == "__main__":
    sys.exit(main())
