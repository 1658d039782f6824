"""LiveCodeBench code generation (`livecodebench/code_generation_lite`): dated contest problems.

Problems from LeetCode, AtCoder and Codeforces, each with its contest date, so an evaluation
stays uncontaminated by a date window after the model's training cut-off (`data.split: date`
with `data.date_cutoff` / `data.date_end`). The dataset is one JSON-lines file per release;
a release tag picks files the way the dataset's own loading script does:

    release_v1 .. release_v6   cumulative: test.jsonl, test2.jsonl, ... testN.jsonl
    release_latest             every file known here (= release_v6)
    v1 .. v6                   one release's new problems only (v1 = test.jsonl, vN = testN.jsonl)
    vN_vM                      releases N to M

The hub files are fetched with `huggingface_hub` (cached, so offline runs reuse them) and read
line by line: the dataset's loading script no longer runs under `datasets` 4 and later, and
one line at a time keeps a multi-gigabyte release's memory to one problem's tests.

Two kinds of test: "stdin" (stdin / stdout, compared token by token) and "functional"
(LeetCode's `class Solution` method `metadata.func_name`, `CallKind.METHOD`; a test's input
is one JSON argument per line, its output the JSON return value, both as the dataset has
them). `public_test_cases` become the examples, `private_test_cases` (JSON, or packed: see
`safe_pickle`) the hidden tests. Any malformed row is a one-line `DataError` naming file:line
and field: a benchmark with a silently dropped problem is a different benchmark.

Where judging here differs from LiveCodeBench's grader (`lcb_runner/evaluation/testing_util.py`):
- stdin output: it strips the whole output, splits it into lines, strips each line, requires
  as many lines as expected, and takes a line that differs when all its tokens are equal as
  `Decimal`s. Token-wise comparison (`RuleKind.TOKENS`) accepts a different line layout it
  rejects ("1 2" on one line for two lines "1" and "2", a missing blank line, "a  b" for
  "a b") and rejects numbers it accepts ("1.0" for "1", "1e3" for "1000", "0.50" for "0.5").
- it runs the program inside its own process, with `from math import *`, `collections`, ...
  imported beforehand and the recursion limit at 50000; here the program runs as written.
- its 6 s is wall time per test with the program already imported; here it is the sandbox's
  limit per test (CPU time, interpreter start included). It sets no memory limit; 1024 MB here.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import Any

from harness.errors import DataError
from harness.problems.model import Example, Problem
from harness.problems.safe_pickle import DecodeError, decode_tests
from harness.problems.testset import TestSet
from judges import OutputRule, RuleKind, TestCase
from judges.calls import CallKind, FunctionCall

SOURCE = "livecodebench"
HUB = "livecodebench/code_generation_lite"
FILES = ("test.jsonl", "test2.jsonl", "test3.jsonl", "test4.jsonl", "test5.jsonl", "test6.jsonl")  # release N adds FILES[N-1]
DEFAULT_TAG = "release_latest"  # LiveCodeBench's own default (lcb_runner/runner/parser.py --release_version)
FIELDS = ("question_title", "question_content", "platform", "question_id", "contest_id", "contest_date",
          "starter_code", "difficulty", "public_test_cases", "private_test_cases", "metadata")
TIME_LIMIT_S = 6.0  # LiveCodeBench's default per-test timeout (lcb_runner/runner/parser.py --timeout 6)
MEMORY_LIMIT_MB = 1024  # LiveCodeBench sets none; AtCoder's own limit is 1024 MB
OUTPUT_RULE = OutputRule(RuleKind.TOKENS)  # the closest named rule to LiveCodeBench's (see the module docstring)


class Platform(StrEnum):
    """Where a LiveCodeBench problem was first set."""

    LEETCODE = "leetcode"
    CODEFORCES = "codeforces"
    ATCODER = "atcoder"


class TestType(StrEnum):
    """How a LiveCodeBench test reaches the program."""

    __test__ = False  # not a pytest class, despite the name

    STDIN = "stdin"
    FUNCTIONAL = "functional"


DIFFICULTIES = ("easy", "medium", "hard")


def files_for(tag: str) -> tuple[str, ...]:
    """The dataset files a release tag names (see the module docstring)."""
    count = len(FILES)
    if tag == "release_latest":
        return FILES
    if (m := re.fullmatch(r"release_v(\d+)", tag)) and 1 <= int(m[1]) <= count:
        return FILES[: int(m[1])]
    if (m := re.fullmatch(r"v(\d+)", tag)) and 1 <= int(m[1]) <= count:
        return (FILES[int(m[1]) - 1],)
    if (m := re.fullmatch(r"v(\d+)_v(\d+)", tag)) and 1 <= int(m[1]) < int(m[2]) <= count:
        return FILES[int(m[1]) - 1 : int(m[2])]
    raise DataError(f"LiveCodeBench release '{tag}' is not one of release_v1..release_v{count}, release_latest, "
                    f"v1..v{count} or vN_vM")


def download(tag: str) -> list[Path]:
    """The release's files from the hub (or the local hub cache when offline)."""
    from huggingface_hub import hf_hub_download

    paths = []
    for name in files_for(tag):
        try:
            paths.append(Path(hf_hub_download(HUB, name, repo_type="dataset")))
        except Exception as exc:  # noqa: BLE001 - offline and not cached, moved file: one line for the user
            first = str(exc).splitlines()[0] if str(exc) else ""
            raise DataError(f"dataset '{HUB}@{tag}': cannot fetch {name} ({type(exc).__name__}: {first})") from None
    return paths


