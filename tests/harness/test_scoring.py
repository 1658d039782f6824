import math

import numpy as np
import pytest

from harness.scoring import bootstrap_interval, paired_comparison, pass_at_k, score_label, summarize, wilson_interval
from judges import Verdict
from reports.records import ResultRecord


@pytest.mark.parametrize(
    ("n", "c", "k", "expected"),
    [
        (5, 2, 1, 2 / 5),
        (10, 3, 5, 1 - math.comb(7, 5) / math.comb(10, 5)),  # 1 - 21/252
        (4, 1, 2, 1 - math.comb(3, 2) / math.comb(4, 2)),  # 0.5
        (5, 0, 3, 0.0),
        (5, 5, 5, 1.0),
        (3, 1, 3, 1.0),  # n == k with one correct
        (3, 0, 3, 0.0),
    ],
)
def test_pass_at_k_against_hand_computed_values(n, c, k, expected):
    assert pass_at_k(n, c, k) == pytest.approx(expected)


def test_pass_at_k_rejects_impossible_counts():
    with pytest.raises(ValueError):
        pass_at_k(3, 4, 1)
    with pytest.raises(ValueError):
        pass_at_k(3, 1, 4)


def test_bootstrap_interval_brackets_the_mean():
    values = [0, 1] * 50
    low, high = bootstrap_interval(values, 2000, seed=1)
    assert low < 0.5 < high and 0.35 < low and high < 0.65


def records(label, per_problem):
    out = []
    for pid, verdicts in per_problem.items():
        for i, v in enumerate(verdicts):
            out.append(ResultRecord(key=f"{label}{pid}{i}", completion_key=f"{label}{pid}{i}", label=label,
                                    problem_id=pid, sample=i, verdict=Verdict(v), code=None if v == "NO_CODE" else "x",
                                    finish_reason="stop"))
    return out


def test_score_label_counts_and_pass_at_k():
    scored = score_label(records("a", {"p1": ["AC", "WA"], "p2": ["WA", "NO_CODE"]}), [1, 2], 500)
    assert scored["scores"]["pass@1"]["estimate"] == pytest.approx(0.25)
    assert scored["scores"]["pass@2"]["estimate"] == pytest.approx(0.5)
    assert scored["verdicts"] == {"WA": 2, "AC": 1, "NO_CODE": 1}
    assert scored["extraction"]["no_code"] == pytest.approx(0.25)


def test_paired_comparison_lists_won_and_lost():
    base = score_label(records("base", {"p1": ["WA", "WA"], "p2": ["AC", "AC"], "p3": ["WA", "WA"]}), [1], 500)
    tuned = score_label(records("adapter", {"p1": ["AC", "AC"], "p2": ["WA", "WA"], "p3": ["AC", "WA"]}), [1], 500)
    paired = paired_comparison(base, tuned, 1, 500)
    assert paired["won"] == ["p1", "p3"] and paired["lost"] == ["p2"]
    assert paired["difference"] == pytest.approx((1 - 1 + 0.5) / 3)
    assert paired["verdict"] == "cannot tell"


def test_summary_compares_every_label_with_base():
    summary = summarize({"base": records("base", {"p": ["WA"]}), "adapter": records("adapter", {"p": ["AC"]})}, [1], 100)
    assert summary["schema"] == 3 and [c["b"] for c in summary["comparisons"]] == ["adapter"]


def test_wilson_interval_against_a_known_value():
    low, high = wilson_interval(3, 10)  # textbook: 0.1078 to 0.6032
    assert low == pytest.approx(0.1078, abs=1e-4) and high == pytest.approx(0.6032, abs=1e-4)
    assert wilson_interval(0, 20)[0] == 0.0 and 0 < wilson_interval(0, 20)[1] < 0.2


def test_single_sample_pass_at_1_also_gets_the_closed_form():
    scored = score_label(records("base", {"p1": ["AC"], "p2": ["WA"], "p3": ["WA"], "p4": ["AC"]}), [1], 200)
    assert scored["scores"]["pass@1"]["wilson"]["ci_low"] < 0.5 < scored["scores"]["pass@1"]["wilson"]["ci_high"]


