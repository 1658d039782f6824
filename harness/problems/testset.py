"""A problem's hidden tests as a handle: a digest and a count in memory, the tests themselves on disk.

Codeforces tests can be megabytes each and hundreds per problem, so a loaded source keeps only
a `TestSet` per problem and reads the tests when the problem is judged (one problem's tests at
a time per judging worker). Small sources (bundled problems, Kattis packages) keep theirs inline.

Stored sets are content-addressed files under `$HARNESS_HOME/tests/`: the digest is computed
while writing, so a result key never needs to re-read the tests, and two runs (or two processes)
that load the same source share the same files. Writes go to a temporary file and are renamed,
so a reader never sees half a set.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from judges import TestCase


def tests_home() -> Path:
    """Where stored test sets live: `$HARNESS_HOME/tests` (default `~/.cache/harness/tests`)."""
    return Path(os.environ.get("HARNESS_HOME") or Path.home() / ".cache" / "harness") / "tests"


def _line(test: TestCase) -> bytes:
    return (json.dumps([test.name, test.input, test.answer, test.sample], ensure_ascii=False) + "\n").encode()


@dataclass(frozen=True)
class TestSet:
    """Tests by reference: `load()` reads them; `digest` identifies their content, `count` their number."""

    __test__ = False  # not a pytest class, despite the name

    digest: str
    count: int
    path: Path | None = None
    inline: tuple[TestCase, ...] = field(default=(), repr=False)

    @classmethod
    def of(cls, tests: Iterable[TestCase]) -> TestSet:
        """A set held in memory (small sources)."""
        tests = tuple(tests)
        digest = hashlib.sha256(b"".join(_line(t) for t in tests)).hexdigest()[:16]
        return cls(digest, len(tests), None, tests)

    @classmethod
    def store(cls, tests: Iterable[TestCase], folder: Path | None = None) -> TestSet:
        """Write tests to a content-addressed file and return the handle; nothing stays in memory."""
        folder = folder or tests_home()
        folder.mkdir(parents=True, exist_ok=True)
        sha, count = hashlib.sha256(), 0
        with tempfile.NamedTemporaryFile("wb", dir=folder, prefix=".partial-", delete=False) as handle:
            for test in tests:
                line = _line(test)
                sha.update(line)
                handle.write(line)
                count += 1
        digest = sha.hexdigest()[:16]
        target = folder / f"{digest}.jsonl"
        os.replace(handle.name, target)  # same content, same name: a concurrent writer's rename is harmless
        return cls(digest, count, target)

    def load(self) -> tuple[TestCase, ...]:
        """The tests, read now (from disk for a stored set)."""
        return self.inline if self.path is None else tuple(self)

    def __iter__(self) -> Iterator[TestCase]:
        if self.path is None:
            yield from self.inline
            return
        with self.path.open("rb") as handle:
            for raw in handle:
                name, stdin, answer, sample = json.loads(raw)
                yield TestCase(name, stdin, answer, sample)

    def __len__(self) -> int:
        return self.count


EMPTY = TestSet.of(())
