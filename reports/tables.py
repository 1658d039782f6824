"""Prepared tables: the one shape both renderers print, so report.md and report.html cannot disagree.

A table is decided once, in `reports.context` (its columns, cell texts, links); the markdown
renderer prints `Cell.text` (and `href` as a link) and the HTML template prints the same cells
with their CSS class. No renderer computes a number or chooses a column.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Cell:
    """One table cell: its text, an optional link, and a CSS class for HTML ("num", "v-AC" ...)."""

    text: str
    href: str | None = None
    css: str = ""


@dataclass(frozen=True)
class Table:
    """A header and rows of cells; every row has exactly one cell per header column."""

    id: str
    header: list[Cell]
    rows: list[list[Cell]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.header):  # the bug this type exists to prevent: cells with no header
                raise ValueError(f"table {self.id}: a row of {len(row)} cells under {len(self.header)} columns")

    def __bool__(self) -> bool:
        return bool(self.rows)


def text(value, css: str = "") -> Cell:
    """A cell showing `value`; None shows as a dash."""
    return Cell("–" if value is None else str(value), css=css)


def num(value) -> Cell:
    """A right-aligned numeric cell."""
    return text(value, "num")


def header(*names: str, numeric: tuple[str, ...] = ()) -> list[Cell]:
    """Header cells; those named in `numeric` are right-aligned like their column."""
    return [Cell(name, css="num" if name in numeric else "") for name in names]
