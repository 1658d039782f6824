"""The engine interface: chat prompts in, n completions per prompt out, for the base or an adapter."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Sampling:
    """Sampling settings shared by every engine."""

    n: int
    temperature: float
    top_p: float
    max_new_tokens: int
    seed: int


@dataclass(frozen=True)
class Request:
    """One chat prompt; `key` (the problem id) seeds its samples so reruns reproduce them."""

    key: str
    messages: list[dict]


@dataclass(frozen=True)
class Completion:
    """One sampled completion with its token accounting."""

    text: str
    finish_reason: str  # "stop" or "length" (truncated at max_new_tokens)
    prompt_tokens: int
    completion_tokens: int
    token_logprobs: tuple[tuple[int, float], ...] | None = field(default=None, compare=False)  # when asked for


class Engine(Protocol):
    """Anything that samples completions; `adapter` is a label given at construction, None for the base."""

    name: str
    settings: dict  # what env.json records about the engine

    def render(self, messages: list[dict]) -> str:
        """The prompt text the model sees (chat template applied, generation prompt added)."""
        ...

    def generate(self, requests: Sequence[Request], sampling: Sampling, adapter: str | None) -> list[list[Completion]]:
        """`sampling.n` completions for each request, in request order."""
        ...

    def generate_mixed(self, jobs: Sequence[tuple[Request, str | None]], sampling: Sampling) -> list[list[Completion]]:
        """Completions for requests of any labels (None: the base), in job order; one batch where the engine can."""
        ...

    def close(self) -> None:
        """Release what the engine started (a server); a no-op for in-process engines."""
        ...


def request_seed(base_seed: int, key: str) -> int:
    """A per-request seed that depends only on the run's seed and the request key."""
    digest = hashlib.sha256(f"{base_seed}:{key}".encode()).digest()
    return int.from_bytes(digest[:4], "little")
