"""Toy programming tasks: a statement, a short reasoning and a program, drawn from a seeded `random.Random`.

Written for the pre-training corpus only, so they share no text with the bundled problems. A
family varies its story words, its operation and its coding style (read everything at once, or
`input()` line by line), because the model should learn Python and the answer layout, not one
program by heart. The families' words live in `families.yaml`; the modules beside this one make
the draws. Examples are not written here: `corpus` runs each program on `inputs` to get them.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files
from string import Template
from typing import Any

import yaml

TEXT: dict[str, Any] = yaml.safe_load((files(__package__) / "families.yaml").read_text(encoding="utf-8"))
THINGS: list[str] = TEXT["things"]
PEOPLE: list[str] = TEXT["people"]
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


@dataclass(frozen=True)
class Heading:
    """A task's statement and reasoning, drawn and filled; `task` adds the program and its example inputs."""

    title: str
    description: str
    input_format: str
    output_format: str
    think: str

    def task(self, code: str, inputs: tuple[str, ...]) -> Task:
        """The task: this heading with its program and example inputs."""
        return Task(self.title, self.description, self.input_format, self.output_format, self.think, code, inputs)


def heading(rng: random.Random, family: str, thing: str = "", titles: list[str] | None = None, **values: str) -> Heading:
    """The family's title and texts with `values` filled in.

    The draws come in this order: the title's word, the title's noun unless `thing` is given, then the
    statement's one fresh word (`$thing` without a given thing, `$Thing`, `$Person`) if it has one. The
    order is part of the corpus: it fixes which draws give which words.
    """
    text = TEXT[family]
    title = title_of(rng, titles or text["titles"], thing)
    description = text["description"]
    if "$Person" in description:
        values["Person"] = rng.choice(PEOPLE).capitalize()
    elif "$Thing" in description:
        values["Thing"] = rng.choice(THINGS).capitalize()
    values["thing"] = thing or (rng.choice(THINGS) if "$thing" in description else "")
    filled = {key: Template(text[key]).substitute(values) for key in ("description", "input_format", "output_format",
                                                                       "think")}
    return Heading(title=title, **filled)



def cases(rng: random.Random, line: Callable[[random.Random], str], most: int = 4) -> str:
    """An example input of t cases (2 to `most`): the count, then a line from `line` for each."""
    t = rng.randint(2, most)
    return f"{t}\n" + "".join(line(rng) for _ in range(t))


def program_first(rng: random.Random, family: str, example: Callable[[random.Random], str]) -> Task:
    """A family drawn program first (its list names), then one example input from `example`, then its heading."""
    code = fill(TEXT[family]["code"], **io_names(rng))
    sample = example(rng)
    return heading(rng, family).task(code, (sample,))
