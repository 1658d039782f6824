"""Problem sources behind one `Problem` type, and the train / held-out split."""

from __future__ import annotations

from pathlib import Path

from harness.errors import DataError
from harness.problems.model import Example, Loaded, Problem


def load_source(source: str, tests_dir: str = "") -> Loaded:
    """Load a source with a count of what was skipped.

    `source` is 'bundled'; a Kattis package directory or a folder of packages; an open-r1
    dataset by hub name (`open-r1/codeforces-cots[:config][@split]`, `open-r1/codeforces...`);
    or local parquet / jsonl files (or a `save_to_disk` directory) in either schema.
    """
    if source == "bundled":
        from harness.problems.bundled import load_bundled

        return Loaded(load_bundled())
    path = Path(source)
    if path.is_dir() and ((path / "data").is_dir() or any((child / "data").is_dir() for child in path.iterdir())):
        from harness.problems.kattis import load_package

        if (path / "data").is_dir():
            return Loaded([load_package(path)])
        return Loaded([load_package(child) for child in sorted(path.iterdir()) if (child / "data").is_dir()])
    if path.exists() or source.startswith("open-r1/"):
        from harness.problems.codeforces import load_codeforces

        return load_codeforces(source, tests_dir)
    raise DataError(f"data.source: '{source}' is not 'bundled', an open-r1 dataset name or an existing path")


def load_problems(source: str, tests_dir: str = "") -> list[Problem]:
    """The problems of a source (see `load_source`)."""
    return load_source(source, tests_dir).problems


__all__ = ["Example", "Loaded", "Problem", "load_problems", "load_source"]
