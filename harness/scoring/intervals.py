"""One label's interval on a pass@k: Wilson on an effective number of problems, and the bootstrap kept for reference.

Why this method, and its coverage across regimes: benchmarks/coverage.py and benchmarks/RESULTS.md.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
from scipy import stats

LEVEL = 0.95
# Pseudo-problems of pass/fail spread that the observed dispersion is pooled with: with a handful of
# solved problems the between-problem variance is barely seen and, read raw, makes intervals too
# narrow. 0.35 is where the coverage simulation (benchmarks/coverage.py) stays inside 93-97% from
# 20 to 500 problems; larger values over-cover zero-heavy runs of 60 problems, smaller ones
# under-cover 20-problem runs.
DISPERSION_PRIOR = 0.35


def z_score(level: float) -> float:
    """The two-sided normal quantile for a confidence `level` (1.96 at 95%)."""
    return float(stats.norm.ppf(0.5 + level / 2))


def wilson_bounds(mean, trials, level: float = LEVEL) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score bounds for a proportion `mean` seen in `trials` (fractional allowed), numpy-vectorised.

    Wilson rather than the normal (CLT) or bootstrap interval because it keeps near-nominal coverage
    down to a handful of successes and never collapses to a point: 0 of n gives [0, z^2/(n + z^2)].
    """
    mean, trials = np.asarray(mean, dtype=float), np.asarray(trials, dtype=float)
    z2 = z_score(level) ** 2
    shrink = 1 + z2 / trials
    centre = (mean + z2 / (2 * trials)) / shrink
    half = np.sqrt(z2 * (mean * (1 - mean) / trials + z2 / (4 * trials * trials))) / shrink
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def wilson_interval(successes: int, trials: int, level: float = LEVEL) -> tuple[float, float]:
    """Wilson score interval for a proportion (pass@1 with one sample per problem)."""
    if trials == 0:
        return (math.nan, math.nan)
    low, high = wilson_bounds(successes / trials, trials, level)
    return float(low), float(high)


def effective_problems(mean, var, solved, problems, samples):
    """Kish's effective sample size of a mean of per-problem scores in [0, 1]: problems / dispersion.

    The dispersion var / (mean (1 - mean)) is 1 for pass/fail scores (each problem counts once, the
    worst case for a [0, 1] score) and below 1 where several samples resolve a problem's rate. It is
    pooled with DISPERSION_PRIOR pseudo-problems of dispersion 1, weighted by the `solved` problems
    (those with any success) that reveal it; the result lies between `problems` and `samples`.
    Vectorised over numpy arrays (the coverage simulation calls it on thousands of runs at once).
    """
    mean, var, solved = (np.asarray(x, dtype=float) for x in (mean, var, solved))
    spread = mean * (1 - mean)
    with np.errstate(divide="ignore", invalid="ignore"):
        dispersion = np.where(spread > 0, var / spread, 1.0)
    dispersion = (solved * dispersion + DISPERSION_PRIOR) / (solved + DISPERSION_PRIOR)
    with np.errstate(divide="ignore"):
        return np.clip(problems / dispersion, problems, samples)


def _pct(value: float) -> str:
    return f"{100 * value:.2f}%" if 0 < value < 0.01 else f"{100 * value:.1f}%"


def interval_in_words(metric: str, estimate: float, low: float, high: float, solved: int, problems: int) -> str:
    """One sentence a report can print verbatim: what the interval claims, most useful when counts are small."""
    if solved == 0:
        return f"0 of {problems} problems solved: the true {metric} is below {_pct(high)} with 95% confidence."
    if estimate >= 1:
        return f"{problems} of {problems} problems solved: the true {metric} is above {_pct(low)} with 95% confidence."
    return (f"{metric} {_pct(estimate)}, {solved} of {problems} problems solved at least once: the true {metric} "
            f"is between {_pct(low)} and {_pct(high)} with 95% confidence.")


def pass_at_k_interval(values: Sequence[float], samples: int, metric: str = "pass@k", level: float = LEVEL) -> dict:
    """Mean per-problem pass@k with a Wilson score interval on the effective number of problems.

    Problems, not samples, are the unit: samples of one problem share its difficulty. "True" means
    the mean pass@k over the population the problems were drawn from. `samples` is the number of
    samples behind `values` (the most information they could hold).
    """
    data = np.asarray(values, dtype=float)
    estimate, solved = float(data.mean()), int(np.count_nonzero(data > 0))
    n_eff = float(effective_problems(estimate, float(data.var()), solved, data.size, max(samples, data.size)))
    low, high = (float(b) for b in wilson_bounds(estimate, n_eff, level))
    if np.all((data == 0) | (data == 1)):
        how = f"over {data.size} problems, each solved or not"
    else:
        how = f"over {n_eff:.1f} effective problems ({data.size} problems, design effect from the between-problem variance)"
    return {
        "estimate": estimate,
        "ci_low": low,
        "ci_high": high,
        "problems": int(data.size),
        "solved": solved,
        "effective_problems": n_eff,
        "level": level,
        "method": f"Wilson score interval {how}, {level:.0%}",
        "in_words": interval_in_words(metric, estimate, low, high, solved, int(data.size)),
    }


BOOTSTRAP_METHOD = "BCa"


def bootstrap_interval(values: Sequence[float], resamples: int, seed: int = 0, level: float = LEVEL) -> tuple[float, float]:
    """Bias-corrected and accelerated (BCa) bootstrap interval of the mean, resampling problems.

    No longer what the summary reports: it under-covers zero-heavy runs and collapses to a point
    when nothing is solved (see benchmarks/RESULTS.md); kept as the reference the benchmark compares.
    scipy's implementation; where BCa is undefined (every value equal) the percentile interval is used.
    """
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        return (math.nan, math.nan)
    if data.size > 1 and np.ptp(data) > 0:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = stats.bootstrap((data,), np.mean, n_resamples=resamples, confidence_level=level,
                                     method="BCa", random_state=seed, vectorized=True)
        low, high = result.confidence_interval
        if np.isfinite(low) and np.isfinite(high):
            return float(low), float(high)
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, data.size, size=(resamples, data.size))].mean(axis=1)
    alpha = (1 - level) / 2
    return float(np.quantile(means, alpha)), float(np.quantile(means, 1 - alpha))
