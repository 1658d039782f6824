"""Adapter against base on the same problems: a sign-flip randomisation test, its inverted interval, power."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats

from harness.scoring.intervals import LEVEL, z_score
from harness.scoring.passk import pass_at_k


def minimum_detectable_effect(diffs: Sequence[float] | np.ndarray, level: float = LEVEL,
                              power: float = 0.8) -> float:
    """The smallest true mean difference a paired test on these problems would detect with `power`.

    (z_{1-alpha/2} + z_power) * sd(diff) / sqrt(problems); the sd is floored at the one a single
    flipped problem gives, so that 0 observed variation does not claim infinite sensitivity.
    """
    data = np.asarray(diffs, dtype=float)
    if data.size < 2:
        return math.nan
    z = z_score(level) + stats.norm.ppf(power)
    return float(z * _floored_sd(data) / math.sqrt(data.size))


def _floored_sd(data: np.ndarray) -> float:
    return max(float(data.std(ddof=1)), 1 / math.sqrt(data.size))


POWER_EFFECTS = (0.01, 0.02, 0.05, 0.10)


def power_at(diffs: Sequence[float] | np.ndarray, effects: Sequence[float] = POWER_EFFECTS,
             level: float = LEVEL) -> dict[str, float]:
    """Chance that the paired test on this many problems detects a true difference of each size (normal approximation)."""
    data = np.asarray(diffs, dtype=float)
    if data.size < 2:
        return {}
    se, z = _floored_sd(data) / math.sqrt(data.size), z_score(level)
    return {f"{e:g}": float(stats.norm.cdf(e / se - z) + stats.norm.cdf(-e / se - z)) for e in effects}


EXACT_SIGN_FLIPS = 12  # up to 2**12 sign patterns are enumerated (an exact test); beyond, `resamples` are drawn


def sign_patterns(size: int, resamples: int, seed: int) -> tuple[np.ndarray, bool]:
    """Every +-1 pattern over `size` problems when that is few enough, else `resamples` random ones."""
    if size <= EXACT_SIGN_FLIPS:
        codes = np.arange(2**size)[:, None] >> np.arange(size)[None, :]
        return 1.0 - 2.0 * (codes & 1), True
    return np.random.default_rng(seed).choice([-1.0, 1.0], size=(resamples, size)), False


def flip_p_values(diffs, signs: np.ndarray, exact: bool, delta: float = 0.0) -> np.ndarray:
    """Two-sided sign-flip p-values for "the mean difference is `delta`", one per row of `diffs` (runs x problems).

    If a and b are the same model, which of them produced each problem's pair of scores is a coin
    toss, so flipping the signs of the differences is exact: the type-I error is at most the level
    whatever the solve rates and however few problems are solved. Random patterns count the observed one too.
    """
    centred = np.atleast_2d(np.asarray(diffs, dtype=float)) - delta
    observed = np.abs(centred.mean(axis=1, keepdims=True))
    flipped = np.abs(centred @ signs.T) / centred.shape[1]
    extreme = np.count_nonzero(flipped >= observed * (1 - 1e-9) - 1e-12, axis=1)
    return extreme / len(signs) if exact else (1 + extreme) / (1 + len(signs))


class _FlipTest:
    """`flip_p_values` for one vector of differences, at many deltas.

    The patterns x problems product is done once (sum_i s_i (d_i - delta) = s.d - delta * sum_i s_i),
    so each delta costs O(patterns), not O(patterns x problems); the interval's bisection asks for ~80.
    """

    def __init__(self, diffs: np.ndarray, signs: np.ndarray, exact: bool) -> None:
        self.size, self.mean, self.exact, self.count = diffs.size, float(diffs.mean()), exact, len(signs)
        self.dot, self.sums = signs @ diffs, signs.sum(axis=1)

    def __call__(self, delta: float = 0.0) -> float:
        observed = abs(self.mean - delta)
        flipped = np.abs(self.dot - delta * self.sums) / self.size
        extreme = int(np.count_nonzero(flipped >= observed * (1 - 1e-9) - 1e-12))
        return extreme / self.count if self.exact else (1 + extreme) / (1 + self.count)


def _inverted_bound(p_at: _FlipTest, level: float, side: int) -> float:
    """The end (side -1: lower, +1: upper) of {delta : p(delta) > 1 - level}, by bisection.

    0 is used as a bracket point whenever it lies on that side, so the interval excludes 0 exactly
    when p(0) <= 1 - level: the interval and the p-value cannot disagree.
    """
    alpha, inner, outer = 1 - level, p_at.mean, float(side)
    if side * inner < 0:  # 0 lies between the estimate and this end
        if p_at(0.0) <= alpha:
            outer = 0.0
        else:
            inner = 0.0
    if p_at(outer) > alpha:
        return outer
    for _ in range(40):
        middle = (inner + outer) / 2
        if p_at(middle) > alpha:
            inner = middle
        else:
            outer = middle
    return inner


def paired_comparison(a: dict, b: dict, k: int, resamples: int, seed: int = 0, level: float = LEVEL) -> dict | None:
    """B minus a on the problems both labels scored: mean difference of pass@k, a sign-flip test and its interval.

    The interval inverts the test, widened to at least z/N either side (one problem's worth) where
    that does not cross 0, so that identical results on few problems do not claim a zero-width certainty.
    """
    shared = sorted(set(a["per_problem"]) & set(b["per_problem"]))
    shared = [p for p in shared if a["per_problem"][p]["n"] >= k and b["per_problem"][p]["n"] >= k]
    if not shared:
        return None
    diffs = np.array([
        pass_at_k(b["per_problem"][p]["n"], b["per_problem"][p]["c"], k)
        - pass_at_k(a["per_problem"][p]["n"], a["per_problem"][p]["c"], k)
        for p in shared
    ])
    signs, exact = sign_patterns(diffs.size, resamples, seed)
    p_at = _FlipTest(diffs, signs, exact)
    p_value = p_at(0.0)
    significant, estimate, floor = p_value <= 1 - level, float(diffs.mean()), z_score(level) / diffs.size
    low, high = (_inverted_bound(p_at, level, side) for side in (-1, 1))
    if not (significant and estimate > 0):
        low = max(-1.0, min(low, estimate - floor))
    if not (significant and estimate < 0):
        high = min(1.0, max(high, estimate + floor))
    verdict = "better" if significant and estimate > 0 else "worse" if significant else "cannot tell"
    mde = minimum_detectable_effect(diffs, level)
    patterns = f"all {len(signs)} sign patterns" if exact else f"{len(signs)} random sign patterns"
    return {
        "metric": f"pass@{k}",
        "difference": estimate,
        "ci_low": low,
        "ci_high": high,
        "p_value": p_value,
        "minimum_detectable_effect": mde,
        "power_at": power_at(diffs, level=level),
        "level": level,
        "method": f"paired sign-flip randomisation test over problems ({patterns}), two-sided; the {level:.0%} interval "
                  "inverts the same test (it excludes 0 exactly when p <= 0.05), at least z/N wide; "
                  "MDE at 80% power and power_at by normal approximation",
        "problems": len(shared),
        "won": [p for p, d in zip(shared, diffs, strict=True) if d > 0],
        "lost": [p for p, d in zip(shared, diffs, strict=True) if d < 0],
        "verdict": verdict,
        "in_words": _comparison_in_words(estimate, low, high, p_value, verdict, len(shared), mde),
    }


def _comparison_in_words(estimate: float, low: float, high: float, p_value: float, verdict: str, problems: int,
                         mde: float) -> str:
    """One sentence for the report: the difference, its interval, and what it can and cannot rule out."""
    said = (f"{100 * estimate:+.1f} pts (95% interval {100 * low:+.1f} to {100 * high:+.1f} pts, p = {p_value:.3g}) "
            f"over {problems} problems")
    if verdict != "cannot tell":
        return f"{said}: {verdict}."
    if math.isnan(mde) or mde >= 1:
        return f"{said}: cannot tell; too few problems to detect any difference reliably."
    return f"{said}: cannot tell; a true difference under {100 * mde:.1f} pts would usually go undetected here."
