"""Per-problem detail pages, `report-problems/<name>.html`: every sample of every label, written one problem at a time.

The main report links here instead of embedding every raw completion (at the reference size,
468 problems x 8 samples x 7 labels of 20k-character traces, that is a quarter of a gigabyte
no browser opens quickly). Each page is self-contained: the statement, then per label each
sample's verdict, detail, extracted code, per-test table and raw completion. Pages are written
problem by problem from the journals' offsets, so only one problem's texts are in memory.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from pathlib import Path

from judges import Verdict
from reports.html import render_to
from reports.records import CompletionRecord, ResultRecord
from reports.rundata import JournalReader, RunData

PAGE_DIR = "report-problems"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def page_names(ids: list[str]) -> dict[str, str]:
    """A file name per problem id, readable and stable: the id made safe, plus a hash only where two collide."""
    safe = {pid: _UNSAFE.sub("_", pid).strip("._") or "problem" for pid in ids}
    taken: dict[str, int] = defaultdict(int)
    for name in safe.values():
        taken[name.lower()] += 1  # case-insensitive file systems would merge `A` and `a`
    return {pid: (name if taken[name.lower()] == 1 else f"{name}-{hashlib.sha256(pid.encode()).hexdigest()[:8]}") + ".html"
            for pid, name in safe.items()}


def _samples(data: RunData) -> dict[str, dict[str, list]]:
    """Problem -> label -> (sample, judged or None, generated or None), sample order; a completion not judged yet too."""
    grouped: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for label in data.labels:
        judged_keys = set()
        for r in data.results.get(label, []):
            judged_keys.add(r.completion_key)
            grouped[r.problem_id][label].append((r.sample, r, data.completions.get(label, {}).get(r.completion_key)))
        for c in data.completions.get(label, {}).values():
            if c.key not in judged_keys:
                grouped[c.problem_id][label].append((c.sample, None, c))
    for labels in grouped.values():
        for entries in labels.values():
            entries.sort(key=lambda entry: entry[0])
    return grouped


def _sample_view(label: str, result: ResultRecord | None, completion: CompletionRecord | None, sample: int) -> dict:
    """What the page shows of one sample."""
    return {
        "label": label, "sample": sample, "anchor": f"{label}-{sample}",
        "verdict": result.verdict.value if result else "pending", "detail": result.detail if result else "not judged yet",
        "code": result.code if result else None, "extraction": result.extraction if result else "",
        "tests": list(result.tests) if result else [], "sandbox_retries": result.sandbox_retries if result else 0,
        "finish_reason": (completion.finish_reason if completion else None) or (result.finish_reason if result else None),
        "tokens": completion.completion_tokens if completion else None,
        "raw": completion.text if completion else None,
    }


def problem_page(data: RunData, pid: str, entries: dict[str, list], reader: JournalReader) -> dict:
    """The context of one problem's page, its records read back from the journals."""
    info = data.problems.get(pid, {})
    labels = []
    for label in data.labels:
        views, results = [], []
        for sample, judged, generated in entries.get(label, []):
            result = reader.record(data.journal(label, "results"), judged.offset, ResultRecord) if judged else None
            completion = (reader.record(data.journal(label, "completions"), generated.offset, CompletionRecord)
                          if generated else None)
            views.append(_sample_view(label, result, completion, sample))
            results.append(result)
        if views:
            solved = sum(result is not None and result.verdict is Verdict.AC for result in results)
            labels.append({"label": label, "samples": views, "solved": solved,
                           "judged": sum(result is not None for result in results)})
    return {"id": pid, "title": info.get("title") or pid, "rating": info.get("rating"), "tags": info.get("tags", []),
            "set": info.get("set"), "statement": info.get("statement", ""), "labels": labels}


def write_pages(data: RunData, out: Path, report_name: str = "report.html") -> tuple[int, int]:
    """Write every problem's page into `out` (stale pages of problems no longer listed are removed).

    Returns (pages written, bytes written).
    """
    out.mkdir(parents=True, exist_ok=True)
    ids = data.problem_ids()
    names = page_names(ids)
    grouped = _samples(data)
    written = 0
    with JournalReader() as reader:
        for position, pid in enumerate(ids):
            page = problem_page(data, pid, grouped.get(pid, {}), reader)
            links = {"report": f"../{report_name}",
                     "previous": names[ids[position - 1]] if position else None,
                     "next": names[ids[position + 1]] if position + 1 < len(ids) else None}
            written += render_to(out / names[pid], "problem.html.j2", {"problem": page, "links": links, "root": str(data.root)})
    keep = set(names.values())
    for stale in out.glob("*.html"):
        if stale.name not in keep:
            stale.unlink()
    return len(ids), written
