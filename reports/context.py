"""Turn `RunData` into the rows and figures both renderers show, so markdown and HTML agree."""

from __future__ import annotations

import re

from reports import charts
from reports.rundata import RunData

VERDICT_ORDER = ["AC", "WA", "TLE", "MLE", "OLE", "RE", "CE", "NO_CODE", "IE"]


def _pct(value) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def headline(data: RunData, summary: dict | None = None) -> list[dict]:
    """One row per label: every pass@k with its interval (of the held-out summary unless given another)."""
    summary = data.summary if summary is None else summary
    rows = []
    for label in data.labels:
        scored = summary.get("labels", {}).get(label, {})
        row = {"label": label, "problems": scored.get("problems", 0), "samples": scored.get("samples", 0), "scores": []}
        for metric, s in scored.get("scores", {}).items():
            row["scores"].append({
                "metric": metric,
                "text": f"{_pct(s['estimate'])} [{_pct(s['ci_low'])}, {_pct(s['ci_high'])}]",
                **s,
            })
        rows.append(row)
    return rows


def comparisons(data: RunData) -> list[dict]:
    """Paired differences against the base, with plain-words verdicts."""
    words = {"better": "yes", "worse": "no (worse)", "cannot tell": "cannot tell at this sample size"}
    rows = []
    for c in data.summary.get("comparisons", []):
        rows.append({
            **c,
            "text": f"{100 * c['difference']:+.1f} pts [{100 * c['ci_low']:+.1f}, {100 * c['ci_high']:+.1f}]",
            "p_text": f"p = {c['p_value']:.3g}" if "p_value" in c else "",
            "mde_text": _mde_text(c.get("minimum_detectable_effect")),
            "plain": f"{c['b']} better than {c['a']} on {c['metric']}: {words.get(c['verdict'], c['verdict'])}",
        })
    return rows


def verdict_counts(data: RunData) -> dict[str, dict[str, int]]:
    """Label -> verdict -> count, from the journaled results."""
    counts: dict[str, dict[str, int]] = {}
    for label in data.labels:
        tally = counts.setdefault(label, {})
        for record in data.results[label]:
            tally[record.verdict.value] = tally.get(record.verdict.value, 0) + 1
    return counts


def problem_rows(data: RunData) -> list[dict]:
    """Per-problem solved counts per label, ordered by difficulty, with every sample for drill-down."""
    ids = set(data.problems)
    for records in data.results.values():
        ids.update(r.problem_id for r in records)
    rows = []
    for pid in ids:
        info = data.problems.get(pid, {"id": pid, "title": pid})
        row = {"id": pid, "title": info.get("title", pid), "rating": info.get("rating"),
               "statement": info.get("statement", ""), "labels": {}}
        for label in data.labels:
            results = sorted((r for r in data.results[label] if r.problem_id == pid), key=lambda r: r.sample)
            completions = data.completions.get(label, {})
            row["labels"][label] = {
                "solved": sum(r.solved for r in results),
                "samples": [{**r.to_json(), "raw": c.text if (c := completions.get(r.completion_key)) else ""}
                            for r in results],
            }
        rows.append(row)
    return sorted(rows, key=lambda r: (r["rating"] is None, r["rating"] or 0, r["id"]))


_CHECKPOINT = re.compile(r"checkpoint-(\d+)$")


def checkpoint_sweep(data: RunData, metric: str) -> list[tuple[int, float, float, float]]:
    """Scores of evaluated checkpoints by training step: base at 0, `checkpoint-N` at N, the final adapter last.

    Empty unless at least one checkpoint was evaluated (`harness eval --adapter RUN/train/checkpoint-N ...`).
    """
    steps = {}
    for label in data.summary.get("labels", {}):
        match = _CHECKPOINT.search(label)
        if match:
            steps[label] = int(match.group(1))
    if not steps:
        return []
    if "base" in data.summary.get("labels", {}):
        steps["base"] = 0
    if "adapter" in data.summary.get("labels", {}) and data.metrics:
        steps["adapter"] = data.metrics[-1]["step"]
    sweep = []
    for label, step in steps.items():
        score = data.summary["labels"][label].get("scores", {}).get(metric)
        if score:
            sweep.append((step, score["estimate"], score["ci_low"], score["ci_high"]))
    return sweep


def figures(data: RunData) -> dict[str, str]:
    """Every chart the run's data supports, as SVG text keyed by name."""
    first_metric = next(iter(data.summary.get("labels", {}).get("base", {}).get("scores", {})), "pass@1")
    made = {"training": charts.training_chart(data.metrics, checkpoint_sweep(data, first_metric), first_metric)}
    bars = [
        (row["label"], s["estimate"], s["ci_low"], s["ci_high"])
        for row in headline(data)
        for s in row["scores"]
        if s["metric"] == first_metric
    ]
    made["pass_at_k"] = charts.pass_at_k_chart(bars, first_metric)
    made["verdicts"] = charts.verdict_chart(verdict_counts(data), VERDICT_ORDER)
    return {name: svg for name, svg in made.items() if svg}


