"""Bring your own completions: `harness eval --completions FILE.jsonl` judges completions made elsewhere.

Each line is one JSON object with `problem_id`, `label` and `text`, optional `sample` (counted
per label and problem in file order when absent), `finish_reason`, `prompt_tokens` and
`completion_tokens`. The whole file is checked (one streamed pass, keeping identities only)
before anything is written, then streamed again and journaled
into `eval/<label>/completions.jsonl` as `CompletionRecord`s keyed by their content, so the
rest of the run (extraction, judging, scoring, reports) cannot tell them from an engine's, and
a resumed run imports nothing twice.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from harness.errors import DataError
from harness.rundir import RunDir
from reports.records import CompletionRecord

_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")  # a label is a directory name under eval/
_OPTIONAL_INT = ("prompt_tokens", "completion_tokens")


def _lines(path: Path) -> Iterator[tuple[int, dict]]:
    if not path.is_file():
        raise DataError(f"--completions {path}: no such file")
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                line = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise DataError(f"{path}:{number}: not a JSON line ({type(exc).__name__})") from None
            if not isinstance(line, dict):
                raise DataError(f"{path}:{number}: not a JSON object")
            yield number, line


def _field(line: dict, name: str, kind: type, where: str, required: bool = True):
    value = line.get(name)
    if value is None:
        if required:
            raise DataError(f"{where}: missing field '{name}'")
        return None
    if not isinstance(value, kind) or isinstance(value, bool):
        raise DataError(f"{where}: field '{name}' must be {kind.__name__}, got {type(value).__name__}")
    return value


def _key(label: str, problem_id: str, sample: int, text: str) -> str:
    return hashlib.sha256(json.dumps(["imported", label, problem_id, sample, text]).encode()).hexdigest()[:16]


def read_completions(path: Path, known: Mapping[str, object]) -> Iterator[CompletionRecord]:
    """Every line as a record, streamed; the first bad line is a one-line `DataError` naming the file and line."""
    first_seen: dict[tuple[str, str, int], int] = {}
    next_sample: dict[tuple[str, str], int] = defaultdict(int)
    for number, line in _lines(path):
        where = f"{path}:{number}"
        problem_id = _field(line, "problem_id", str, where)
        label = _field(line, "label", str, where)
        text = _field(line, "text", str, where)
        if not _LABEL.match(label):
            raise DataError(f"{where}: label '{label}' must be letters, digits, '.', '_' or '-'")
        if problem_id not in known:
            raise DataError(f"{where}: problem_id '{problem_id}' is not in data.source")
        sample = _field(line, "sample", int, where, required=False)
        sample = next_sample[(label, problem_id)] if sample is None else sample
        if sample < 0:
            raise DataError(f"{where}: field 'sample' must be 0 or more")
        next_sample[(label, problem_id)] = max(next_sample[(label, problem_id)], sample + 1)
        identity = (label, problem_id, sample)
        if identity in first_seen:
            raise DataError(f"{where}: duplicate (label, problem_id, sample) = ({label}, {problem_id}, {sample}), "
                            f"first on line {first_seen[identity]}")
        first_seen[identity] = number
        counts = {name: _field(line, name, int, where, required=False) for name in _OPTIONAL_INT}
        yield CompletionRecord(key=_key(label, problem_id, sample, text), label=label, problem_id=problem_id,
                               sample=sample, text=text, prompt_hash="imported", adapter_hash="imported",
                               finish_reason=_field(line, "finish_reason", str, where, required=False), **counts)


@dataclass(frozen=True)
class Contents:
    """What a checked completions file holds: its labels (base first) and problems; the texts stay in the file."""

    labels: list[str]
    problems: list[str]
    held: dict[str, dict[tuple[str, int], str]]  # label -> (problem, sample) -> key


def check_completions(path: Path, known: Mapping[str, object]) -> Contents:
    """Read the whole file once, keeping only identities: every line is checked before anything is written."""
    held: dict[str, dict[tuple[str, int], str]] = defaultdict(dict)
    for record in read_completions(path, known):
        held[record.label][(record.problem_id, record.sample)] = record.key
    if not held:
        raise DataError(f"--completions {path}: no completions in the file")
    problems = sorted({pid for keys in held.values() for pid, _ in keys})
    return Contents(sorted(held, key=lambda label: (label != "base", label)), problems, dict(held))


def import_completions(run: RunDir, path: Path, known: Mapping[str, object], contents: Contents,
                       batch: int = 256) -> None:
    """Journal what is not journaled yet, streaming the file a second time in batches.

    A journal already holding a different completion for the same (problem, sample) is refused:
    the file changed since the run started, and mixing the two would count a sample twice.
    """
    journaled = {}
    for label, wanted in contents.held.items():
        journal = run.completions(label)
        journaled[label] = {(r.problem_id, r.sample): r.key for r in journal.records(CompletionRecord)}
        for identity, key in wanted.items():
            if journaled[label].get(identity, key) != key:
                raise DataError(f"{journal.path}: holds another completion for ({identity[0]}, sample {identity[1]}) "
                                "than --completions gives; use --overwrite to start again")
    pending: dict[str, list[CompletionRecord]] = defaultdict(list)
    for record in read_completions(path, known):
        if (record.problem_id, record.sample) not in journaled[record.label]:
            pending[record.label].append(record)
            if len(pending[record.label]) >= batch:
                run.completions(record.label).append_many(pending.pop(record.label))
    for label, records in pending.items():
        run.completions(label).append_many(records)
