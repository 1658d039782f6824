import math

import numpy as np
import pytest

from harness.scoring import bootstrap_interval, paired_comparison, pass_at_k, score_label, summarize, wilson_interval


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
            out.append({"problem_id": pid, "sample": i, "verdict": v, "code": "x" if v != "NO_CODE" else None,
                        "think_closed": True, "finish_reason": "stop", "label": label})
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
    assert summary["schema"] == 2 and [c["b"] for c in summary["comparisons"]] == ["adapter"]


def test_wilson_interval_against_a_known_value():
    low, high = wilson_interval(3, 10)  # textbook: 0.1078 to 0.6032
    assert low == pytest.approx(0.1078, abs=1e-4) and high == pytest.approx(0.6032, abs=1e-4)
    assert wilson_interval(0, 20)[0] == 0.0 and 0 < wilson_interval(0, 20)[1] < 0.2


def test_single_sample_pass_at_1_also_gets_the_closed_form():
    scored = score_label(records("base", {"p1": ["AC"], "p2": ["WA"], "p3": ["WA"], "p4": ["AC"]}), [1], 200)
    assert scored["scores"]["pass@1"]["wilson"]["ci_low"] < 0.5 < scored["scores"]["pass@1"]["wilson"]["ci_high"]


def test_bootstrap_interval_covers_the_truth_95_percent_of_the_time():
    """Simulation: problems with Beta-distributed solve rates, 4 samples each; the truth is the mean rate."""
    rng = np.random.default_rng(7)
    alpha, beta, trials = 0.5, 3.0, 1000
    truth = alpha / (alpha + beta)
    covered = 0
    for trial in range(trials):
        rates = rng.beta(alpha, beta, size=150)
        solved = rng.binomial(4, rates)
        low, high = bootstrap_interval([pass_at_k(4, int(c), 1) for c in solved], 1000, seed=trial)
        covered += low <= truth <= high
    assert 0.93 <= covered / trials <= 0.97, covered / trials


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


def test_reported_ks_add_every_standard_k_the_samples_allow():
    from harness.scoring import reported_ks

    assert reported_ks([1, 3], 10) == [1, 2, 3, 5, 10]
    assert reported_ks([1], 4) == [1, 2]
