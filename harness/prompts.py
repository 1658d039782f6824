"""Chat messages for training and generation, built in one place so the two never drift apart."""

from __future__ import annotations

from harness.problems.model import Problem
from judges.language import SPECS, Language


def system_prompt(language: Language = Language.PYTHON) -> str:
    """The instructions: think, then one complete program in the wanted language."""
    name, tag = SPECS[language].title, SPECS[language].fence
    return (
        f"You are an expert competitive programmer. Think about the problem, then answer with one "
        f"complete {name} program in a ```{tag} code block. The program reads from standard "
        f"input and writes to standard output."
    )


SYSTEM_PROMPT = system_prompt(Language.PYTHON)


def render_problem(problem: Problem) -> str:
    """The statement as the user turn: description, formats, examples and note."""
    parts = [f"# {problem.title}", "", problem.description.strip()]
    if problem.input_format:
        parts += ["", "## Input", problem.input_format.strip()]
    if problem.output_format:
        parts += ["", "## Output", problem.output_format.strip()]
    for number, example in enumerate(problem.examples, start=1):
        parts += ["", f"## Example {number}", "Input:", "```", example.input.rstrip("\n"), "```"]
        parts += ["Output:", "```", example.output.rstrip("\n"), "```"]
    if problem.note:
        parts += ["", "## Note", problem.note.strip()]
    parts += ["", f"Time limit: {problem.time_limit_s:g} s. Memory limit: {problem.memory_limit_mb} MB."]
    return "\n".join(parts)


def generation_messages(problem: Problem, language: Language = Language.PYTHON) -> list[dict]:
    """The prompt a model is asked to complete."""
    return [
        {"role": "system", "content": system_prompt(language)},
        {"role": "user", "content": render_problem(problem)},
    ]


def assistant_answer(reasoning: str, code: str, language: Language = Language.PYTHON) -> str:
    """A reasoning trace and a program in the layout the model should learn."""
    return f"<think>\n{reasoning.strip()}\n</think>\n\n```{SPECS[language].fence}\n{code.strip()}\n```"


def training_conversations(problem: Problem, language: Language = Language.PYTHON) -> list[list[dict]]:
    """The SFT conversations of a problem, one per training answer.

    Ready-made answers (codeforces-cots traces) first; else one built from the reference
    solution (Python only); else none. The system and user turns always come from `generation_messages`, so a model is trained
    on exactly the prompt it is evaluated with.
    """
    prompt = generation_messages(problem, language)
    if problem.answers:
        return [prompt + [{"role": "assistant", "content": answer}] for answer in problem.answers]
    if not problem.reference_solution or language != Language.PYTHON:
        return []
    reasoning = problem.reasoning or "Read the input, compute the answer directly, print it."
    return [prompt + [{"role": "assistant", "content": assistant_answer(reasoning, problem.reference_solution)}]]


def training_messages(problem: Problem, language: Language = Language.PYTHON) -> list[dict] | None:
    """The first SFT conversation of a problem, or None."""
    conversations = training_conversations(problem, language)
    return conversations[0] if conversations else None
