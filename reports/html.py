"""The Jinja2 environment of the HTML reports (templates ship in `reports/templates/`)."""

from __future__ import annotations

from functools import cache
from pathlib import Path


@cache
def environment():
    """Autoescaping environment loading the package's templates."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    return Environment(loader=PackageLoader("reports", "templates"), autoescape=select_autoescape(["html", "j2"]))


def render(template: str, context: dict) -> str:
    """One template rendered with `context`."""
    return environment().get_template(template).render(**context)


def render_to(path: Path, template: str, context: dict) -> int:
    """Render `template` straight into `path`, piece by piece (a page is never one big string); return its size."""
    with path.open("w", encoding="utf-8") as handle:
        environment().get_template(template).stream(**context).dump(handle)
    return path.stat().st_size
