"""Kattis / ICPC problem package directories (`problem.yaml`, `data/sample`, `data/secret`)."""

from __future__ import annotations

from pathlib import Path

import yaml

from harness.errors import DataError
from harness.problems.model import Example, Problem
from judges import OutputRule, TestCase

DEFAULT_TIME_LIMIT_S = 1.0


def output_rule(validation: str, flags: str, path: Path) -> OutputRule:
    """The comparison a package's `validation` and `validator_flags` ask for."""
    if validation.split()[0] not in ("default",):
        raise DataError(f"{path}: validation '{validation}' (custom output validators) is not supported yet")
    words = flags.split()
    settings: dict = {"kind": "tokens"}
    index = 0
    while index < len(words):
        word = words[index]
        if word in ("float_tolerance", "float_absolute_tolerance", "float_relative_tolerance"):
            try:
                value = float(words[index + 1])
            except (IndexError, ValueError):
                raise DataError(f"{path}: validator_flags '{word}' needs a number") from None
            settings["kind"] = "float"
            if word != "float_relative_tolerance":
                settings["float_absolute_tolerance"] = value
            if word != "float_absolute_tolerance":
                settings["float_relative_tolerance"] = value
            index += 2
            continue
        if word == "case_sensitive":
            settings["case_sensitive"] = True
        elif word == "space_change_sensitive":
            settings["space_change_sensitive"] = True
        else:
            raise DataError(f"{path}: unknown validator flag '{word}'")
        index += 1
    if "case_sensitive" not in settings:
        settings["case_sensitive"] = False  # Kattis' default validator ignores case unless told
    return OutputRule(**settings)


def _tests(folder: Path, sample: bool) -> list[TestCase]:
    if not folder.is_dir():
        return []
    tests = []
    for infile in sorted(folder.rglob("*.in")):
        ans = infile.with_suffix(".ans")
        if not ans.exists():
            raise DataError(f"{infile}: no matching .ans file")
        name = str(infile.relative_to(folder.parent).with_suffix(""))
        tests.append(TestCase(name, infile.read_text(encoding="utf-8"), ans.read_text(encoding="utf-8"), sample))
    return tests


def _time_limit(root: Path, meta: dict) -> float:
    limits = meta.get("limits") or {}
    if "time_limit" in limits:  # 2023-07 format
        return float(limits["time_limit"])
    timelimit = root / ".timelimit"
    if timelimit.exists():
        return float(timelimit.read_text().split()[0])
    return DEFAULT_TIME_LIMIT_S


def load_package(root: Path) -> Problem:
    """Read one problem package directory into a `Problem`."""
    root = Path(root)
    meta_path = root / "problem.yaml"
    if not root.is_dir():
        raise DataError(f"{root}: not a problem package directory")
    meta = yaml.safe_load(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
    meta = meta or {}
    if meta.get("type") == "interactive" or "interactive" in str(meta.get("validation", "")):
        raise DataError(f"{meta_path}: interactive problems are not supported")
    samples = _tests(root / "data" / "sample", sample=True)
    secret = _tests(root / "data" / "secret", sample=False)
    if not samples and not secret:
        raise DataError(f"{root}: no tests under data/sample or data/secret")
    limits = meta.get("limits") or {}
    name = meta.get("name", root.name)
    title = name.get("en", next(iter(name.values()))) if isinstance(name, dict) else str(name)
    return Problem(
        id=f"kattis/{root.name}",
        title=title,
        description="",
        examples=tuple(Example(t.input, t.answer, t.name) for t in samples),
        hidden_tests=tuple(secret),
        time_limit_s=_time_limit(root, meta),
        memory_limit_mb=int(limits.get("memory", 2048 if "time_limit" in limits else 1024)),
        output_rule=output_rule(str(meta.get("validation", "default")), str(meta.get("validator_flags", "")), meta_path),
        source="kattis",
    )
