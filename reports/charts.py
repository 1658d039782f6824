"""Charts as SVG text, drawn with matplotlib (Agg), for inlining in HTML and saving next to markdown."""

from __future__ import annotations

import io

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


def _svg(fig) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    _pyplot().close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg") :]  # drop the XML prolog so it can sit inside HTML


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
        points = sorted(sweep)
        ax.errorbar([p[0] for p in points], [p[1] for p in points], capsize=3, marker="o", markersize=3,
                    yerr=[[max(p[1] - p[2], 0) for p in points], [max(p[3] - p[1], 0) for p in points]])
        ax.set_title(f"{metric} by checkpoint")
        ax.set_xlabel("step")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return _svg(fig)


def pass_at_k_chart(rows: list[tuple[str, float, float, float]], metric: str) -> str | None:
    """Bars of a pass@k estimate per label with their confidence intervals."""
    if not rows:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(1.2 + 1.1 * len(rows), 2.6))
    labels = [r[0] for r in rows]
    estimates = [r[1] for r in rows]
    errors = [[max(r[1] - r[2], 0) for r in rows], [max(r[3] - r[1], 0) for r in rows]]
    ax.bar(labels, estimates, yerr=errors, capsize=4, color="#4c78a8")
    ax.set_ylabel(metric)
    ax.set_ylim(0, max(1e-3, max(r[3] for r in rows)) * 1.15)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return _svg(fig)


def verdict_chart(counts: dict[str, dict[str, int]], order: list[str]) -> str | None:
    """Stacked bars: share of each verdict per label."""
    if not counts:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.0, 0.6 + 0.45 * len(counts)))
    labels = list(counts)
    left = [0.0] * len(labels)
    palette = plt.get_cmap("tab10")
    for index, verdict in enumerate(order):
        shares = [counts[label].get(verdict, 0) / max(sum(counts[label].values()), 1) for label in labels]
        if any(shares):
            ax.barh(labels, shares, left=left, label=verdict, color=palette(index % 10))
            left = [a + b for a, b in zip(left, shares, strict=True)]
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of samples")
    ax.legend(ncol=5, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.35), frameon=False)
    fig.tight_layout()
    return _svg(fig)
