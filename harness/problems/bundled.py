"""The bundled problem set: original problems shipped inside the package, one YAML file each."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import yaml

from harness.errors import DataError
from harness.problems.model import Example, Problem
from harness.problems.testset import TestSet
from judges import OutputRule, RuleKind, TestCase

BUNDLED_DIR = Path(str(resources.files("harness.problems") / "bundled"))
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml where present: the set is megabytes of tests
_REQUIRED = ("id", "title", "description", "input_format", "output_format", "examples", "tests")


def _rule(raw: dict) -> OutputRule:
    tolerance = raw.get("float_tolerance")
    if tolerance is None:
        return OutputRule()
    return OutputRule(kind=RuleKind.FLOAT, float_absolute_tolerance=float(tolerance), float_relative_tolerance=float(tolerance))


def problem_from_yaml(path: Path) -> Problem:
    """Parse one bundled problem file; a missing field is a `DataError` naming file and field."""
    raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    if not isinstance(raw, dict):
        raise DataError(f"{path}: not a mapping")
    missing = [key for key in _REQUIRED if not raw.get(key)]
    if missing:
        raise DataError(f"{path}: missing field(s) {', '.join(missing)}")
    tests = tuple(
        TestCase(name=f"hidden-{i + 1}", input=str(t["input"]), answer=str(t["output"]))
        for i, t in enumerate(raw["tests"])
    )
    return Problem(
        id=f"bundled/{raw['id']}",
        title=raw["title"],
        description=raw["description"].strip(),
        input_format=raw["input_format"].strip(),
        output_format=raw["output_format"].strip(),
        note=(raw.get("note") or "").strip(),
        examples=tuple(Example(str(e["input"]), str(e["output"])) for e in raw["examples"]),
        hidden_tests=TestSet.of(tests),
        time_limit_s=float(raw.get("time_limit", 1.0)),
        memory_limit_mb=int(raw.get("memory_limit", 256)),
        output_rule=_rule(raw),
        rating=raw.get("rating"),
        tags=tuple(raw.get("tags") or ()),
        source="bundled",
        reference_solution=raw.get("reference_solution"),
        wrong_solutions=tuple(raw.get("wrong_solutions") or ()),
        reasoning=(raw.get("think") or "").strip() or None,
    )


def load_bundled(directory: Path = BUNDLED_DIR) -> list[Problem]:
    """All bundled problems, ordered by id."""
    problems = [problem_from_yaml(path) for path in sorted(directory.glob("*.yaml"))]
    if not problems:
        raise DataError(f"{directory}: no bundled problems found")
    return sorted(problems, key=lambda p: p.id)
