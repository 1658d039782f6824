"""Scores from judged results: unbiased pass@k, bootstrap intervals, paired comparisons. Pure functions.

Results come in as `ResultRecord`s (the journal's typed records); what goes out is the
`eval/summary.json` record, plain data.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from scipy import stats

from reports.records import ResultRecord

SCHEMA = 3  # 3: Wilson effective-problem intervals, in_words, solved, effective_problems; sign-flip paired test


STANDARD_KS = (1, 2, 5, 10, 20, 50, 100)


def reported_ks(requested: Sequence[int], samples: int) -> list[int]:
    """The k values to report: those asked for plus every standard one the sample count allows."""
    return sorted({*requested, *(k for k in STANDARD_KS if k <= samples)})


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k (Chen et al. 2021): 1 - C(n-c, k) / C(n, k), for n samples with c correct."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n, got n={n} c={c} k={k}")
    if n - c < k:
        return 1.0
    return 1.0 - math.prod(1.0 - k / i for i in range(n - c + 1, n + 1))


LEVEL = 0.95
# Pseudo-problems of pass/fail spread that the observed dispersion is pooled with: with a handful of
# solved problems the between-problem variance is barely seen and, read raw, makes intervals too
# narrow. 0.35 is where the coverage simulation (benchmarks/coverage.py) stays inside 93-97% from
# 20 to 500 problems; larger values over-cover zero-heavy runs of 60 problems, smaller ones
# under-cover 20-problem runs.
DISPERSION_PRIOR = 0.35


def _z(level: float) -> float:
    return float(stats.norm.ppf(0.5 + level / 2))


def wilson_bounds(mean, trials, level: float = LEVEL) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score bounds for a proportion `mean` seen in `trials` (fractional allowed), numpy-vectorised.

    Wilson rather than the normal (CLT) or bootstrap interval because it keeps near-nominal coverage
    down to a handful of successes and never collapses to a point: 0 of n gives [0, z^2/(n + z^2)].
    """
    mean, trials = np.asarray(mean, dtype=float), np.asarray(trials, dtype=float)
    z2 = _z(level) ** 2
    shrink = 1 + z2 / trials
    centre = (mean + z2 / (2 * trials)) / shrink
    half = np.sqrt(z2 * (mean * (1 - mean) / trials + z2 / (4 * trials * trials))) / shrink
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def wilson_interval(successes: int, trials: int, level: float = LEVEL) -> tuple[float, float]:
    """Wilson score interval for a proportion (pass@1 with one sample per problem)."""
    if trials == 0:
        return (math.nan, math.nan)
    low, high = wilson_bounds(successes / trials, trials, level)
    return float(low), float(high)


def effective_problems(mean, var, solved, problems, samples):
    """Kish's effective sample size of a mean of per-problem scores in [0, 1]: problems / dispersion.

    The dispersion var / (mean (1 - mean)) is 1 for pass/fail scores (each problem counts once, the
    worst case for a [0, 1] score) and below 1 where several samples resolve a problem's rate. It is
    pooled with DISPERSION_PRIOR pseudo-problems of dispersion 1, weighted by the `solved` problems
    (those with any success) that reveal it; the result lies between `problems` and `samples`.
    Vectorised over numpy arrays (the coverage simulation calls it on thousands of runs at once).
    """
    mean, var, solved = (np.asarray(x, dtype=float) for x in (mean, var, solved))
    spread = mean * (1 - mean)
    with np.errstate(divide="ignore", invalid="ignore"):
        dispersion = np.where(spread > 0, var / spread, 1.0)
    dispersion = (solved * dispersion + DISPERSION_PRIOR) / (solved + DISPERSION_PRIOR)
    with np.errstate(divide="ignore"):
        return np.clip(problems / dispersion, problems, samples)


def _pct(value: float) -> str:
    return f"{100 * value:.2f}%" if 0 < value < 0.01 else f"{100 * value:.1f}%"


def interval_in_words(metric: str, estimate: float, low: float, high: float, solved: int, problems: int) -> str:
    """One sentence a report can print verbatim: what the interval claims, most useful when counts are small."""
    if solved == 0:
        return f"0 of {problems} problems solved: the true {metric} is below {_pct(high)} with 95% confidence."
    if estimate >= 1:
        return f"{problems} of {problems} problems solved: the true {metric} is above {_pct(low)} with 95% confidence."
    return (f"{metric} {_pct(estimate)}, {solved} of {problems} problems solved at least once: the true {metric} "
            f"is between {_pct(low)} and {_pct(high)} with 95% confidence.")


