"""Problem sources behind one `Problem` type, and the train / held-out split."""

from __future__ import annotations

from pathlib import Path

from harness.errors import DataError
from harness.problems.model import Example, Problem


def load_problems(source: str) -> list[Problem]:
    """Load a source: 'bundled', a Kattis package directory, or a folder of packages."""
    if source == "bundled":
        from harness.problems.bundled import load_bundled

        return load_bundled()
    path = Path(source)
    if not path.exists():
        raise DataError(f"data.source: '{source}' is neither 'bundled' nor an existing path")
    from harness.problems.kattis import load_package

    if (path / "data").is_dir():
        return [load_package(path)]
    packages = [load_package(child) for child in sorted(path.iterdir()) if (child / "data").is_dir()]
    if not packages:
        raise DataError(f"data.source: {path} holds no problem packages")
    return packages


__all__ = ["Example", "Problem", "load_problems"]
