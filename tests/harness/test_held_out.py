"""Held out, provably: split by problem (aliases together), date splits, contamination caught."""

import dataclasses
import json

import datasets
import pytest

from harness.config import load_config
from harness.errors import ConfigError, DataError
from harness.problems.bundled import load_bundled
from harness.problems.contamination import check
from harness.problems.split import split_by_date, split_problems
from harness.selection import select
from tests.harness.test_problem_sources import codeforces_row, cots_row

BUNDLED = load_bundled()


def paraphrase(text: str) -> str:
    """A near-duplicate: a few words changed, the rest kept."""
    words = text.split()
    for i in range(0, len(words), 30):
        words[i] = words[i].upper() + "s"
    return " ".join(words)


def test_contamination_check_catches_a_planted_near_duplicate():
    train, held = BUNDLED[:20], BUNDLED[20:]
    planted = dataclasses.replace(train[3], id="bundled/planted-copy", title="A new name",
                                  description=paraphrase(train[3].description))
    report = check(train, [*held, planted])
    assert report.removed() == {"bundled/planted-copy"}
    [finding] = report.findings
    assert finding.kind == "ngram" and finding.other == train[3].id and finding.overlap > 0.5


def test_original_problems_do_not_trip_the_check():
    assert check(BUNDLED[:20], BUNDLED[20:]).findings == []


def test_flag_policy_keeps_ngram_matches_but_never_id_matches():
    train = BUNDLED[:5]
    near = dataclasses.replace(train[0], id="x/near", description=paraphrase(train[0].description))
    report = check(train, [near, train[1]], policy="flag")
    assert report.removed() == {train[1].id} and report.to_json()["flagged"] == ["x/near"]


def test_aliases_land_on_the_same_side():
    problems = [dataclasses.replace(p, aliases=(f"alias-of-{BUNDLED[0].id}",) if i % 7 == 0 else ())
                for i, p in enumerate(BUNDLED)]
    problems[0] = dataclasses.replace(problems[0], aliases=())
    for seed in range(10):
        split = split_problems(problems, 0.3, seed)
        grouped = {p.id for p in problems if p.aliases}
        assert grouped <= set(split.train) or grouped <= set(split.held_out)


def test_date_split_holds_out_the_newest():
    problems = [dataclasses.replace(p, date=f"2024-0{1 + i % 9}-01") for i, p in enumerate(BUNDLED[:18])]
    split = split_by_date(problems, "2024-07-01")
    assert all(p.date >= "2024-07-01" for p in problems if p.id in split.held_out) and split.held_out
    with pytest.raises(DataError, match="no problem is dated"):
        split_by_date(problems, "2030-01-01")


def test_training_source_near_duplicate_is_removed_from_evaluation(tmp_path):
    """codeforces-cots for training, open-r1/codeforces for evaluation: the overlap is caught and recorded."""
    cots = [cots_row(n, 1) for n in range(1, 4)]
    cots.append({**cots_row(9, 1), "id": "2000/Z", "contest_id": "2000",
                 "description": paraphrase(codeforces_row(7)["description"] + " and then some more words to make the"
                                           " statement long enough for thirteen word windows to exist at all here")})
    evaluation = [codeforces_row(n) for n in (2, 5, 6)]
    evaluation.append({**codeforces_row(7), "description": codeforces_row(7)["description"] + " and then some more words"
                       " to make the statement long enough for thirteen word windows to exist at all here"})
    datasets.Dataset.from_list(cots).to_parquet(str(tmp_path / "cots.parquet"))
    datasets.Dataset.from_list(evaluation).to_parquet(str(tmp_path / "cf.parquet"))
    config = load_config(None, [f"data.source={tmp_path / 'cf.parquet'}", f"data.train_source={tmp_path / 'cots.parquet'}"])
    selection = select(config.data, config.eval.seen_problems)
    record = json.loads(json.dumps(selection.split.to_json()))
    assert record["contamination"]["counts"] == {"id": 1, "alias": 0, "contest": 1, "ngram": 2}  # 1002/A: id and text
    assert sorted(record["contamination"]["removed"]) == ["1002/A", "1007/A"]
    assert [p.id for p in selection.held_out] == ["1005/A", "1006/A"]
    assert record["sources"]["train_source"]["problems"] == 4


def test_seen_problems_are_evaluated_apart():
    config = load_config(None, ["eval.seen_problems=3"])
    selection = select(config.data, config.eval.seen_problems)
    assert len(selection.seen) == 3 and set(p.id for p in selection.seen) <= set(selection.split.train)
    assert selection.evaluated(2)[:2] == selection.held_out[:2] and selection.evaluated(2)[2:] == selection.seen


def test_max_train_problems_trains_a_seeded_sample_and_the_seen_ones_come_from_it():
    whole = select(load_config(None, []).data)
    config = load_config(None, ["data.max_train_problems=10", "eval.seen_problems=4"])
    capped = select(config.data, config.eval.seen_problems)
    assert len(capped.train) == 10 and set(capped.split.train) == {p.id for p in capped.train}
    assert set(capped.split.train) < set(whole.split.train)  # a part of the same training side
    assert capped.split.held_out == whole.split.held_out  # the held-out side does not move
    assert {p.id for p in capped.seen} <= set(capped.split.train) and len(capped.seen) == 4
    assert capped.split == select(config.data, config.eval.seen_problems).split  # the same sample every time
    other = select(load_config(None, ["data.max_train_problems=10", "data.split_seed=1"]).data)
    assert set(other.split.train) != set(capped.split.train)


def test_replayed_problems_are_the_next_of_the_training_sample_and_on_neither_other_side():
    config = load_config(None, ["data.max_train_problems=8", "data.replay_problems=5", "eval.seen_problems=8"])
    selection = select(config.data, config.eval.seen_problems)
    without = select(load_config(None, ["data.max_train_problems=13"]).data)
    replayed = {p.id for p in selection.replay}
    assert len(replayed) == 5 and replayed == set(without.split.train) - set(selection.split.train)
    assert not replayed & set(selection.split.held_out) and not replayed & {p.id for p in selection.seen}
    assert selection.split.extra["replay"] == sorted(replayed)  # split.json says which prompts trained too
    assert select(load_config(None, ["data.max_train_problems=8"]).data).replay == []


def test_replay_without_a_training_sample_is_a_config_error():
    with pytest.raises(ConfigError, match="data.replay_problems: needs data.max_train_problems"):
        load_config(None, ["data.replay_problems=4"])
