"""Generation engines behind one `Engine` protocol, chosen by `generation.engine`."""

from __future__ import annotations

from collections.abc import Mapping

from harness.config import RunConfig
from harness.generation.engine import Completion, Engine, Request, Sampling, request_seed


def make_engine(config: RunConfig, model_path: str, adapters: Mapping[str, str]) -> Engine:
    """Build the configured engine with the base model and every adapter loaded once."""
    kwargs = {"enable_thinking": config.model.enable_thinking}
    # 'auto' picks the transformers engine until the vLLM engine lands.
    from harness.generation.transformers_engine import TransformersEngine

    return TransformersEngine(model_path, adapters, dtype=config.model.dtype, chat_template_kwargs=kwargs)


def sampling_from(config: RunConfig) -> Sampling:
    """The run's sampling settings."""
    g = config.generation
    return Sampling(n=g.samples, temperature=g.temperature, top_p=g.top_p, max_new_tokens=g.max_new_tokens, seed=g.seed)


__all__ = ["Completion", "Engine", "Request", "Sampling", "make_engine", "request_seed", "sampling_from"]
