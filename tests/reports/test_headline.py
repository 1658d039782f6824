"""The report's first sentence answers the question, in words, in both renderers: win, loss, tie, nothing solved."""

import html
import json
import re

import pytest

from reports.headline import gap_sentence, headline_sentence, problems_needed, samples_sentence
from tests.fixtures.rundir import Shape, write_run_dir
from tests.reports.conftest import rendered

SHAPE = Shape(problems=12, samples=1, labels=2, ks=(1,))


def solves(adapter: int, base: int):
    """The adapter solves problems 0..adapter-1, the base 0..base-1 (one sample each)."""
    return lambda label, index, sample: index < (adapter if label == "adapter" else base)


def sentence_of(tmp_path, outcome, shape=SHAPE) -> tuple[str, dict]:
    run = write_run_dir(tmp_path / "run", shape, outcome=outcome)
    summary = json.loads((run / "eval" / "summary.json").read_text())
    return headline_sentence(summary, "adapter"), summary


def interval(summary) -> str:
    c = next(c for c in summary["comparisons"] if c["metric"] == "pass@1")
    return f"95% CI {100 * c['ci_low']:+.1f} to {100 * c['ci_high']:+.1f}".replace("-", "−")


def test_a_win_names_the_gain_its_interval_and_p_and_says_it_is_distinguishable(tmp_path):
    said, summary = sentence_of(tmp_path, solves(adapter=10, base=2))
    assert said == (f"On 12 held-out problems the adapter solved 8 more than the base (10 against 2; pass@1 +66.7 points, "
                    f"{interval(summary)}, p = 0.0078): distinguishable at this size: the adapter is better.")


def test_a_loss_says_fewer_and_worse(tmp_path):
    said, summary = sentence_of(tmp_path, solves(adapter=2, base=10))
    assert said == (f"On 12 held-out problems the adapter solved 8 fewer than the base (2 against 10; pass@1 −66.7 points, "
                    f"{interval(summary)}, p = 0.0078): distinguishable at this size: the adapter is worse.")


def test_a_tie_on_the_same_problems_is_no_difference_and_says_what_size_would_tell(tmp_path):
    said, summary = sentence_of(tmp_path, solves(adapter=4, base=4))
    needed = problems_needed(summary["comparisons"][0])
    assert needed and needed > 12
    assert said.startswith("On 12 held-out problems the adapter and the base solved the same problems (4 of them, each as often; "
                           "pass@1 0.0 points, 95% CI −")
    assert said.endswith(", p = 1): no difference; about 70 problems would be needed to detect a 10-point gain.")


def test_nothing_solved_says_so_and_gives_the_upper_bound_of_the_solve_rate(tmp_path):
    said, summary = sentence_of(tmp_path, lambda label, index, sample: False)
    bound = summary["labels"]["base"]["scores"]["pass@1"]["ci_high"]
    assert 0.15 < bound < 0.35  # Wilson's bound for 0 of 12, not a collapsed 0
    assert said == (f"On 12 held-out problems neither the adapter nor the base solved any: the true pass@1 of each is "
                    f"below {100 * bound:.1f}% with 95% confidence.")


def test_an_undecided_gain_says_how_many_problems_a_ten_point_gain_would_need(tmp_path):
    said, _ = sentence_of(tmp_path, solves(adapter=5, base=3))
    assert said.startswith("On 12 held-out problems the adapter solved 2 more than the base (5 against 3; pass@1 +16.7 points")
    assert re.search(r", p = 0\.5\): not distinguishable at this size; about \d+0 problems would be needed to detect a "
                     r"10-point gain\.$", said), said


def test_several_samples_count_problems_solved_at_least_once(tmp_path):
    said, _ = sentence_of(tmp_path, lambda label, index, sample: index < 3 and sample == 0,
                          Shape(problems=12, samples=4, labels=2, ks=(1,)))
    assert "solved the same problems (3 of them, at least once in 4 samples, each as often;" in said


@pytest.mark.parametrize("case", ["win", "nothing"])
def test_markdown_and_html_print_the_same_sentence_first(case, tmp_path):
    outcome = solves(adapter=10, base=2) if case == "win" else (lambda label, index, sample: False)
    run = rendered(tmp_path / "run", SHAPE, outcome=outcome)
    said = headline_sentence(json.loads((run / "eval" / "summary.json").read_text()), "adapter")
    md = (run / "report.md").read_text()
    heading = md.index("## Does the adapter beat the base?")
    assert md[heading:].split("\n\n")[1] == f"**{said}**"
    page = (run / "report.html").read_text()
    [shown] = re.findall(r'<p id="headline-sentence">(.*?)</p>', page)
    assert html.unescape(shown) == said
    assert page.index('id="headline-sentence"') < page.index('id="answers"')


