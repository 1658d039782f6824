"""Scores from judged results: unbiased pass@k, bootstrap intervals, paired comparisons. Pure functions."""

from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
from scipy import stats

SCHEMA = 2


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


BOOTSTRAP_METHOD = "BCa"


def bootstrap_interval(values: Sequence[float], resamples: int, seed: int = 0, level: float = 0.95) -> tuple[float, float]:
    """Bias-corrected and accelerated (BCa) bootstrap interval of the mean, resampling problems.

    scipy's implementation; where BCa is undefined (every value equal, e.g. nothing solved)
    the percentile interval is used, which is then the single value.
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
    means = _resampled_means(data, resamples, seed)
    alpha = (1 - level) / 2
    return float(np.quantile(means, alpha)), float(np.quantile(means, 1 - alpha))


def _resampled_means(data: np.ndarray, resamples: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return data[rng.integers(0, data.size, size=(resamples, data.size))].mean(axis=1)


def wilson_interval(successes: int, trials: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion (pass@1 with one sample per problem)."""
    if trials == 0:
        return (math.nan, math.nan)
    z = stats.norm.ppf(1 - (1 - level) / 2)
    phat = successes / trials
    centre = (phat + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * math.sqrt(phat * (1 - phat) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    return max(0.0, centre - half), min(1.0, centre + half)


def minimum_detectable_effect(diffs: Sequence[float], level: float = 0.95, power: float = 0.8) -> float:
    """The smallest true mean difference a paired test on these problems would detect with `power`.

    (z_{1-alpha/2} + z_power) * sd(diff) / sqrt(problems); the sd is floored at the one a single
    flipped problem gives, so that 0 observed variation does not claim infinite sensitivity.
    """
    data = np.asarray(diffs, dtype=float)
    if data.size < 2:
        return math.nan
    sd = max(float(data.std(ddof=1)), 1 / math.sqrt(data.size))
    z = stats.norm.ppf(1 - (1 - level) / 2) + stats.norm.ppf(power)
    return float(z * sd / math.sqrt(data.size))


def per_problem_counts(results: Iterable[dict]) -> dict[str, tuple[int, int]]:
    """Problem id -> (samples, correct samples)."""
    counts: dict[str, list[int]] = {}
    for record in results:
        entry = counts.setdefault(record["problem_id"], [0, 0])
        entry[0] += 1
        entry[1] += record["verdict"] == "AC"
    return {pid: (n, c) for pid, (n, c) in sorted(counts.items())}


def score_label(results: list[dict], ks: Sequence[int], resamples: int, seed: int = 0,
                meta: dict[str, dict] | None = None) -> dict:
    """pass@k with intervals, verdict counts, extraction health and breakdowns (`meta`: id -> rating, tags)."""
    counts = per_problem_counts(results)
    scores = {}
    for k in ks:
        values = [pass_at_k(n, c, k) for n, c in counts.values() if n >= k]
        if not values:
            continue
        low, high = bootstrap_interval(values, resamples, seed)
        scores[f"pass@{k}"] = {
            "estimate": float(np.mean(values)),
            "ci_low": low,
            "ci_high": high,
            "problems": len(values),
            "method": f"{BOOTSTRAP_METHOD} bootstrap over problems, {resamples} resamples, 95%",
        }
        if k == 1 and all(n == 1 for n, _ in counts.values()):  # a proportion: the closed form holds
            wilson = wilson_interval(sum(c for _, c in counts.values()), len(counts))
            scores["pass@1"]["wilson"] = {"ci_low": wilson[0], "ci_high": wilson[1]}
    total = max(len(results), 1)
    return {
        "problems": len(counts),
        "samples": len(results),
        "scores": scores,
        "verdicts": dict(Counter(r["verdict"] for r in results).most_common()),
        "tle_reruns": sum(r.get("tle_reruns", 0) for r in results),
        "tle_overturned": sum(r.get("tle_overturned", 0) for r in results),
        "extraction": {
            "no_code": sum(r["code"] is None for r in results) / total,
            "think_unclosed": sum(not r["think_closed"] for r in results) / total,
            "truncated": sum(r["finish_reason"] == "length" for r in results) / total,
        },
        "per_problem": {pid: {"n": n, "c": c} for pid, (n, c) in counts.items()},
        "by_rating": _breakdown(counts, ks, {pid: [rating_bucket(m.get("rating"))] for pid, m in (meta or {}).items()}),
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
        row = {"problems": len(pids)}
        for k in ks:
            values = [pass_at_k(*counts[p], k) for p in pids if counts[p][0] >= k]
            if values:
                row[f"pass@{k}"] = float(np.mean(values))
        table[group] = row
    return table


def paired_comparison(a: dict, b: dict, k: int, resamples: int, seed: int = 0) -> dict | None:
    """B minus a on the problems both labels scored: mean difference of pass@k with a paired bootstrap."""
    shared = sorted(set(a["per_problem"]) & set(b["per_problem"]))
    shared = [p for p in shared if a["per_problem"][p]["n"] >= k and b["per_problem"][p]["n"] >= k]
    if not shared:
        return None
    diffs = [
        pass_at_k(b["per_problem"][p]["n"], b["per_problem"][p]["c"], k)
        - pass_at_k(a["per_problem"][p]["n"], a["per_problem"][p]["c"], k)
        for p in shared
    ]
    low, high = bootstrap_interval(diffs, resamples, seed)
    verdict = "better" if low > 0 else "worse" if high < 0 else "cannot tell"
    means = _resampled_means(np.asarray(diffs, dtype=float), resamples, seed)
    p_value = min(1.0, 2 * min(float(np.mean(means <= 0)), float(np.mean(means >= 0))))
    return {
        "metric": f"pass@{k}",
        "difference": float(np.mean(diffs)),
        "ci_low": low,
        "ci_high": high,
        "p_value": p_value,
        "minimum_detectable_effect": minimum_detectable_effect(diffs),
        "method": f"paired {BOOTSTRAP_METHOD} bootstrap over problems, {resamples} resamples, 95%; "
                  "two-sided bootstrap p-value; MDE at 80% power",
        "problems": len(shared),
        "won": [p for p, d in zip(shared, diffs, strict=True) if d > 0],
        "lost": [p for p, d in zip(shared, diffs, strict=True) if d < 0],
        "verdict": verdict,
    }


def summarize(results_by_label: dict[str, list[dict]], ks: Sequence[int], resamples: int, baseline: str = "base",
              meta: dict[str, dict] | None = None) -> dict:
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
