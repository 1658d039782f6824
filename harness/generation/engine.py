"""The engine interface: chat prompts in, n completions per prompt out, for the base or an adapter.

`Engine` lists what the evaluation loop calls; `LogprobEngine` adds what the fidelity checks
need (greedy log-probabilities), so a check asks the type, never the engine's name.
`render_prompt` is the one prompt rendering every engine uses.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable


class EngineKind(StrEnum):
    """The engines `generation.engine` can name; each has one builder in `harness.generation.BUILDERS`."""

    AUTO = "auto"  # vLLM where it can be imported, else transformers
    VLLM = "vllm"
    ENDPOINT = "endpoint"
    TRANSFORMERS = "transformers"


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
    messages: list[dict[str, str]]


@dataclass(frozen=True)
class Completion:
    """One sampled completion with its token accounting."""

    text: str
    finish_reason: str  # "stop" or "length" (truncated at max_new_tokens)
    prompt_tokens: int
    completion_tokens: int
    token_logprobs: tuple[tuple[int, float], ...] | None = field(default=None, compare=False)  # when asked for


Job = tuple[Request, str | None]  # a request and its label (None: the base model)


class Engine(Protocol):
    """Anything that samples completions; an adapter is a label given at construction, None for the base."""

    name: str
    settings: dict[str, Any]  # what env.json records about the engine

    def render(self, messages: list[dict[str, str]]) -> str:
        """The prompt text the model sees (chat template applied, generation prompt added)."""
        ...

    def generate_mixed(self, jobs: Sequence[Job], sampling: Sampling) -> list[list[Completion]]:
        """Completions for requests of any labels, in job order; one batch where the engine can."""
        ...

    def close(self) -> None:
        """Release what the engine started (a server); a no-op for in-process engines."""
        ...


@runtime_checkable
class LogprobEngine(Engine, Protocol):
    """An engine that also returns each sampled token's log-probability (what the fidelity checks compare)."""

    def generate_with_logprobs(self, jobs: Sequence[Job], sampling: Sampling) -> list[list[Completion]]:
        """As `generate_mixed`, with `Completion.token_logprobs` filled in."""
        ...


class _ChatTokenizer(Protocol):
    def apply_chat_template(self, conversation: Any, **kwargs: Any) -> Any: ...


def render_prompt(tokenizer: _ChatTokenizer, messages: list[dict[str, str]], chat_template_kwargs: dict[str, Any]) -> str:
    """The model's chat template with the generation prompt and the configured switches (as training used)."""
    return str(tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True,
                                             **chat_template_kwargs))


def request_seed(base_seed: int, key: str) -> int:
    """A per-request seed that depends only on the run's seed and the request key."""
    digest = hashlib.sha256(f"{base_seed}:{key}".encode()).digest()
    return int.from_bytes(digest[:4], "little")
