"""A fake engine for unit tests of the evaluation loop: canned answers from the bundled problems' own solutions.

Never a stand-in for the end-to-end test (tests/test_end_to_end.py runs the real engines).
The base answers with a problem's first wrong solution, every adapter with its reference
solution, so a run's scores are known in advance: base pass@k 0, adapters 1.
"""

from __future__ import annotations

from harness.generation import Completion, Request, Sampling
from harness.problems.bundled import load_bundled

SOLUTIONS = {p.id: p for p in load_bundled()}


def fenced(code: str) -> str:
    return f"<think>\nreasoning\n</think>\n\n```python\n{code}```"


class FakeEngine:
    """Implements `harness.generation.Engine`; records every call and whether it was closed."""

    name = "fake"

    def __init__(self, adapters, fail: bool = False):
        self.adapters = dict(adapters)
        self.settings = {"adapters": sorted(self.adapters)}
        self.calls: list[list[tuple[str, str | None]]] = []
        self.closed = False
        self.fail = fail

    def render(self, messages):
        return "\n".join(f"<{m['role']}>{m['content']}" for m in messages)

    def generate_mixed(self, jobs, sampling: Sampling):
        self.calls.append([(request.key, label) for request, label in jobs])
        if self.fail:
            raise RuntimeError("the fake engine fails on purpose")
        return [[self._answer(request, label) for _ in range(sampling.n)] for request, label in jobs]

    def _answer(self, request: Request, label):
        problem = SOLUTIONS[request.key]
        code = problem.reference_solution if label is not None else problem.wrong_solutions[0]
        return Completion(text=fenced(code), finish_reason="stop", prompt_tokens=100, completion_tokens=20)

    def close(self):
        self.closed = True


class FakeEngines:
    """An `EngineFactory` that keeps the engines it made."""

    def __init__(self, fail: bool = False):
        self.made: list[FakeEngine] = []
        self.fail = fail

    def __call__(self, generation, model, model_path, adapters):
        self.made.append(FakeEngine(adapters, self.fail))
        return self.made[-1]
