"""Split problems into train and held-out sets by problem id, never by row."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from enum import StrEnum

from harness.errors import DataError
from harness.problems.model import Problem


class SplitMethod(StrEnum):
    """How `data.split` divides one source into training and held-out problems."""

    HASH = "hash"  # seeded, by problem (alias groups stay together)
    DATE = "date"  # held out: dated on or after `data.date_cutoff` (and before `data.date_end` when set)


@dataclass(frozen=True)
class Split:
    """Problem ids on each side; disjoint by construction and checked again on load."""

    train: tuple[str, ...]
    held_out: tuple[str, ...]
    seed: int
    method: str = "hash"
    extra: dict = field(default_factory=dict, compare=False)  # contamination and source reports, for split.json

    def __post_init__(self) -> None:
        overlap = set(self.train) & set(self.held_out)
        if overlap:
            raise DataError(f"split: {len(overlap)} problem(s) on both sides, e.g. {sorted(overlap)[0]}")

    def to_json(self) -> dict:
        """The `split.json` record."""
        return {
            "schema": 1,
            "method": self.method,
            "seed": self.seed,
            "train": list(self.train),
            "held_out": list(self.held_out),
            "counts": {"train": len(self.train), "held_out": len(self.held_out)},
            **self.extra,
        }

    @classmethod
    def from_json(cls, data: dict) -> Split:
        """Read a `split.json` record back."""
        extra = {k: v for k, v in data.items() if k not in ("schema", "method", "seed", "train", "held_out", "counts")}
        return cls(tuple(data["train"]), tuple(data["held_out"]), int(data["seed"]), data.get("method", "hash"), extra)


def rank(problem_id: str, seed: int) -> str:
    """A problem's place in the seeded order (a hash: stable when other problems come and go)."""
    return hashlib.sha256(f"{seed}:{problem_id}".encode()).hexdigest()


def alias_groups(problems: list[Problem]) -> list[list[str]]:
    """Problem ids grouped so that problems sharing an id or an alias are one group."""
    parent: dict[str, str] = {}

    def find(name: str) -> str:
        parent.setdefault(name, name)
        while parent[name] != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    for problem in problems:
        for alias in problem.aliases:
            parent[find(alias)] = find(problem.id)
    groups: dict[str, set[str]] = {}
    for problem in problems:
        groups.setdefault(find(problem.id), set()).add(problem.id)
    return [sorted(ids) for ids in groups.values()]


def split_problems(problems: list[Problem], held_out_fraction: float, seed: int) -> Split:
    """Deterministic split by problem: order alias groups by a seeded hash, hold out the first share.

    A problem's side depends only on its id (its group's smallest name) and the seed, so
    adding problems to a source moves no existing problem across the line more than the
    fraction requires; aliases of one problem always land on the same side.
    """
    groups = sorted(alias_groups(problems), key=lambda ids: rank(ids[0], seed))
    if len(groups) < 2:
        raise DataError(f"split: need at least 2 problems, got {len(groups)}")
    count = min(max(1, round(len(groups) * held_out_fraction)), len(groups) - 1)
    held_out = tuple(sorted(pid for ids in groups[:count] for pid in ids))
    train = tuple(sorted(pid for ids in groups[count:] for pid in ids))
    return Split(train=train, held_out=held_out, seed=seed)


def check_date(value: str, name: str) -> str:
    """`value` when it is a real YYYY-MM-DD date, else a one-line `DataError` naming the setting."""
    try:
        if len(value) == 10 and dt.date.fromisoformat(value).isoformat() == value:
            return value
    except ValueError:
        pass
    raise DataError(f"{name}: '{value}' is not a YYYY-MM-DD date")


@dataclass(frozen=True)
class DateWindow:
    """The held-out window of a date split: on or after `cutoff`, before `end` (empty: no end)."""

    cutoff: str
    end: str = ""

    def __post_init__(self) -> None:
        check_date(self.cutoff, "data.date_cutoff")
        if self.end and check_date(self.end, "data.date_end") <= self.cutoff:
            raise DataError(f"data.date_end: {self.end} is not after data.date_cutoff {self.cutoff}")

    def held(self, date: str | None) -> bool:
        """Inside the window: evaluated."""
        if not date:
            return False
        return date >= self.cutoff and (not self.end or date < self.end)

    def trains(self, date: str | None) -> bool:
        """Before the window (or undated): may be trained on. Problems after the window are on neither side."""
        return not date or date < self.cutoff

    @property
    def label(self) -> str:
        """The split method as split.json and the report name it."""
        return f"date>={self.cutoff}" + (f",<{self.end}" if self.end else "")

    def describe(self) -> str:
        """The window in words, for messages."""
        return f"on or after {self.cutoff}" + (f" and before {self.end}" if self.end else "")


def split_by_date(problems: list[Problem], cutoff: str, seed: int = 0, end: str = "") -> Split:
    """Held out: problems dated in [cutoff, end); train: dated before cutoff or undated; after `end`: neither."""
    window = DateWindow(cutoff, end)
    held_out = tuple(sorted(p.id for p in problems if window.held(p.date)))
    train = tuple(sorted(p.id for p in problems if window.trains(p.date)))
    if not held_out:
        raise DataError(f"data.date_cutoff: no problem is dated {window.describe()}")
    if not train:
        raise DataError(f"data.date_cutoff: every problem is dated on or after {cutoff}; nothing left to train on")
    return Split(train=train, held_out=held_out, seed=seed, method=window.label)


def split_sources_by_date(train_pool: list[Problem], problems: list[Problem], cutoff: str,
                          end: str = "") -> tuple[list[Problem], list[Problem]]:
    """A separate training source: train on its problems before the window, evaluate `problems` inside it."""
    window = DateWindow(cutoff, end)
    held = [p for p in problems if window.held(p.date)]
    if not held:
        raise DataError(f"data.date_cutoff: no problem of data.source is dated {window.describe()}")
    return [p for p in train_pool if window.trains(p.date)], held
