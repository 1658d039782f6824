"""The open-r1 Codeforces datasets: `open-r1/codeforces-cots` (SFT traces) and `open-r1/codeforces` (tests).

Both load by hub name through `datasets.load_dataset(name, config, split=...)` or from local
files of the same schema (parquet, jsonl, a `save_to_disk` directory, or a folder of those),
through the same row readers. A row that cannot become a problem (a missing field, no
examples, undecodable text, file input/output) is skipped and counted by reason; a source
where every row is bad is a `DataError`.

- codeforces-cots: one row per reasoning trace, up to four per problem. Rows are grouped by
  problem id; the assistant turns of `messages` become the problem's training answers
  (the system and user turns are rebuilt by `harness.prompts`, so training and evaluation
  prompts never drift apart). No hidden tests: only the statement's examples.
- codeforces: `official_tests` become hidden tests, `generated_checker` a Codeforces-contract
  checker; `generated_tests` come from `<tests_dir>/test_cases_NNNN.parquet` when given.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from harness.errors import DataError
from harness.problems.model import Example, Loaded, Problem
from harness.problems.testset import TestSet
from judges import Checker, Contract, Language, TestCase

COTS = "open-r1/codeforces-cots"
CODEFORCES = "open-r1/codeforces"
DEFAULT_CONFIGS = {COTS: "solutions_py", CODEFORCES: "verifiable"}
_DATA_SUFFIXES = (".parquet", ".jsonl", ".json")


@dataclass(frozen=True)
class DatasetSpec:
    """`name_or_path[:config][@split]`, e.g. `open-r1/codeforces-cots:solutions_py@train`."""

    name: str
    config: str | None = None
    split: str = "train"

    @classmethod
    def parse(cls, text: str) -> DatasetSpec:
        """Read a spec string; a local path is taken whole when it exists."""
        if Path(text).exists():
            return cls(text)
        name, _, split = text.partition("@")
        name, _, config = name.partition(":")
        return cls(name, config or DEFAULT_CONFIGS.get(name), split or "train")


class _Skip(ValueError):
    """A row that cannot become a problem; the message is the reason, counted."""


def read_rows(spec: DatasetSpec) -> Iterator[dict | _Skip]:
    """Rows of a dataset as dicts (or a `_Skip` for a line that is not even JSON or UTF-8)."""
    path = Path(spec.name)
    if not path.exists():
        yield from _hub_rows(spec)
        return
    if path.is_dir() and ((path / "dataset_dict.json").exists() or (path / "state.json").exists()):
        yield from _disk_rows(path, spec.split)  # a `save_to_disk` directory
        return
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.suffix in _DATA_SUFFIXES)
    if not files:
        raise DataError(f"{path}: no .parquet, .jsonl or .json files")
    for file in files:
        if file.suffix == ".parquet":
            yield from _parquet_rows(file)
        else:
            yield from _json_rows(file)


def _hub_rows(spec: DatasetSpec) -> Iterator[dict]:
    import datasets

    try:
        dataset = datasets.load_dataset(spec.name, spec.config, split=spec.split)
    except Exception as exc:  # noqa: BLE001 - offline, unknown name, bad config: one line for the user
        raise DataError(f"dataset '{spec.name}' (config {spec.config}, split {spec.split}): "
                        f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from None
    yield from dataset


def _disk_rows(path: Path, split: str) -> Iterator[dict]:
    import datasets

    loaded = datasets.load_from_disk(str(path))
    if isinstance(loaded, datasets.DatasetDict):
        if split not in loaded:
            raise DataError(f"{path}: no split '{split}' (has {', '.join(loaded)})")
        loaded = loaded[split]
    yield from loaded


def _parquet_rows(file: Path) -> Iterator[dict]:
    import datasets

    try:
        dataset = datasets.load_dataset("parquet", data_files=str(file), split="train")
    except Exception as exc:  # noqa: BLE001
        raise DataError(f"{file}: not a readable parquet file ({type(exc).__name__})") from None
    yield from dataset


def _json_rows(file: Path) -> Iterator[dict | _Skip]:
    """JSON lines read one by one, so one bad line costs one row, not the file."""
    with file.open("rb") as handle:
        for raw in handle:
            if not raw.strip():
                continue
            try:
                row = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError:
                yield _Skip("not UTF-8")
                continue
            except json.JSONDecodeError:
                yield _Skip("not JSON")
                continue
            yield row if isinstance(row, dict) else _Skip("not a JSON object")


def _text(row: dict, key: str, required: bool = True) -> str:
    value = row.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _Skip(f"missing {key}")
        return ""
    if not isinstance(value, str):
        raise _Skip(f"{key} is not text")
    if "\ufffd" in value:
        raise _Skip("not UTF-8")
    return value


def _examples(row: dict) -> tuple[Example, ...]:
    raw = row.get("examples")
    if isinstance(raw, str):  # some dumps store the list as a JSON string
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            raise _Skip("examples are not a list") from None
    if not raw:
        raise _Skip("no examples")
    try:
        return tuple(Example(str(e["input"]), str(e["output"]), f"sample-{i + 1}") for i, e in enumerate(raw))
    except (KeyError, TypeError):
        raise _Skip("examples without input/output") from None


def _date(value) -> str | None:
    """`contest_start` (Unix seconds, or an ISO date) as YYYY-MM-DD."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return dt.datetime.fromtimestamp(value, tz=dt.UTC).date().isoformat()
    return str(value)[:10]


