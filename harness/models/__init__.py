"""Resolve a model name to something `from_pretrained` loads: a hub id or a local directory."""

from __future__ import annotations

from enum import StrEnum

from harness.errors import ConfigError


class Dtype(StrEnum):
    """Weights dtypes a model can be loaded in (`model.dtype`); `auto` is bf16 on a GPU, fp32 on a CPU."""

    AUTO = "auto"
    FLOAT32 = "float32"
    BFLOAT16 = "bfloat16"
    FLOAT16 = "float16"

BUILTIN_PREFIX = "builtin:"


def resolve_model(name_or_path: str) -> str:
    """`builtin:tiny-qwen3[-coder][-sSEED]` builds (once) a tiny local model; anything else passes through."""
    if not name_or_path.startswith(BUILTIN_PREFIX):
        return name_or_path
    name = name_or_path[len(BUILTIN_PREFIX) :]
    base, _, seed = name.partition("-s")
    if base not in ("tiny-qwen3", "tiny-qwen3-coder") or (seed and not seed.isdigit()):
        raise ConfigError(f"model.name_or_path: unknown builtin model '{name}' (known: tiny-qwen3, tiny-qwen3-coder)")
    from harness.models.tiny import tiny_qwen3, tiny_qwen3_coder

    return str((tiny_qwen3_coder if base == "tiny-qwen3-coder" else tiny_qwen3)(seed=int(seed or 0)))

