"""Judging throughput with the local executor and with Ray on this machine, at the same worker count.

Prints one JSON object. Every variant judges the same journaled completions through
`judge_completions` (fresh result journals each time, bubblewrap sandbox), in interleaved
rounds so that a busy moment of the machine hits every variant alike; medians are reported:

- `throughput_programs_per_s`: the bundled problems' reference solutions (10-16 tests each)
  with `--workers` workers: `local` (threads), `ray_1_node` (a local Ray of `--workers` CPUs),
  and `ray_2_nodes` (`ray.cluster_utils.Cluster`: two nodes on this host, half the CPUs each);
  `overhead_ratio` is ray_1_node / local (target >= 0.8);
- `per_program_ms`: one worker, one program at a time, for a trivial program (one test) and a
  real one; `ray_overhead_ms` is Ray's extra time per program (submit, schedule, fetch the
  problem's tests from the object store, return, wait);
- `driver`: what one driver pays per result whatever the cluster: an empty Ray task's round
  trip (`noop_task_ms`, one at a time; `noop_pipelined_ms`, 400 in flight) and one journaled
  result (`journal_append_ms`, flushed and fsynced); `ceiling_programs_per_s` = 1000 / (their
  sum, pipelined), the most one driver can journal, however many nodes judge;
- `ray_start_s`: starting the local Ray (once per run, outside every figure above).

Usage: python benchmarks/executor.py [--rounds N] [--workers W] [--trivial N] [--no-two-nodes]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from harness import imported
from harness.config import load_config
from harness.evaluation import Judging, judge_completions
from harness.problems import Example, Problem
from harness.problems.bundled import load_bundled
from harness.progress import SilentProgress
from harness.rundir import RunDir
from judges import Language, Verdict
from reports.records import ResultRecord
from sandboxes import make_sandbox

LABEL = "bench"
TRIVIAL = Problem(id="bench/echo", title="Echo", description="Print the input.", examples=(Example("7\n", "7\n"),))


def fenced(code: str) -> str:
    return f"```python\n{code}```"


def prepare(folder: Path, problems: list[Problem], code_of, copies: int) -> tuple[Path, dict[str, Problem]]:
    """A run directory whose completions are journaled: `copies` samples of `code_of(problem)` per problem."""
    folder.mkdir(parents=True)
    path = folder / "completions.jsonl"
    with path.open("w") as handle:
        for problem in problems:
            for sample in range(copies):
                handle.write(json.dumps({"problem_id": problem.id, "label": LABEL, "sample": sample,
                                         "text": fenced(code_of(problem))}) + "\n")
    known = {p.id: p for p in problems}
    run = RunDir(folder / "run")
    imported.import_completions(run, path, known, imported.check_completions(path, known))
    return run.root, known


def judge_once(template: Path, known: dict[str, Problem], workdir: Path, executor: str, workers: int,
               sandbox) -> tuple[float, int, Counter]:
    """Wall seconds, programs and verdicts of one `judge_completions` over a fresh copy of `template`."""
    target = Path(tempfile.mkdtemp(dir=workdir))
    shutil.copytree(template, target, dirs_exist_ok=True)
    config = load_config(None, [f"eval.workers={workers}", f"eval.executor={executor}", "eval.sandbox=bwrap"])
    judging = Judging(config.eval, Language.PYTHON, sandbox)
    run = RunDir(target)
    started = time.perf_counter()
    judge_completions(run, [LABEL], known, judging, SilentProgress())
    wall = time.perf_counter() - started
    verdicts = Counter(r.verdict.value for r in run.results(LABEL).records(ResultRecord))
    shutil.rmtree(target)
    return wall, sum(verdicts.values()), verdicts


def driver_costs(ray, workdir: Path) -> dict[str, float]:
    """Per-result costs of the driver: an empty Ray task (alone and pipelined) and one journaled result."""
    noop = ray.remote(num_cpus=1)(lambda: None)
    ray.get(noop.remote())
    alone = []
    for _ in range(50):
        started = time.perf_counter()
        ray.get(noop.remote())
        alone.append(time.perf_counter() - started)
    started = time.perf_counter()
    ray.get([noop.remote() for _ in range(400)])
    pipelined = (time.perf_counter() - started) / 400
    journal = RunDir(workdir / "journal").results(LABEL)
    record = ResultRecord(key="k", completion_key="c", label=LABEL, problem_id=TRIVIAL.id, sample=0,
                          verdict=Verdict.AC, code="print(input())\n")
    appends = []
    for index in range(100):
        started = time.perf_counter()
        journal.append(dataclasses.replace(record, key=f"k{index}"))
        appends.append(time.perf_counter() - started)
    costs = {"noop_task_ms": 1000 * statistics.median(alone), "noop_pipelined_ms": 1000 * pipelined,
             "journal_append_ms": 1000 * statistics.median(appends)}
    costs["ceiling_programs_per_s"] = 1000 / (costs["noop_pipelined_ms"] + costs["journal_append_ms"])
    return {name: round(value, 2) for name, value in costs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--trivial", type=int, default=40, help="trivial programs per overhead round")
    parser.add_argument("--no-two-nodes", action="store_true", help="skip the two-node cluster")
    args = parser.parse_args()
    # Token authentication from the environment: a local ray.init() would otherwise write one into ~/.ray.
    os.environ.setdefault("RAY_AUTH_MODE", "token")
    os.environ.setdefault("RAY_AUTH_TOKEN", secrets.token_hex(32))
    import ray

    workdir = Path(tempfile.mkdtemp(prefix="bench-executor-"))
    sandbox = make_sandbox("bwrap")
    bundled = load_bundled()
    real, real_known = prepare(workdir / "real", bundled, lambda p: p.reference_solution, 1)
    one_real, one_known = prepare(workdir / "one", bundled[:20], lambda p: p.reference_solution, 1)
    trivial, trivial_known = prepare(workdir / "trivial", [TRIVIAL], lambda p: "print(input())\n", args.trivial)

    started = time.perf_counter()
    ray.init(num_cpus=args.workers, include_dashboard=False, log_to_driver=False)
    ray_start = time.perf_counter() - started
    judge_once(trivial, trivial_known, workdir, "ray", args.workers, sandbox)  # warm the workers' sandboxes

    rates: dict[str, list[float]] = {"local": [], "ray_1_node": []}
    per_program: dict[str, list[float]] = {f"{kind}_{executor}": [] for kind in ("trivial", "real")
                                           for executor in ("local", "ray")}
    verdicts: dict[str, Counter] = {}
    for _ in range(args.rounds):
        for executor, name in (("local", "local"), ("ray", "ray_1_node")):
            wall, count, verdicts[name] = judge_once(real, real_known, workdir, executor, args.workers, sandbox)
            rates[name].append(count / wall)
            for kind, (template, known) in {"trivial": (trivial, trivial_known), "real": (one_real, one_known)}.items():
                wall, count, _ = judge_once(template, known, workdir, executor, 1, sandbox)
                per_program[f"{kind}_{executor}"].append(1000 * wall / count)
    driver = driver_costs(ray, workdir)
    ray.shutdown()

    if not args.no_two_nodes:
        from ray.cluster_utils import Cluster

        cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": max(1, args.workers // 2),
                                                                "include_dashboard": False})
        cluster.add_node(num_cpus=max(1, args.workers - args.workers // 2))
        ray.init(address=cluster.address, log_to_driver=False)
        judge_once(trivial, trivial_known, workdir, "ray", args.workers, sandbox)  # warm both nodes' workers
        rates["ray_2_nodes"] = []
        for _ in range(args.rounds):
            wall, count, verdicts["ray_2_nodes"] = judge_once(real, real_known, workdir, "ray", args.workers, sandbox)
            rates["ray_2_nodes"].append(count / wall)
        ray.shutdown()
        cluster.shutdown()
    shutil.rmtree(workdir)

    assert len({tuple(sorted(v.items())) for v in verdicts.values()}) == 1, verdicts  # the same verdicts everywhere
    medians = {name: round(statistics.median(values), 2) for name, values in rates.items()}
    ms = {name: round(statistics.median(values), 1) for name, values in per_program.items()}
    print(json.dumps({
        "benchmark": "executor",
        "cpus": os.cpu_count(),
        "ray": ray.__version__,
        "workers": args.workers,
        "rounds": args.rounds,
        "programs": {"real": sum(verdicts["local"].values()), "verdicts": dict(verdicts["local"]),
                     "trivial": args.trivial, "real_one_worker": len(one_known)},
        "load_average_1min_at_end": round(os.getloadavg()[0], 2),
        "ray_start_s": round(ray_start, 2),
        "throughput_programs_per_s": medians,
        "overhead_ratio": round(medians["ray_1_node"] / medians["local"], 3),
        "two_node_ratio": round(medians["ray_2_nodes"] / medians["ray_1_node"], 3) if "ray_2_nodes" in medians else None,
        "per_program_ms": ms,
        "ray_overhead_ms": {kind: round(ms[f"{kind}_ray"] - ms[f"{kind}_local"], 1) for kind in ("trivial", "real")},
        "driver": driver,
    }, indent=2))


if __name__ == "__main__":
    sys.exit(main())
