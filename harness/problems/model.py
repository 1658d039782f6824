"""The one in-memory problem type that every source loads into."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from harness.problems.testset import EMPTY, TestSet
from judges import OutputRule, TestCase
from judges.calls import FunctionCall
from judges.checker import Checker


@dataclass(frozen=True)
class Example:
    """An example from the statement (also judged, as a sample test)."""

    input: str
    output: str
    name: str = ""  # the test's own name where the source has one (Kattis: sample/1)


@dataclass(frozen=True)
class Problem:
    """A programming problem: statement, tests, limits and optional training data."""

    id: str
    title: str
    description: str
    input_format: str = ""
    output_format: str = ""
    note: str = ""
    examples: tuple[Example, ...] = ()
    hidden_tests: TestSet = EMPTY  # a handle: the tests stay on disk until the problem is judged
    time_limit_s: float = 1.0
    memory_limit_mb: int = 256
    output_rule: OutputRule = OutputRule()
    checker: Checker | None = None  # a custom checker replaces `output_rule`
    rating: int | None = None
    tags: tuple[str, ...] = ()
    source: str = ""
    aliases: tuple[str, ...] = ()
    reference_solution: str | None = None
    wrong_solutions: tuple[str, ...] = ()
    reasoning: str | None = None  # the `<think>` part of a training conversation built from the solution
    answers: tuple[str, ...] = field(default=(), compare=False)  # ready-made assistant turns (codeforces-cots)
    contest: str = ""  # problems of one contest share it (Codeforces: the contest id)
    date: str | None = None  # YYYY-MM-DD the problem was first public (for date splits)
    call: FunctionCall | None = None  # the tests call a function (HumanEval, MBPP, LeetCode) instead of using stdin
    starter_code: str = ""  # code the answer starts from, shown in the prompt (a signature and docstring)
    difficulty: str | None = None  # the source's own label (LiveCodeBench: easy, medium, hard)

    @property
    def sample_tests(self) -> tuple[TestCase, ...]:
        """The statement's examples as tests."""
        return tuple(
            TestCase(name=ex.name or f"sample-{i + 1}", input=ex.input, answer=ex.output, sample=True)
            for i, ex in enumerate(self.examples)
        )

    @property
    def tests(self) -> tuple[TestCase, ...]:
        """All tests in judging order, read now: the statement's examples first, then the hidden tests."""
        return self.sample_tests + self.hidden_tests.load()

    @property
    def test_count(self) -> int:
        """How many tests `tests` holds, without reading them."""
        return len(self.examples) + len(self.hidden_tests)


@dataclass
class Loaded:
    """Problems from one source, and the rows skipped on the way (reason -> count)."""

    problems: list[Problem]
    skipped: Counter = field(default_factory=Counter)

    def to_json(self) -> dict:
        """For split.json and the report."""
        return {"problems": len(self.problems), "skipped": dict(self.skipped.most_common())}
