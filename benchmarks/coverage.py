"""Coverage of the pass@k intervals and type-I error of the paired comparison, on simulated models.

A simulated model is a pool of problems whose true solve rates are known: a share of problems is
never solved and the rest have Beta(a, b) solve rates. A run draws `problems` problems from the
pool and `samples` samples of each; the *true* pass@k is the pool's, E[1 - (1 - p)^k] over
problems (problems are a sample of a population, so that is what an interval must cover).

- coverage: the share of simulated runs whose interval (harness.scoring, the same functions the
  summary uses, vectorised over runs) contains the true pass@k, for every k = 1 .. samples;
- exact binary coverage: pass@n (and pass@1 with one sample) is pass/fail per problem, so its
  coverage is a binomial sum; `achievable` is the coverage inside 93-97% nearest 95% that any
  interval could reach at that true value, or None where discreteness leaves no such interval;
- type-I error: two identical models (same problems, independent samples) judged different by
  the paired sign-flip test at p <= 0.05;
- reference methods: the normal (CLT) interval, mean +- t * sd / sqrt(N), which is what
  lm-evaluation-harness and inspect_ai report as stderr, and the BCa bootstrap the summary used before.

Usage: python benchmarks/coverage.py [--trials 2000] [--flip-trials 2000] [--bca-trials 400] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import math
import time
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from harness.scoring import effective_problems, flip_p_values, pass_at_k, sign_patterns, wilson_bounds


@dataclass(frozen=True)
class Pool:
    """A simulated model: `never` of the problems are never solved, the rest have Beta(a, b) solve rates."""

    name: str
    never: float
    a: float
    b: float

    def truth(self, ks) -> np.ndarray:
        """Population pass@k: (1 - never) * (1 - E[(1 - p)^k]) for p ~ Beta(a, b)."""
        ks = np.asarray(ks, dtype=float)
        return (1 - self.never) * (1 - np.exp(special.betaln(self.a, self.b + ks) - special.betaln(self.a, self.b)))

    def rates(self, rng: np.random.Generator, runs: int, problems: int) -> np.ndarray:
        return rng.beta(self.a, self.b, size=(runs, problems)) * (rng.random((runs, problems)) >= self.never)


POOLS = (
    Pool("zero-heavy", 0.85, 0.7, 4.0),  # the small model: true pass@1 2.2%
    Pool("low", 0.5, 0.7, 2.0),  # pass@1 13%
    Pool("mid", 0.3, 0.8, 0.8),  # pass@1 35%, U-shaped rates
)
PROBLEMS = (20, 60, 150, 500)
SAMPLES = (1, 4, 8, 16)


def pass_table(samples: int) -> np.ndarray:
    """[c, k - 1] -> unbiased pass@k of a problem with c of `samples` correct."""
    return np.array([[pass_at_k(samples, c, k) for k in range(1, samples + 1)] for c in range(samples + 1)])


def simulated_scores(pool: Pool, problems: int, samples: int, runs: int, rng: np.random.Generator) -> np.ndarray:
    """Per-problem pass@k of `runs` simulated runs: runs x problems x k."""
    return pass_table(samples)[rng.binomial(samples, pool.rates(rng, runs, problems))]


def wilson_effective(scores: np.ndarray, samples: int) -> tuple[np.ndarray, np.ndarray]:
    """The summary's interval (harness.scoring.pass_at_k_interval), for every run and k at once."""
    problems = scores.shape[1]
    mean, var = scores.mean(axis=1), scores.var(axis=1)
    solved = np.count_nonzero(scores[:, :, :1] > 0, axis=1)
    return wilson_bounds(mean, effective_problems(mean, var, solved, problems, problems * samples))


def normal_interval(scores: np.ndarray, samples: int) -> tuple[np.ndarray, np.ndarray]:
    problems = scores.shape[1]
    half = stats.t.ppf(0.975, problems - 1) * scores.std(axis=1, ddof=1) / math.sqrt(problems)
    mean = scores.mean(axis=1)
    return mean - half, mean + half


def coverage(pool: Pool, problems: int, samples: int, runs: int, seed: int, method=wilson_effective,
             chunk: int = 500) -> np.ndarray:
    """Share of `runs` whose interval contains the true pass@k, for k = 1 .. samples."""
    rng, truth, hits = np.random.default_rng(seed), pool.truth(np.arange(1, samples + 1)), 0
    for start in range(0, runs, chunk):
        low, high = method(simulated_scores(pool, problems, samples, min(chunk, runs - start), rng), samples)
        hits = hits + np.count_nonzero((low <= truth) & (truth <= high), axis=0)
    return hits / runs


def bca_coverage(pool: Pool, problems: int, samples: int, runs: int, seed: int, resamples: int = 1000) -> np.ndarray:
    """The previous summary's BCa bootstrap (with its point fallback when every value is equal), pass@1 and pass@n."""
    from harness.scoring import bootstrap_interval

    rng, ks = np.random.default_rng(seed), sorted({1, samples})
    truth, hits = pool.truth(ks), np.zeros(len(ks))
    scores = simulated_scores(pool, problems, samples, runs, rng)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for run in range(runs):
            for i, k in enumerate(ks):
                low, high = bootstrap_interval(scores[run, :, k - 1], resamples, seed=run)
                hits[i] += low <= truth[i] <= high
    return hits / runs


