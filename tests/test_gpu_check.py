"""The GPU check (benchmarks/gpu.sh) cannot rot between GPU sessions: its CPU dry run runs every step here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

pytestmark = pytest.mark.slow


def cots_rows(count: int) -> list[dict]:
    """codeforces-cots-shaped rows whose traces grow from a few tokens to past the dry run's max_length."""
    rows = []
    for n in range(count):
        answer = f"<think>\n{'step by step ' * (12 * n ** 2)}\n</think>\n\n```python\nprint({n})\n```"
        rows.append({"id": f"{1000 + n}A", "contest_id": str(1000 + n), "index": "A", "title": f"Problem {n}",
                     "description": f"Print {n}.", "input_format": "Nothing.", "output_format": "One integer.",
                     "examples": [{"input": "\n", "output": f"{n}\n"}], "note": "", "time_limit": 1.0,
                     "memory_limit": 256.0, "generation": answer, "finish_reason": "stop",
                     "messages": [{"role": "user", "content": "p"}, {"role": "assistant", "content": answer}]})
    return rows


def test_the_dry_run_runs_every_step_and_reports_each_figure(tmp_path):
    from harness.models import resolve_model

    source = tmp_path / "cots.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in cots_rows(12)))
    lengths = tmp_path / "lengths.json"
    subprocess.run([sys.executable, str(REPO / "benchmarks" / "sft_lengths.py"), "record", str(source),
                    resolve_model("builtin:tiny-qwen3"), str(lengths)], check=True, capture_output=True)
    recorded = json.loads(lengths.read_text())
    assert recorded["rows"] == 12 and len(recorded["percentiles"]) == 101
    assert recorded["percentiles"][0] < 200 < 1024 < recorded["percentiles"][100]

    out = tmp_path / "out"
    done = subprocess.run([str(REPO / "benchmarks" / "gpu.sh"), "--dry-run", str(out), "--lengths", str(lengths),
                           "--work", str(tmp_path / "work")], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads((out / "gpu.json").read_text())
    assert figures == json.loads(done.stdout[done.stdout.index("{"):])
    assert not [name for name, value in figures.items() if isinstance(value, dict) and "failed" in value]
    assert figures["peak"]["skipped"] == "no CUDA device"

    variants = figures["training"]["variants"]
    assert set(variants) == {"seed", "packed-sdpa"}
    seed, packed = variants["seed"], variants["packed-sdpa"]
    assert seed["non_pad_fraction"] < 1.0 == packed["non_pad_fraction"]  # mixed lengths pad; packing does not
    assert seed["trained_token_fraction"] > packed["trained_token_fraction"]  # loss on every token vs the answer
    for variant in (seed, packed):
        assert variant["tokens_per_s"] > 0 and variant["projected_epoch_min"] > 0
        assert variant["mfu_6n"] == pytest.approx(6 * sum(figures["training"]["mfu_counts"][k] for k in
                                                          ("n_base", "n_lora")) * variant["tokens_per_s"] / 989.4e12,
                                                  abs=1e-4)
    epoch = figures["training"]["epoch"]
    assert epoch["rows"] == 9556 and str(source) in epoch["lengths"] and "capped at 1024" in epoch["lengths"]

    generated = figures["generation"]["transformers"]
    assert 0 < generated["output_tokens"] <= 2 * 2 * 8 and generated["output_tokens_per_s"] > 0  # 2 labels × n=2 × 8

    run = figures["end_to_end"]
    assert run["exit_code"] == 0 and run["engine"] == "transformers" and run["sandbox"] == "bwrap"
    assert run["headline"].startswith("On 2 held-out problems")
    assert {label: sum(counts.values()) for label, counts in run["verdicts"].items()} == {"base": 6, "adapter": 6}
    assert run["training_last_step"]["step"] == 2
    assert (out / "report.md").read_text().startswith("# Evaluation report")
    assert sorted(p.name for p in out.iterdir()) == ["gpu.json", "report.md", "steps.log"]  # few files come back
    assert "skipped" in figures["gpu_tests"]["summary"]  # the gpu tier, run for real only where there is one


def test_a_step_past_the_time_budget_is_recorded_and_the_check_still_writes_its_json(tmp_path):
    out = tmp_path / "out"
    done = subprocess.run([str(REPO / "benchmarks" / "gpu.sh"), "--dry-run", str(out), "--budget-s", "8",
                           "--work", str(tmp_path / "work")], capture_output=True, text=True, timeout=300)
    assert done.returncode == 1 and "gpu check: steps failed:" in done.stderr
    figures = json.loads((out / "gpu.json").read_text())
    assert figures["environment"]["cuda"] is False  # what fitted in the budget ran
    training = figures["training"]  # its variants were cut off by the budget, or it never started
    assert "skipped" in training or all(" timed out after " in v["failed"] for v in training["variants"].values())
    assert figures["gpu_tests"] == {"skipped": "the check's time budget was spent", "step_s": 0.0}


def test_the_mfu_parameter_counts_are_qwen3_0_6b_and_its_lora_as_peft_builds_them():
    import torch
    from gpu import LORA_TARGETS, lora_parameters
    from peft import LoraConfig, get_peft_model
    from reference_model import QWEN3_0_6B
    from transformers import Qwen3Config, Qwen3ForCausalLM

    config = Qwen3Config(**QWEN3_0_6B)
    with torch.device("meta"):
        model = Qwen3ForCausalLM(config)
    assert sum(p.numel() for p in model.parameters()) == 596_049_920  # Qwen3-0.6B's published 0.6B (tied)
    lora = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, target_modules=list(LORA_TARGETS)))
    trainable, _ = lora.get_nb_trainable_parameters()
    assert lora_parameters(config.to_dict(), 16) == trainable == 10_092_544


@pytest.mark.gpu
def test_on_a_gpu_the_lora_trains_in_bf16_on_the_device_and_reports_its_peak_memory(tmp_path):
    import torch

    if not torch.cuda.is_available():
        pytest.skip("needs an NVIDIA GPU")
    from harness.config import load_config
    from harness.models import resolve_model
    from harness.problems.bundled import load_bundled
    from harness.progress import SilentProgress
    from harness.rundir import RunDir
    from harness.training import Training, make_trainer

    config = load_config(REPO / "configs" / "test-tiny.yaml", ["train.max_steps=3", "train.logging_steps=1",
                                                              "train.bf16=true", "train.gradient_checkpointing=true"])
    run = RunDir.prepare(tmp_path / "run", config, resume=False, overwrite=False)
    training = Training(config.train, config.generation.language, resolve_model(config.model.name_or_path))
    trainer = make_trainer(training, run, load_bundled()[:4], SilentProgress())
    trainer.train()
    weight = next(p for name, p in trainer.model.named_parameters() if "lora_A" not in name and "lora_B" not in name)
    assert weight.device.type == "cuda" and weight.dtype == torch.bfloat16
    last = json.loads(run.metrics.read_text().splitlines()[-1])
    assert last["step"] == 3 and last["peak_gpu_mem_mb"] > 0 and last["loss"] == last["loss"]  # not NaN
