"""Generation throughput: vLLM against transformers, and one engine for base + K adapters against K+1 runs.

Prints one JSON object; everything measured side by side in one run on the same prompts and
sampling settings. CPU: the tiny Qwen3-architecture model with random-weight LoRA adapters.
`--engines transformers` measures the transformers engine alone (where vLLM is not installed,
as on the GPU check of benchmarks/gpu.sh).

Usage: python benchmarks/generation.py [--problems N] [--samples N] [--tokens N] [--adapters K] [--engines vllm,transformers]
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

    from harness.config import LORA_TARGETS

    adapters = {}
    for index in range(count):
        torch.manual_seed(index)
        model = get_peft_model(AutoModelForCausalLM.from_pretrained(model_path),
                               LoraConfig(r=16, lora_alpha=32, init_lora_weights=False, target_modules=list(LORA_TARGETS)))
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
    parser.add_argument("--engines", default="vllm,transformers", help="comma-separated: vllm, transformers")
    parser.add_argument("--dtype", default="float32", help="the engines' dtype (bfloat16 on a GPU)")
    args = parser.parse_args()
    engines = args.engines.split(",")
    if not set(engines) <= {"vllm", "transformers"} or not engines:
        parser.error(f"--engines: {args.engines!r}: name vllm, transformers or both")

    from harness.generation.engine import Request, Sampling
    from harness.generation.transformers_engine import TransformersEngine
    from harness.models import resolve_model
    from harness.problems.bundled import load_bundled
    from harness.prompts import generation_messages

    model = resolve_model(args.model)
    requests = [Request(p.id, generation_messages(p)) for p in load_bundled()[: args.problems]]
    sampling = Sampling(n=args.samples, temperature=0.8, top_p=0.95, max_new_tokens=args.tokens, seed=0)
    adapters = make_adapters(model, args.adapters, Path(tempfile.mkdtemp()))
    labels = [None, *adapters]
    jobs = [(request, label) for label in labels for request in requests]

    figures: dict = {"benchmark": "generation", "model": args.model, "dtype": args.dtype, "prompts": len(jobs),
                     "labels": len(labels), "samples_per_prompt": args.samples, "max_new_tokens": args.tokens}
    if "transformers" in engines:
        figures["transformers"] = measured(lambda: TransformersEngine(model, adapters, dtype=args.dtype), jobs, sampling)
    if "vllm" in engines:
        from harness.generation.vllm_engine import VLLMEngine

        figures["vllm"] = measured(lambda: VLLMEngine(model, adapters, dtype=args.dtype, max_model_len=4096), jobs,
                                   sampling)
        if "transformers" in engines:
            figures["ratio_output_tokens_per_s_vllm_to_transformers"] = round(
                figures["vllm"]["output_tokens_per_s"] / figures["transformers"]["output_tokens_per_s"], 2)
        # K+1 separate evaluations: a fresh engine per label (load + generate), as without multi-LoRA serving.
        separate = 0.0
        for label in labels:
            started = time.perf_counter()
            engine = VLLMEngine(model, {label: adapters[label]} if label else {}, dtype=args.dtype, max_model_len=4096)
            engine.generate_mixed([(request, label) for request in requests], sampling)
            separate += time.perf_counter() - started
            del engine
        one = figures["vllm"]["load_s"] + figures["vllm"]["generate_s"]
        figures["base_plus_k_adapters"] = {"k": args.adapters, "one_engine_s": round(one, 2),
                                           "separate_engines_s": round(separate, 2),
                                           "ratio_separate_to_one_engine": round(separate / one, 2)}
    print(json.dumps(figures, indent=2))


def measured(build, jobs, sampling) -> dict:
    """Load an engine, generate every job once; its load time, generation time and output tokens/s."""
    import gc

    started = time.perf_counter()
    engine = build()
    load = time.perf_counter() - started
    seconds, tokens = timed_generation(engine, jobs, sampling)
    engine.close()
    del engine
    gc.collect()
    return {"load_s": round(load, 2), "generate_s": round(seconds, 2), "output_tokens": tokens,
            "output_tokens_per_s": round(tokens / seconds, 1)}

if __name__ == "__main__":
    sys.exit(main())