def exact_binary(pool: Pool, problems: int, k: int) -> dict:
    """Exact coverage of the summary's interval for a pass/fail score (pass@n), and the best any interval could do."""
    truth = float(pool.truth([k])[0])
    solved = np.arange(problems + 1)
    pmf = stats.binom.pmf(solved, problems, truth)
    low, high = wilson_bounds(solved / problems, problems)
    cdf = np.concatenate([[0.0], np.cumsum(pmf)])
    sets = (cdf[None, 1:] - cdf[:-1, None])[np.triu_indices(problems + 1)]  # P(i <= solved <= j), every i <= j
    inside = sets[(sets >= 0.93) & (sets <= 0.97)]
    return {"coverage": float(pmf[(low <= truth) & (truth <= high)].sum()),
            "achievable": float(inside[np.argmin(abs(inside - 0.95))]) if inside.size else None}


def type_one_error(pool: Pool, problems: int, samples: int, runs: int, seed: int, resamples: int = 1000) -> np.ndarray:
    """Share of runs in which two identical models are called different (p <= 0.05), for k = 1 .. samples."""
    rng = np.random.default_rng(seed)
    rates = pool.rates(rng, runs, problems)
    table = pass_table(samples)
    diffs = table[rng.binomial(samples, rates)] - table[rng.binomial(samples, rates)]
    signs, exact = sign_patterns(problems, resamples, seed)
    return np.array([np.mean(flip_p_values(diffs[:, :, k], signs, exact) <= 0.05) for k in range(samples)])


def _cells():
    return [(pool, problems, samples) for pool in POOLS for problems in PROBLEMS for samples in SAMPLES]


def _span(values) -> str:
    return f"{min(values):.3f}" if len(values) == 1 else f"{min(values):.3f}–{max(values):.3f}"


def markdown(rows: list[dict]) -> str:
    """The tables of RESULTS.md: coverage (min-max over k), type-I error (max over k), the references."""
    head = "| pool | problems | " + " | ".join(f"n={m}" for m in SAMPLES) + " |\n|---|---:|" + "---:|" * len(SAMPLES)
    table = {(r["pool"], r["problems"], r["samples"]): r for r in rows}
    out = []
    for title, cell in (("Coverage of the true pass@k, min–max over k = 1..n (pass@n exact, the rest simulated)",
                         lambda r: _span(r["coverage"][:-1] + [r["exact_pass_at_n"]["coverage"]])),
                        ("Exact coverage of pass@n (pass/fail per problem); in brackets the nearest to 95% any interval "
                         "can reach inside 93–97% (none: discreteness allows none)",
                         lambda r: f"{r['exact_pass_at_n']['coverage']:.3f} ({_achievable(r)})"),
                        ("Type-I error of the paired comparison, mean over k (max over k)",
                         lambda r: f"{np.mean(r['type_one_error']):.3f} ({max(r['type_one_error']):.3f})"),
                        ("Reference: normal (CLT) interval, min–max over k", lambda r: _span(r["normal"])),
                        ("Reference: BCa bootstrap (the previous summary), pass@1 and pass@n",
                         lambda r: _span(r["bca"]) if "bca" in r else "")):
        lines = [f"{pool.name} | {problems} | " + " | ".join(cell(table[(pool.name, problems, m)]) for m in SAMPLES)
                 for pool in POOLS for problems in PROBLEMS
                 if any(cell(table[(pool.name, problems, m)]) for m in SAMPLES)]
        out.append(f"{title}:\n\n{head}\n" + "\n".join(f"| {line} |" for line in lines))
    return "\n\n".join(out)


def _achievable(row: dict) -> str:
    best = row["exact_pass_at_n"]["achievable"]
    return "none" if best is None else f"{best:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=2000, help="simulated runs per regime for interval coverage")
    parser.add_argument("--flip-trials", type=int, default=2000, help="simulated run pairs per regime for type-I error")
    parser.add_argument("--bca-trials", type=int, default=400, help="runs per regime for the BCa reference (slow; 0 skips)")
    parser.add_argument("--json", help="also write every figure here")
    parser.add_argument("--markdown", help="print the RESULTS.md tables of a --json file written before, and stop")
    args = parser.parse_args()
    if args.markdown:
        with open(args.markdown, encoding="utf-8") as saved:
            print(markdown(json.load(saved)["rows"]))
        return
    rows, started = [], time.perf_counter()
    for seed, (pool, problems, samples) in enumerate(_cells()):
        row = {"pool": pool.name, "problems": problems, "samples": samples,
               "coverage": coverage(pool, problems, samples, args.trials, seed).tolist(),
               "normal": coverage(pool, problems, samples, args.trials, seed, normal_interval).tolist(),
               "exact_pass_at_n": exact_binary(pool, problems, samples),
               "type_one_error": type_one_error(pool, problems, samples, args.flip_trials, seed).tolist()}
        if args.bca_trials and problems in (20, 60) and samples in (1, 8):
            row["bca"] = bca_coverage(pool, problems, samples, args.bca_trials, seed).tolist()
        rows.append(row)
        print(json.dumps({**row, "elapsed_s": round(time.perf_counter() - started, 1)}), flush=True)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump({"trials": args.trials, "flip_trials": args.flip_trials, "bca_trials": args.bca_trials,
                       "rows": rows}, out, indent=1)


if __name__ == "__main__":
    main()
