"""SFT settings side by side on the same data: the seed's, the project's default, and packing per attention kernel.

- `seed`: padded batches, loss on every token (TRL's defaults for a `messages` dataset, packing off);
- `project`: the project's default (`TrainConfig`): loss on the assistant turn only, padded batches;
- `packed-sdpa`, `packed-flex`, `packed-fa2`: assistant-only, packed best-fit-decreasing padding-free
  batches, attended by SDPA (the packed row's whole attention computed, then masked block by
  block), flex attention or FlashAttention 2 (the masked-out blocks skipped); a kernel the
  installed stack lacks is reported as such, not measured.

Each variant trains the same model from the same initial weights for the same number of
optimizer steps in its own process (so peak memory is its own), then measures the loss on the
assistant tokens of held-apart conversations, the quantity every variant is trying to lower.
Prints one JSON object with every variant and its ratios to `seed`. CPU default: the tiny
Qwen3-architecture model on the bundled problems' conversations. A GPU run (benchmarks/gpu.sh)
passes `--config configs/qwen3-0.6b-codeforces.yaml` (the reference recipe), `--model` a
Qwen3-0.6B-architecture folder and `--lengths` a recorded length distribution.

Usage: python benchmarks/training.py [--steps N] [--batch B] [--variants seed,project,packed-sdpa]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = {
    "seed": ["train.packing=false", "train.assistant_only_loss=false"],
    "project": ["train.packing=false", "train.assistant_only_loss=true"],
    "packed-sdpa": ["train.packing=true", "train.assistant_only_loss=true", "train.attn_implementation=sdpa"],
    "packed-flex": ["train.packing=true", "train.assistant_only_loss=true", "train.attn_implementation=flex_attention"],
    "packed-fa2": ["train.packing=true", "train.assistant_only_loss=true",
                   "train.attn_implementation=flash_attention_2"],
}
HELD_APART = 6


def run_variant(name: str, args: argparse.Namespace) -> dict:
    """Train one variant in this process; return its figures."""
    import resource

    import torch

    from harness.config import load_config
    from harness.models import resolve_model
    from harness.progress import SilentProgress
    from harness.rundir import RunDir
    from harness.training import Training, make_trainer, training_rows

    overrides = [f"model.name_or_path={args.model}", f"train.max_steps={args.steps}", "train.logging_steps=1",
                 "train.save_steps=100000", "train.lr_scheduler=constant", "train.warmup_ratio=0.0",
                 *([f"train.per_device_batch_size={args.batch}"] if args.batch else []),
                 *([f"train.max_length={args.max_length}"] if args.max_length else []),
                 *([f"train.learning_rate={args.lr}"] if args.lr else []), *VARIANTS[name]]
    config = load_config(args.config, overrides)
    model = resolve_model(args.model)
    held_apart, trained_on = _problems(args, config.train, model)
    run = RunDir.prepare(Path(tempfile.mkdtemp()) / name, config, resume=False, overwrite=False)
    torch.manual_seed(0)
    cuda = torch.cuda.is_available()
    training = Training(config.train, config.generation.language, model)
    trainer = make_trainer(training, run, trained_on, SilentProgress())
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    started = time.perf_counter()
    trainer.train()
    if cuda:
        torch.cuda.synchronize()
    seconds = time.perf_counter() - started
    last = [json.loads(line) for line in run.metrics.read_text().splitlines()][-1]
    figures = {
        "steps": args.steps,
        "seconds": round(seconds, 2),
        "attention": trainer.model.config._attn_implementation,
        "real_tokens": last.get("num_tokens"),
        "batch_rows": last.get("rows"),  # packed rows where packing is on
        "tokens_per_s": round(last.get("num_tokens", 0) / seconds, 1),
        "non_pad_fraction": round(1 - last["padding_fraction"], 4),
        "trained_token_fraction": last["trained_token_fraction"],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "assistant_loss_held_apart": _assistant_loss(trainer, training_rows(held_apart)),
    }
    if cuda:
        figures["peak_gpu_allocated_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
        figures["peak_gpu_reserved_mb"] = round(torch.cuda.max_memory_reserved() / 2**20, 1)
    return figures


def _problems(args: argparse.Namespace, train, model: str) -> tuple[list, list]:
    """Held-apart and training problems: the bundled problems' own conversations, or rows drawn from `--lengths`."""
    from harness.problems.bundled import load_bundled

    if args.lengths == "bundled":
        problems = load_bundled()
        return problems[:HELD_APART], problems[HELD_APART:]
    from sft_lengths import draw, problems_of_lengths
    from transformers import AutoTokenizer

    rows = args.steps * (args.batch or train.per_device_batch_size) * train.gradient_accumulation_steps
    lengths, _ = draw(rows + HELD_APART, train.max_length, None if args.lengths == "max" else Path(args.lengths))
    problems = problems_of_lengths(lengths, AutoTokenizer.from_pretrained(model))
    return problems[:HELD_APART], problems[HELD_APART:]


