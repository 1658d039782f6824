"""Render a run directory into `report.md`, a self-contained `report.html`, and one page per problem.

Pure renderers: they read the files the stages wrote and never call a model or a sandbox,
so they can be re-run at any time, also on a run that is still going or was interrupted.
The main report stays small whatever the run's size (its size grows with the number of
problems, not with the samples' text); every sample is on its problem's page in
`report-problems/`, written one problem at a time from the journals.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from reports.comparison import write_comparison
from reports.context import build_context
from reports.html import render
from reports.pages import PAGE_DIR, write_pages
from reports.rundata import load_run

ASSET_DIR = "report-assets"


@dataclass(frozen=True)
class ReportFiles:
    """What `write_reports` wrote, how big and how long it took; iterates over the paths (as a list did)."""

    markdown: Path
    html: Path
    pages: Path
    page_count: int
    page_bytes: int
    seconds: float

    def __iter__(self):
        return iter((self.markdown, self.html, self.pages))

    def describe(self) -> str:
        """One line for a person: sizes and time."""
        return (f"{self.html} ({self.html.stat().st_size / 1e6:.2f} MB), {self.markdown.name}, {self.page_count} problem "
                f"pages in {self.pages.name}/ ({self.page_bytes / 1e6:.1f} MB), written in {self.seconds:.1f} s")


def render_html(context: dict) -> str:
    """The HTML report: one file, charts inline, no network at view time."""
    return render("report.html.j2", context)


def write_reports(root: Path) -> ReportFiles:
    """Write report.md (+ chart files), report.html and the problem pages into the run directory."""
    from reports.markdown import render_markdown

    started = time.perf_counter()
    root = Path(root)
    data = load_run(root)
    context = build_context(data)
    md_path, html_path = root / "report.md", root / "report.html"
    md_path.write_text(render_markdown(context, root / ASSET_DIR), encoding="utf-8")
    html_path.write_text(render_html(context), encoding="utf-8")
    count, size = write_pages(data, root / PAGE_DIR, html_path.name)
    return ReportFiles(md_path, html_path, root / PAGE_DIR, count, size, time.perf_counter() - started)


__all__ = ["ReportFiles", "build_context", "load_run", "render_html", "write_comparison", "write_reports"]
