import pytest

from harness.errors import DataError
from harness.problems import Problem
from harness.problems.bundled import load_bundled
from harness.problems.split import Split, split_problems


def problems(n):
    return [Problem(id=f"p{i}", title=f"P{i}", description="d") for i in range(n)]


def test_split_is_disjoint_complete_and_deterministic():
    first = split_problems(problems(20), 0.25, seed=3)
    again = split_problems(list(reversed(problems(20))), 0.25, seed=3)
    assert first == again
    assert not set(first.train) & set(first.held_out)
    assert len(first.held_out) == 5 and len(first.train) == 15


def test_seed_changes_the_split():
    assert split_problems(problems(20), 0.25, 1).held_out != split_problems(problems(20), 0.25, 2).held_out


def test_overlapping_split_is_refused():
    with pytest.raises(DataError, match="both sides"):
        Split(train=("a", "b"), held_out=("b",), seed=0)


def test_round_trip_through_json():
    split = split_problems(load_bundled(), 0.25, 0)
    assert Split.from_json(split.to_json()) == split
