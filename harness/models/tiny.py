"""Build a tiny Qwen3-architecture model and tokenizer locally (random init, CPU, seconds).

Saved with `save_pretrained` and loaded back through `AutoModelForCausalLM` /
`AutoTokenizer.from_pretrained`: the same path that loads `Qwen/Qwen3-0.6B` from the hub.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

BUILDER_VERSION = 1
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
THINK_TOKENS = ["<think>", "</think>"]
TINY_SIZES = dict(
    hidden_size=128,
    intermediate_size=384,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    head_dim=32,  # vLLM's CPU attention rejects head_dim 16
    max_position_embeddings=8192,
)


def train_tokenizer(corpus: Iterable[str], vocab_size: int):
    """A byte-level BPE trained on `corpus`, wrapped as a transformers fast tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    from harness.models.chat_template import QWEN3_STYLE_TEMPLATE

    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS + THINK_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    core.train_from_iterator(corpus, trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=["<|im_start|>"],
        padding_side="left",
        model_max_length=TINY_SIZES["max_position_embeddings"],
    )
    tokenizer.add_tokens(THINK_TOKENS)  # plain added tokens: they survive skip_special_tokens
    tokenizer.chat_template = QWEN3_STYLE_TEMPLATE
    return tokenizer


def build_tiny_model(target: Path, corpus: list[str], seed: int = 0, vocab_size: int = 2048) -> Path:
    """Train the tokenizer, init the model with `seed`, save both to `target` (atomically)."""
    import torch
    from transformers import GenerationConfig, Qwen3Config, Qwen3ForCausalLM

    tokenizer = train_tokenizer(corpus, vocab_size)
    end_ids = tokenizer.convert_tokens_to_ids(["<|im_end|>", "<|endoftext|>"])
    config = Qwen3Config(
        vocab_size=len(tokenizer),
        tie_word_embeddings=True,
        rope_theta=1_000_000.0,
        bos_token_id=None,
        eos_token_id=end_ids[0],
        pad_token_id=end_ids[1],
        dtype="float32",
        **TINY_SIZES,
    )
    torch.manual_seed(seed)
    model = Qwen3ForCausalLM(config)
    model.generation_config = GenerationConfig(eos_token_id=end_ids, pad_token_id=end_ids[1])
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
    model.save_pretrained(staging)
    tokenizer.save_pretrained(staging)
    if target.exists():
        shutil.rmtree(staging)  # built by a concurrent process meanwhile
    else:
        os.replace(staging, target)
    return target


def bundled_corpus() -> list[str]:
    """Text the tokenizer learns from: bundled statements and solutions in chat layout."""
    from harness.problems.bundled import load_bundled
    from harness.prompts import SYSTEM_PROMPT, training_messages

    texts = [SYSTEM_PROMPT]
    for problem in load_bundled():
        for message in training_messages(problem) or []:
            texts.append(message["content"])
        texts.extend(problem.wrong_solutions)
    return texts


def cache_home() -> Path:
    """Where built models live: $HARNESS_HOME or ~/.cache/harness."""
    return Path(os.environ.get("HARNESS_HOME") or Path.home() / ".cache" / "harness")


def tiny_qwen3(seed: int = 0) -> Path:
    """The embedded default model, built once per corpus and seed and cached."""
    corpus = bundled_corpus()
    digest = hashlib.sha256("\0".join(corpus).encode()).hexdigest()[:12]
    target = cache_home() / "models" / f"tiny-qwen3-v{BUILDER_VERSION}-s{seed}-{digest}"
    if not (target / "config.json").exists():
        build_tiny_model(target, corpus, seed=seed)
    return target