def _assistant_loss(trainer, rows: list[dict]) -> float | None:
    """Mean next-token loss over the assistant turns of `rows` (the chat template's generation mask)."""
    import torch

    tokenizer, model = trainer.processing_class, trainer.model.eval()
    max_length = trainer.args.max_length
    total = count = 0.0
    for row in rows:
        encoded = tokenizer.apply_chat_template(row["messages"], return_dict=True, return_assistant_tokens_mask=True)
        ids = torch.tensor([encoded["input_ids"][:max_length]], device=model.device)
        mask = torch.tensor([encoded["assistant_masks"][:max_length]], device=model.device)
        labels = torch.where(mask == 1, ids, -100)
        with torch.no_grad():
            loss = model(input_ids=ids, labels=labels).loss
        trained = int((labels[:, 1:] != -100).sum())
        total += float(loss) * trained
        count += trained
    return round(total / count, 4) if count else None  # None: every held-apart answer lies past max_length


def _unavailable(name: str) -> str | None:
    """Why a variant's attention kernel cannot run on this stack, or None."""
    import importlib.util

    if name == "packed-fa2" and importlib.util.find_spec("flash_attn") is None:
        return "flash_attention_2 needs the flash-attn package, which is not installed"
    if name == "packed-flex":
        try:
            import torch.nn.attention.flex_attention  # noqa: F401
        except ImportError as exc:
            return f"flex attention is not in this torch: {exc}"
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch", type=int, default=None, help="per-device batch (default: the config's)")
    parser.add_argument("--max-length", type=int, default=None, help="default: the config's")
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--model", default="builtin:tiny-qwen3")
    parser.add_argument("--config", type=Path, default=ROOT / "configs" / "test-tiny.yaml")
    parser.add_argument("--lengths", default="bundled",
                        help="bundled (the bundled problems' conversations), max (every row at max_length), or a "
                             "recorded length file (benchmarks/sft_lengths.py record)")
    parser.add_argument("--variants", default="seed,project,packed-sdpa", help=f"comma-separated, of {list(VARIANTS)}")
    parser.add_argument("--variant", choices=list(VARIANTS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:
        print(json.dumps(run_variant(args.variant, args)))
        return
    passed = [f"--{key.replace('_', '-')}={value}" for key, value in vars(args).items()
              if value is not None and key not in ("variants", "variant")]
    results: dict[str, dict] = {}
    for name in args.variants.split(","):
        if name not in VARIANTS:
            parser.error(f"--variants: unknown variant {name!r}; known: {', '.join(VARIANTS)}")
        reason = _unavailable(name)
        if reason:
            results[name] = {"skipped": reason}
            continue
        out = subprocess.run([sys.executable, __file__, *passed, "--variant", name], capture_output=True, text=True)
        if out.returncode:
            results[name] = {"failed": (out.stderr.strip().splitlines() or ["no output"])[-1]}
        else:
            results[name] = json.loads(out.stdout.strip().splitlines()[-1])
    print(json.dumps(summarise(args, results), indent=2))


def summarise(args: argparse.Namespace, results: dict[str, dict]) -> dict:
    """The variants and each measured one's ratios to `seed`."""
    return {"benchmark": "training", "model": args.model, "config": str(args.config), "lengths": args.lengths,
            "device": "cuda" if _cuda() else "cpu", "variants": results, "ratios_to_seed": ratios_to_seed(results)}


def ratios_to_seed(results: dict[str, dict]) -> dict[str, dict]:
    """Each measured variant's tokens/s, peak memory and real tokens per step over the `seed` variant's."""
    seed = results.get("seed", {})
    ratios = {}
    for name, figures in results.items():
        if name == "seed" or "tokens_per_s" not in figures or "tokens_per_s" not in seed:
            continue
        ratios[name] = {"tokens_per_s": round(figures["tokens_per_s"] / seed["tokens_per_s"], 3),
                        "peak_rss": round(figures["peak_rss_mb"] / seed["peak_rss_mb"], 3),
                        "real_tokens_per_step": round(figures["real_tokens"] / seed["real_tokens"], 3)}
        if "peak_gpu_allocated_mb" in figures:
            ratios[name]["peak_gpu_allocated"] = round(figures["peak_gpu_allocated_mb"] / seed["peak_gpu_allocated_mb"], 3)
    return ratios


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


if __name__ == "__main__":
    sys.exit(main())
