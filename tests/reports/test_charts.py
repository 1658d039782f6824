"""Charts people can read: a sensible score axis, a legend beside (not over) the bars."""

from itertools import combinations

from reports import charts
from reports.context import VERDICT_ORDER


def test_score_axis_of_a_run_that_solved_nothing_is_readable():
    figure = charts.pass_at_k_figure([("base", 0.0, 0.0, 0.0), ("adapter", 0.0, 0.0, 0.0)], "pass@1")
    low, high = figure.axes[0].get_ylim()
    assert low == 0 and high >= 0.10  # 0..10% at least, not 0..0.1%
    figure.canvas.draw()
    ticks = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert "10%" in ticks and all(t.endswith("%") for t in ticks if t)


def test_score_axis_reaches_the_highest_interval_bound():
    figure = charts.pass_at_k_figure([("base", 0.30, 0.22, 0.41), ("adapter", 0.55, 0.40, 0.71)], "pass@1")
    assert 0.71 < figure.axes[0].get_ylim()[1] <= 1.2
    labels = [t.get_text() for t in figure.axes[0].texts]
    assert labels == ["30.0%", "55.0%"]  # every bar says its value


def extents(figure, artists):
    renderer = figure.canvas.get_renderer()
    return [a.get_window_extent(renderer) for a in artists]


def test_verdict_legend_sits_beside_the_bars_and_its_entries_do_not_overlap():
    counts = {label: {v: 3 + i for i, v in enumerate(VERDICT_ORDER)} for label in ("base", "adapter", "checkpoint-100")}
    for shown in (counts, {"base": counts["base"]}):  # also one label: a short chart, all nine verdicts
        figure = charts.verdict_figure(shown, VERDICT_ORDER)
        figure.canvas.draw()
        axes, legend = figure.axes[0], figure.axes[0].get_legend()
        [plot], [box] = extents(figure, [axes]), extents(figure, [legend])
        assert box.x0 >= plot.x1  # right of the bars
        entries = extents(figure, legend.get_texts())
        assert len(entries) == 9
        for a, b in combinations(entries, 2):
            assert not a.overlaps(b)


def test_verdict_chart_puts_the_first_label_on_top():
    figure = charts.verdict_figure({"base": {"AC": 1}, "adapter": {"WA": 1}}, VERDICT_ORDER)
    figure.canvas.draw()
    ticks = {t.get_text(): t.get_position()[1] for t in figure.axes[0].get_yticklabels()}
    assert ticks["base"] > ticks["adapter"]
