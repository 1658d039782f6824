"""Unbiased pass@k (Chen et al. 2021) and which k values a run reports."""

from __future__ import annotations

import math
from collections.abc import Sequence

STANDARD_KS = (1, 2, 5, 10, 20, 50, 100)


def reported_ks(requested: Sequence[int], samples: int) -> list[int]:
    """The k values to report: those asked for plus every standard one the sample count allows."""
    return sorted({*requested, *(k for k in STANDARD_KS if k <= samples)})


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k (Chen et al. 2021): 1 - C(n-c, k) / C(n, k), for n samples with c correct."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n, got n={n} c={c} k={k}")
    if n - c < k:
        return 1.0
    return 1.0 - math.prod(1.0 - k / i for i in range(n - c + 1, n + 1))
