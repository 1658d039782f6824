"""The `eval/summary.json` record: each label's scores, verdicts, breakdowns, and each label against the baseline.

Results come in as `ResultRecord`s (the journal's typed records); what goes out is plain data.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from harness.scoring.intervals import pass_at_k_interval
from harness.scoring.paired import paired_comparison
from harness.scoring.passk import pass_at_k
from reports.records import ResultRecord

SCHEMA = 3  # 3: Wilson effective-problem intervals, in_words, solved, effective_problems; sign-flip paired test


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
