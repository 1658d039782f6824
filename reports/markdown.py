"""`report.md`: headline tables and key figures, readable on GitHub (charts as SVG files beside it)."""

from __future__ import annotations

from pathlib import Path


def md_table(header: list[str], rows: list[list]) -> list[str]:
    """A GitHub markdown table (cells escaped), followed by a blank line."""
    def cell(value) -> str:
        return str("" if value is None else value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return lines + [""]


def render_markdown(context: dict, asset_dir: Path) -> str:
    """The markdown report; writes the charts into `asset_dir` and links them relatively."""
    asset_dir.mkdir(parents=True, exist_ok=True)
    lines = [f"# Evaluation report: `{context['root']}`", ""]
    status = context["status"].get("state", "unknown")
    lines += [f"Run status: **{status}**" + (f" ({context['status']['error']})" if context["status"].get("error") else ""), ""]
    if context["missing"]:
        lines += ["Missing from this run: " + "; ".join(context["missing"]), ""]
    lines += ["## Headline", ""]
    metrics = sorted({s["metric"] for row in context["headline"] for s in row["scores"]})
    rows = [[row["label"], row["problems"], row["samples"]] +
            [next((s["text"] for s in row["scores"] if s["metric"] == m), "–") for m in metrics]
            for row in context["headline"]]
    lines += md_table(["label", "problems", "samples"] + [f"{m} [95% CI]" for m in metrics], rows)
    if context["comparisons"]:
        lines += md_table(["comparison", "difference [95% CI]", "p", "problems", "verdict"],
                        [[f"{c['b']} − {c['a']} ({c['metric']})", c["text"], c["p_text"], c["problems"], c["plain"]]
                         for c in context["comparisons"]])
    if context["seen_headline"]:
        lines += ["Seen (training) problems, scored apart — the gap to held-out separates learning from generalising:", ""]
        lines += md_table(["label", "problems"] + [f"{m} [95% CI]" for m in metrics],
                        [[row["label"], row["problems"]] +
                         [next((s["text"] for s in row["scores"] if s["metric"] == m), "–") for m in metrics]
                         for row in context["seen_headline"]])
    held = context["held_out"]
    if held:
        lines += ["## Held-out set", "", f"Split: {held['method']}; {held['counts']}", ""]
        if held["contamination"]:
            c = held["contamination"]
            lines += [f"Contamination check ({c['rule']}) on {c['checked']} problems: {c['counts']}; "
                      f"removed {len(c['removed'])}, flagged {len(c['flagged'])}.", ""]
        for role, info in held["sources"].items():
            skipped = info.get("skipped") or "none"
            lines += [f"- {role} `{info.get('name')}`: {info.get('problems')} problems, skipped rows {skipped}"]
        lines += [""]
    for name, svg in context["figures"].items():
        (asset_dir / f"{name}.svg").write_text(svg, encoding="utf-8")
        lines += [f"![{name}]({asset_dir.name}/{name}.svg)", ""]
    if context["training"]:
        lines += ["## Training", "", f"Steps logged up to: {context['training']['steps']}", ""]
        lines += [f"> ⚠ {w}" for w in context["training"]["warnings"]] + ([""] if context["training"]["warnings"] else [])
        lines += md_table(["metric", "first", "last"], [[k, _num(a), _num(b)] for k, a, b in context["training"]["rows"]])
    if context["verdicts"]:
        lines += ["## Verdicts", ""]
        order = [v for v in context["verdict_order"] if any(v in c for c in context["verdicts"].values())]
        lines += md_table(["label"] + order, [[label] + [counts.get(v, 0) for v in order]
                                            for label, counts in context["verdicts"].items()])
    metric = context["first_metric"]
    for name, title in (("by_rating", "Pass rate by difficulty"), ("by_tag", "Pass rate by tag")):
        table = context["breakdowns"].get(name) or {}
        if table:
            lines += [f"### {title} ({metric})", ""]
            lines += md_table([name[3:], "problems", *context["labels"]],
                            [[group, next(iter(row.values()))["problems"]] +
                             [f"{100 * row[label][metric]:.1f}%" if metric in row.get(label, {}) else "–"
                              for label in context["labels"]] for group, row in table.items()])
    if context["problems"]:
        lines += ["## Problems", ""]
        labels = context["labels"]
        lines += md_table(["problem", "rating"] + [f"{label} solved" for label in labels],
                        [[p["title"], p["rating"]] + [_solved(p, label) for label in labels] for p in context["problems"]])
    return "\n".join(lines)


def _solved(problem: dict, label: str) -> str:
    entry = problem["labels"].get(label, {})
    return f"{entry.get('solved', 0)}/{len(entry.get('samples', []))}"


def _num(value) -> str:
    return "–" if value is None else f"{value:.4g}"
