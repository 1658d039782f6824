"""Chat messages for training and generation, built in one place so the two never drift apart.

Competitive-programming sources (bundled, Kattis, Codeforces) get one statement layout and a
system prompt asking for a stdin / stdout program in the wanted language. The benchmarks keep
their own conventions, so scores compare with published ones:
- LiveCodeBench: its chat prompt (`lcb_runner/prompts/code_generation.py`, the generic system
  message and question template), for stdin and `class Solution` problems alike.
- HumanEval: evalplus's chat instruction, then the function's prompt (signature, docstring) in a fence.
- MBPP: its statement as is ("... Your code should pass these tests:" and the asserts).
Function-call problems are Python whatever `generation.language` says (their tests call Python
functions); a stdin benchmark problem asked for in another language gets the competitive layout.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from harness.problems import humaneval, livecodebench, mbpp
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
FUNCTION_SYSTEM_PROMPT = (
    "You are an expert Python programmer. Think about the problem, then answer with the complete "
    "Python function, and any imports it needs, in one ```python code block."
)

# LiveCodeBench's own wording (PromptConstants in lcb_runner/prompts/code_generation.py), kept verbatim.
LCB_SYSTEM_PROMPT = (
    "You are an expert Python programmer. You will be given a question (problem specification) and will "
    "generate a correct Python program that matches the specification and passes all tests."
)
LCB_WITH_STARTER = ("You will use the following starter code to write the solution to the problem and enclose "
                    "your code within delimiters.")
LCB_WITHOUT_STARTER = (
    "Read the inputs from stdin solve the problem and write the answer to stdout (do not directly test on the "
    "sample inputs). Enclose your code within delimiters as follows. Ensure that when the python program runs, "
    "it reads the inputs, runs the algorithm and writes output to STDOUT."
)
# evalplus's chat instruction for HumanEval(+), the prompt after it in a bare fence as evalplus has it
HUMANEVAL_INSTRUCTION = ("Please provide a self-contained Python script that solves the following problem in a "
                         "markdown code block:")


def _competitive(problem: Problem) -> str:
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
    if problem.starter_code:
        parts += ["", "## Starter code", "```python", problem.starter_code.rstrip("\n"), "```"]
    parts += ["", f"Time limit: {problem.time_limit_s:g} s. Memory limit: {problem.memory_limit_mb} MB."]
    return "\n".join(parts)


def _livecodebench(problem: Problem) -> str:
    """LiveCodeBench's `get_generic_question_template_answer`."""
    prompt = f"### Question:\n{problem.description}\n\n"
    if problem.starter_code:
        prompt += f"### Format: {LCB_WITH_STARTER}\n```python\n{problem.starter_code}\n```\n\n"
    else:
        prompt += f"### Format: {LCB_WITHOUT_STARTER}\n```python\n# YOUR CODE HERE\n```\n\n"
    return prompt + "### Answer: (use the provided format with backticks)\n\n"


def _humaneval(problem: Problem) -> str:
    return f"{HUMANEVAL_INSTRUCTION}\n```\n{problem.starter_code.strip()}\n```\n"


def _mbpp(problem: Problem) -> str:
    return problem.description


@dataclass(frozen=True)
class _Style:
    """A benchmark's prompt convention: its system prompt and how it words a problem."""

    system: str
    user: Callable[[Problem], str]


_STYLES = {
    livecodebench.SOURCE: _Style(LCB_SYSTEM_PROMPT, _livecodebench),
    humaneval.SOURCE: _Style(FUNCTION_SYSTEM_PROMPT, _humaneval),
    mbpp.SOURCE: _Style(FUNCTION_SYSTEM_PROMPT, _mbpp),
}


def _style(problem: Problem, language: Language) -> _Style | None:
    if problem.call is None and language != Language.PYTHON:
        return None  # the benchmarks' wording asks for Python
    return _STYLES.get(problem.source)


def system_message(problem: Problem, language: Language = Language.PYTHON) -> str:
    """The system turn for a problem: its benchmark's, else by whether it reads stdin or is called."""
    style = _style(problem, language)
    if style is not None:
        return style.system
    return FUNCTION_SYSTEM_PROMPT if problem.call is not None else system_prompt(language)


def render_problem(problem: Problem, language: Language = Language.PYTHON) -> str:
    """The user turn for a problem (also the statement the report shows)."""
    style = _style(problem, language)
    return style.user(problem) if style is not None else _competitive(problem)


def generation_messages(problem: Problem, language: Language = Language.PYTHON) -> list[dict]:
    """The prompt a model is asked to complete."""
    return [
        {"role": "system", "content": system_message(problem, language)},
        {"role": "user", "content": render_problem(problem, language)},
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
    reasoning = problem.reasoning or ("Write the function the tests call." if problem.call is not None
                                      else "Read the input, compute the answer directly, print it.")
    return [prompt + [{"role": "assistant", "content": assistant_answer(reasoning, problem.reference_solution)}]]


def training_messages(problem: Problem, language: Language = Language.PYTHON) -> list[dict] | None:
    """The first SFT conversation of a problem, or None."""
    conversations = training_conversations(problem, language)
    return conversations[0] if conversations else None
