"""Task families over strings, grids and yes/no questions."""

from __future__ import annotations

import random

from harness.models.pretraining.tasks import TEXT, Task, cases, fill, heading, io_names, numbers, program_first

LETTERS: str = TEXT["letters"]
WORDS: list[str] = TEXT["words"]


def random_word(rng: random.Random) -> str:
    """A lower-case string, sometimes a real word, sometimes a palindrome."""
    roll = rng.random()
    if roll < 0.3:
        return rng.choice(WORDS)
    word = "".join(rng.choice(LETTERS[:6]) for _ in range(rng.randint(3, 8)))
    return word + word[-2::-1] if roll < 0.5 else word


def string_ops(rng: random.Random) -> Task:
    """One property or transformation of one string per test."""
    option = rng.choice(TEXT["string_ops"]["options"])
    multi = rng.random() < 0.5
    variant = TEXT["string_ops"]["variants"]["multi" if multi else "single"]
    code = fill(variant["code"], expr=option["expr"])
    if multi:
        inputs: tuple[str, ...] = (cases(rng, lambda r: f"{random_word(r)}\n"),)
    else:
        inputs = (f"{random_word(rng)}\n", f"{random_word(rng)}\n")
    return heading(rng, "string_ops", **option, **variant).task(code, inputs)


def yes_no(rng: random.Random) -> Task:
    """Triples of integers (t of them), a YES/NO answer per triple."""
    option = rng.choice(TEXT["yes_no"]["options"])
    code = fill(TEXT["yes_no"]["code"], condition=option["condition"], **io_names(rng))
    sample = cases(rng, lambda r: " ".join(map(str, numbers(r, 3, 1, 9))) + "\n", most=5)
    return heading(rng, "yes_no", **option).task(code, (sample,))


def word_line(rng: random.Random) -> Task:
    """Work on the words of one line."""
    option = rng.choice(TEXT["word_line"]["options"])
    code = fill(TEXT["word_line"]["code"], expr=option["expr"])
    inputs = tuple(" ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 5))) + "\n" for _ in range(2))
    return heading(rng, "word_line", **option).task(code, inputs)


def brackets(rng: random.Random) -> Task:
    """Balanced round brackets, checked with a running depth."""
    return program_first(rng, "brackets", lambda r: cases(r, lambda s: "".join(
        s.choice("()") for _ in range(s.choice([2, 4, 6]))) + "\n"))


def grid_count(rng: random.Random) -> Task:
    """Count marked cells or marked rows of a character grid."""
    variant = TEXT["grid_count"]["variants"]["rows" if rng.random() < 0.5 else "cells"]
    code = fill(TEXT["grid_count"]["code"], body=variant["body"])
    n, m = rng.randint(2, 4), rng.randint(2, 5)
    sample = f"{n} {m}\n" + "".join("".join(rng.choice(".#.") for _ in range(m)) + "\n" for _ in range(n))
    return heading(rng, "grid_count", **variant).task(code, (sample,))


FAMILIES = [string_ops, yes_no, word_line, brackets, grid_count]
