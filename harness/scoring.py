"""Scores from judged results: unbiased pass@k, bootstrap intervals, paired comparisons. Pure functions."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

SCHEMA = 1


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k (Chen et al. 2021): 1 - C(n-c, k) / C(n, k), for n samples with c correct."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n, got n={n} c={c} k={k}")
    if n - c < k:
        return 1.0
    return 1.0 - math.prod(1.0 - k / i for i in range(n - c + 1, n + 1))


def bootstrap_interval(values: Sequence[float], resamples: int, seed: int = 0, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean, resampling problems."""
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        return (math.nan, math.nan)
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, data.size, size=(resamples, data.size))].mean(axis=1)
    alpha = (1 - level) / 2
    return float(np.quantile(means, alpha)), float(np.quantile(means, 1 - alpha))


def per_problem_counts(results: Iterable[dict]) -> dict[str, tuple[int, int]]:
    """Problem id -> (samples, correct samples)."""
    counts: dict[str, list[int]] = {}
    for record in results:
        entry = counts.setdefault(record["problem_id"], [0, 0])
        entry[0] += 1
        entry[1] += record["verdict"] == "AC"
    return {pid: (n, c) for pid, (n, c) in sorted(counts.items())}


def score_label(results: list[dict], ks: Sequence[int], resamples: int, seed: int = 0) -> dict:
    """pass@k with intervals, verdict counts and extraction health for one label."""
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
            "method": f"percentile bootstrap over problems, {resamples} resamples, 95%",
        }
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
    }


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
    return {
        "metric": f"pass@{k}",
        "difference": float(np.mean(diffs)),
        "ci_low": low,
        "ci_high": high,
        "problems": len(shared),
        "won": [p for p, d in zip(shared, diffs, strict=True) if d > 0],
        "lost": [p for p, d in zip(shared, diffs, strict=True) if d < 0],
        "verdict": verdict,
    }


def summarize(results_by_label: dict[str, list[dict]], ks: Sequence[int], resamples: int, baseline: str = "base") -> dict:
    """The `eval/summary.json` record: every label's scores and each label against the baseline."""
    labels = {label: score_label(results, ks, resamples) for label, results in results_by_label.items()}
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
