"""The report's first sentence: what the evaluation says about a label against the base, in words.

Both renderers print `headline_sentence` as it is. It reads `eval/summary.json` only, and the
numbers are the harness's own (harness/scoring.py): per-problem solved counts, each label's
Wilson interval (its upper bound when nothing was solved), and the paired sign-flip comparison:
the difference, the interval that inverts the same test (it excludes 0 exactly when p <= 0.05),
p, and the minimum detectable effect at 80% power, from which the problem count a 10-point gain
would need is extrapolated.
"""

from __future__ import annotations

import math

from judges import Verdict

TARGET_GAIN = 0.10  # the gain that "how many problems would be needed" asks about
MINUS = "\u2212"  # a typographic minus: "−3.1", as in print


def _signed(share: float) -> str:
    """`+6.7`, `−3.1`, and `0.0` for what rounds to zero (never `−0.0`)."""
    said = f"{100 * share:+.1f}"
    return "0.0" if said in ("+0.0", "-0.0") else said.replace("-", MINUS)


def _pct(share: float) -> str:
    return f"{100 * share:.2f}%" if 0 < share < 0.01 else f"{100 * share:.1f}%"


def _who(label: str) -> str:
    return f"the {label}" if label in ("adapter", "base") else label


def _about(count: int) -> str:
    """A count rounded up to tens below 100 (`57` -> `60`), to two significant digits above; exact below 20."""
    if count < 20:
        return str(count)
    step = 10 ** max(1, len(str(count)) - 2)
    return f"{math.ceil(count / step) * step:,}"


def problems_needed(comparison: dict, effect: float = TARGET_GAIN) -> int | None:
    """Problems a paired test would need to detect a true gain of `effect` with 80% power; None when unknown.

    The minimum detectable effect shrinks as 1/sqrt(problems) (the normal approximation it comes
    from), so this run's MDE over its problem count extrapolates: problems * (MDE / effect)^2.
    """
    mde = comparison.get("minimum_detectable_effect")
    if mde is None or mde != mde:  # absent, or NaN with fewer than two problems
        return None
    return max(1, math.ceil(comparison["problems"] * (mde / effect) ** 2))


def _detectability(comparison: dict) -> str:
    needed = problems_needed(comparison)
    if needed is None:
        return "too few problems to detect any difference"
    if needed <= comparison["problems"]:
        return (f"this many problems would usually detect a true difference of "
                f"{100 * comparison['minimum_detectable_effect']:.1f} points")
    return f"about {_about(needed)} problems would be needed to detect a {100 * TARGET_GAIN:.0f}-point gain"


def _comparison(summary: dict, label: str, baseline: str, metric: str) -> dict | None:
    rows = [c for c in summary.get("comparisons", []) if c["a"] == baseline and c["b"] == label]
    return next((c for c in rows if c["metric"] == metric), rows[0] if rows else None)


def _solved(scored: dict, shared: set[str]) -> int:
    """Problems of `shared` the label solved at least once."""
    return sum(1 for pid, row in scored.get("per_problem", {}).items() if pid in shared and row["c"] > 0)


def headline_sentence(summary: dict, label: str, baseline: str = "base", metric: str = "pass@1") -> str:
    """The headline: problems, solved how many more, the difference with its interval and p, distinguishable or not.

    When not, how many problems would detect a 10-point gain; with nothing solved by either, the upper
    bound of the solve rate instead. Empty without a comparison of `label` against `baseline`.
    """
    c = _comparison(summary, label, baseline, metric)
    labels = summary.get("labels", {})
    if c is None or label not in labels or baseline not in labels:
        return ""
    metric = c["metric"]
    a, b = labels[baseline], labels[label]
    shared = set(a.get("per_problem", {})) & set(b.get("per_problem", {}))
    solved_a, solved_b = _solved(a, shared), _solved(b, shared)
    start = f"On {c['problems']} held-out problems"
    if solved_a == solved_b == 0:
        bound = max(s.get("scores", {}).get(metric, {}).get("ci_high", math.nan) for s in (a, b))
        return (f"{start} neither {_who(label)} nor {_who(baseline)} solved any: the true {metric} of each is below "
                f"{_pct(bound)} with 95% confidence.")
    evidence = (f"{metric} {_signed(c['difference'])} points, 95% CI {_signed(c['ci_low'])} to {_signed(c['ci_high'])}, "
                f"p = {c['p_value']:.2g}")
    samples = max((row["n"] for s in (a, b) for row in s.get("per_problem", {}).values()), default=1)
    once = f", at least once in {samples} samples" if samples > 1 else ""
    if not c.get("won") and not c.get("lost"):  # every problem scored alike
        return (f"{start} {_who(label)} and {_who(baseline)} solved the same problems ({solved_b} of them{once}, each as "
                f"often; {evidence}): no difference; {_detectability(c)}.")
    more = solved_b - solved_a
    if more:
        did = f"solved {abs(more)} {'more' if more > 0 else 'fewer'} than {_who(baseline)} ({solved_b} against {solved_a}"
    else:
        did = f"solved as many as {_who(baseline)} ({solved_b} each"
    if c["verdict"] == "cannot tell":
        said = f"not distinguishable at this size; {_detectability(c)}"
    else:
        said = f"distinguishable at this size: {_who(label)} is {c['verdict']}"
    return f"{start} {_who(label)} {did}{once}; {evidence}): {said}."


