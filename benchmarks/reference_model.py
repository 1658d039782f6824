"""A randomly initialised model of Qwen3-0.6B's exact architecture, and a tokenizer of its vocabulary size, built locally.

For throughput and memory figures the weights do not matter, the shapes do: hidden 1024,
28 layers, 16 query / 8 key-value heads of 128, MLP 3072, vocabulary 151,936, tied embeddings
(`qwen3-0.6b-architecture.json`: the architecture fields of `Qwen/Qwen3-0.6B`'s config.json).
The tokenizer is a byte-level BPE trained on this Python's standard-library sources (32,768
merges at most), its vocabulary then filled up to 151,936 with `<|reserved_N|>` entries that
no text produces (Qwen3's own vocabulary also holds entries no text produces), so the
embedding and the output layer have Qwen3's size.

Usage: python benchmarks/reference_model.py OUT_DIR [--tiny]   (--tiny: the suite's tiny sizes, for dry runs)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ARCHITECTURE = Path(__file__).resolve().parent / "qwen3-0.6b-architecture.json"
QWEN3_0_6B = {key: value for key, value in json.loads(ARCHITECTURE.read_text()).items() if not key.startswith("_")}
QWEN3_VOCAB = QWEN3_0_6B["vocab_size"]
TOKENIZER_MERGES = 32_768


def build(target: Path, tiny: bool = False, seed: int = 0) -> Path:
    """Save the model (bf16 on disk, as the hub's) and its tokenizer to `target`; return it."""
    import torch
    from transformers import AutoTokenizer, GenerationConfig, Qwen3Config, Qwen3ForCausalLM

    from harness.models.pretraining.library import library_texts
    from harness.models.tiny import TINY_SIZES, train_tokenizer

    target.mkdir(parents=True, exist_ok=True)
    texts = library_texts()
    tokenizer = train_tokenizer(texts[:60] if tiny else texts, 2048 if tiny else TOKENIZER_MERGES)
    vocab_size = len(tokenizer) if tiny else QWEN3_VOCAB
    tokenizer.model_max_length = 8192 if tiny else QWEN3_0_6B["max_position_embeddings"]
    tokenizer.save_pretrained(target)
    if not tiny:
        _fill_vocabulary(target / "tokenizer.json", vocab_size)
        tokenizer = AutoTokenizer.from_pretrained(target)
        assert len(tokenizer) == vocab_size, (len(tokenizer), vocab_size)
    end_ids = tokenizer.convert_tokens_to_ids(["<|im_end|>", "<|endoftext|>"])
    sizes = {**TINY_SIZES, "vocab_size": vocab_size, "tie_word_embeddings": True} if tiny else QWEN3_0_6B
    config = Qwen3Config(bos_token_id=None, eos_token_id=end_ids[0], pad_token_id=end_ids[1],
                         dtype="float32" if tiny else "bfloat16", **sizes)
    torch.manual_seed(seed)
    with torch.device("cuda" if torch.cuda.is_available() else "cpu"):
        model = Qwen3ForCausalLM(config)
    model = model.to(torch.float32 if tiny else torch.bfloat16)
    model.generation_config = GenerationConfig(eos_token_id=end_ids, pad_token_id=end_ids[1])
    model.save_pretrained(target)
    (target / "built.json").write_text(json.dumps({"architecture": "tiny" if tiny else "Qwen3-0.6B", "seed": seed,
                                                   "parameters": sum(p.numel() for p in model.parameters()),
                                                   "vocab_size": vocab_size}, indent=1) + "\n")
    return target


def _fill_vocabulary(tokenizer_json: Path, size: int) -> None:
    """Add `<|reserved_N|>` entries to the BPE vocabulary up to `size` ids (no merge produces them)."""
    state = json.loads(tokenizer_json.read_text())
    vocab = state["model"]["vocab"]
    taken = set(vocab.values()) | {token["id"] for token in state["added_tokens"]}
    for index in range(size):
        if index not in taken:
            vocab[f"<|reserved_{index}|>"] = index
    tokenizer_json.write_text(json.dumps(state, ensure_ascii=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--tiny", action="store_true", help="the suite's tiny sizes (a dry run)")
    args = parser.parse_args()
    print(build(args.out, args.tiny))


if __name__ == "__main__":
    sys.exit(main())