def test_no_comparison_no_sentence(tmp_path):
    run = rendered(tmp_path / "run", Shape(problems=4, samples=1, labels=1))
    assert 'id="headline-sentence"' not in (run / "report.html").read_text()


def with_seen(tmp_path, held_outcome, seen_outcome) -> dict:
    """A summary whose held-out side and seen (training) side were solved as given."""
    _, summary = sentence_of(tmp_path / "held", held_outcome)
    _, seen = sentence_of(tmp_path / "seen", seen_outcome, Shape(problems=6, samples=1, labels=2, ks=(1,)))
    return {**summary, "seen": seen}


def test_learning_without_generalising_is_said_in_words(tmp_path):
    summary = with_seen(tmp_path, solves(adapter=3, base=3), solves(adapter=5, base=1))
    assert gap_sentence(summary, "adapter") == (
        "On 6 training problems it saw, the adapter solved 4 more than the base (pass@1 +66.7 points); on 12 held-out "
        "problems, as many as the base (pass@1 0.0 points): it learned problems it trained on, and that did not carry "
        "over to problems it never saw.")


def test_a_gain_on_both_sides_points_to_the_headline_for_chance(tmp_path):
    said = gap_sentence(with_seen(tmp_path, solves(adapter=5, base=3), solves(adapter=4, base=1)), "adapter")
    assert "solved 3 more than the base (pass@1 +50.0 points)" in said and "2 more than the base (pass@1 +16.7" in said
    assert said.endswith("part of what it learned carries over; the headline says whether the held-out gain is more "
                         "than chance.")


def test_worse_on_its_own_training_problems_is_said_and_no_seen_side_says_nothing(tmp_path):
    said = gap_sentence(with_seen(tmp_path, solves(adapter=1, base=1), solves(adapter=0, base=2)), "adapter")
    assert "solved 2 fewer than the base" in said and said.endswith("it does worse even on problems it trained on.")
    _, alone = sentence_of(tmp_path / "alone", solves(adapter=3, base=1))
    assert gap_sentence(alone, "adapter") == ""


def test_both_reports_print_the_gap_sentence_in_the_seen_section(tmp_path):
    summary = with_seen(tmp_path, solves(adapter=3, base=3), solves(adapter=5, base=1))
    run = write_run_dir(tmp_path / "run", SHAPE, outcome=solves(adapter=3, base=3))
    (run / "eval" / "summary.json").write_text(json.dumps({**json.loads((run / "eval" / "summary.json").read_text()),
                                                           "seen": summary["seen"]}))
    from reports import write_reports

    write_reports(run)
    said = gap_sentence(json.loads((run / "eval" / "summary.json").read_text()), "adapter")
    assert said.startswith("On 6 training problems it saw")
    assert said in (run / "report.md").read_text()
    page = (run / "report.html").read_text()
    assert html.unescape(re.search(r'<p id="gap-sentence">(.*?)</p>', page, flags=re.S).group(1)) == said


def test_the_samples_sentence_says_how_many_ran_and_why_the_others_did_not():
    summary = {"labels": {
        "adapter": {"verdicts": {"NO_CODE": 21, "CE": 11}, "extraction": {"no_code": 21 / 32, "think_unclosed": 20 / 32}},
        "base": {"verdicts": {"WA": 22, "RE": 3, "CE": 5, "NO_CODE": 2}, "extraction": {"think_unclosed": 0.0}}}}
    assert samples_sentence(summary, "adapter") == (
        "The adapter's held-out samples: 0 of 32 ran on the tests; 21 held no program (20 inside reasoning that never "
        "closed) and 11 did not compile. The base's held-out samples: 25 of 32 ran on the tests (none accepted); 2 held "
        "no program and 5 did not compile.")
    summary["labels"]["adapter"]["verdicts"] = {"AC": 3, "WA": 1}
    assert samples_sentence(summary, "adapter").startswith("The adapter's held-out samples: 4 of 4 ran on the tests "
                                                           "(3 accepted). The base's")
    summary["labels"]["adapter"]["verdicts"] = {}  # nothing judged yet: no sentence rather than "0 of 0"
    assert samples_sentence(summary, "adapter") == ""


def test_both_reports_carry_the_samples_sentence(tmp_path):
    run = rendered(tmp_path / "run", SHAPE, outcome=solves(adapter=3, base=1))
    said = samples_sentence(json.loads((run / "eval" / "summary.json").read_text()), "adapter")
    assert said.startswith("The adapter's held-out samples: ") and "The base's held-out samples: " in said
    assert said in (run / "report.md").read_text()
    shown = re.search(r'<p id="samples-sentence">(.*?)</p>', (run / "report.html").read_text())
    assert shown and html.unescape(shown.group(1)) == said
