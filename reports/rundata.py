"""Read a run directory for the renderers: small files whole, journals as an index into the file.

A completion holds the model's raw text (tens of kilobytes at 8k tokens) and a run holds hundreds
of thousands of them, so no reader here keeps them: one streaming pass over each journal decodes
every line (through its typed record, so a bad line is caught here) and keeps only what the
summary tables need plus the byte offset where the line starts; a problem's detail page reads its
own lines back by seeking (`JournalReader`). Memory grows with the number of samples by a few
small fields each, never with the length of their text. Missing pieces are listed, not fatal.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, TypeVar

import yaml

from judges import Verdict
from reports.records import CompletionRecord, ResultRecord, journal_lines, latest_results

R = TypeVar("R", CompletionRecord, ResultRecord)


@dataclass(frozen=True)
class Judged:
    """One judged sample as the tables need it; the full `ResultRecord` stays in its journal at `offset`."""

    label: str
    problem_id: str
    sample: int
    verdict: Verdict
    completion_key: str
    sandbox_retries: int
    offset: int

    @property
    def solved(self) -> bool:
        """Whether the verdict counts as solved."""
        return self.verdict.passed


@dataclass(frozen=True)
class Generated:
    """One completion without its text, which is read back from `offset` only for its problem's page."""

    key: str
    problem_id: str
    sample: int
    offset: int


def _json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
    except json.JSONDecodeError:
        return None


def index_results(path: Path) -> list[Judged]:
    """The latest result per completion of one label, without codes or per-test outcomes."""
    judged = []
    for number, (offset, data) in enumerate(journal_lines(path), start=1):
        r = ResultRecord.from_json(data, f"{path}:{number}")
        judged.append(Judged(r.label, r.problem_id, r.sample, r.verdict, r.completion_key, r.sandbox_retries, offset))
    return latest_results(judged)  # the same rule, on the light view (it reads completion_key)


def index_completions(path: Path) -> dict[str, Generated]:
    """Completion key -> where its line is; the text is decoded, checked and dropped."""
    index = {}
    for number, (offset, data) in enumerate(journal_lines(path), start=1):
        c = CompletionRecord.from_json(data, f"{path}:{number}")
        index[c.key] = Generated(c.key, c.problem_id, c.sample, offset)
    return index


class JournalReader:
    """Reads single records back from journals by byte offset, keeping each file open once."""

    def __init__(self) -> None:
        self._handles: dict[Path, BinaryIO] = {}

    def record(self, path: Path, offset: int, kind: type[R]) -> R:
        """The record of type `kind` whose line starts at `offset` in `path`."""
        handle = self._handles.get(path)
        if handle is None:
            handle = self._handles[path] = path.open("rb")
        handle.seek(offset)
        return kind.from_json(json.loads(handle.readline()), f"{path}@{offset}")

    def close(self) -> None:
        """Close every file opened."""
        for handle in self._handles.values():
            handle.close()
        self._handles.clear()

    def __enter__(self) -> JournalReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


_CHECKPOINT = re.compile(r"checkpoint-(\d+)$")


def label_order(label: str) -> tuple:
    """Base, the final adapter, checkpoints by step (not by string: 100 after 20), then the rest by name."""
    match = _CHECKPOINT.search(label)
    if label == "base":
        return (0, 0, label)
    if label == "adapter":
        return (1, 0, label)
    return (2, int(match.group(1)), label) if match else (3, 0, label)


@dataclass
class RunData:
    """Everything a report shows, as read from the run directory's files (journals as indexes)."""

    root: Path
    config: dict = field(default_factory=dict)
    env: dict = field(default_factory=dict)
    split: dict = field(default_factory=dict)
    status: dict = field(default_factory=dict)
    metrics: list[dict] = field(default_factory=list)
    summary: dict = field(default_factory=dict)
    problems: dict[str, dict] = field(default_factory=dict)
    results: dict[str, list[Judged]] = field(default_factory=dict)
    completions: dict[str, dict[str, Generated]] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)

    @property
    def labels(self) -> list[str]:
        """Labels in display order: base first, checkpoints by step."""
        return sorted(set(self.results) | set(self.summary.get("labels", {})), key=label_order)

    def journal(self, label: str, name: str) -> Path:
        """`eval/<label>/<name>.jsonl`."""
        return self.root / "eval" / label / f"{name}.jsonl"

    def problem_ids(self) -> list[str]:
        """Every problem the index lists or a journal names, by rating (unrated last), then id."""
        ids = set(self.problems)
        for records in self.results.values():
            ids.update(r.problem_id for r in records)
        for generated in self.completions.values():
            ids.update(c.problem_id for c in generated.values())
        rating = {pid: self.problems.get(pid, {}).get("rating") for pid in ids}
        return sorted(ids, key=lambda pid: (rating[pid] is None, rating[pid] or 0, pid))


def _metrics(path: Path) -> list[dict]:
    return [data for _, data in journal_lines(path)]


def _journaled(root: Path) -> set[str]:
    """Labels with a completions or results journal (generated but not yet judged counts)."""
    return {p.parent.name for name in ("completions", "results") for p in (root / "eval").glob(f"*/{name}.jsonl")}


def load_run(root: Path) -> RunData:
    """Load what exists; note what a finished run would have and this one lacks."""
    root = Path(root)
    data = RunData(root=root)
    config_path = root / "config.yaml"
    data.config = (yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}) if config_path.exists() else {}
    data.env = _json(root / "env.json") or {}
    data.split = _json(root / "split.json") or {}
    data.status = _json(root / "status.json") or {}
    data.metrics = _metrics(root / "train" / "metrics.jsonl")
    data.summary = _json(root / "eval" / "summary.json") or {}
    index = _json(root / "eval" / "problems.json") or {}
    data.problems = {p["id"]: p for p in index.get("problems", [])}
    for label in sorted(_journaled(root)):
        data.results[label] = index_results(data.journal(label, "results"))
        data.completions[label] = index_completions(data.journal(label, "completions"))
    data.missing = _missing(data)
    return data


def _missing(data: RunData) -> list[str]:
    """What a finished run would have and this one lacks, in words."""
    missing = [name for name, present in (
        ("config.yaml", bool(data.config)),
        ("env.json", bool(data.env)),
        ("split.json", bool(data.split)),
        ("eval/problems.json", bool(data.problems) or not data.results),
        ("eval/summary.json", bool(data.summary)),
    ) if not present]
    if data.status.get("stages", {}).get("train") and not data.metrics:
        missing.append("train/metrics.jsonl")
    for label in data.results:
        judged = {r.completion_key for r in data.results[label]}
        waiting = sum(key not in judged for key in data.completions.get(label, {}))
        if waiting:
            missing.append(f"eval/{label}: {waiting} completion(s) not judged yet")
    return missing
