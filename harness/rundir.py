"""The run directory: where every stage writes, and the only thing reports read."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from harness.config import RunConfig, dump_config, load_config
from harness.errors import RunDirError
from harness.journal import Journal


class RunDir:
    """Paths and small state files of one run (see DESIGN.md, "Run directory")."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.config = self.root / "config.yaml"
        self.env = self.root / "env.json"
        self.split = self.root / "split.json"
        self.status = self.root / "status.json"
        self.train = self.root / "train"
        self.metrics = self.train / "metrics.jsonl"
        self.adapter = self.train / "adapter"
        self.eval = self.root / "eval"
        self.summary = self.eval / "summary.json"
        self._journals: dict[Path, Journal] = {}  # one object per file: its keys are read once

    def label_dir(self, label: str) -> Path:
        """`eval/<label>/`."""
        return self.eval / label

    def completions(self, label: str) -> Journal:
        """`eval/<label>/completions.jsonl`."""
        return self._journal(self.label_dir(label) / "completions.jsonl")

    def results(self, label: str) -> Journal:
        """`eval/<label>/results.jsonl`."""
        return self._journal(self.label_dir(label) / "results.jsonl")

    def _journal(self, path: Path) -> Journal:
        if path not in self._journals:
            self._journals[path] = Journal(path)
        return self._journals[path]

    def write_json(self, path: Path, data: dict) -> None:
        """Write a small JSON file atomically (temp file, then rename)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        tmp.replace(path)

    def read_json(self, path: Path) -> dict | None:
        """A JSON file's content, or None when absent."""
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None

    def set_status(self, state: str, error: str | None = None, **extra) -> None:
        """Record `running`, `done` or `failed` (with the error) in status.json."""
        status = self.read_json(self.status) or {}
        status.update(state=state, error=error, updated=time.strftime("%Y-%m-%dT%H:%M:%S%z"), **extra)
        self.write_json(self.status, status)

    @classmethod
    def prepare(cls, root: Path, config: RunConfig, *, resume: bool, overwrite: bool) -> RunDir:
        """Create the directory, or reopen it with --resume; refuse to clobber a run otherwise."""
        run = cls(root)
        if run.root.exists() and any(run.root.iterdir()):
            if overwrite:
                shutil.rmtree(run.root)
            elif not resume:
                raise RunDirError(f"{run.root}: already holds a run; pass --resume to continue it or --overwrite")
            elif run.config.exists() and load_config(run.config) != config:
                raise RunDirError(f"{run.root}: --resume with a config that differs from its config.yaml")
        elif resume:
            raise RunDirError(f"{run.root}: nothing to resume")
        run.root.mkdir(parents=True, exist_ok=True)
        run.config.write_text(dump_config(config), encoding="utf-8")
        return run
