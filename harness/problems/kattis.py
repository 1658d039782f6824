"""Kattis / ICPC problem package directories, in the legacy and the 2023-07 formats.

A package is `problem.yaml`, `data/sample/` and `data/secret/` (nested test groups allowed), an
optional `.timelimit`, an optional custom output validator and a statement. What we take from it:

- limits: the time limit (2023 `limits.time_limit`, else `.timelimit`, else a legacy
  `limits.time_limit`, else 1 s) and `limits.memory` in MiB (default 2048 for 2023-07, 1024 for legacy);
- tests in Kattis order: samples, then secret, each sorted by path, group by group;
- output checking: the default validator's flags (`validator_flags` in problem.yaml, then
  `output_validator_flags` in `data/testdata.yaml`) become an `OutputRule`; a custom validator
  (legacy `validation: custom` with `output_validators/`, or 2023's `output_validator/`) becomes a
  `Checker` that gets those flags instead. For a Python checker the first file is the entry point.

Interactive, multi-pass and submit-answer problems are refused. Every error is a one-line
`DataError` that names the file (and the field) at fault.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import yaml

from harness.errors import DataError
from harness.problems.model import Example, Problem
from harness.problems.testset import TestSet
from judges import Checker, Contract, Language, OutputRule, RuleKind, TestCase

DEFAULT_TIME_LIMIT_S = 1.0
DEFAULT_MEMORY_MB = {"legacy": 1024, "2023-07": 2048}
FORMAT_VERSIONS = {"legacy": "legacy", "legacy-icpc": "legacy", "2023-07-draft": "2023-07", "2023-07": "2023-07"}
PROBLEM_TYPES = ("pass-fail", "scoring", "interactive", "multi-pass", "submit-answer")
VALIDATION_MODIFIERS = ("score", "interactive", "multi-pass")  # legacy `validation: custom interactive`
UNSUPPORTED_TYPES = ("interactive", "multi-pass", "submit-answer")
FLAG_KEYS = ("output_validator_flags", "output_validator_args")  # testdata.yaml: legacy name, 2023 name
PYTHON_ENTRIES = ("validate.py", "validator.py", "checker.py", "main.py")  # entry of a multi-file checker
CPP_SOURCES = (".cpp", ".cc", ".cxx")
CPP_HEADERS = (".h", ".hpp", ".hh")
STATEMENTS = ("problem_statement/problem.en.tex", "problem_statement/problem.tex", "problem_statement/problem.en.md",
              "statement/problem.en.md", "statement/problem.en.tex")
MAX_DESCRIPTION_CHARS = 20_000


def output_rule(flags: list[str], where: str) -> OutputRule:
    """The comparison the default output validator's flags ask for; `where` names their file and field."""
    settings: dict = {"kind": RuleKind.TOKENS}
    index = 0
    while index < len(flags):
        word = flags[index]
        if word in ("float_tolerance", "float_absolute_tolerance", "float_relative_tolerance"):
            try:
                value = float(flags[index + 1])
            except (IndexError, ValueError):
                raise DataError(f"{where}: flag '{word}' needs a number") from None
            settings["kind"] = RuleKind.FLOAT
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
            raise DataError(f"{where}: unknown validator flag '{word}' for the default output validator")
        index += 1
    settings.setdefault("case_sensitive", False)  # Kattis' default validator ignores case unless told
    return OutputRule(**settings)


def _read_yaml(path: Path) -> dict:
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not valid YAML ({' '.join(str(exc).split())[:200]})") from None
    if data is not None and not isinstance(data, dict):
        raise DataError(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
    return data or {}


def _text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")  # bytes as they are: no newline translation
    except UnicodeDecodeError:
        raise DataError(f"{path}: not UTF-8 text") from None


def _positive(value: object, where: str) -> float:
    """`value` as a positive finite number; `where` is '<file>: <field>'."""
    try:
        number = math.nan if isinstance(value, bool) else float(str(value))  # YAML `true` is no limit
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number <= 0:
        raise DataError(f"{where} must be a positive number, got {value!r}")
    return number


def _format_version(meta: dict, path: Path) -> str:
    version = str(meta.get("problem_format_version", "legacy"))
    if version not in FORMAT_VERSIONS:
        raise DataError(f"{path}: problem_format_version '{version}' is not supported (known: {', '.join(FORMAT_VERSIONS)})")
    return FORMAT_VERSIONS[version]


def _words(value: object, where: str) -> list[str]:
    """A YAML field that may be a space-separated string or a list of strings."""
    if value is None:
        return []
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list) and all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in value):
        return [str(v) for v in value]
    raise DataError(f"{where} must be a string or a list of strings, got {value!r}")


