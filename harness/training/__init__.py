"""Supervised fine-tuning with TRL's `SFTTrainer` and a PEFT LoRA adapter.

Heavy imports (torch, transformers, trl, peft, datasets) happen inside `train`, so the
rest of the harness starts fast.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from harness.checkpoints import last_resumable
from harness.config import GenerationConfig, TrainConfig
from harness.distributed import is_main, world_size
from harness.errors import DataError, HarnessError
from harness.problems import Problem
from harness.prompts import training_conversations
from harness.rundir import RunDir
from judges.language import Language

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Training:
    """What training needs, and nothing more: the train section, the language of the answers, the model to tune."""

    train: TrainConfig
    language: Language
    model_path: str  # resolved (a local folder or a hub name), the one generation loads too
    replay: tuple[Problem, ...] = ()  # data.replay_problems: their rows are the base model's own answers
    sampling: GenerationConfig | None = None  # how those answers are sampled (the run's generation settings)


def training_rows(problems: list[Problem], language: Language = Language.PYTHON) -> list[dict]:
    """One conversational row per training answer (several per problem where the source has them)."""
    rows = [{"messages": m} for p in problems for m in training_conversations(p, language)]
    if not rows:
        raise DataError("training: no training problem has a conversation or a reference solution")
    return rows


def _sft_config(t: TrainConfig, output_dir: Path, cuda: bool):
    from trl import SFTConfig

    return SFTConfig(
        output_dir=str(output_dir),
        per_device_train_batch_size=t.per_device_batch_size,
        gradient_accumulation_steps=t.gradient_accumulation_steps,
        learning_rate=t.learning_rate,
        lr_scheduler_type=t.lr_scheduler,
        warmup_steps=t.warmup_ratio,  # a float below 1 is a share of the steps
        num_train_epochs=t.num_epochs,
        max_steps=t.max_steps,
        max_length=t.max_length,
        packing=t.packing,
        packing_strategy="bfd",  # with packing: best-fit decreasing, padding-free batches
        assistant_only_loss=t.assistant_only_loss,
        bf16=t.bf16 and cuda,
        use_cpu=not cuda,
        gradient_checkpointing=t.gradient_checkpointing,
        logging_steps=t.logging_steps,
        logging_first_step=True,
        save_steps=t.save_steps,
        save_strategy="steps",
        seed=t.seed,
        report_to=list(t.report_to),
        eval_strategy="steps" if t.eval_fraction else "no",
        eval_steps=t.logging_steps,
        use_liger_kernel=t.use_liger_kernel,
        torch_compile=t.torch_compile,
        disable_tqdm=True,
    )


def _datasets(training: Training, problems: list[Problem], replayed: list[dict]):
    """Training rows (self-replay rows added), and eval rows from a share of the problems (by problem, never by row)."""
    from datasets import Dataset

    from harness.problems.split import rank

    language, t = training.language, training.train
    if not t.eval_fraction:
        return Dataset.from_list(training_rows(problems, language) + replayed), None
    ordered = sorted(problems, key=lambda p: rank(p.id, t.seed))
    count = max(1, round(len(ordered) * t.eval_fraction))
    return (Dataset.from_list(training_rows(ordered[count:], language) + replayed),
            Dataset.from_list(training_rows(ordered[:count], language)))


def train(training: Training, run: RunDir, problems: list[Problem], progress) -> Path:
    """Fine-tune a LoRA adapter on `problems`; return `train/adapter/`. Resumes from the last checkpoint.

    Of the run directory it writes only `train/`: checkpoints, metrics, diagnostics, the adapter.
    """
    import torch

    from harness.training.guards import TrainingError, out_of_memory_message

    trainer = make_trainer(training, run, problems, progress)
    checkpoint = last_resumable(run.train)  # a checkpoint cut off while saving is never resumed from
    try:
        trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    except torch.OutOfMemoryError:
        device = "GPU" if torch.cuda.is_available() else "CPU"
        raise TrainingError(out_of_memory_message(training.train, device)) from None
    trainer.save_model(str(run.adapter))
    return run.adapter


def make_trainer(training: Training, run: RunDir, problems: list[Problem], progress):
    """The SFTTrainer with a PEFT LoRA model, the token counter, the gradient guard and the metrics journal."""
    import torch
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer, PrinterCallback
    from trl import SFTTrainer

    from harness.training.guards import LoraGradientGuard, check_pad_token
    from harness.training.metrics import MetricsJournal, RichProgress, TokenCounter

    cuda = torch.cuda.is_available()
    t, model_path = training.train, training.model_path
    dtype = torch.bfloat16 if (cuda and t.bf16) else torch.float32
    tokenizer = AutoTokenizer.from_pretrained(model_path)
    warning = check_pad_token(tokenizer)
    if is_main():
        if warning:
            log.warning("training: %s", warning)
        run.write_json(run.train / "diagnostics.json", {"pad_token_warning": warning, "world_size": world_size()})
    model = AutoModelForCausalLM.from_pretrained(model_path, dtype=dtype, attn_implementation=t.attn_implementation or None)
    lora = LoraConfig(
        r=t.lora_r,
        lora_alpha=t.lora_alpha,
        lora_dropout=t.lora_dropout,
        target_modules=list(t.target_modules),
        task_type="CAUSAL_LM",
    )
    replayed = []
    if training.replay:
        from harness.training.self_replay import replay_rows

        assert training.sampling is not None
        saved = run.train / "self_replay.jsonl" if is_main() else None  # other ranks sample the same rows (same seed)
        replayed = replay_rows(saved, model, tokenizer, training.replay, training.language, training.sampling, t.seed,
                               progress)
    train_rows, eval_rows = _datasets(training, problems, replayed)
    guard = LoraGradientGuard(t.zero_grad_patience)
    trainer = SFTTrainer(
        model=model,
        args=_sft_config(t, run.train, cuda),
        train_dataset=train_rows,
        eval_dataset=eval_rows,
        processing_class=tokenizer,
        peft_config=lora,
        callbacks=[guard, RichProgress(progress)],
    )
    if t.assistant_only_loss and len(trainer.train_dataset) == 0:
        raise DataError(f"train.max_length {t.max_length}: every training conversation's answer starts past it, so "
                        "no token is left to train on; raise train.max_length")
    counter = TokenCounter(trainer.data_collator)
    trainer.data_collator = counter
    trainer.add_callback(MetricsJournal(run.metrics, extras=(counter, guard)))
    trainer.remove_callback(PrinterCallback)  # metrics go to metrics.jsonl and the rich bar, not stdout
    return trainer


def push_adapter(adapter: Path, repo_id: str) -> str:
    """Upload a trained adapter folder to the hub (as the seed's `--push-to-hub`); return the repo URL."""
    from huggingface_hub import HfApi

    api = HfApi()
    try:
        api.create_repo(repo_id, exist_ok=True)
        api.upload_folder(folder_path=str(adapter), repo_id=repo_id, commit_message="LoRA adapter from harness")
    except Exception as exc:  # noqa: BLE001 - network, auth, permissions: one line for the user
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise HarnessError(f"--push-to-hub {repo_id}: could not upload {adapter}: {reason}") from None
    return f"https://huggingface.co/{repo_id}"