def _limits(row: dict) -> tuple[float, int]:
    try:
        time_limit = float(row.get("time_limit") or 1.0)
        memory = int(float(row.get("memory_limit") or 256))
    except (TypeError, ValueError):
        raise _Skip("limits are not numbers") from None
    if time_limit <= 0 or memory <= 0:
        raise _Skip("limits are not positive")
    return time_limit, memory


def _base_fields(row: dict, source: str) -> dict:
    problem_id = _text(row, "id")
    time_limit, memory = _limits(row)
    aliases = row.get("aliases") or ()
    contest = row.get("contest_id")
    return {
        "id": problem_id,
        "title": _text(row, "title"),
        "description": _text(row, "description"),
        "input_format": _text(row, "input_format", required=False),
        "output_format": _text(row, "output_format", required=False),
        "note": _text(row, "note", required=False),
        "examples": _examples(row),
        "time_limit_s": time_limit,
        "memory_limit_mb": memory,
        "rating": int(row["rating"]) if row.get("rating") not in (None, "") else None,
        "tags": tuple(row.get("tags") or ()),
        "source": source,
        "aliases": tuple(str(a) for a in aliases if a and str(a) != problem_id),
        "contest": str(contest) if contest not in (None, "") else problem_id.split("/")[0],
        "date": _date(row.get("contest_start")),
    }


def _assistant_answer(row: dict) -> str | None:
    """The assistant turn of a cots row (`messages`), else its raw `generation`."""
    messages = row.get("messages")
    if isinstance(messages, str):
        try:
            messages = json.loads(messages)
        except json.JSONDecodeError:
            messages = None
    for message in reversed(messages or []):
        if isinstance(message, dict) and message.get("role") == "assistant" and message.get("content"):
            return str(message["content"])
    generation = row.get("generation")
    return str(generation) if generation else None


def cots_problems(rows: Iterable[dict | _Skip], source: str = "codeforces-cots") -> Loaded:
    """Group codeforces-cots rows by problem; each trace becomes one training answer."""
    skipped: Counter = Counter()
    fields: dict[str, dict] = {}
    answers: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        try:
            if isinstance(row, _Skip):
                raise row
            base = _base_fields(row, source)
            answer = _assistant_answer(row)
            if answer is None:
                raise _Skip("no assistant message or generation")
            if row.get("finish_reason") not in (None, "", "stop"):
                raise _Skip(f"trace finished by {row.get('finish_reason')}")
        except _Skip as why:
            skipped[str(why)] += 1
            continue
        fields.setdefault(base["id"], base)
        answers[base["id"]].append(answer)
    problems = [Problem(**fields[pid], answers=tuple(answers[pid])) for pid in sorted(fields)]
    return Loaded(problems, skipped)


