import math

import pytest

from harness.scoring import bootstrap_interval, paired_comparison, pass_at_k, score_label, summarize


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
    assert summary["schema"] == 1 and [c["b"] for c in summary["comparisons"]] == ["adapter"]
