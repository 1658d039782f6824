"""Trainer callbacks: every logged step to `train/metrics.jsonl`, and a rich progress bar."""

from __future__ import annotations

import time
from pathlib import Path

from transformers import TrainerCallback

from harness.journal import Journal

# Keys the trainer logs that describe the whole run, not a step.
_SUMMARY_KEYS = {"train_runtime", "train_samples_per_second", "train_steps_per_second", "train_loss"}


class TokenCounter:
    """Wraps the trainer's data collator to count real, padding and trained tokens of every batch.

    Padding wastes compute; this measures how much on the run's own length distribution
    (zero with packing / padding-free batches).
    """

    def __init__(self, collator) -> None:
        self.collator = collator
        self.real = self.padded = self.trained = self.rows = 0

    def __call__(self, examples):
        """Collate as the wrapped collator does, counting on the way."""
        batch = self.collator(examples)
        self.rows += len(examples)  # packed rows where packing is on
        ids = batch["input_ids"]
        mask = batch.get("attention_mask")
        real = int(mask.sum()) if mask is not None else int(ids.numel())
        self.real += real
        self.padded += int(ids.numel()) - real
        labels = batch.get("labels")
        self.trained += int((labels != -100).sum()) if labels is not None else real
        return batch

    def figures(self) -> dict:
        """Cumulative counts for the metrics record."""
        total = self.real + self.padded
        return {"rows": self.rows,
                "padding_fraction": round(self.padded / total, 4) if total else 0.0,
                "trained_token_fraction": round(self.trained / total, 4) if total else 0.0}


class MetricsJournal(TrainerCallback):
    """Append one record per logged step; on resume, drop records past the restored step."""

    def __init__(self, path: Path, extras=()):
        self.journal = Journal(path)
        self.extras = extras  # objects with `figures()` or `latest`, merged into every record
        self._last_time: float | None = None
        self._last_tokens: float | None = None

    def on_train_begin(self, args, state, control, **kwargs):
        """Trim records a crashed run logged after its last checkpoint, so steps never repeat."""
        if not args.process_index == 0:
            return
        kept = [r for r in self.journal.read() if r.get("step", 0) <= state.global_step]
        if self.journal.path.exists():
            self.journal.path.unlink()
        if kept:
            self.journal.append_many(kept)
        self._last_time = time.monotonic()
        self._last_tokens = kept[-1].get("num_tokens") if kept else 0.0

    def on_log(self, args, state, control, logs=None, **kwargs):
        """Write a step record: the trainer's numbers plus throughput and peak memory."""
        if not logs or _SUMMARY_KEYS & set(logs) or not state.is_world_process_zero:
            return
        record = {"step": state.global_step, "epoch": round(state.epoch or 0.0, 4)}
        record.update({k: v for k, v in logs.items() if isinstance(v, (int, float))})
        now = time.monotonic()
        tokens = logs.get("num_tokens")
        if tokens is not None and self._last_time is not None and now > self._last_time:
            record["tokens_per_s"] = round((tokens - (self._last_tokens or 0.0)) / (now - self._last_time), 2)
            self._last_tokens = tokens
        self._last_time = now
        record.update(_peak_memory())
        for extra in self.extras:
            record.update(extra.figures() if hasattr(extra, "figures") else extra.latest)
        self.journal.append(record)


def _peak_memory() -> dict:
    import resource

    import torch

    memory = {"peak_cpu_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    if torch.cuda.is_available():
        memory["peak_gpu_mem_mb"] = round(torch.cuda.max_memory_allocated() / (1 << 20), 1)
    return memory


class RichProgress(TrainerCallback):
    """Drive a rich progress task from the trainer's step events, showing the latest loss."""

    def __init__(self, progress):
        self.progress = progress
        self.task = None

    def on_train_begin(self, args, state, control, **kwargs):
        """Create the task once the trainer knows its step count."""
        if state.is_world_process_zero:
            self.task = self.progress.add_task("training", total=state.max_steps, completed=state.global_step)

    def on_step_end(self, args, state, control, **kwargs):
        """Advance to the trainer's step."""
        if self.task is not None:
            self.progress.update(self.task, completed=state.global_step)

    def on_log(self, args, state, control, logs=None, **kwargs):
        """Show the latest loss in the description."""
        if self.task is not None and logs and "loss" in logs:
            self.progress.update(self.task, description=f"training (loss {logs['loss']:.3f})")