@pytest.mark.parametrize(("pool", "problems", "samples"), [("zero-heavy", 60, 8), ("zero-heavy", 150, 4), ("low", 20, 4),
                                                       ("mid", 60, 16), ("zero-heavy", 60, 1)])
def test_intervals_cover_the_true_pass_at_k_in_a_few_regimes(pool, problems, samples):
    """The fast version of benchmarks/coverage.py: every k's coverage of the pool's true pass@k is at least 93%."""
    from benchmarks.coverage import POOLS, coverage

    covered = coverage({p.name: p for p in POOLS}[pool], problems, samples, runs=2000, seed=3)
    assert covered.min() >= 0.93 and covered.max() <= 0.975, covered


def test_identical_models_are_rarely_called_different():
    from benchmarks.coverage import POOLS, type_one_error

    for pool in POOLS:
        assert type_one_error(pool, 60, 4, runs=1000, seed=5, resamples=500).max() <= 0.065


def test_nothing_solved_has_the_wilson_upper_bound_not_a_point():
    scored = score_label(records("base", {f"p{i}": ["WA"] * 4 for i in range(6)}), [1, 4], 200)
    z2 = 1.959963984540054**2
    for metric in ("pass@1", "pass@4"):
        s = scored["scores"][metric]
        assert s["estimate"] == 0 and s["ci_low"] == 0 and s["ci_high"] == pytest.approx(z2 / (6 + z2))  # 39.0%
        assert s["in_words"] == f"0 of 6 problems solved: the true {metric} is below 39.0% with 95% confidence."


def test_intervals_never_collapse_to_a_point():
    everything = score_label(records("a", {f"p{i}": ["AC"] * 3 for i in range(10)}), [1], 100)["scores"]["pass@1"]
    assert everything["ci_high"] == 1.0 and everything["ci_low"] < 0.9 and "above" in everything["in_words"]
    halves = score_label(records("a", {f"p{i}": ["AC", "WA"] for i in range(10)}), [1], 100)["scores"]["pass@1"]
    assert halves["ci_low"] < 0.5 < halves["ci_high"]  # no spread between problems, still an interval


def test_pass_fail_scores_count_each_problem_once_and_samples_count_more():
    single = score_label(records("a", {f"p{i}": ["AC" if i < 3 else "WA"] for i in range(10)}), [1], 100)["scores"]["pass@1"]
    assert (single["ci_low"], single["ci_high"]) == pytest.approx(wilson_interval(3, 10))
    assert single["effective_problems"] == 10 and "each solved or not" in single["method"]
    spread = {f"p{i}": ["AC"] * (i % 5) + ["WA"] * (8 - i % 5) for i in range(40)}
    several = score_label(records("a", spread), [1, 8], 100)["scores"]
    assert 40 < several["pass@1"]["effective_problems"] <= 320 and several["pass@8"]["effective_problems"] == 40
    assert "effective problems" in several["pass@1"]["method"]


def _paired(base: dict, tuned: dict, k: int = 1) -> dict:
    return paired_comparison(score_label(records("base", base), [k], 500), score_label(records("adapter", tuned), [k], 500),
                             k, 500)


