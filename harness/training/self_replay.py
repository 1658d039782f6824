"""Self-replay: the base model's own answers to other training-side problems, trained on beside the real ones.

A LoRA that learns a few problems by heart rewrites what a small model does everywhere: on the
smoke default, its answers to problems it never saw were junk (no program, 32 of 32) while the
base's were programs that ran. Training it also on what the base itself writes for other
problems holds it to the base where it learns nothing (benchmarks/RESULTS.md: held-out answers
that run went from 0 to 18 of 32, and the 8 learned problems stayed learned).

The answers are sampled once, before the first step, with the run's generation settings and the
training seed, and saved in `train/self_replay.jsonl`: a resumed run trains on the same rows.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from harness.config import GenerationConfig
from harness.problems import Problem
from harness.prompts import generation_messages
from judges.language import Language

log = logging.getLogger(__name__)
BATCH = 8  # prompts sampled together (left-padded)


def replay_rows(path: Path | None, model, tokenizer, problems: tuple[Problem, ...], language: Language,
                sampling: GenerationConfig, seed: int, progress) -> list[dict]:
    """One conversational row per problem: its prompt and the base model's sampled answer; read back when saved.

    `path` None (a distributed run's other ranks): sample, keep nothing.
    """
    if path is not None and path.exists():
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        if [row.get("problem_id") for row in rows] == [p.id for p in problems]:
            return [{"messages": row["messages"]} for row in rows]
        log.warning("training: %s holds other problems than data.replay_problems chooses; sampling again", path)
    rows = sample_answers(model, tokenizer, problems, language, sampling, seed, progress)
    if path is None:
        return [{"messages": row["messages"]} for row in rows]
    tmp = path.with_suffix(".tmp")
    tmp.parent.mkdir(parents=True, exist_ok=True)
    tmp.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    tmp.replace(path)
    return [{"messages": row["messages"]} for row in rows]


def sample_answers(model, tokenizer, problems: tuple[Problem, ...], language: Language,
                   sampling: GenerationConfig, seed: int, progress) -> list[dict]:
    """The base model's answer to each problem's generation prompt, sampled with transformers (the model is loaded)."""
    import torch

    end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else end
    saved_side, tokenizer.padding_side = tokenizer.padding_side, "left"
    if torch.cuda.is_available():
        model.to("cuda")  # the trainer would move it there anyway
    task = progress.add_task("self-replay · base answers", total=len(problems))
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    rows = []
    try:
        for start in range(0, len(problems), BATCH):
            chunk = problems[start:start + BATCH]
            prompts = [generation_messages(p, language) for p in chunk]
            texts = [tokenizer.apply_chat_template(m, add_generation_prompt=True, tokenize=False) for m in prompts]
            encoded = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(model.device)
            greedy = sampling.temperature == 0
            with torch.no_grad():
                out = model.generate(**encoded, max_new_tokens=sampling.max_new_tokens, do_sample=not greedy,
                                     temperature=sampling.temperature if not greedy else None,
                                     top_p=sampling.top_p if not greedy else None,
                                     eos_token_id=end, pad_token_id=pad)
            for problem, messages, ids in zip(chunk, prompts, out[:, encoded["input_ids"].shape[1]:], strict=True):
                answer = tokenizer.decode([i for i in ids.tolist() if i not in (end, pad)])
                rows.append({"problem_id": problem.id, "messages": messages + [{"role": "assistant", "content": answer}]})
            progress.advance(task, len(chunk))
    finally:
        tokenizer.padding_side = saved_side
        torch.random.set_rng_state(generator_state)
    return rows