def _custom_validation(meta: dict, path: Path) -> bool:
    """Check `type` and legacy `validation`, refuse what we cannot judge; whether validation is custom."""
    types = _words(meta.get("type", "pass-fail"), f"{path}: type")
    validation = _words(meta.get("validation", "default"), f"{path}: validation") or ["default"]
    if validation[0] not in ("default", "custom") or any(m not in VALIDATION_MODIFIERS for m in validation[1:]):
        raise DataError(f"{path}: validation '{' '.join(validation)}' is not 'default' or 'custom [interactive] [score]'")
    for word in types:
        if word not in PROBLEM_TYPES:
            raise DataError(f"{path}: type '{word}' is unknown (known: {', '.join(PROBLEM_TYPES)})")
    for word in types + validation[1:]:
        if word in UNSUPPORTED_TYPES:
            raise DataError(f"{path}: {word} problems are not supported")
    return validation[0] == "custom"


def _time_limit(root: Path, limits: dict, version: str, path: Path) -> float:
    if version == "2023-07" and "time_limit" in limits:
        return _positive(limits["time_limit"], f"{path}: limits.time_limit")
    timelimit = root / ".timelimit"
    if timelimit.is_file():
        words = timelimit.read_text(encoding="utf-8", errors="replace").split()
        return _positive(words[0] if words else "", f"{timelimit}: time limit")
    if "time_limit" in limits:
        return _positive(limits["time_limit"], f"{path}: limits.time_limit")
    return DEFAULT_TIME_LIMIT_S


def _tests(data: Path, group: str) -> list[TestCase]:
    """One top-level group's tests, sorted by path the way Kattis orders them."""
    folder = data / group
    if not folder.is_dir():
        return []
    tests = []
    for infile in sorted((p for p in folder.rglob("*.in") if p.is_file()), key=lambda p: p.relative_to(folder).parts):
        answer = infile.with_suffix(".ans")
        if not answer.is_file():
            raise DataError(f"{infile}: no matching .ans file")
        name = infile.relative_to(data).with_suffix("").as_posix()
        tests.append(TestCase(name, _text(infile), _text(answer), sample=group == "sample"))
    return tests


def _flags(root: Path, meta: dict, path: Path) -> list[tuple[str, list[str]]]:
    """Validator flags as (where, words): problem.yaml's first, then data/testdata.yaml's."""
    sources = [(f"{path}: validator_flags", _words(meta.get("validator_flags"), f"{path}: validator_flags"))]
    testdata_path = root / "data" / "testdata.yaml"
    testdata = _read_yaml(testdata_path)
    sources += [(f"{testdata_path}: {key}", _words(testdata[key], f"{testdata_path}: {key}"))
                for key in FLAG_KEYS if key in testdata]
    for nested in sorted((root / "data").rglob("testdata.yaml")):
        group = _read_yaml(nested) if nested != testdata_path else testdata
        for key in FLAG_KEYS:  # one Problem has one set of flags: a group may not change them
            if key in group and _words(group[key], f"{nested}: {key}") != _words(testdata.get(key), key):
                raise DataError(f"{nested}: {key}: per-group output validator flags are not supported")
    return sources


def _validator_dir(root: Path, custom: bool, version: str, path: Path) -> Path | None:
    """The custom output validator's directory, or None for the default validator."""
    names = ("output_validator", "output_validators") if version == "2023-07" else ("output_validators",)
    found = [root / name for name in names if (root / name).is_dir()]
    if not found:
        if custom:
            raise DataError(f"{path}: validation is 'custom' but there is no {names[0]}/ directory")
        return None
    if version == "legacy" and not custom:
        return None  # legacy packages use their validator only when problem.yaml says so
    folder = found[0]
    sources = [p for p in folder.iterdir() if p.is_file() and p.suffix in (".py", *CPP_SOURCES)]
    programs = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    if sources or not programs:
        return folder
    if len(programs) == 1:
        return programs[0]
    raise DataError(f"{folder}: expected one output validator, found {len(programs)} directories")