def _count_words(more: int, baseline: str) -> str:
    if more == 0:
        return f"as many as {_who(baseline)}"
    return f"{abs(more)} {'more' if more > 0 else 'fewer'} than {_who(baseline)}"


def _side(scored: dict, label: str, baseline: str, metric: str) -> tuple[int, int, float] | None:
    """Problems both labels were scored on, how many more `label` solved, and its metric's difference."""
    a, b = scored.get(baseline), scored.get(label)
    if not a or not b or metric not in a.get("scores", {}) or metric not in b.get("scores", {}):
        return None
    shared = set(a.get("per_problem", {})) & set(b.get("per_problem", {}))
    difference = b["scores"][metric]["estimate"] - a["scores"][metric]["estimate"]
    return len(shared), _solved(b, shared) - _solved(a, shared), difference


def gap_sentence(summary: dict, label: str, baseline: str = "base", metric: str = "pass@1") -> str:
    """Learning against generalising, in words: the label's gain on the training problems it saw and on held-out ones.

    Empty unless both labels were scored on seen (training) problems too (`eval.seen_problems`).
    """
    seen = _side(summary.get("seen", {}).get("labels", {}), label, baseline, metric)
    held = _side(summary.get("labels", {}), label, baseline, metric)
    if seen is None or held is None or not seen[0] or not held[0]:
        return ""
    (seen_n, seen_more, seen_gain), (held_n, held_more, held_gain) = seen, held
    if seen_gain > 0 and held_gain <= 0:
        meaning = "it learned problems it trained on, and that did not carry over to problems it never saw"
    elif seen_gain > 0:
        meaning = "part of what it learned carries over; the headline says whether the held-out gain is more than chance"
    elif seen_gain < 0:
        meaning = "it does worse even on problems it trained on"
    else:
        meaning = "training changed nothing measurable even on problems it trained on"
    return (f"On {seen_n} training problems it saw, {_who(label)} solved {_count_words(seen_more, baseline)} "
            f"({metric} {_signed(seen_gain)} points); on {held_n} held-out problems, {_count_words(held_more, baseline)} "
            f"({metric} {_signed(held_gain)} points): {meaning}.")


def _samples_clause(who: str, scored: dict) -> str:
    """One label's held-out samples: how many ran on the tests, and why the others did not."""
    verdicts = scored.get("verdicts", {})
    total = sum(verdicts.values())
    no_code, compile_errors = verdicts.get(Verdict.NO_CODE, 0), verdicts.get(Verdict.CE, 0)
    ran = total - no_code - compile_errors
    said = f"{_who(who)}'s held-out samples: {ran} of {total} ran on the tests"
    if ran:
        accepted = verdicts.get(Verdict.AC, 0)
        said += f" ({accepted} accepted)" if accepted else " (none accepted)"
    unclosed = min(round(scored.get("extraction", {}).get("think_unclosed", 0.0) * total), no_code)
    others = [f"{no_code} held no program" + (f" ({unclosed} inside reasoning that never closed)" if unclosed else "")]
    others = (others if no_code else []) + ([f"{compile_errors} did not compile"] if compile_errors else [])
    return said + ("; " + " and ".join(others) if others else "") + "."


def samples_sentence(summary: dict, label: str, baseline: str = "base") -> str:
    """What the held-out samples were, the label's and the base's: the why behind the scores.

    Empty unless both labels have judged held-out samples.
    """
    scored = summary.get("labels", {})
    if not all(sum(scored.get(who, {}).get("verdicts", {}).values()) for who in (label, baseline)):
        return ""
    clauses = [_samples_clause(who, scored[who]) for who in (label, baseline)]
    return " ".join(clause[0].upper() + clause[1:] for clause in clauses)
