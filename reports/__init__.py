"""Render a run directory into `report.md` and a self-contained `report.html`.

Pure renderers: they read the files the stages wrote and never call a model or a sandbox,
so they can be re-run at any time, also on a run that is still going or was interrupted.
"""

from __future__ import annotations

from pathlib import Path

from reports.comparison import write_comparison
from reports.context import build_context
from reports.html import render
from reports.rundata import load_run

ASSET_DIR = "report-assets"


def render_html(context: dict) -> str:
    """The HTML report: one file, charts inline, no network at view time."""
    return render("report.html.j2", context)


def write_reports(root: Path) -> list[Path]:
    """Write report.md (+ chart files) and report.html into the run directory; return their paths."""
    from reports.markdown import render_markdown

    root = Path(root)
    context = build_context(load_run(root))
    md_path, html_path = root / "report.md", root / "report.html"
    md_path.write_text(render_markdown(context, root / ASSET_DIR), encoding="utf-8")
    html_path.write_text(render_html(context), encoding="utf-8")
    return [md_path, html_path]


__all__ = ["build_context", "load_run", "render_html", "write_comparison", "write_reports"]
