"""Full-parameter pre-training of the tiny model on the toy corpus: a plain, seeded torch loop on the CPU.

Not TRL: the build must be bit-for-bit repeatable, so the loop owns every source of randomness
(the init seed, the seeded `random.Random`, a fixed thread count) and nothing else runs.
Conversations are tokenized the way generation sees them (the prompt through the chat template
with the generation prompt, then the reply), packed into fixed blocks so that every position up
to the block length is trained, and only reply tokens carry loss. Library sources are packed the
same way with every token trained. Two phases: first each block of a batch comes from the library
with probability `library_share` (Python in general: what makes the model adaptable), then, for
the last `layout_steps`, from the conversations only (the answer layout).
"""

from __future__ import annotations

import contextlib
import logging
import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass

log = logging.getLogger(__name__)
IGNORE = -100


@dataclass(frozen=True)
class PretrainPlan:
    """How much pre-training the builder does; part of the cached model's name."""

    documents: int = 3000  # toy conversations in the corpus (about 0.8M tokens, a third of them reply tokens)
    steps: int = 1000  # optimizer steps (about 4 minutes on 2 cores)
    library_share: float = 0.5  # of the first phase's blocks, the share cut from library sources
    layout_steps: int = 500  # the last steps, on the toy conversations only
    batch_size: int = 8  # blocks per step
    block: int = 512  # tokens per block; packing puts replies at every position, so bundled prompts still fit
    learning_rate: float = 4e-3
    warmup_steps: int = 10
    threads: int = 2  # fixed, so the float sums and therefore the weights do not depend on the machine's core count


def encode_conversation(tokenizer, messages: list[dict]) -> tuple[list[int], list[int]]:
    """Token ids and labels of one conversation: the prompt as at generation (no loss), then the reply."""
    prompt = tokenizer.apply_chat_template(messages[:-1], add_generation_prompt=True, tokenize=False)
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    reply_ids = tokenizer(messages[-1]["content"] + "<|im_end|>", add_special_tokens=False)["input_ids"]
    newline = tokenizer("\n", add_special_tokens=False)["input_ids"]
    ids = prompt_ids + reply_ids + newline
    return ids, [IGNORE] * len(prompt_ids) + reply_ids + [IGNORE] * len(newline)


def pack(encoded: list[tuple[list[int], list[int]]], block: int, rng: random.Random) -> list[tuple[list, list]]:
    """Shuffle the conversations, concatenate them and cut the stream into blocks of `block` tokens."""
    order = list(range(len(encoded)))
    rng.shuffle(order)
    ids, labels = [], []
    for index in order:
        ids += encoded[index][0]
        labels += encoded[index][1]
    return [(ids[i:i + block], labels[i:i + block]) for i in range(0, len(ids) - block + 1, block)]


def pack_texts(tokenizer, texts: Sequence[str], block: int) -> list[tuple[list, list]]:
    """Plain texts one after another, each closed by <|endoftext|>, cut into blocks trained on every token."""
    end = tokenizer.convert_tokens_to_ids("<|endoftext|>")
    ids: list[int] = []
    for encoding in tokenizer.backend_tokenizer.encode_batch(list(texts), add_special_tokens=False):
        ids += encoding.ids + [end]
    return [(ids[i:i + block], ids[i:i + block]) for i in range(0, len(ids) - block + 1, block)]


def learning_rate(plan: PretrainPlan, step: int) -> float:
    """Linear warm-up, then cosine decay to a tenth of the peak."""
    if step < plan.warmup_steps:
        return plan.learning_rate * (step + 1) / plan.warmup_steps
    progress = (step - plan.warmup_steps) / max(1, plan.steps - plan.warmup_steps)
    return plan.learning_rate * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


@contextlib.contextmanager
def fixed_threads(count: int):
    """Run torch with exactly `count` intra-op threads, then restore the caller's setting."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def batches(conversations: list[tuple[list, list]], library: list[tuple[list, list]], plan: PretrainPlan,
            rng: random.Random):
    """`plan.steps` batches of blocks drawn at random; library blocks only before the layout phase."""
    import torch

    for step in range(plan.steps):
        share = plan.library_share if library and step < plan.steps - plan.layout_steps else 0.0
        chosen = [rng.choice(library) if rng.random() < share else rng.choice(conversations)
                  for _ in range(plan.batch_size)]
        yield torch.tensor([ids for ids, _ in chosen]), torch.tensor([labels for _, labels in chosen])


def reply_loss(model, ids, labels):
    """Next-token cross-entropy on the reply tokens only; the vocabulary projection runs on those positions alone."""
    import torch

    hidden = model.model(input_ids=ids).last_hidden_state[:, :-1]
    targets = labels[:, 1:]
    keep = targets != IGNORE
    return torch.nn.functional.cross_entropy(model.lm_head(hidden[keep]), targets[keep])


def pretrain(model, tokenizer, corpus: list[list[dict]], plan: PretrainPlan, seed: int,
             library: Sequence[str] = ()) -> list[float]:
    """Train every parameter of `model` on the corpus's replies and the library's text; the loss of each step."""
    import torch

    rng = random.Random(seed)
    blocks = pack([encode_conversation(tokenizer, messages) for messages in corpus], plan.block, rng)
    library_blocks = pack_texts(tokenizer, library, plan.block) if library else []
    optimizer = torch.optim.AdamW(model.parameters(), lr=plan.learning_rate, betas=(0.9, 0.95), weight_decay=0.01)
    losses, started = [], time.monotonic()
    model.train()
    with fixed_threads(plan.threads):
        for step, (ids, labels) in enumerate(batches(blocks, library_blocks, plan, rng)):
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(plan, step)
            loss = reply_loss(model, ids, labels)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            losses.append(loss.item())
            if step % 10 == 0 or step == plan.steps - 1:
                log.info("tiny model pre-training: step %d/%d loss %.3f (%.0f s)", step + 1, plan.steps, losses[-1],
                         time.monotonic() - started)
    model.eval()
    return losses
