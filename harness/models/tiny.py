"""Build tiny Qwen3-architecture models and tokenizers locally (CPU).

- `builtin:tiny-qwen3-coder` (the embedded default's model): tokenizer and every parameter
  pre-trained on the toy conversations and standard-library sources of
  `harness.models.pretraining` (never on the bundled problems), so it answers in the harness's
  layout before any LoRA step, and a LoRA can still learn. Seed 0 ships with the package
  (`shipped/`, 2.6 MB, rebuilt by `scripts/build_tiny_model.py --ship`, deterministically on the
  same Python); other seeds are built on first use (minutes) and cached. The cache folder is named by
  a key of the builder version, the corpus, library and plan digests and the seed.
- `builtin:tiny-qwen3`: tokenizer trained on the bundled text, weights randomly initialised;
  seconds to build. What the engine, training and fidelity tests use: they need a model, not a
  good one.

Saved with `save_pretrained` and loaded back through `AutoModelForCausalLM` /
`AutoTokenizer.from_pretrained`: the same path that loads `Qwen/Qwen3-0.6B` from the hub.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path

from harness.models.pretraining.train import PretrainPlan

log = logging.getLogger(__name__)
BUILDER_VERSION = 1  # builtin:tiny-qwen3 (random init)
CODER_VERSION = 2  # builtin:tiny-qwen3-coder (pre-trained; 2: library sources, then a layout phase)
SHIPPED_CODER = Path(__file__).resolve().parent / "shipped" / "tiny-qwen3-coder-s0"
DEFAULT_PLAN = PretrainPlan()
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


def init_model(tokenizer, seed: int):
    """A randomly initialised Qwen3ForCausalLM sized by TINY_SIZES, its init fixed by `seed`."""
    import torch
    from transformers import GenerationConfig, Qwen3Config, Qwen3ForCausalLM

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
    return model


def _save(target: Path, model, tokenizer, record: dict | None = None) -> Path:
    """Save model and tokenizer to `target` atomically (a staging folder, then a rename)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
    model.save_pretrained(staging)
    tokenizer.save_pretrained(staging)
    if record is not None:
        (staging / "pretraining.json").write_text(json.dumps(record, indent=1) + "\n")
    if target.exists():
        shutil.rmtree(staging)  # built by a concurrent process meanwhile
    else:
        os.replace(staging, target)
    return target


def build_tiny_model(target: Path, corpus: list[str], seed: int = 0, vocab_size: int = 2048) -> Path:
    """`builtin:tiny-qwen3`: the tokenizer trained on `corpus`, the model randomly initialised with `seed`."""
    tokenizer = train_tokenizer(corpus, vocab_size)
    return _save(target, init_model(tokenizer, seed), tokenizer)


def build_coder_model(target: Path, corpus: list[list[dict]], library: list[str], seed: int = 0,
                      vocab_size: int = 2048, plan: PretrainPlan = DEFAULT_PLAN) -> Path:
    """`builtin:tiny-qwen3-coder`: tokenizer and all parameters pre-trained on the toy corpus and the library."""
    from harness.models.pretraining.corpus import corpus_texts
    from harness.models.pretraining.train import pretrain

    started = time.monotonic()
    tokenizer = train_tokenizer(corpus_texts(corpus) + library, vocab_size)
    model = init_model(tokenizer, seed)
    losses = pretrain(model, tokenizer, corpus, plan, seed, library) if plan.steps else []
    made_of = recipe(corpus, library, plan, seed, vocab_size)
    record = {**made_of, "key": key_of(made_of), "documents": len(corpus), "library_files": len(library),
              "losses": [round(x, 4) for x in losses], "build_s": round(time.monotonic() - started, 1)}
    return _save(target, model, tokenizer, record)


def bundled_corpus() -> list[str]:
    """Text the random model's tokenizer learns from: bundled statements and solutions in chat layout."""
    from harness.problems.bundled import load_bundled
    from harness.prompts import SYSTEM_PROMPT, training_messages

    texts = [SYSTEM_PROMPT]
    for problem in load_bundled():
        for message in training_messages(problem) or []:
            texts.append(message["content"])
        texts.extend(problem.wrong_solutions)
    return texts


def weights_digest(model_dir: Path) -> str:
    """A hash of every tensor's name, dtype, shape and bytes: equal digests mean bit-identical weights."""
    import torch
    from safetensors import safe_open

    digest = hashlib.sha256()
    with safe_open(str(Path(model_dir) / "model.safetensors"), framework="pt") as weights:
        for name in sorted(weights.keys()):
            tensor = weights.get_tensor(name).contiguous()
            digest.update(f"{name}:{tensor.dtype}:{tuple(tensor.shape)}".encode())
            digest.update(tensor.view(-1).view(dtype=torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def cache_home() -> Path:
    """Where built models live: $HARNESS_HOME or ~/.cache/harness."""
    return Path(os.environ.get("HARNESS_HOME") or Path.home() / ".cache" / "harness")


def tiny_qwen3(seed: int = 0) -> Path:
    """The embedded default model (random init), built once per corpus and seed and cached."""
    corpus = bundled_corpus()
    digest = hashlib.sha256("\0".join(corpus).encode()).hexdigest()[:12]
    target = cache_home() / "models" / f"tiny-qwen3-v{BUILDER_VERSION}-s{seed}-{digest}"
    if not (target / "config.json").exists():
        build_tiny_model(target, corpus, seed=seed)
    return target


def recipe(corpus: list[list[dict]], library: list[str], plan: PretrainPlan, seed: int, vocab_size: int = 2048) -> dict:
    """What the coder model's weights depend on, as digests and settings (and the Python that read the library)."""
    from harness.models.pretraining.corpus import corpus_digest
    from harness.models.pretraining.library import library_digest

    return {"builder_version": CODER_VERSION, "seed": seed, "vocab_size": vocab_size, "sizes": TINY_SIZES,
            "plan": asdict(plan), "corpus": corpus_digest(corpus), "library": library_digest(library),
            "python": sys.version.split()[0]}


def key_of(made_of: dict) -> str:
    """The coder model's cache folder for a `recipe`: builder version, seed and a digest of the rest.

    The digest covers the library's text, not the Python release that supplied it.
    """
    settings = {name: value for name, value in made_of.items() if name != "python"}
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]
    return f"tiny-qwen3-coder-v{made_of['builder_version']}-s{made_of['seed']}-{digest}"


def coder_sources(plan: PretrainPlan = DEFAULT_PLAN) -> tuple[list[list[dict]], list[str]]:
    """The toy conversations and the library texts a coder model is pre-trained on."""
    from harness.models.pretraining.corpus import build_corpus
    from harness.models.pretraining.library import library_texts

    return build_corpus(plan.documents), library_texts()


def tiny_qwen3_coder(seed: int = 0, plan: PretrainPlan = DEFAULT_PLAN) -> Path:
    """`builtin:tiny-qwen3-coder[-sSEED]`: the shipped seed-0 model, else built once per recipe and seed and cached."""
    if seed == 0 and plan == DEFAULT_PLAN and (SHIPPED_CODER / "config.json").exists():
        return SHIPPED_CODER
    corpus, library = coder_sources(plan)
    target = cache_home() / "models" / key_of(recipe(corpus, library, plan, seed))
    if not (target / "config.json").exists():
        log.info("building the tiny coder model (pre-training on %d toy programs and %d library files, minutes): %s",
                 len(corpus), len(library), target)
        build_coder_model(target, corpus, library, seed=seed, plan=plan)
    return target
