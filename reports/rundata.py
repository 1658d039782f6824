"""Read a run directory into plain data for the renderers; missing pieces are listed, not fatal."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from reports.records import CompletionRecord, ResultRecord, latest_results


def _json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
    except json.JSONDecodeError:
        return None


def _jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            break  # a torn last line from an interrupted write
    return records


def _records(path: Path, kind):
    return [kind.from_json(line, f"{path}:{number}") for number, line in enumerate(_jsonl(path), start=1)]


@dataclass
class RunData:
    """Everything a report shows, as read from the run directory's files."""

    root: Path
    config: dict = field(default_factory=dict)
    env: dict = field(default_factory=dict)
    split: dict = field(default_factory=dict)
    status: dict = field(default_factory=dict)
    metrics: list[dict] = field(default_factory=list)
    summary: dict = field(default_factory=dict)
    problems: dict[str, dict] = field(default_factory=dict)
    results: dict[str, list[ResultRecord]] = field(default_factory=dict)
    completions: dict[str, dict[str, CompletionRecord]] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)

    @property
    def labels(self) -> list[str]:
        """Labels in display order: base first."""
        return sorted(self.results, key=lambda label: (label != "base", label))


def load_run(root: Path) -> RunData:
    """Load what exists; note what a finished run would have and this one lacks."""
    root = Path(root)
    data = RunData(root=root)
    config_path = root / "config.yaml"
    data.config = yaml.safe_load(config_path.read_text(encoding="utf-8")) if config_path.exists() else {}
    data.env = _json(root / "env.json") or {}
    data.split = _json(root / "split.json") or {}
    data.status = _json(root / "status.json") or {}
    data.metrics = _jsonl(root / "train" / "metrics.jsonl")
    data.summary = _json(root / "eval" / "summary.json") or {}
    index = _json(root / "eval" / "problems.json") or {}
    data.problems = {p["id"]: p for p in index.get("problems", [])}
    for results_path in sorted((root / "eval").glob("*/results.jsonl")):
        label = results_path.parent.name
        data.results[label] = latest_results(_records(results_path, ResultRecord))
        data.completions[label] = {c.key: c for c in _records(results_path.parent / "completions.jsonl", CompletionRecord)}
    for name, present in (
        ("config.yaml", bool(data.config)),
        ("env.json", bool(data.env)),
        ("split.json", bool(data.split)),
        ("eval/summary.json", bool(data.summary)),
    ):
        if not present:
            data.missing.append(name)
    if data.status.get("stages", {}).get("train") and not data.metrics:
        data.missing.append("train/metrics.jsonl")
    for label in data.results:
        expected = len(data.completions.get(label, {}))
        if len(data.results[label]) < expected:
            data.missing.append(f"eval/{label}: {expected - len(data.results[label])} completion(s) not judged yet")
    return data
