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


@contextmanager
def progress_display(quiet: bool = False) -> Iterator[Progress]:
    """A live rich progress display on the terminal (`harness.console`), or a silent one.

    While other libraries' output goes to the run's log, rich must not take sys.stdout/sys.stderr
    over (it would print what they write above the bars).
    """
    from harness import console

    console.library_switches()
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
        console=Console(file=console.terminal()),
        redirect_stdout=not console.capturing(),
        redirect_stderr=not console.capturing(),
    ) as progress:
        yield progress