FLAT_LOSS_SHARE = 0.2  # the first share of logged steps looked at
FLAT_LOSS_DROP = 0.02  # less relative fall than this over them is "flat"


def training_warnings(metrics: list[dict]) -> list[str]:
    """The seed's failure modes, read off the curve: a flat loss, zero gradients, heavy padding."""
    warnings = []
    losses = [m["loss"] for m in metrics if isinstance(m.get("loss"), int | float)]
    head = losses[: max(3, round(len(losses) * FLAT_LOSS_SHARE))]
    if len(losses) >= 10 and head[0] > 0 and (head[0] - min(head)) / head[0] < FLAT_LOSS_DROP:
        warnings.append(f"flat loss over the first {len(head)} logged steps ({head[0]:.4g} → {min(head):.4g}): check "
                        "the chat template and pad token, that assistant tokens are trained, and the learning rate")
    if metrics and all(m.get("grad_norm") == 0 for m in metrics if "grad_norm" in m):
        warnings.append("grad_norm is 0 at every logged step: the adapter is not training")
    padding = metrics[-1].get("padding_fraction") if metrics else None
    if padding is not None and padding > 0.3:
        warnings.append(f"{100 * padding:.0f}% of the batched tokens were padding: train.packing (padding-free) "
                        "would save that compute")
    return warnings


def training_summary(data: RunData) -> dict | None:
    """First and last logged values of the main training metrics, and warnings read off the curve."""
    if not data.metrics:
        return None
    first, last = data.metrics[0], data.metrics[-1]
    keys = ["loss", "grad_norm", "mean_token_accuracy", "padding_fraction", "tokens_per_s"]
    return {"steps": last.get("step"), "rows": [(k, first.get(k), last.get(k)) for k in keys if k in last],
            "warnings": training_warnings(data.metrics)}


def _mde_text(mde: float | None) -> str:
    if mde is None or mde != mde:  # absent or NaN (fewer than two problems)
        return ""
    if mde >= 1:
        return "smallest difference detectable here (80% power) is over 100 pts: too few problems to tell anything"
    return f"smallest difference detectable here (80% power): {100 * mde:.1f} pts"


def breakdowns(data: RunData) -> dict:
    """Pass rates by difficulty band and by tag: {"by_rating": {group: {label: row}}, "by_tag": ...}."""
    tables = {}
    for name in ("by_rating", "by_tag"):
        table: dict[str, dict] = {}
        for label, scored in data.summary.get("labels", {}).items():
            for group, row in scored.get(name, {}).items():
                table.setdefault(group, {})[label] = row
        if name == "by_rating":
            table = dict(sorted(table.items(), key=lambda item: (item[0] == "unrated", int(item[0].split("-")[0])
                                                                 if item[0] != "unrated" else 0)))
        tables[name] = table
    return tables


def held_out(data: RunData) -> dict:
    """How the held-out set was made and checked: split method, counts, contamination, skipped rows."""
    split = data.split
    if not split:
        return {}
    contamination = split.get("contamination", {})
    return {
        "method": split.get("method"),
        "counts": split.get("counts", {}),
        "contamination": {
            "checked": contamination.get("checked", 0),
            "rule": f"{contamination.get('ngram', '?')}-grams, threshold {contamination.get('threshold', '?')}",
            "counts": contamination.get("counts", {}),
            "removed": contamination.get("removed", []),
            "flagged": contamination.get("flagged", []),
        } if contamination else {},
        "sources": split.get("sources", {}),
    }


def build_context(data: RunData) -> dict:
    """Everything the templates need."""
    return {
        "root": str(data.root),
        "status": data.status,
        "missing": data.missing,
        "headline": headline(data),
        "seen_headline": headline(data, data.summary["seen"]) if data.summary.get("seen") else [],
        "held_out": held_out(data),
        "breakdowns": breakdowns(data),
        "first_metric": f"pass@{min(data.summary.get('ks') or [1])}",
        "comparisons": comparisons(data),
        "verdict_order": VERDICT_ORDER,
        "verdicts": verdict_counts(data),
        "extraction": {label: s.get("extraction", {}) for label, s in data.summary.get("labels", {}).items()},
        "problems": problem_rows(data),
        "labels": data.labels,
        "training": training_summary(data),
        "figures": figures(data),
        "config": data.config,
        "env": data.env,
        "split": {k: v for k, v in data.split.items() if k in ("method", "seed", "counts")},
    }
