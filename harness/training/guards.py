"""The seed's troubleshooting list, built in: frozen LoRA, a hidden stop signal, out of memory.

- All LoRA gradients zero for the first steps (a frozen adapter, e.g. a 4-bit model without
  `prepare_model_for_kbit_training`): training stops with a message instead of running for
  hours doing nothing.
- A pad token equal to the end-of-turn token: padded positions are masked from the loss, and a
  collator that masks by token id would mask the stop signal too; warned and recorded.
- Out of memory: the error names the knobs that help.
- A flat loss is flagged by the report (`reports/context.py`), which sees the whole curve.
"""

from __future__ import annotations

import logging

from transformers import TrainerCallback

from harness.config import TrainConfig
from harness.errors import HarnessError

log = logging.getLogger(__name__)


class TrainingError(HarnessError):
    """Training cannot go on usefully; the message says why and what to change."""


class LoraGradientGuard(TrainerCallback):
    """Measures every LoRA tensor's gradient before each optimizer step; aborts if all stay zero.

    `latest` holds the last step's figures, which the metrics journal adds to its record.
    """

    def __init__(self, patience_steps: int = 3) -> None:
        self.patience = patience_steps
        self.zero_steps = 0
        self.latest: dict = {}

    def on_pre_optimizer_step(self, args, state, control, model=None, **kwargs):
        """Norms of the accumulated LoRA gradients of this step."""
        norms = [float(p.grad.detach().float().norm()) if p.grad is not None else 0.0
                 for name, p in model.named_parameters() if p.requires_grad and "lora_" in name]
        if not norms:
            raise TrainingError("training: the model has no trainable LoRA parameters (check train.target_modules)")
        without = sum(n == 0.0 for n in norms)
        self.latest = {"lora_tensors": len(norms), "lora_tensors_without_grad": without,
                       "lora_grad_norm_min": min(norms)}
        if without == len(norms) and state.global_step < self.patience:
            self.zero_steps += 1
            if self.zero_steps >= self.patience:
                raise TrainingError(
                    f"training: every LoRA gradient was 0 for the first {self.patience} steps: the adapter is frozen "
                    "(a quantised model needs prepare_model_for_kbit_training; check that the loss reaches the "
                    "adapter and that train.assistant_only_loss finds assistant tokens)")


def check_pad_token(tokenizer) -> str | None:
    """A warning when padding could hide the end-of-turn token from the loss, else None."""
    if tokenizer.pad_token_id is None:
        return "the tokenizer has no pad token; TRL will use the eos token for padding"
    if tokenizer.pad_token_id == tokenizer.eos_token_id:
        return (f"the pad token equals the eos token ({tokenizer.eos_token!r}): if padding is masked by token id, "
                "the model never learns to stop; use a distinct pad token")
    return None


def out_of_memory_message(t: TrainConfig, device: str) -> str:
    """What to change when a step does not fit in memory."""
    knobs = [f"train.per_device_batch_size (now {t.per_device_batch_size}; raise "
             f"train.gradient_accumulation_steps, now {t.gradient_accumulation_steps}, to keep the effective batch)",
             f"train.max_length (now {t.max_length})"]
    if not t.gradient_checkpointing:
        knobs.append("train.gradient_checkpointing: true")
    return f"training: out of {device} memory; lower " + ", or ".join(knobs)
