"""Task families over integers: pairs, arrays, queries, digits and sequences."""

from __future__ import annotations

import random
from collections.abc import Callable

from harness.models.pretraining.tasks import (
    TEXT,
    THINGS,
    Task,
    cases,
    fill,
    heading,
    io_names,
    joined,
    numbers,
    pick_style,
    program_first,
)


def styled_task(rng: random.Random, family: str, example: Callable[[random.Random], str]) -> Task:
    """A family with options (what to compute) and both coding styles.

    Drawn in order: the option, the style, the program, one or two examples, then the story's noun,
    which its title and statement share.
    """
    text = TEXT[family]
    option = rng.choice(text["options"])
    style, names = pick_style(rng), io_names(rng)
    code = fill(text["code"][style], expr=option["expr"], **names)
    inputs = tuple(example(rng) for _ in range(rng.randint(1, 2)))
    return heading(rng, family, rng.choice(THINGS), **option).task(code, inputs)


def pair_ops(rng: random.Random) -> Task:
    """Independent pairs (t of them), one arithmetic answer per pair."""
    return styled_task(rng, "pair_ops", lambda r: cases(r, lambda s: f"{joined(numbers(s, 2, 1, 60))}\n"))


def array_reduce(rng: random.Random) -> Task:
    """One list of n integers reduced to one number."""

    def example(r: random.Random) -> str:
        n = r.randint(3, 7)
        return f"{n}\n{joined(numbers(r, n, -20, 50))}\n"

    return styled_task(rng, "array_reduce", example)


def ceil_boxes(rng: random.Random) -> Task:
    """How many containers of size k hold n items: the integer ceiling."""
    thing, names = rng.choice(THINGS), io_names(rng)
    code = fill(TEXT["ceil_boxes"]["code"], **names)
    sample = cases(rng, lambda r: f"{r.randint(1, 40)} {r.randint(1, 9)}\n")
    return heading(rng, "ceil_boxes", thing).task(code, (sample,))


def gcd_pairs(rng: random.Random) -> Task:
    """Greatest common divisor or least common multiple of pairs."""
    variant = TEXT["gcd_pairs"]["variants"]["lcm" if rng.random() < 0.5 else "gcd"]
    code = fill(TEXT["gcd_pairs"]["code"], expr=variant["expr"])
    sample = cases(rng, lambda r: f"{r.randint(2, 30) * r.randint(1, 6)} {r.randint(2, 30)}\n")
    return heading(rng, "gcd_pairs", **variant).task(code, (sample,))


def prefix_queries(rng: random.Random) -> Task:
    """Range sums answered with a prefix-sum array."""

    def example(r: random.Random) -> str:
        n, q = r.randint(4, 7), r.randint(2, 3)
        queries = []
        for _ in range(q):
            left = r.randint(1, n)
            queries.append(f"{left} {r.randint(left, n)}\n")
        return f"{n} {q}\n{joined(numbers(r, n, 1, 30))}\n" + "".join(queries)

    return program_first(rng, "prefix_queries", example)


def digit_work(rng: random.Random) -> Task:
    """Per-number digit manipulations."""
    option = rng.choice(TEXT["digit_work"]["options"])
    code = fill(TEXT["digit_work"]["code"], expr=option["expr"], **io_names(rng))
    sample = cases(rng, lambda r: f"{r.randint(1, 99999)}\n")
    return heading(rng, "digit_work", **option).task(code, (sample,))


def sequence_value(rng: random.Random) -> Task:
    """A value defined by a loop over 1..n, taken modulo a prime."""
    option = rng.choice(TEXT["sequence_value"]["options"])
    code = fill(TEXT["sequence_value"]["code"], body=option["body"])
    return heading(rng, "sequence_value", **option).task(code, (f"{rng.randint(1, 25)}\n", f"{rng.randint(1, 25)}\n"))


FAMILIES = [pair_ops, array_reduce, ceil_boxes, gcd_pairs, prefix_queries, digit_work, sequence_value]
