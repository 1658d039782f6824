"""Charts as SVG text, drawn with matplotlib (Agg), for inlining in HTML and saving next to markdown.

Text stays text (`svg.fonttype: none`) and the parts a reader's eye checks carry ids (`gid`): each
chart's plot area, the pass@k intervals and value labels, the verdict legend. The report test in
Chromium reads axis ranges and overlaps off the drawn page through them.
"""

from __future__ import annotations

import functools
import io
import json
from collections.abc import Callable
from typing import TypeVar

from judges import Verdict

F = TypeVar("F", bound=Callable[..., str | None])

TRAINING_SERIES = (
    ("loss", "loss"),
    ("grad_norm", "grad norm"),
    ("learning_rate", "learning rate"),
    ("mean_token_accuracy", "token accuracy"),
    ("tokens_per_s", "tokens / s"),
)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.fonttype": "none", "font.size": 9, "axes.spines.top": False, "axes.spines.right": False})
    return plt


def drawn_once(chart: F) -> F:
    """Keep the last few SVGs of a chart, keyed by the value of its arguments.

    A chart is a pure function of its arguments. A process that writes many reports (the test
    suite's fixture runs, a notebook re-rendering runs) draws the same training curve again and
    again, and matplotlib takes a good part of a second for it.
    """
    cache: dict[str, str | None] = {}

    @functools.wraps(chart)
    def cached(*args, **kwargs):
        key = json.dumps([args, kwargs], sort_keys=True, default=repr)
        if key not in cache:
            if len(cache) >= 16:
                cache.pop(next(iter(cache)))
            cache[key] = chart(*args, **kwargs)
        return cache[key]

    return cached  # type: ignore[return-value]


def _svg(fig) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    _pyplot().close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg") :]  # drop the XML prolog so it can sit inside HTML


@drawn_once
def training_chart(metrics: list[dict], sweep: list[tuple[int, float, float, float]] | None = None,
                   metric: str = "pass@1") -> str | None:
    """Small multiples of the training metrics against step; None without metrics.

    `sweep` — (step, estimate, ci_low, ci_high) of evaluated checkpoints (the base at step 0) —
    adds a last panel on the same step axis, so the score can be read against the loss.
    """
    panels = [(key, title) for key, title in TRAINING_SERIES if any(key in m for m in metrics)]
    if not panels:
        return None
    plt = _pyplot()
    count = len(panels) + bool(sweep)
    fig, axes = plt.subplots(1, count, figsize=(3.0 * count, 2.4), squeeze=False, sharex=True)
    for ax, (key, title) in zip(axes[0], panels, strict=False):
        points = [(m["step"], m[key]) for m in metrics if key in m]
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", markersize=2.5, linewidth=1.4)
        ax.set_title(title)
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
    if sweep:
        ax = axes[0][-1]
        checkpoints = sorted(sweep)
        ax.errorbar([p[0] for p in checkpoints], [p[1] for p in checkpoints], capsize=3, marker="o", markersize=3,
                    yerr=[[max(p[1] - p[2], 0) for p in checkpoints], [max(p[3] - p[1], 0) for p in checkpoints]])
        ax.set_title(f"{metric} by checkpoint")
        ax.set_xlabel("step")
        ax.set_ylim(0, _score_top([p[3] for p in checkpoints]))
        ax.yaxis.set_major_formatter(_percent())
        ax.patch.set_gid("sweep-area")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return _svg(fig)


VERDICT_COLOURS: dict[str, str] = {
    Verdict.AC: "#2e9e5b", Verdict.WA: "#d9534f", Verdict.TLE: "#f0ad4e", Verdict.MLE: "#c77c02", Verdict.OLE: "#9c6ade",
    Verdict.RE: "#a94442", Verdict.CE: "#6f42c1", Verdict.NO_CODE: "#98a2b3", Verdict.IE: "#344054"}
