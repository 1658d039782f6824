"""`report.md`: the run's summary, readable on GitHub (charts as SVG files beside it).

It prints the same prepared tables and sentences as report.html (`reports.context`), so the
two cannot disagree; per-sample detail lives on the problems' HTML pages, linked from the
problem table, never in the markdown.
"""

from __future__ import annotations

from pathlib import Path

from reports.tables import Cell, Table


def md_table(header: list[str], rows: list[list]) -> list[str]:
    """A GitHub markdown table (cells escaped), followed by a blank line."""
    def cell(value) -> str:
        # `<think>` or a title like `A <B>` would otherwise be swallowed as an HTML tag by GitHub
        return str("" if value is None else value).replace("<", "&lt;").replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return lines + [""]


def _cell(c: Cell) -> str:
    label = c.text.replace("[", "\\[").replace("]", "\\]") if c.href else c.text
    return f"[{label}]({c.href})" if c.href else c.text


def table(t: Table) -> list[str]:
    """A prepared table as markdown; nothing when it has no rows."""
    return md_table([h.text for h in t.header], [[_cell(c) for c in row] for row in t.rows]) if t else []


def _first_screen(context: dict, assets: str) -> list[str]:
    lines = [f"> **⚠ {n['text']}**" if n["level"] == "danger" else f"> ⚠ {n['text']}" for n in context["notices"]]
    lines += [""] if lines else []
    lines += ["## Does the adapter beat the base?", ""]
    lines += [f"**{context['sentence']}**", ""] if context["sentence"] else []
    lines += [context["samples_sentence"], ""] if context["samples_sentence"] else []
    for a in context["answers"]:
        if a["primary"]:
            lines += [f"**{a['question']}: {a['answer']}**  ", a["evidence"], ""]
    others = [f"- {a['question']}: **{a['answer']}**, {a['brief']}" for a in context["answers"] if not a["primary"]]
    lines += others + ([""] if others else [])
    if context["no_answer"]:
        lines += [context["no_answer"], ""]
    if "pass_at_k" in context["figures"]:
        lines += [f"![{context['first_metric']} per label, 95% intervals]({assets}/pass_at_k.svg)", ""]
    lines += table(context["headline"])
    lines += [f"- {w}" for w in context["interval_words"]] + ([""] if context["interval_words"] else [])
    if context["comparisons"]:
        lines += ["### Paired differences against the base", ""] + table(context["comparisons"])
    if context["seen"]:
        lines += ["### Seen (training) problems, scored apart", "",
                  context["gap_sentence"] or "The gap between these and the held-out scores separates learning from "
                  "generalising.", ""]
        lines += table(context["seen"])
    return lines


def _sections(context: dict, assets: str) -> list[str]:
    lines = []
    if context["held_out"]:
        lines += ["## Held-out set", ""] + [f"{line}  " for line in context["held_out"]["lines"]] + [""]
    training = context["training"]
    if training or "training" in context["figures"]:
        lines += ["## Training", ""]
        if "training" in context["figures"]:
            lines += [f"![training curves]({assets}/training.svg)", ""]
        if training:
            lines += [f"> ⚠ {w}" for w in training["warnings"]] + ([""] if training["warnings"] else [])
            lines += table(training["table"])
    if context["verdicts"]:
        lines += ["## Verdicts and extraction health", ""]
        if "verdicts" in context["figures"]:
            lines += [f"![verdicts per label]({assets}/verdicts.svg)", ""]
        lines += table(context["verdicts"])
        if context["retries_note"]:
            lines += [f"> ⚠ {context['retries_note']}", ""]
    for title, t in context["breakdowns"]:
        lines += [f"### {title}", ""] + table(t)
    if context["problems"]:
        lines += ["## Problems", "", "Every sample (verdict, code, per-test results, raw completion) is on the problem's "
                  "page, linked from its title.", ""] + table(context["problems"])
    lines += ["## Run metadata", ""] + table(context["metadata"])
    return lines


def render_markdown(context: dict, asset_dir: Path) -> str:
    """The markdown report; writes the charts into `asset_dir` and links them relatively."""
    asset_dir.mkdir(parents=True, exist_ok=True)
    for name, svg in context["figures"].items():
        (asset_dir / f"{name}.svg").write_text(svg, encoding="utf-8")
    lines = [f"# Evaluation report: `{context['root']}`", "", f"Run status: **{context['status_line']}**", ""]
    lines += _first_screen(context, asset_dir.name) + _sections(context, asset_dir.name)
    return "\n".join(lines)
