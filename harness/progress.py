"""Rich progress for long stages; `--quiet` swaps in a silent stand-in with the same calls."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol


class Progress(Protocol):
    """What the stages call on a progress display (rich's `Progress` has it, as does `SilentProgress`)."""

    def add_task(self, description: str, *, total: float | None = ...) -> Any:
        """Start a task; returns its id."""
        ...

    def advance(self, task_id: Any, advance: float = 1) -> None:
        """Count work done on a task."""
        ...


class SilentProgress:
    """The subset of `rich.progress.Progress` the stages use, doing nothing."""

    def add_task(self, description: str, total: float | None = None, **fields: Any) -> int:
        """Pretend to add a task."""
        return 0

    def advance(self, task: int, advance: float = 1) -> None:
        """Ignore progress."""

    def update(self, task: int, **fields: Any) -> None:
        """Ignore an update."""


def silence_library_bars() -> None:
    """Transformers' and datasets' own tqdm bars would interleave with ours."""
    import os
    import warnings

    warnings.filterwarnings("ignore", category=FutureWarning, module=r"transformers\..*")
    os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")


@contextmanager
def progress_display(quiet: bool = False) -> Iterator[Progress]:
    """A live rich progress display (stderr), or a silent one."""
    silence_library_bars()
    if quiet:
        yield SilentProgress()
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    ) as progress:
        yield progress
