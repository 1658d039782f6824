"""Append-only JSONL journals: one flushed line per record, so an interrupted stage resumes."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path


class Journal:
    """A JSONL file written line by line; a torn last line (a kill mid-write) is ignored and repaired."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def __iter__(self) -> Iterator[dict]:
        return iter(self.read())

    def read(self) -> list[dict]:
        """Every complete record in file order."""
        if not self.path.exists():
            return []
        records = []
        with self.path.open(encoding="utf-8") as handle:
            for line in handle:
                if not line.endswith("\n"):
                    break  # torn write: the record never finished
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError:
                    break
        return records

    def keys(self, field: str = "key") -> set:
        """The values of `field` already recorded: the work a rerun skips."""
        return {record.get(field) for record in self.read()}

    def _repair(self) -> None:
        """Cut a torn last line so the next append starts on a fresh line."""
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            self.path.write_bytes(data[: data.rfind(b"\n") + 1])

    def append(self, record: dict) -> None:
        """Write one record and make it durable before returning."""
        self.append_many([record])

    def append_many(self, records: list[dict]) -> None:
        """Write records in one go, flushed and fsynced."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._repair()
        with self.path.open("a", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
