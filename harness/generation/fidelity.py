"""Checks that the engine serves what it claims, run before every vLLM evaluation and recorded.

1. Every adapter is live: its greedy outputs on a probe set differ from the base's (tokens or
   log-probabilities). An adapter that loads but changes nothing (zeroed weights, wrong target
   modules) would otherwise be scored as if it had been trained.
2. The base is the base: base requests batched together with adapter requests give the same
   greedy tokens and log-probabilities as base requests alone (see `vllm_engine` for the
   vLLM bug this guards against).
A failure stops the evaluation with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from harness.errors import HarnessError
from harness.generation.engine import Completion, Engine, LogprobEngine, Request, Sampling
from harness.prompts import generation_messages

if TYPE_CHECKING:
    from harness.config import GenerationConfig, ModelConfig
    from harness.problems import Problem

PROBE = Sampling(n=1, temperature=0.0, top_p=1.0, max_new_tokens=8, seed=0)
_LOGPROB_TOLERANCE = 1e-4


class FidelityError(HarnessError):
    """The engine does not serve what it should; evaluating would score the wrong model."""


Signature = tuple[tuple[int, float], ...]


def _signature(completions: list[Completion]) -> Signature:
    completion = completions[0]
    return tuple((token, round(logprob, 6)) for token, logprob in completion.token_logprobs or ())


def _same(a: Signature, b: Signature) -> bool:
    return len(a) == len(b) and all(ta == tb and abs(la - lb) <= _LOGPROB_TOLERANCE for (ta, la), (tb, lb) in zip(a, b,
                                                                                                                 strict=True))


def check(engine: LogprobEngine, requests: list[Request], adapters: list[str]) -> dict[str, Any]:
    """Run both checks on `requests` (a few prompts); raise `FidelityError` on a failure, else return the record."""
    base_alone = [_signature(c) for c in engine.generate_with_logprobs([(r, None) for r in requests], PROBE)]
    mixed_jobs = [(r, None) for r in requests] + [(r, label) for label in adapters for r in requests]
    mixed = [_signature(c) for c in engine.generate_with_logprobs(mixed_jobs, PROBE)]
    base_in_mix = mixed[: len(requests)]
    live: dict[str, bool] = {}
    for index, label in enumerate(adapters):
        rows = mixed[len(requests) * (index + 1) : len(requests) * (index + 2)]
        live[label] = any(not _same(a, b) for a, b in zip(base_alone, rows, strict=True))
    record: dict[str, Any] = {"probe_prompts": len(requests), "probe_tokens": PROBE.max_new_tokens,
                              "base_is_base": all(_same(a, b) for a, b in zip(base_alone, base_in_mix, strict=True)),
                              "adapter_live": live}
    if not record["base_is_base"]:
        raise FidelityError("fidelity: base requests batched with adapter requests do not give the base model's output "
                            "(vLLM LoRA slot bug, vllm#48421): keep max_loras above the number of adapters")
    dead = [label for label, live in record["adapter_live"].items() if not live]
    if dead:
        raise FidelityError(f"fidelity: adapter(s) {', '.join(dead)} change nothing: their greedy outputs and "
                            "log-probabilities equal the base model's (zero LoRA weights? wrong target modules?)")
    return record


def agrees_with_transformers(engine: Engine, reference: Engine, requests: list[Request],
                             adapters: list[str]) -> dict[str, float]:
    """Optional check 3: greedy texts of the vLLM engine equal a transformers + PEFT engine's on the probe set.

    `reference` is a `TransformersEngine` over the same model and adapters. Exact equality holds
    in float32 on small models; in bf16 a few differing tokens are expected, so the record keeps
    the share of agreeing prompts per label rather than stopping the run.
    """
    record: dict[str, float] = {}
    for label in [None, *adapters]:
        jobs = [(request, label) for request in requests]
        ours = [row[0].text for row in engine.generate_mixed(jobs, PROBE)]
        theirs = [row[0].text for row in reference.generate_mixed(jobs, PROBE)]
        record[label or "base"] = sum(a == b for a, b in zip(ours, theirs, strict=True)) / len(requests)
    return record


def before_evaluation(engine: Engine, generation: GenerationConfig, model: ModelConfig, model_path: str,
                      adapters: Mapping[str, str], problems: Sequence[Problem]) -> dict[str, Any] | None:
    """The checks a run asks for, on its first three problems; None where they do not apply.

    Checks 1 and 2 need an engine that gives log-probabilities, and adapters to check.
    """
    if not isinstance(engine, LogprobEngine) or not adapters:
        return None
    probe = [Request(p.id, generation_messages(p, generation.language)) for p in problems[:3]]
    record = check(engine, probe, list(adapters))
    if generation.check_against_transformers:
        from harness.generation.transformers_engine import TransformersEngine

        reference = TransformersEngine(model_path, adapters, dtype=model.dtype,
                                       chat_template_kwargs={"enable_thinking": model.enable_thinking})
        record["transformers_agreement"] = agrees_with_transformers(engine, reference, probe, list(adapters))
    return record
