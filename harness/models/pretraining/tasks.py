"""Toy programming tasks: a statement, a short reasoning and a program, drawn from a seeded `random.Random`.

Written for the pre-training corpus only, so they share no text with the bundled problems. A
family varies its story words, its operation and its coding style (read everything at once, or
`input()` line by line), because the model should learn Python and the answer layout, not one
program by heart. Examples are not written here: `corpus` runs each program on `inputs` to get them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from string import Template

THINGS = ["apples", "boxes", "coins", "lamps", "stones", "tickets", "books", "cards", "trees", "bottles",
          "pencils", "shells", "tiles", "bricks", "marbles", "parcels", "seeds", "keys"]
PEOPLE = ["Alice", "Bob", "a farmer", "a librarian", "a robot", "the teacher", "a gardener", "Carol", "a baker"]
# One spelling each: a tiny model that saw several mixed them up within one program (NameError everywhere).
LIST_NAMES = [("data", "out")]


@dataclass(frozen=True)
class Task:
    """One toy problem with its solution; `inputs` are the example inputs the solution is run on."""

    title: str
    description: str
    input_format: str
    output_format: str
    think: str
    code: str
    inputs: tuple[str, ...]
    note: str = ""


def fill(template: str, **names: str) -> str:
    """Substitute `$name` placeholders (Python code never uses `$`, so no escaping is needed)."""
    return Template(template).substitute(**names).strip("\n") + "\n"


def numbers(rng: random.Random, count: int, low: int, high: int) -> list[int]:
    """`count` integers in [low, high]."""
    return [rng.randint(low, high) for _ in range(count)]


def joined(values) -> str:
    """Values on one line, separated by spaces."""
    return " ".join(str(v) for v in values)


def io_names(rng: random.Random) -> dict[str, str]:
    """Names for the token list and the output list (kept as a hook: more spellings made the model mix them)."""
    data, out = rng.choice(LIST_NAMES)
    return {"data": data, "out": out}


def pick_style(rng: random.Random) -> str:
    """`all` reads the whole input at once (fast), `lines` uses input() (plain)."""
    return rng.choice(["all", "all", "lines"])


def title_of(rng: random.Random, words: list[str], thing: str = "") -> str:
    """A short title from a few candidate words and the story's noun (a random one if the story has none)."""
    return f"{rng.choice(words)} {(thing or rng.choice(THINGS)).title()}"