def pass_at_k_interval(values: Sequence[float], samples: int, metric: str = "pass@k", level: float = LEVEL) -> dict:
    """Mean per-problem pass@k with a Wilson score interval on the effective number of problems.

    Problems, not samples, are the unit: samples of one problem share its difficulty. "True" means
    the mean pass@k over the population the problems were drawn from. `samples` is the number of
    samples behind `values` (the most information they could hold).
    """
    data = np.asarray(values, dtype=float)
    estimate, solved = float(data.mean()), int(np.count_nonzero(data > 0))
    n_eff = float(effective_problems(estimate, float(data.var()), solved, data.size, max(samples, data.size)))
    low, high = (float(b) for b in wilson_bounds(estimate, n_eff, level))
    if np.all((data == 0) | (data == 1)):
        how = f"over {data.size} problems, each solved or not"
    else:
        how = f"over {n_eff:.1f} effective problems ({data.size} problems, design effect from the between-problem variance)"
    return {
        "estimate": estimate,
        "ci_low": low,
        "ci_high": high,
        "problems": int(data.size),
        "solved": solved,
        "effective_problems": n_eff,
        "level": level,
        "method": f"Wilson score interval {how}, {level:.0%}",
        "in_words": interval_in_words(metric, estimate, low, high, solved, int(data.size)),
    }


BOOTSTRAP_METHOD = "BCa"


def bootstrap_interval(values: Sequence[float], resamples: int, seed: int = 0, level: float = LEVEL) -> tuple[float, float]:
    """Bias-corrected and accelerated (BCa) bootstrap interval of the mean, resampling problems.

    No longer what the summary reports: it under-covers zero-heavy runs and collapses to a point
    when nothing is solved (see benchmarks/RESULTS.md); kept as the reference the benchmark compares.
    scipy's implementation; where BCa is undefined (every value equal) the percentile interval is used.
    """
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        return (math.nan, math.nan)
    if data.size > 1 and np.ptp(data) > 0:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = stats.bootstrap((data,), np.mean, n_resamples=resamples, confidence_level=level,
                                     method="BCa", random_state=seed, vectorized=True)
        low, high = result.confidence_interval
        if np.isfinite(low) and np.isfinite(high):
            return float(low), float(high)
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, data.size, size=(resamples, data.size))].mean(axis=1)
    alpha = (1 - level) / 2
    return float(np.quantile(means, alpha)), float(np.quantile(means, 1 - alpha))


def minimum_detectable_effect(diffs: Sequence[float] | np.ndarray, level: float = LEVEL,
                              power: float = 0.8) -> float:
    """The smallest true mean difference a paired test on these problems would detect with `power`.

    (z_{1-alpha/2} + z_power) * sd(diff) / sqrt(problems); the sd is floored at the one a single
    flipped problem gives, so that 0 observed variation does not claim infinite sensitivity.
    """
    data = np.asarray(diffs, dtype=float)
    if data.size < 2:
        return math.nan
    z = _z(level) + stats.norm.ppf(power)
    return float(z * _floored_sd(data) / math.sqrt(data.size))


def _floored_sd(data: np.ndarray) -> float:
    return max(float(data.std(ddof=1)), 1 / math.sqrt(data.size))


POWER_EFFECTS = (0.01, 0.02, 0.05, 0.10)


def power_at(diffs: Sequence[float] | np.ndarray, effects: Sequence[float] = POWER_EFFECTS,
             level: float = LEVEL) -> dict[str, float]:
    """Chance that the paired test on this many problems detects a true difference of each size (normal approximation)."""
    data = np.asarray(diffs, dtype=float)
    if data.size < 2:
        return {}
    se, z = _floored_sd(data) / math.sqrt(data.size), _z(level)
    return {f"{e:g}": float(stats.norm.cdf(e / se - z) + stats.norm.cdf(-e / se - z)) for e in effects}


def per_problem_counts(results: Iterable[ResultRecord]) -> dict[str, tuple[int, int]]:
    """Problem id -> (samples, correct samples)."""
    counts: dict[str, list[int]] = {}
    for record in results:
        entry = counts.setdefault(record.problem_id, [0, 0])
        entry[0] += 1
        entry[1] += record.solved
    return {pid: (n, c) for pid, (n, c) in sorted(counts.items())}