def _checker(folder: Path, flags: list[str]) -> Checker:
    """A `Checker` from a validator directory: Python (entry file first) or C++ (sources and headers)."""
    files = {p.name: p for p in folder.iterdir() if p.is_file()}
    python = sorted(name for name in files if name.endswith(".py"))
    cpp = sorted(name for name in files if name.endswith(CPP_SOURCES))
    if python and cpp:
        raise DataError(f"{folder}: holds both Python and C++ sources; cannot tell which is the output validator")
    if cpp:
        language, names = Language.CPP, sorted(cpp + [name for name in files if name.endswith(CPP_HEADERS)])
    elif python:
        entry = python[0] if len(python) == 1 else next((name for name in PYTHON_ENTRIES if name in files), None)
        if entry is None:
            raise DataError(f"{folder}: several Python files and none named {' / '.join(PYTHON_ENTRIES)} to run first")
        language, names = Language.PYTHON, [entry] + [name for name in python if name != entry]
    else:
        found = ", ".join(sorted(files)) or "no files"
        raise DataError(f"{folder}: unsupported output validator ({found}); supported: Python (*.py) "
                        f"or C++ ({', '.join('*' + s for s in CPP_SOURCES)}, with headers)")
    return Checker(contract=Contract.KATTIS, language=language, files=tuple((n, files[n].read_bytes()) for n in names),
                   flags=tuple(flags))


def _statement(root: Path) -> str:
    for relative in STATEMENTS:
        if (root / relative).is_file():
            return (root / relative).read_text(encoding="utf-8", errors="replace")[:MAX_DESCRIPTION_CHARS]
    return ""


def _title(meta: dict, statement: str, root: Path) -> str:
    name = meta.get("name")
    if isinstance(name, dict):
        name = name.get("en", next(iter(name.values()), None))
    if name is None and (match := re.search(r"\\problemname\{([^}]*)\}", statement)):
        name = match.group(1)
    return str(name).strip() if name is not None else root.name


def load_package(root: Path) -> Problem:
    """Read one problem package directory into a `Problem`."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"{root}: not a problem package directory")
    path = root / "problem.yaml"
    meta = _read_yaml(path)
    version = _format_version(meta, path)
    custom = _custom_validation(meta, path)
    if interaction := next((root / "data").rglob("*.interaction"), None):
        raise DataError(f"{interaction}: interactive problems are not supported")
    limits = meta.get("limits") or {}
    if not isinstance(limits, dict):
        raise DataError(f"{path}: limits must be a mapping, got {limits!r}")
    samples = _tests(root / "data", "sample")
    secret = _tests(root / "data", "secret")
    if not samples and not secret:
        raise DataError(f"{root}: no tests under data/sample or data/secret")
    flags = _flags(root, meta, path)
    folder = _validator_dir(root, custom, version, path)
    if folder is None:
        for where, words in flags:  # so that a bad flag's message names its own file
            output_rule(words, where)
    words = [word for _, source_words in flags for word in source_words]
    statement = _statement(root)
    return Problem(
        id=f"kattis/{root.name}",
        title=_title(meta, statement, root),
        description=statement,
        examples=tuple(Example(t.input, t.answer, t.name) for t in samples),
        hidden_tests=TestSet.of(secret),
        time_limit_s=_time_limit(root, limits, version, path),
        memory_limit_mb=math.ceil(_positive(limits.get("memory", DEFAULT_MEMORY_MB[version]), f"{path}: limits.memory")),
        output_rule=output_rule(words, f"{path}: validator_flags") if folder is None else OutputRule(),
        checker=_checker(folder, words) if folder is not None else None,
        source="kattis",
        **_submissions(root),
    )


_WRONG_FOLDERS = ("wrong_answer", "time_limit_exceeded", "run_time_error", "rejected")


def _submissions(root: Path) -> dict:
    """Python submissions of the package: the first accepted one is the reference, the rejected ones are wrong.

    What `harness problems verify` checks the tests against.
    """
    folder = root / "submissions"
    accepted = sorted((folder / "accepted").glob("*.py"))
    wrong = [path for name in _WRONG_FOLDERS for path in sorted((folder / name).glob("*.py"))]
    try:
        return {"reference_solution": accepted[0].read_text(encoding="utf-8") if accepted else None,
                "wrong_solutions": tuple(path.read_text(encoding="utf-8") for path in wrong)}
    except UnicodeDecodeError as exc:
        raise DataError(f"{folder}: a submission is not UTF-8 ({exc.reason})") from None
