"""Is a held-out problem really unseen? Exact id / alias / contest overlap and statement n-grams.

Run before every evaluation against the problems training used. Id and alias matches are
always removed from the held-out set; statements that share at least `threshold` of their
n-grams with a training statement are removed or only flagged, as configured; a shared
contest is reported but not removed (problems of one contest are related, not the same).
The counts go into split.json and the report.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from harness.problems.model import Problem

_WORD = re.compile(r"[a-z0-9]+")


def normalise(text: str) -> list[str]:
    """Lower-case words of a statement, accents and punctuation dropped (LaTeX `$` too)."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return _WORD.findall(text)


def ngrams(words: list[str], n: int) -> set[tuple[str, ...]]:
    """Every run of `n` consecutive words (one n-gram of all words when shorter)."""
    if len(words) < n:
        return {tuple(words)} if words else set()
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def statement(problem: Problem) -> str:
    """The part of a problem that identifies it: title and story, not the boilerplate formats."""
    return f"{problem.title}\n{problem.description}"


@dataclass(frozen=True)
class Finding:
    """Why one held-out problem looks seen."""

    problem_id: str
    kind: str  # id | alias | contest | ngram
    other: str  # the training problem it matches
    overlap: float = 1.0  # share of the held-out statement's n-grams also in the training problem's


class Policy(StrEnum):
    """What `data.contamination` does with held-out problems whose statements overlap training ones."""

    REMOVE = "remove"  # n-gram matches leave the held-out set (id and alias matches always do)
    FLAG = "flag"  # n-gram matches stay, reported


@dataclass
class Report:
    """All findings, and what was done about them."""

    n: int
    threshold: float
    policy: Policy
    checked: int = 0
    findings: list[Finding] = field(default_factory=list)

    def contaminated(self) -> set[str]:
        """Held-out ids that look seen (a shared contest alone does not count)."""
        return {f.problem_id for f in self.findings if f.kind != "contest"}

    def removed(self) -> set[str]:
        """Ids taken out of the held-out set: id and alias matches always, n-gram matches under 'remove'."""
        kinds = {"id", "alias", "ngram"} if self.policy == Policy.REMOVE else {"id", "alias"}
        return {f.problem_id for f in self.findings if f.kind in kinds}

    def to_json(self) -> dict:
        """The split.json record."""
        kinds = ("id", "alias", "contest", "ngram")
        return {
            "checked": self.checked,
            "ngram": self.n,
            "threshold": self.threshold,
            "policy": self.policy,
            "counts": {kind: len({f.problem_id for f in self.findings if f.kind == kind}) for kind in kinds},
            "removed": sorted(self.removed()),
            "flagged": sorted(self.contaminated() - self.removed()),
            "findings": [f.__dict__ for f in self.findings],
        }


def check(train: Iterable[Problem], held_out: Iterable[Problem], n: int = 13, threshold: float = 0.1,
          policy: Policy = Policy.REMOVE) -> Report:
    """Compare every held-out problem with every training problem."""
    train = list(train)
    names: dict[str, str] = {}
    for problem in train:
        for name in (problem.id, *problem.aliases):
            names.setdefault(name, problem.id)
    contests = {p.contest: p.id for p in train if p.contest}
    index: dict[tuple[str, ...], set[str]] = {}
    for problem in train:
        for gram in ngrams(normalise(statement(problem)), n):
            index.setdefault(gram, set()).add(problem.id)
    report = Report(n=n, threshold=threshold, policy=policy)
    for problem in held_out:
        report.checked += 1
        if problem.id in names:
            report.findings.append(Finding(problem.id, "id", names[problem.id]))
        for alias in problem.aliases:
            if alias in names:
                report.findings.append(Finding(problem.id, "alias", names[alias]))
        if problem.contest and problem.contest in contests:
            report.findings.append(Finding(problem.id, "contest", contests[problem.contest]))
        grams = ngrams(normalise(statement(problem)), n)
        shared: dict[str, int] = {}
        for gram in grams:
            for other in index.get(gram, ()):
                shared[other] = shared.get(other, 0) + 1
        if shared and grams:
            other, count = max(shared.items(), key=lambda item: item[1])
            if count / len(grams) >= threshold:
                report.findings.append(Finding(problem.id, "ngram", other, round(count / len(grams), 4)))
    return report
