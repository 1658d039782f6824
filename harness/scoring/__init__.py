"""Scores from judged results, pure functions: pass@k, its interval, the paired comparison, the summary record.

passk -> intervals -> paired -> summary, each module importing only those before it.
"""

from harness.scoring.intervals import (
    BOOTSTRAP_METHOD,
    DISPERSION_PRIOR,
    LEVEL,
    bootstrap_interval,
    effective_problems,
    interval_in_words,
    pass_at_k_interval,
    wilson_bounds,
    wilson_interval,
)
from harness.scoring.paired import (
    EXACT_SIGN_FLIPS,
    flip_p_values,
    minimum_detectable_effect,
    paired_comparison,
    power_at,
    sign_patterns,
)
from harness.scoring.passk import STANDARD_KS, pass_at_k, reported_ks
from harness.scoring.summary import SCHEMA, per_problem_counts, rating_bucket, score_label, summarize

__all__ = [
    "BOOTSTRAP_METHOD", "DISPERSION_PRIOR", "EXACT_SIGN_FLIPS", "LEVEL", "SCHEMA", "STANDARD_KS", "bootstrap_interval",
    "effective_problems", "flip_p_values", "interval_in_words", "minimum_detectable_effect", "paired_comparison",
    "pass_at_k", "pass_at_k_interval", "per_problem_counts", "power_at", "rating_bucket", "reported_ks", "score_label",
    "sign_patterns", "summarize", "wilson_bounds", "wilson_interval",
]
