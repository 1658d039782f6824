"""The pre-training corpus: toy tasks run for their examples and wrapped in the harness's own chat prompt.

Each document is a conversation built by `harness.prompts` (the system prompt, `render_problem`
of the toy statement, and `assistant_answer` with the reasoning and the program), so the model
learns exactly the layout it is prompted and judged with. The corpus is a pure function of its
seed and size; `corpus_digest` names it in the model cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import random
import sys

from harness.models.pretraining import lists, numeric, text
from harness.models.pretraining.tasks import Task

FAMILIES = numeric.FAMILIES + lists.FAMILIES + text.FAMILIES
CORPUS_SEED = 20240601  # the corpus's own seed: the model seed changes the init and the order, not the text
# Every reasoning opens in plain words: without it, on an unfamiliar statement the model started writing code
# right after `<think>` and never closed the block.
THINK_OPENING = "I read the statement and choose a method."
READ_ALL = "Reading the whole input at once with sys.stdin is fast, even when there are many lines."
READ_LINES = "The input is small, so reading it line by line with input() is enough."
THINK_CLOSING = "I check the method on the example by hand, and then I write the program."


class CorpusError(RuntimeError):
    """A toy program failed on its own example: a bug in a task family, never the user's."""


def run_program(code: str, given: str) -> str:
    """Run a toy program in-process on `given` and return what it printed (the programs are ours, and tiny)."""
    stdin = io.TextIOWrapper(io.BytesIO(given.encode()), encoding="utf-8")
    stdout = io.StringIO()
    saved = sys.stdin
    sys.stdin = stdin
    try:
        with contextlib.redirect_stdout(stdout):
            exec(compile(code, "<toy>", "exec"), {"__name__": "__main__"})  # noqa: S102 - our own generated code
    except Exception as exc:  # noqa: BLE001 - re-raised with the program attached
        raise CorpusError(f"toy program failed ({exc!r}) on input {given!r}:\n{code}") from exc
    finally:
        sys.stdin = saved
    return stdout.getvalue()


def as_problem(task: Task, number: int):
    """The toy task as a harness `Problem`, its examples filled in by running the program."""
    from harness.problems.model import Example, Problem

    examples = tuple(Example(given, run_program(task.code, given)) for given in task.inputs)
    return Problem(id=f"toy-{number}", title=task.title, description=task.description,
                   input_format=task.input_format, output_format=task.output_format, note=task.note,
                   examples=examples, time_limit_s=random.Random(number).choice([1.0, 1.0, 2.0]))


def reasoning(task: Task) -> str:
    """A paragraph: the task restated, the method, how the input is read, then on to the program.

    As long as the bundled problems' traces (about 100 words), so that learning those is learning
    new content in a familiar shape: with one-sentence reasoning here, a LoRA on 8 bundled
    conversations taught the model to open reasoning it could not close.
    """
    reading = (READ_ALL if "sys.stdin" in task.code else READ_LINES)
    return " ".join([THINK_OPENING, f"The task: {task.description}", task.think, reading, THINK_CLOSING])


def conversation(task: Task, number: int) -> list[dict]:
    """System, user and assistant turns, built by the same functions that build training conversations."""
    from harness.prompts import assistant_answer, generation_messages

    prompt = generation_messages(as_problem(task, number))
    return prompt + [{"role": "assistant", "content": assistant_answer(reasoning(task), task.code)}]


def build_corpus(size: int, seed: int = CORPUS_SEED) -> list[list[dict]]:
    """`size` conversations, the families taken in turn so each is equally common; deterministic in `seed`."""
    rng = random.Random(seed)
    return [conversation(FAMILIES[number % len(FAMILIES)](rng), number) for number in range(size)]


def corpus_digest(corpus: list[list[dict]]) -> str:
    """A short content hash of the corpus, part of the cached model's name."""
    return hashlib.sha256(json.dumps(corpus, sort_keys=True).encode()).hexdigest()[:12]


def corpus_texts(corpus: list[list[dict]]) -> list[str]:
    """Every message's text, what the tokenizer is trained on."""
    return [message["content"] for messages in corpus for message in messages]
