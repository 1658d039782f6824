"""Which problems train, which are held out (provably), and which are evaluated.

Loads the sources, splits by problem (hash of alias groups, or a date cut-off), checks the
held-out side for contamination against everything training uses, and records all of it in
split.json, so a resumed run evaluates exactly the problems it started with.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.config import DataConfig
from harness.errors import RunDirError
from harness.problems import Loaded, Problem, contamination, load_source
from harness.problems.split import DateWindow, Split, SplitMethod, rank, split_by_date, split_problems, split_sources_by_date
from harness.prompts import render_problem
from harness.rundir import RunDir


@dataclass(frozen=True)
class Selection:
    """The split, and the problems on each side."""

    split: Split
    train: list[Problem]
    held_out: list[Problem]  # every held-out problem that survived the contamination check
    seen: list[Problem]  # training problems also evaluated (eval.seen_problems), reported apart
    replay: list[Problem] = field(default_factory=list)  # trained on with the base's own answers (data.replay_problems)

    def evaluated(self, max_problems: int) -> list[Problem]:
        """Held-out problems to evaluate (the first `max_problems` by id when capped), then the seen sample."""
        held = self.held_out[:max_problems] if max_problems else self.held_out
        return held + self.seen


def _sources(d: DataConfig) -> tuple[Loaded, Loaded | None]:
    problems = load_source(d.source, d.codeforces_tests_dir)
    train = load_source(d.train_source, d.codeforces_tests_dir) if d.train_source else None
    return problems, train


def _sides(d: DataConfig, problems: list[Problem],
           train_pool: list[Problem] | None) -> tuple[str, list[Problem], list[Problem]]:
    if train_pool is None:
        base = (split_by_date(problems, d.date_cutoff, d.split_seed, d.date_end) if d.split == SplitMethod.DATE
                else split_problems(problems, d.held_out_fraction, d.split_seed))
        train_ids, held_ids = set(base.train), set(base.held_out)
        return base.method, [p for p in problems if p.id in train_ids], [p for p in problems if p.id in held_ids]
    if d.split == SplitMethod.DATE:  # a separate training source: train before the window, evaluate inside it
        train, held = split_sources_by_date(train_pool, problems, d.date_cutoff, d.date_end)
        return f"sources, {DateWindow(d.date_cutoff, d.date_end).label}", train, held
    return "sources", train_pool, problems


def select(d: DataConfig, seen_problems: int = 0) -> Selection:
    """Load, split and check: the problems of this run (and `seen_problems` training ones to evaluate apart)."""
    problems, train_source = _sources(d)
    method, train, held = _sides(d, problems.problems, train_source.problems if train_source else None)
    report = contamination.check(train, held, d.ngram, d.ngram_threshold, d.contamination)  # the whole training side
    dropped = report.removed()
    held = [p for p in held if p.id not in dropped]
    replay: list[Problem] = []
    if d.max_train_problems:  # a seeded sample of the training side trains; the rest of it is on neither side
        ranked = sorted(train, key=lambda p: rank(p.id, d.split_seed))
        train = ranked[:d.max_train_problems]
        replay = ranked[d.max_train_problems:d.max_train_problems + d.replay_problems]
    seen_pool = sorted((p for p in train if p.test_count), key=lambda p: rank(p.id, d.split_seed))
    sources: dict[str, dict[str, object]] = {"source": {"name": d.source, **problems.to_json()}}
    if train_source:
        sources["train_source"] = {"name": d.train_source, **train_source.to_json()}
    split = Split(train=tuple(sorted(p.id for p in train)), held_out=tuple(sorted(p.id for p in held)),
                  seed=d.split_seed, method=method, extra={"contamination": report.to_json(), "sources": sources,
                                                           **({"replay": sorted(p.id for p in replay)} if replay else {})})
    return Selection(split, train, sorted(held, key=lambda p: p.id), seen_pool[:seen_problems], replay)


def prepare_split(run: RunDir, d: DataConfig, seen_problems: int) -> Selection:
    """Select the run's problems; a resumed run must find the same split it saved."""
    selection = select(d, seen_problems)
    saved = run.read_json(run.split)
    if saved is not None and Split.from_json(saved) != selection.split:
        raise RunDirError(f"{run.split}: the problem source changed since this run was split")
    run.write_json(run.split, selection.split.to_json())
    return selection


def write_problem_index(run: RunDir, problems: list[Problem], held_out: set[str]) -> None:
    """`eval/problems.json`: what reports show about each evaluated problem, and which set it is in."""
    run.write_json(
        run.eval / "problems.json",
        {
            "schema": 1,
            "problems": [
                {"id": p.id, "title": p.title, "rating": p.rating, "difficulty": p.difficulty, "tags": list(p.tags),
                 "statement": render_problem(p),
                 "tests": p.test_count, "set": "held_out" if p.id in held_out else "seen"}
                for p in problems
            ],
        },
    )