def codeforces_problems(rows: Iterable[dict | _Skip], tests_dir: Path | None = None,
                        source: str = "codeforces") -> Loaded:
    """open-r1/codeforces rows with their official (and, given `tests_dir`, generated) tests.

    Each problem's tests are written to the test store as its row is read and kept as a
    `TestSet` handle, so loading a multi-gigabyte source holds one row's tests at a time.
    """
    skipped: Counter = Counter()
    problems: dict[str, Problem] = {}
    generated = _GeneratedTests(tests_dir) if tests_dir else None
    for row in rows:
        try:
            if isinstance(row, _Skip):
                raise row
            if (row.get("input_mode") or "stdio") != "stdio":
                raise _Skip("file input/output is not supported")
            base = _base_fields(row, source)
            if base["id"] in problems:
                continue
            tests: Iterable[TestCase] = _official_tests(row)
            if generated is not None:
                tests = itertools.chain(tests, generated.for_problem(base["id"], base["contest"]))
            stored = TestSet.store(tests)
            if not stored.count:
                raise _Skip("no tests")
            checker_source = row.get("generated_checker") or ""
            checker = (Checker(Contract.CODEFORCES, Language.PYTHON, (("checker.py", checker_source.encode()),))
                       if checker_source.strip() else None)
        except _Skip as why:
            skipped[str(why)] += 1
            continue
        problems[base["id"]] = Problem(**base, hidden_tests=stored, checker=checker)
    return Loaded([problems[pid] for pid in sorted(problems)], skipped)


def _official_tests(row: dict) -> list[TestCase]:
    raw = row.get("official_tests") or []
    try:
        return [TestCase(f"official-{i + 1}", str(t["input"]), str(t["output"])) for i, t in enumerate(raw)]
    except (KeyError, TypeError):
        raise _Skip("official tests without input/output") from None


class _GeneratedTests:
    """`test_cases_NNNN.parquet` files (one per contest): only the contest being read is held in memory.

    Rows of one contest usually come together, so re-reading a contest file is rare.
    """

    def __init__(self, folder: Path) -> None:
        if not folder.is_dir():
            raise DataError(f"data.codeforces_tests_dir: {folder} is not a directory")
        self.folder = folder
        self._contest: str | None = None
        self._tests: dict[str, list[TestCase]] = {}

    def for_problem(self, problem_id: str, contest: str) -> list[TestCase]:
        if contest != self._contest:
            self._contest, self._tests = contest, {}  # drop the previous contest before reading the next
            self._tests = self._read(contest)
        return self._tests.get(problem_id, [])

    def _read(self, contest: str) -> dict[str, list[TestCase]]:
        candidates = [self.folder / f"test_cases_{int(contest):04d}.parquet"] if contest.isdigit() else []
        candidates += [self.folder / f"test_cases_{contest}.parquet"]
        file = next((c for c in candidates if c.exists()), None)
        tests: dict[str, list[TestCase]] = defaultdict(list)
        if file is None:
            return tests
        for row in _parquet_rows(file):
            pid = str(row["problem_id"])
            tests[pid].append(TestCase(f"generated-{len(tests[pid]) + 1}", str(row["input"]), str(row["output"])))
        return tests


def looks_like_cots(spec: DatasetSpec, first_row: dict | None) -> bool:
    """Which of the two schemas a source has: by its hub name, else by its columns."""
    if spec.name.startswith(COTS):
        return True
    if spec.name.startswith(CODEFORCES):
        return False
    if not first_row:
        return False
    return "official_tests" not in first_row and ("messages" in first_row or "generation" in first_row)


def load_codeforces(text: str, tests_dir: str = "") -> Loaded:
    """Either open-r1 dataset, by hub name or local files; the schema is told apart by name or columns."""
    spec = DatasetSpec.parse(text)
    stream = read_rows(spec)
    head = []  # rows up to the first good one, to tell the schema apart without loading the whole source
    for row in stream:
        head.append(row)
        if isinstance(row, dict):
            break
    first = head[-1] if head and isinstance(head[-1], dict) else None
    rows = itertools.chain(head, stream)
    if looks_like_cots(spec, first):
        loaded = cots_problems(rows)
    else:
        loaded = codeforces_problems(rows, Path(tests_dir) if tests_dir else None)
    if not loaded.problems:
        reasons = ", ".join(f"{n} {why}" for why, n in loaded.skipped.most_common(3)) or "no rows"
        raise DataError(f"data.source: '{text}' gave no usable problems ({reasons})")
    return loaded