MIN_SCORE_AXIS = 0.10  # a run that solves nothing still gets a readable 0..10% axis, not 0..0.1%
HEADROOM = 1.18  # room above the highest bar for its value label


def _score_top(highs: list[float]) -> float:
    """A share axis's upper limit: the highest interval bound (at least 10%, at most 100%) and room for labels."""
    return min(1.0, max([MIN_SCORE_AXIS, *highs])) * HEADROOM


def _percent():
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(1.0, decimals=0)


@drawn_once
def pass_at_k_chart(rows: list[tuple[str, float, float, float]], metric: str) -> str | None:
    """Bars of a pass@k estimate per label with their 95% intervals (see `pass_at_k_figure`); None without rows."""
    return _svg(pass_at_k_figure(rows, metric)) if rows else None


def pass_at_k_figure(rows: list[tuple[str, float, float, float]], metric: str):
    """The figure of `pass_at_k_chart`: each bar labelled with its value.

    The axis reaches at least the highest interval bound (and at least 10%), so an all-zero run
    reads as "0% with an interval up to x", never as a magnified speck.
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(1.4 + 0.9 * len(rows), 2.8))
    labels = [r[0] for r in rows]
    estimates = [r[1] for r in rows]
    errors = [[max(r[1] - r[2], 0) for r in rows], [max(r[3] - r[1], 0) for r in rows]]
    colours = ["#98a2b3" if label == "base" else "#4c78a8" for label in labels]
    bars = ax.bar(labels, estimates, yerr=errors, capsize=4, color=colours, error_kw={"elinewidth": 1.2})
    bars.errorbar.lines[2][0].set_gid("pass-at-k-intervals")
    for x, row in enumerate(rows):
        ax.annotate(f"{100 * row[1]:.1f}%", (x, max(row[1], row[3])), xytext=(0, 3), textcoords="offset points",
                    ha="center", va="bottom", fontsize=8, gid=f"pass-at-k-value-{x}")
    ax.set_ylim(0, _score_top([r[3] for r in rows]))
    ax.yaxis.set_major_formatter(_percent())
    ax.patch.set_gid("pass-at-k-area")
    ax.set_title(f"{metric} per label (95% intervals)")
    ax.grid(axis="y", alpha=0.3)
    if len(rows) > 4:
        ax.tick_params(axis="x", labelrotation=30)
        plt.setp(ax.get_xticklabels(), ha="right")
    fig.tight_layout()
    return fig


@drawn_once
def verdict_chart(counts: dict[str, dict[str, int]], order: list[str]) -> str | None:
    """Stacked bars: share of each verdict per label (see `verdict_figure`); None without counts."""
    return _svg(verdict_figure(counts, order)) if counts else None


def verdict_figure(counts: dict[str, dict[str, int]], order: list[str]):
    """The figure of `verdict_chart`: one column of legend beside the bars, so it never lies over them or itself."""
    plt = _pyplot()
    labels = list(counts)[::-1]  # barh draws bottom-up: the first label on top, as in the tables
    present = sum(any(counts[label].get(v) for label in labels) for v in order)
    # tall enough for the bars and for the legend's column (a title and one line per verdict that occurs)
    fig, ax = plt.subplots(figsize=(6.4, max(0.9 + 0.38 * len(labels), 0.5 + 0.18 * (present + 1))))
    left = [0.0] * len(labels)
    for verdict in order:
        shares = [counts[label].get(verdict, 0) / max(sum(counts[label].values()), 1) for label in labels]
        if any(shares):
            ax.barh(labels, shares, left=left, label=verdict, color=VERDICT_COLOURS.get(verdict, "#667085"), height=0.7)
            left = [a + b for a, b in zip(left, shares, strict=True)]
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(_percent())
    ax.set_xlabel("share of samples")
    ax.patch.set_gid("verdict-area")
    legend = ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8, title="verdict",
                       title_fontsize=8)
    legend.set_gid("verdict-legend")
    fig.tight_layout()
    return fig