def local_files(folder: Path, tag: str) -> list[Path]:
    """A release's files inside a local copy of the dataset's folder."""
    paths = [folder / name for name in files_for(tag)]
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        raise DataError(f"{folder}: release {tag} needs {', '.join(missing)}, not found there")
    return paths


def _text(row: dict, key: str, where: str, required: bool = True) -> str:
    value = row.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # a question_id read back from parquet may be a number
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise DataError(f"{where}: field '{key}' is not text")
    if required and not value.strip():
        raise DataError(f"{where}: field '{key}' is missing")
    return value


def _choice(row: dict, key: str, where: str, options: Iterable[str]) -> str:
    value = _text(row, key, where).strip().lower()
    if value not in options:
        raise DataError(f"{where}: field '{key}' is '{value}', not one of {', '.join(options)}")
    return value


def _date(row: dict, where: str) -> str:
    value = row.get("contest_date")
    try:
        if isinstance(value, dt.datetime | dt.date):
            return value.isoformat()[:10]
        return dt.datetime.fromisoformat(str(value)).date().isoformat()
    except (TypeError, ValueError):
        raise DataError(f"{where}: field 'contest_date' is '{value}', not an ISO date") from None


def _metadata(row: dict, where: str) -> dict:
    value = row.get("metadata")
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else {}
        except json.JSONDecodeError:
            raise DataError(f"{where}: field 'metadata' is not JSON") from None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DataError(f"{where}: field 'metadata' is not a JSON object")
    return value


def _tests(row: dict, key: str, where: str) -> tuple[list[tuple[str, str]], set[TestType]]:
    """A test field as (input, output) pairs, and the test types it uses."""
    try:
        raw = decode_tests(row.get(key))
    except DecodeError as exc:
        raise DataError(f"{where}: field '{key}': {exc}") from None
    pairs: list[tuple[str, str]] = []
    kinds: set[TestType] = set()
    for number, test in enumerate(raw, start=1):
        if not (isinstance(test, dict) and isinstance(test.get("input"), str) and isinstance(test.get("output"), str)):
            raise DataError(f"{where}: field '{key}': test {number} lacks text input/output")
        try:
            kinds.add(TestType(str(test.get("testtype", "")).lower()))
        except ValueError:
            raise DataError(f"{where}: field '{key}': test {number} has testtype '{test.get('testtype')}'") from None
        pairs.append((test["input"], test["output"]))
    return pairs, kinds


def aliases(platform: Platform, question_id: str, contest_id: str) -> tuple[str, ...]:
    """The names other sources know a problem by, for the contamination check.

    Codeforces: `<contest>/<index>`, as the open-r1 datasets name their problems (so an LCB
    Codeforces problem in a Codeforces training source is an alias match); AtCoder: its task id.
    """
    if platform == Platform.CODEFORCES:
        m = re.fullmatch(r"(\d+)[_/-]?([A-Za-z]\d?)", question_id.strip())
        contest = contest_id.strip() if contest_id.strip().isdigit() else (m[1] if m else "")
        if m and contest:
            return (f"{contest}/{m[2].upper()}",)
    if platform == Platform.ATCODER:
        return (question_id.strip(),)
    return ()


def problem_from_row(row: dict, where: str) -> Problem:
    """One row as a `Problem`, checked whole before its private tests go to the test store."""
    question_id = _text(row, "question_id", where).strip()
    platform = Platform(_choice(row, "platform", where, [p.value for p in Platform]))
    contest_id = _text(row, "contest_id", where, required=False).strip()
    public, public_kinds = _tests(row, "public_test_cases", where)
    private, private_kinds = _tests(row, "private_test_cases", where)
    kinds = public_kinds | private_kinds
    if len(kinds) != 1:
        raise DataError(f"{where}: fields 'public_test_cases'/'private_test_cases': "
                        + ("no tests" if not kinds else "mixed stdin and functional tests"))
    call = None
    if kinds == {TestType.FUNCTIONAL}:
        name = _metadata(row, where).get("func_name")
        try:
            call = FunctionCall(CallKind.METHOD, str(name or ""))
        except ValueError:
            raise DataError(f"{where}: field 'metadata': functional tests need a func_name, got {name!r}") from None
    own = aliases(platform, question_id, contest_id)
    fields: dict[str, Any] = {
        "id": f"lcb/{question_id}",
        "title": _text(row, "question_title", where).strip(),
        "description": _text(row, "question_content", where),
        "examples": tuple(Example(given, want, f"public-{i}") for i, (given, want) in enumerate(public, start=1)),
        "date": _date(row, where),
        "difficulty": _choice(row, "difficulty", where, DIFFICULTIES),
        "starter_code": _text(row, "starter_code", where, required=False),
        # Codeforces: the contest id as the open-r1 datasets spell it, so a shared contest is reported
        "contest": own[0].split("/")[0] if platform == Platform.CODEFORCES and own else contest_id,
    }
    tests = TestSet.store(TestCase(f"private-{i}", given, want) for i, (given, want) in enumerate(private, start=1))
    return Problem(**fields, hidden_tests=tests, time_limit_s=TIME_LIMIT_S, memory_limit_mb=MEMORY_LIMIT_MB,
                   output_rule=OUTPUT_RULE, tags=(platform.value,), source=SOURCE, aliases=own, call=call)
