"""The run directory's journal records: one typed definition each, one codec, used by every writer and reader.

`harness` writes these records and `reports` reads them; they live here because `reports` is
the lowest package that reads a run directory (the import direction is `harness` -> `reports`
-> `judges`). A record carries its schema version; a reader accepts every version it knows
(older ones are upgraded field by field) and refuses a newer one with one line naming it.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar

from judges import TestResult, Verdict

SCHEMA = 3  # 3: results count the sandbox failures they survived (`sandbox_retries`)
_KNOWN = (2, 3)


def journal_lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(byte offset, decoded object) of each line of a journal, streamed; stops at a torn line.

    The one reading rule for every journal (the harness's resume and the reports): a last line
    without its newline is torn even if it parses, because the writer cuts it before its next append.
    """
    if not path.exists():
        return
    offset = 0
    with path.open("rb") as handle:
        for line in handle:
            if not line.endswith(b"\n"):
                return
            try:
                data = json.loads(line)
            except json.JSONDecodeError:
                return
            yield offset, data
            offset += len(line)


class RecordError(ValueError):
    """A journal line that is not a record this version can read."""


R = TypeVar("R", bound="_Record")


@dataclass(frozen=True)
class _Record:
    kind: ClassVar[str] = "record"

    def to_json(self) -> dict[str, Any]:
        """The line as written: every field, plus the schema version."""
        return {"schema": SCHEMA, **_plain(self)}

    @classmethod
    def from_json(cls: type[R], data: dict[str, Any], where: str = "") -> R:
        """Read one line; unknown extra fields are ignored, missing optional fields take their defaults."""
        schema = data.get("schema", 2)
        if schema not in _KNOWN:
            raise RecordError(f"{where or cls.kind}: schema {schema} is newer than this harness reads "
                              f"(knows {', '.join(map(str, _KNOWN))}); upgrade the harness")
        names = {f.name for f in dataclasses.fields(cls)}
        try:
            return cls(**cls._decode({k: v for k, v in data.items() if k in names}))
        except (TypeError, ValueError) as exc:
            raise RecordError(f"{where or cls.kind}: not a {cls.kind} record ({exc})") from None

    @classmethod
    def _decode(cls, fields: dict[str, Any]) -> dict[str, Any]:
        return fields


def _plain(record: Any) -> dict[str, Any]:
    return {f.name: _value(getattr(record, f.name)) for f in dataclasses.fields(record)}


def _value(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(value)
    if isinstance(value, tuple | list):
        return [_value(v) for v in value]
    return value


@dataclass(frozen=True)
class CompletionRecord(_Record):
    """One sample of one problem for one label, as the engine (or `--completions`) gave it."""

    kind: ClassVar[str] = "completion"

    key: str  # content hash of model, adapter weights, prompt, sampling and sample index
    label: str
    problem_id: str
    sample: int
    text: str
    prompt_hash: str = ""
    adapter_hash: str = ""
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


def _test_result(data: dict[str, Any]) -> TestResult:
    names = {f.name for f in dataclasses.fields(TestResult)}
    fields = {k: v for k, v in data.items() if k in names}
    return TestResult(**{**fields, "verdict": Verdict(fields["verdict"])})


@dataclass(frozen=True)
class ResultRecord(_Record):
    """One completion judged: the code extracted from it, the verdict, and every test's outcome."""

    kind: ClassVar[str] = "result"

    key: str  # completion key + extracted code + test-set digest + limits: a change of any rejudges
    completion_key: str
    label: str
    problem_id: str
    sample: int
    verdict: Verdict
    code: str | None = None
    think_closed: bool = True
    extraction: str = "ok"
    finish_reason: str | None = None
    detail: str = ""
    language: str = "python"
    tle_reruns: int = 0
    tle_overturned: int = 0
    sandbox_retries: int = 0  # sandbox failures survived (each retried in a fresh sandbox)
    tests: tuple[TestResult, ...] = field(default=())

    @property
    def solved(self) -> bool:
        """Whether the verdict counts as solved."""
        return self.verdict.passed

    @classmethod
    def _decode(cls, fields: dict[str, Any]) -> dict[str, Any]:
        fields = dict(fields)
        fields["verdict"] = Verdict(fields["verdict"])
        fields["tests"] = tuple(_test_result(t) for t in fields.get("tests", ()))
        fields.setdefault("completion_key", fields.get("key"))  # schema 2 wrote results keyed by completion
        return fields


class _Judged(Protocol):
    @property
    def completion_key(self) -> str: ...


J = TypeVar("J", bound=_Judged)


def latest_results(results: Iterable[J]) -> list[J]:
    """One result per completion: the last judged (a changed test set or limit appends a new one)."""
    return list({r.completion_key: r for r in results}.values())
