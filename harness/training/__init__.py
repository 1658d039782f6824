"""Supervised fine-tuning with TRL's `SFTTrainer` and a PEFT LoRA adapter.

Heavy imports (torch, transformers, trl, peft, datasets) happen inside `train`, so the
rest of the harness starts fast.
"""

from __future__ import annotations

from pathlib import Path

from harness.config import RunConfig
from harness.errors import DataError
from harness.problems import Problem
from harness.prompts import training_conversations
from harness.rundir import RunDir


def training_rows(problems: list[Problem], language: str = "python") -> list[dict]:
    """One conversational row per training answer (several per problem where the source has them)."""
    rows = [{"messages": m} for p in problems for m in training_conversations(p, language)]
    if not rows:
        raise DataError("training: no training problem has a conversation or a reference solution")
    return rows


def last_checkpoint(train_dir: Path) -> Path | None:
    """The newest `checkpoint-N` directory, if a previous attempt saved one."""
    checkpoints = [p for p in train_dir.glob("checkpoint-*") if p.name.split("-")[-1].isdigit()]
    return max(checkpoints, key=lambda p: int(p.name.split("-")[-1]), default=None)


def _sft_config(config: RunConfig, run: RunDir, cuda: bool):
    from trl import SFTConfig

    t = config.train
    return SFTConfig(
        output_dir=str(run.train),
        per_device_train_batch_size=t.per_device_batch_size,
        gradient_accumulation_steps=t.gradient_accumulation_steps,
        learning_rate=t.learning_rate,
        lr_scheduler_type=t.lr_scheduler,
        warmup_steps=t.warmup_ratio,  # a float below 1 is a share of the steps
        num_train_epochs=t.num_epochs,
        max_steps=t.max_steps,
        max_length=t.max_length,
        packing=t.packing,
        assistant_only_loss=t.assistant_only_loss,
        bf16=t.bf16 and cuda,
        use_cpu=not cuda,
        gradient_checkpointing=t.gradient_checkpointing,
        logging_steps=t.logging_steps,
        logging_first_step=True,
        save_steps=t.save_steps,
        save_strategy="steps",
        seed=t.seed,
        report_to="none",
        disable_tqdm=True,
    )


def train(config: RunConfig, run: RunDir, problems: list[Problem], model_path: str, progress) -> Path:
    """Fine-tune a LoRA adapter on `problems`; return `train/adapter/`. Resumes from the last checkpoint."""
    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer, PrinterCallback
    from trl import SFTTrainer

    from harness.training.metrics import MetricsJournal, RichProgress

    cuda = torch.cuda.is_available()
    t = config.train
    dtype = torch.bfloat16 if (cuda and t.bf16) else torch.float32
    tokenizer = AutoTokenizer.from_pretrained(model_path)
    model = AutoModelForCausalLM.from_pretrained(model_path, dtype=dtype)
    lora = LoraConfig(
        r=t.lora_r,
        lora_alpha=t.lora_alpha,
        lora_dropout=t.lora_dropout,
        target_modules=list(t.target_modules),
        task_type="CAUSAL_LM",
    )
    trainer = SFTTrainer(
        model=model,
        args=_sft_config(config, run, cuda),
        train_dataset=Dataset.from_list(training_rows(problems, config.generation.language)),
        processing_class=tokenizer,
        peft_config=lora,
        callbacks=[MetricsJournal(run.metrics), RichProgress(progress)],
    )
    trainer.remove_callback(PrinterCallback)  # metrics go to metrics.jsonl and the rich bar, not stdout
    checkpoint = last_checkpoint(run.train)
    trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    trainer.save_model(str(run.adapter))
    return run.adapter
