"""Split problems into train and held-out sets by problem id, never by row."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from harness.errors import DataError
from harness.problems.model import Problem


@dataclass(frozen=True)
class Split:
    """Problem ids on each side; disjoint by construction and checked again on load."""

    train: tuple[str, ...]
    held_out: tuple[str, ...]
    seed: int
    method: str = "hash"

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
        }

    @classmethod
    def from_json(cls, data: dict) -> Split:
        """Read a `split.json` record back."""
        return cls(tuple(data["train"]), tuple(data["held_out"]), int(data["seed"]), data.get("method", "hash"))


def _rank(problem_id: str, seed: int) -> str:
    return hashlib.sha256(f"{seed}:{problem_id}".encode()).hexdigest()


def split_problems(problems: list[Problem], held_out_fraction: float, seed: int) -> Split:
    """Deterministic split: order problems by a seeded hash of their id, hold out the first share.

    A problem's side depends only on its id and the seed, so adding problems to a source
    moves no existing problem across the line more than the fraction requires.
    """
    ids = sorted({p.id for p in problems}, key=lambda pid: _rank(pid, seed))
    if len(ids) < 2:
        raise DataError(f"split: need at least 2 problems, got {len(ids)}")
    count = min(max(1, round(len(ids) * held_out_fraction)), len(ids) - 1)
    held_out = tuple(sorted(ids[:count]))
    train = tuple(sorted(ids[count:]))
    return Split(train=train, held_out=held_out, seed=seed)
