"""Chat messages for training and generation, built in one place so the two never drift apart."""

from __future__ import annotations

from harness.problems.model import Problem

SYSTEM_PROMPT = (
    "You are an expert competitive programmer. Think about the problem, then answer with one "
    "complete Python 3 program in a ```python code block. The program reads from standard "
    "input and writes to standard output."
)


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


def generation_messages(problem: Problem) -> list[dict]:
    """The prompt a model is asked to complete."""
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": render_problem(problem)},
    ]


def assistant_answer(reasoning: str, code: str) -> str:
    """A reasoning trace and a program in the layout the model should learn."""
    return f"<think>\n{reasoning.strip()}\n</think>\n\n```python\n{code.strip()}\n```"


def training_messages(problem: Problem) -> list[dict] | None:
    """The SFT conversation: the source's own when it has one, else built from the problem."""
    if problem.messages:
        return [dict(message) for message in problem.messages]
    if not problem.reference_solution:
        return None
    reasoning = problem.reasoning or "Read the input, compute the answer directly, print it."
    return generation_messages(problem) + [
        {"role": "assistant", "content": assistant_answer(reasoning, problem.reference_solution)}
    ]