@pytest.mark.parametrize("case", ["win", "loss", "tie", "tie of zeros", "few problems"])
def test_paired_interval_and_p_value_agree(case):
    base = {f"p{i}": ["AC", "WA"] if i % 3 == 0 else ["WA", "WA"] for i in range(40)}
    tuned = {
        "win": {f"p{i}": ["AC", "AC"] if i % 2 == 0 else ["WA", "WA"] for i in range(40)},
        "loss": {f"p{i}": ["WA", "WA"] for i in range(40)},
        "tie": base,
        "tie of zeros": {f"p{i}": ["WA", "WA"] for i in range(40)},
        "few problems": {f"p{i}": ["AC", "AC"] for i in range(40)},
    }[case]
    if case == "tie of zeros":
        base = tuned
    if case == "few problems":
        base, tuned = {p: base[p] for p in list(base)[:5]}, {p: tuned[p] for p in list(tuned)[:5]}
    paired = _paired(base, tuned)
    excludes_zero = not paired["ci_low"] <= 0 <= paired["ci_high"]
    assert excludes_zero == (paired["p_value"] <= 0.05)
    assert paired["ci_low"] < paired["ci_high"]
    assert paired["verdict"] == {"win": "better", "loss": "worse"}.get(case, "cannot tell"), paired
    assert paired["in_words"].startswith(f"{100 * paired['difference']:+.1f} pts")
    if case.startswith("tie"):
        assert paired["p_value"] == 1.0 and paired["ci_low"] < 0 < paired["ci_high"]
    if case == "few problems":  # 5 problems: no sign pattern is rare enough for p <= 0.05, so the interval is wide open
        assert paired["p_value"] == pytest.approx(2 / 32) and (paired["ci_low"], paired["ci_high"]) == (-1.0, 1.0)


def test_paired_interval_and_p_value_agree_on_random_data():
    rng = np.random.default_rng(0)
    for trial in range(40):
        problems = int(rng.choice([8, 30]))
        base = {f"p{i}": list(rng.choice(["AC", "WA"], size=2, p=[0.2, 0.8])) for i in range(problems)}
        tuned = {f"p{i}": list(rng.choice(["AC", "WA"], size=2, p=[0.45, 0.55])) for i in range(problems)}
        paired = _paired(base, tuned)
        assert (not paired["ci_low"] <= 0 <= paired["ci_high"]) == (paired["p_value"] <= 0.05), (trial, paired)
        assert paired["ci_low"] <= paired["difference"] <= paired["ci_high"]


def test_paired_comparison_has_a_p_value_and_a_minimum_detectable_effect():
    problems = {f"p{i}": ["WA", "WA"] for i in range(30)}
    better = {f"p{i}": ["AC", "AC"] if i < 20 else ["WA", "WA"] for i in range(30)}
    paired = paired_comparison(score_label(records("base", problems), [1], 500),
                               score_label(records("adapter", better), [1], 500), 1, 500)
    assert paired["verdict"] == "better" and paired["p_value"] < 0.01
    assert 0 < paired["minimum_detectable_effect"] < 0.5
    same = paired_comparison(score_label(records("base", problems), [1], 500),
                             score_label(records("adapter", problems), [1], 500), 1, 500)
    assert same["p_value"] == 1.0 and same["verdict"] == "cannot tell"


def test_breakdowns_by_rating_and_tag():
    meta = {"p1": {"rating": 800, "tags": ["math"]}, "p2": {"rating": 1500, "tags": ["math", "dp"]}, "p3": {"tags": []}}
    scored = score_label(records("base", {"p1": ["AC", "AC"], "p2": ["WA", "AC"], "p3": ["WA", "WA"]}), [1], 100,
                         meta=meta)
    assert scored["by_rating"] == {"1200-1599": {"problems": 1, "pass@1": 0.5}, "800-1199": {"problems": 1, "pass@1": 1.0},
                                   "unrated": {"problems": 1, "pass@1": 0.0}}
    assert scored["by_tag"]["math"] == {"problems": 2, "pass@1": 0.75} and scored["by_tag"]["dp"]["problems"] == 1
    assert scored["by_difficulty"] == {}  # no problem carries a difficulty label


def test_breakdown_by_difficulty_label():
    meta = {"p1": {"difficulty": "easy"}, "p2": {"difficulty": "hard"}, "p3": {"difficulty": "easy"}}
    scored = score_label(records("base", {"p1": ["AC", "AC"], "p2": ["WA", "AC"], "p3": ["WA", "WA"]}), [1], 100,
                         meta=meta)
    assert scored["by_difficulty"] == {"easy": {"problems": 2, "pass@1": 0.5}, "hard": {"problems": 1, "pass@1": 0.5}}


def test_reported_ks_add_every_standard_k_the_samples_allow():
    from harness.scoring import reported_ks

    assert reported_ks([1, 3], 10) == [1, 2, 3, 5, 10]
    assert reported_ks([1], 4) == [1, 2]
