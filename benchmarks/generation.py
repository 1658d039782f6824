"""Generation throughput: vLLM against transformers, and one engine for base + K adapters against K+1 runs.

Prints one JSON object; everything measured side by side in one run on the same prompts and
sampling settings. CPU: the tiny Qwen3-architecture model with random-weight LoRA adapters.

Usage: python benchmarks/generation.py [--problems N] [--samples N] [--tokens N] [--adapters K]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path


def make_adapters(model_path: str, count: int, folder: Path) -> dict[str, str]:
    """K real PEFT LoRA adapters (r=16, random weights) on the model."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    adapters = {}
    for index in range(count):
        torch.manual_seed(index)
        model = get_peft_model(AutoModelForCausalLM.from_pretrained(model_path),
                               LoraConfig(r=16, lora_alpha=32, init_lora_weights=False,
                                          target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                                                          "down_proj"]))
        model.save_pretrained(folder / f"a{index}")
        adapters[f"a{index}"] = str(folder / f"a{index}")
    return adapters


def timed_generation(engine, jobs, sampling) -> tuple[float, int]:
    started = time.perf_counter()
    rows = engine.generate_mixed(jobs, sampling)
    return time.perf_counter() - started, sum(c.completion_tokens for row in rows for c in row)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=8)
    parser.add_argument("--samples", type=int, default=4)
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--adapters", type=int, default=2)
    parser.add_argument("--model", default="builtin:tiny-qwen3")
    args = parser.parse_args()

    from harness.generation.engine import Request, Sampling
    from harness.generation.transformers_engine import TransformersEngine
    from harness.generation.vllm_engine import VLLMEngine
    from harness.models import resolve_model
    from harness.problems.bundled import load_bundled
    from harness.prompts import generation_messages

    model = resolve_model(args.model)
    requests = [Request(p.id, generation_messages(p)) for p in load_bundled()[: args.problems]]
    sampling = Sampling(n=args.samples, temperature=0.8, top_p=0.95, max_new_tokens=args.tokens, seed=0)
    adapters = make_adapters(model, args.adapters, Path(tempfile.mkdtemp()))
    labels = [None, *adapters]
    jobs = [(request, label) for label in labels for request in requests]

    started = time.perf_counter()
    vllm = VLLMEngine(model, adapters, dtype="float32", max_model_len=4096)
    vllm_load = time.perf_counter() - started
    vllm_s, vllm_tokens = timed_generation(vllm, jobs, sampling)
    started = time.perf_counter()
    hf = TransformersEngine(model, adapters, dtype="float32")
    hf_load = time.perf_counter() - started
    hf_s, hf_tokens = timed_generation(hf, jobs, sampling)
    del hf

    # K+1 separate evaluations: a fresh engine per label (load + generate), as without multi-LoRA serving.
    separate = 0.0
    for label in labels:
        started = time.perf_counter()
        engine = VLLMEngine(model, {label: adapters[label]} if label else {}, dtype="float32", max_model_len=4096)
        engine.generate_mixed([(request, label) for request in requests], sampling)
        separate += time.perf_counter() - started
        del engine
    print(json.dumps({
        "benchmark": "generation",
        "model": args.model,
        "prompts": len(jobs), "samples_per_prompt": args.samples, "max_new_tokens": args.tokens,
        "vllm": {"load_s": round(vllm_load, 2), "generate_s": round(vllm_s, 2), "output_tokens": vllm_tokens,
                 "output_tokens_per_s": round(vllm_tokens / vllm_s, 1)},
        "transformers": {"load_s": round(hf_load, 2), "generate_s": round(hf_s, 2), "output_tokens": hf_tokens,
                         "output_tokens_per_s": round(hf_tokens / hf_s, 1)},
        "ratio_output_tokens_per_s_vllm_to_transformers": round((vllm_tokens / vllm_s) / (hf_tokens / hf_s), 2),
        "base_plus_k_adapters": {"k": args.adapters, "one_engine_s": round(vllm_load + vllm_s, 2),
                                 "separate_engines_s": round(separate, 2),
                                 "ratio_separate_to_one_engine": round(separate / (vllm_load + vllm_s), 2)},
    }, indent=2))


if __name__ == "__main__":
    sys.exit(main())