def score_label(results: list[ResultRecord], ks: Sequence[int], resamples: int, seed: int = 0,
                meta: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """pass@k with intervals, verdict counts, extraction health and breakdowns (`meta`: id -> rating, difficulty, tags).

    `by_difficulty` groups by the source's own label (LiveCodeBench: easy, medium, hard) where it has one.
    """
    counts = per_problem_counts(results)
    scores: dict[str, dict[str, Any]] = {}
    for k in ks:
        used = [(n, c) for n, c in counts.values() if n >= k]
        if not used:
            continue
        metric = f"pass@{k}"
        scores[metric] = pass_at_k_interval([pass_at_k(n, c, k) for n, c in used], sum(n for n, _ in used), metric)
        if k == 1 and all(n == 1 for n, _ in counts.values()):  # kept for readers of schema 2: the same interval
            scores[metric]["wilson"] = {"ci_low": scores[metric]["ci_low"], "ci_high": scores[metric]["ci_high"]}
    total = max(len(results), 1)
    return {
        "problems": len(counts),
        "samples": len(results),
        "scores": scores,
        "verdicts": dict(Counter(r.verdict.value for r in results).most_common()),
        "tle_reruns": sum(r.tle_reruns for r in results),
        "tle_overturned": sum(r.tle_overturned for r in results),
        "extraction": {
            "no_code": sum(r.code is None for r in results) / total,
            "think_unclosed": sum(not r.think_closed for r in results) / total,
            "truncated": sum(r.finish_reason == "length" for r in results) / total,
        },
        "per_problem": {pid: {"n": n, "c": c} for pid, (n, c) in counts.items()},
        "by_rating": _breakdown(counts, ks, {pid: [rating_bucket(m.get("rating"))] for pid, m in (meta or {}).items()}),
        "by_difficulty": _breakdown(counts, ks, {pid: [m["difficulty"]] for pid, m in (meta or {}).items()
                                                 if m.get("difficulty")}),
        "by_tag": _breakdown(counts, ks, {pid: list(m.get("tags") or []) for pid, m in (meta or {}).items()}),
    }


def rating_bucket(rating: int | None) -> str:
    """Difficulty bands of 400 rating points (Codeforces-like), or 'unrated'."""
    if rating is None:
        return "unrated"
    low = (int(rating) // 400) * 400
    return f"{low}-{low + 399}"


def _breakdown(counts: dict[str, tuple[int, int]], ks: Sequence[int], groups: dict[str, list[str]]) -> dict:
    """Mean pass@k per group (a problem may sit in several, e.g. tags)."""
    members: dict[str, list[str]] = {}
    for pid in counts:
        for group in groups.get(pid, []):
            members.setdefault(group, []).append(pid)
    table = {}
    for group, pids in sorted(members.items()):
        row: dict[str, float] = {"problems": len(pids)}
        for k in ks:
            values = [pass_at_k(*counts[p], k) for p in pids if counts[p][0] >= k]
            if values:
                row[f"pass@{k}"] = float(np.mean(values))
        table[group] = row
    return table


EXACT_SIGN_FLIPS = 12  # up to 2**12 sign patterns are enumerated (an exact test); beyond, `resamples` are drawn


def sign_patterns(size: int, resamples: int, seed: int) -> tuple[np.ndarray, bool]:
    """Every +-1 pattern over `size` problems when that is few enough, else `resamples` random ones."""
    if size <= EXACT_SIGN_FLIPS:
        codes = np.arange(2**size)[:, None] >> np.arange(size)[None, :]
        return 1.0 - 2.0 * (codes & 1), True
    return np.random.default_rng(seed).choice([-1.0, 1.0], size=(resamples, size)), False


def flip_p_values(diffs, signs: np.ndarray, exact: bool, delta: float = 0.0) -> np.ndarray:
    """Two-sided sign-flip p-values for "the mean difference is `delta`", one per row of `diffs` (runs x problems).

    If a and b are the same model, which of them produced each problem's pair of scores is a coin
    toss, so flipping the signs of the differences is exact: the type-I error is at most the level
    whatever the solve rates and however few problems are solved. Random patterns count the observed one too.
    """
    centred = np.atleast_2d(np.asarray(diffs, dtype=float)) - delta
    observed = np.abs(centred.mean(axis=1, keepdims=True))
    flipped = np.abs(centred @ signs.T) / centred.shape[1]
    extreme = np.count_nonzero(flipped >= observed * (1 - 1e-9) - 1e-12, axis=1)
    return extreme / len(signs) if exact else (1 + extreme) / (1 + len(signs))


class _FlipTest:
    """`flip_p_values` for one vector of differences, at many deltas.

    The patterns x problems product is done once (sum_i s_i (d_i - delta) = s.d - delta * sum_i s_i),
    so each delta costs O(patterns), not O(patterns x problems); the interval's bisection asks for ~80.
    """

    def __init__(self, diffs: np.ndarray, signs: np.ndarray, exact: bool) -> None:
        self.size, self.mean, self.exact, self.count = diffs.size, float(diffs.mean()), exact, len(signs)
        self.dot, self.sums = signs @ diffs, signs.sum(axis=1)

    def __call__(self, delta: float = 0.0) -> float:
        observed = abs(self.mean - delta)
        flipped = np.abs(self.dot - delta * self.sums) / self.size
        extreme = int(np.count_nonzero(flipped >= observed * (1 - 1e-9) - 1e-12))
        return extreme / self.count if self.exact else (1 + extreme) / (1 + self.count)


def _inverted_bound(p_at: _FlipTest, level: float, side: int) -> float:
    """The end (side -1: lower, +1: upper) of {delta : p(delta) > 1 - level}, by bisection.

    0 is used as a bracket point whenever it lies on that side, so the interval excludes 0 exactly
    when p(0) <= 1 - level: the interval and the p-value cannot disagree.
    """
    alpha, inner, outer = 1 - level, p_at.mean, float(side)
    if side * inner < 0:  # 0 lies between the estimate and this end
        if p_at(0.0) <= alpha:
            outer = 0.0
        else:
            inner = 0.0
    if p_at(outer) > alpha:
        return outer
    for _ in range(40):
        middle = (inner + outer) / 2
        if p_at(middle) > alpha:
            inner = middle
        else:
            outer = middle
    return inner


def paired_comparison(a: dict, b: dict, k: int, resamples: int, seed: int = 0, level: float = LEVEL) -> dict | None:
    """B minus a on the problems both labels scored: mean difference of pass@k, a sign-flip test and its interval.

    The interval inverts the test, widened to at least z/N either side (one problem's worth) where
    that does not cross 0, so that identical results on few problems do not claim a zero-width certainty.
    """
    shared = sorted(set(a["per_problem"]) & set(b["per_problem"]))
    shared = [p for p in shared if a["per_problem"][p]["n"] >= k and b["per_problem"][p]["n"] >= k]
    if not shared:
        return None
    diffs = np.array([
        pass_at_k(b["per_problem"][p]["n"], b["per_problem"][p]["c"], k)
        - pass_at_k(a["per_problem"][p]["n"], a["per_problem"][p]["c"], k)
        for p in shared
    ])
    signs, exact = sign_patterns(diffs.size, resamples, seed)
    p_at = _FlipTest(diffs, signs, exact)
    p_value = p_at(0.0)
    significant, estimate, floor = p_value <= 1 - level, float(diffs.mean()), _z(level) / diffs.size
    low, high = (_inverted_bound(p_at, level, side) for side in (-1, 1))
    if not (significant and estimate > 0):
        low = max(-1.0, min(low, estimate - floor))
    if not (significant and estimate < 0):
        high = min(1.0, max(high, estimate + floor))
    verdict = "better" if significant and estimate > 0 else "worse" if significant else "cannot tell"
    mde = minimum_detectable_effect(diffs, level)
    patterns = f"all {len(signs)} sign patterns" if exact else f"{len(signs)} random sign patterns"
    return {
        "metric": f"pass@{k}",
        "difference": estimate,
        "ci_low": low,
        "ci_high": high,
        "p_value": p_value,
        "minimum_detectable_effect": mde,
        "power_at": power_at(diffs, level=level),
        "level": level,
        "method": f"paired sign-flip randomisation test over problems ({patterns}), two-sided; the {level:.0%} interval "
                  "inverts the same test (it excludes 0 exactly when p <= 0.05), at least z/N wide; "
                  "MDE at 80% power and power_at by normal approximation",
        "problems": len(shared),
        "won": [p for p, d in zip(shared, diffs, strict=True) if d > 0],
        "lost": [p for p, d in zip(shared, diffs, strict=True) if d < 0],
        "verdict": verdict,
        "in_words": _comparison_in_words(estimate, low, high, p_value, verdict, len(shared), mde),
    }


def _comparison_in_words(estimate: float, low: float, high: float, p_value: float, verdict: str, problems: int,
                         mde: float) -> str:
    """One sentence for the report: the difference, its interval, and what it can and cannot rule out."""
    said = (f"{100 * estimate:+.1f} pts (95% interval {100 * low:+.1f} to {100 * high:+.1f} pts, p = {p_value:.3g}) "
            f"over {problems} problems")
    if verdict != "cannot tell":
        return f"{said}: {verdict}."
    if math.isnan(mde) or mde >= 1:
        return f"{said}: cannot tell; too few problems to detect any difference reliably."
    return f"{said}: cannot tell; a true difference under {100 * mde:.1f} pts would usually go undetected here."


def summarize(results_by_label: dict[str, list[ResultRecord]], ks: Sequence[int], resamples: int,
              baseline: str = "base", meta: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The `eval/summary.json` record: every label's scores and each label against the baseline."""
    labels = {label: score_label(results, ks, resamples, meta=meta) for label, results in results_by_label.items()}
    comparisons = []
    if baseline in labels:
        for label in labels:
            if label == baseline:
                continue
            for k in ks:
                paired = paired_comparison(labels[baseline], labels[label], k, resamples)
                if paired:
                    comparisons.append({"a": baseline, "b": label, **paired})
    return {"schema": SCHEMA, "ks": list(ks), "labels": labels, "comparisons": comparisons}
