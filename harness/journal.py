"""Append-only JSONL journals: one flushed line per record, so an interrupted stage resumes.

Appending costs the same whatever the journal's size: a torn last line (a kill mid-write) is
repaired once, the first time a `Journal` object appends, by reading back from the end to the
last newline, never the whole file. Keys of what is already recorded are read once per object
and kept up to date by its own appends.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

from reports.records import journal_lines

_TAIL_CHUNK = 1 << 16


class _Encodable(Protocol):
    def to_json(self) -> dict[str, Any]: ...



class Journal:
    """A JSONL file written line by line; a torn last line is ignored by readers and cut before the next append."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._repaired = False
        self._keys: dict[str, set] = {}

    def __iter__(self) -> Iterator[dict]:
        """Every complete record in file order, streamed (a torn last line is not one)."""
        for _, record in journal_lines(self.path):
            yield record

    def read(self) -> list[dict]:
        """Every complete record in file order."""
        return list(self)

    def records(self, decode: Any) -> Iterator[Any]:
        """Every complete record decoded by `decode.from_json(line, where)` (a record class), streamed."""
        for number, line in enumerate(self, start=1):
            yield decode.from_json(line, f"{self.path}:{number}")

    def keys(self, field: str = "key") -> set:
        """The values of `field` already recorded: the work a rerun skips (read once, then kept current)."""
        if field not in self._keys:
            self._keys[field] = {record.get(field) for record in self}
        return self._keys[field]

    def _repair(self) -> None:
        """Cut a torn last line so the next append starts on a fresh line; reads only the file's tail."""
        self._repaired = True
        if not self.path.exists():
            return
        with self.path.open("r+b") as handle:
            end = handle.seek(0, os.SEEK_END)
            if end == 0:
                return
            handle.seek(end - 1)
            if handle.read(1) == b"\n":
                return
            position = end
            while position > 0:
                start = max(0, position - _TAIL_CHUNK)
                handle.seek(start)
                chunk = handle.read(position - start)
                newline = chunk.rfind(b"\n")
                if newline >= 0:
                    handle.truncate(start + newline + 1)
                    return
                position = start
            handle.truncate(0)

    def append(self, record: dict | _Encodable) -> None:
        """Write one record and make it durable before returning."""
        self.append_many([record])

    def append_many(self, records: Iterable[dict | _Encodable]) -> None:
        """Write records in one go, flushed and fsynced."""
        lines = [record if isinstance(record, dict) else record.to_json() for record in records]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self._repaired:
            self._repair()
        with self.path.open("a", encoding="utf-8") as handle:
            for line in lines:
                handle.write(json.dumps(line, ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        for field, known in self._keys.items():
            known.update(line.get(field) for line in lines)
