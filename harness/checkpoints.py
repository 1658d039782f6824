"""Training checkpoints (`train/checkpoint-N/`): the one parser of their names and what makes one complete.

Two meanings of complete, kept apart because the two readers need different things:
- evaluable: the PEFT adapter is there (`adapter_config.json`), so it can be loaded and scored;
- resumable: evaluable, and the trainer's state (`trainer_state.json`, written after the
  weights) is there too, so a killed run can continue from it; a kill while saving leaves
  a directory without it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

PREFIX = "checkpoint-"
_NAME = re.compile(rf"^{PREFIX}(\d+)$")


def checkpoint_step(name: str) -> int | None:
    """The step N of a directory named `checkpoint-N`, else None."""
    match = _NAME.match(name)
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class Checkpoint:
    """One `checkpoint-N` directory."""

    path: Path
    step: int

    @property
    def label(self) -> str:
        """How evaluation names it (reports place it on the step axis by this name)."""
        return f"{PREFIX}{self.step}"

    @property
    def evaluable(self) -> bool:
        """The adapter can be loaded: `adapter_config.json` is there."""
        return (self.path / "adapter_config.json").is_file()

    @property
    def resumable(self) -> bool:
        """Training can continue from it: the adapter and `trainer_state.json` are both there."""
        return self.evaluable and (self.path / "trainer_state.json").is_file()


def checkpoints(train_dir: Path) -> list[Checkpoint]:
    """Every `checkpoint-N` directory under `train_dir`, by step (complete or not)."""
    found = []
    for path in Path(train_dir).glob(f"{PREFIX}*"):
        step = checkpoint_step(path.name)
        if step is not None and path.is_dir():
            found.append(Checkpoint(path, step))
    return sorted(found, key=lambda c: c.step)


def last_resumable(train_dir: Path) -> Path | None:
    """The newest checkpoint training can resume from, if a previous attempt saved one."""
    usable = [c for c in checkpoints(train_dir) if c.resumable]
    return usable[-1].path if usable else None
