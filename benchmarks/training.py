"""The seed's SFT settings against the project's default, side by side on the same data.

- `seed`: padded batches, loss on every token (TRL's defaults for a `messages` dataset, packing off);
- `project`: loss on the assistant turn only, packed best-fit-decreasing padding-free batches.

Each variant trains the same model from the same initial weights for the same number of
optimizer steps in its own process (so peak memory is its own), then measures the loss on the
assistant tokens of held-apart conversations, the quantity both variants are trying to lower.
Prints one JSON object with both and their ratios. CPU: the tiny Qwen3-architecture model on
the bundled problems (the default); a GPU run with Qwen3-0.6B's architecture is `--model`.

Usage: python benchmarks/training.py [--steps N] [--batch B]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VARIANTS = {
    "seed": ["train.packing=false", "train.assistant_only_loss=false"],
    "project": ["train.packing=true", "train.assistant_only_loss=true"],
}


def run_variant(name: str, steps: int, batch: int, model: str) -> dict:
    """Train one variant in this process; return its figures."""
    import resource

    import torch

    from harness.config import load_config
    from harness.models import resolve_model
    from harness.problems.bundled import load_bundled
    from harness.progress import SilentProgress
    from harness.rundir import RunDir
    from harness.training import Training, make_trainer, training_rows

    overrides = [f"model.name_or_path={model}", f"train.max_steps={steps}", f"train.per_device_batch_size={batch}",
                 "train.logging_steps=1", "train.save_steps=100000", "train.learning_rate=2e-3",
                 "train.lr_scheduler=constant", *VARIANTS[name]]
    config = load_config(Path(__file__).resolve().parent.parent / "configs" / "test-tiny.yaml", overrides)
    problems = load_bundled()
    held_apart, trained_on = problems[:6], problems[6:]
    run = RunDir.prepare(Path(tempfile.mkdtemp()) / name, config, resume=False, overwrite=False)
    torch.manual_seed(0)
    training = Training(config.train, config.generation.language, resolve_model(model))
    trainer = make_trainer(training, run, trained_on, SilentProgress())
    started = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - started
    records = [json.loads(line) for line in run.metrics.read_text().splitlines()]
    return {
        "steps": steps,
        "seconds": round(seconds, 2),
        "real_tokens": records[-1].get("num_tokens"),
        "tokens_per_s": round(records[-1].get("num_tokens", 0) / seconds, 1),
        "non_pad_fraction": round(1 - records[-1]["padding_fraction"], 4),
        "trained_token_fraction": records[-1]["trained_token_fraction"],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "assistant_loss_held_apart": round(_assistant_loss(trainer, training_rows(held_apart)), 4),
    }


def _assistant_loss(trainer, rows: list[dict]) -> float:
    """Mean next-token loss over the assistant turns of `rows` (the chat template's generation mask)."""
    import torch

    tokenizer, model = trainer.processing_class, trainer.model.eval()
    total = count = 0.0
    for row in rows:
        encoded = tokenizer.apply_chat_template(row["messages"], return_dict=True, return_assistant_tokens_mask=True)
        ids = torch.tensor([encoded["input_ids"]])
        labels = torch.where(torch.tensor([encoded["assistant_masks"]]) == 1, ids, -100)
        with torch.no_grad():
            loss = model(input_ids=ids, labels=labels).loss
        trained = int((labels[:, 1:] != -100).sum())
        total += float(loss) * trained
        count += trained
    return total / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--model", default="builtin:tiny-qwen3")
    parser.add_argument("--variant", choices=list(VARIANTS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:
        print(json.dumps(run_variant(args.variant, args.steps, args.batch, args.model)))
        return
    results = {}
    for name in VARIANTS:
        out = subprocess.run([sys.executable, __file__, "--variant", name, "--steps", str(args.steps),
                              "--batch", str(args.batch), "--model", args.model],
                             capture_output=True, text=True, check=True)
        results[name] = json.loads(out.stdout.strip().splitlines()[-1])
    seed, project = results["seed"], results["project"]
    print(json.dumps({
        "benchmark": "training",
        "model": args.model,
        "device": "cuda" if _cuda() else "cpu",
        "variants": results,
        "ratio_tokens_per_s_project_to_seed": round(project["tokens_per_s"] / seed["tokens_per_s"], 3),
        "ratio_peak_rss_project_to_seed": round(project["peak_rss_mb"] / seed["peak_rss_mb"], 3),
        "ratio_real_tokens_per_step_project_to_seed": round(project["real_tokens"] / seed["real_tokens"], 3),
    }, indent=2))


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


if __name__ == "__main__":
    sys.exit(main())
