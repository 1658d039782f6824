"""Training conversations whose token lengths follow a recorded distribution: the SFT benchmarks' data.

Padding and packing costs depend on the length distribution, so throughput is measured on
sequences as long as the real dataset's. `record` measures that distribution once (it needs
the hub: codeforces-cots rows rendered with the model's chat template, in tokens) and writes it
as percentiles; `draw` samples lengths from such a file; `problems_of_lengths` makes one training
conversation of each length (a bundled problem's prompt, an assistant turn of standard-library
text in `<think>` and a Python fence), which then goes through the harness's own SFT path.

Record: python benchmarks/sft_lengths.py record open-r1/codeforces-cots:solutions_py@train TOKENIZER OUT.json
"""

from __future__ import annotations

import argparse
import datetime
import json
import random
import sys
from pathlib import Path

# codeforces-cots `solutions_py` (the reference recipe's training set): 9,556 rows, one per problem
# (the dataset card; the subset is "Python solutions with just one completion per problem").
SOLUTIONS_PY_ROWS = 9_556


def record(source: str, tokenizer_path: str, out: Path) -> dict:
    """Percentiles of the token lengths of every training conversation of `source`; written to `out`."""
    import numpy as np
    from transformers import AutoTokenizer

    from harness.problems import load_source
    from harness.prompts import training_conversations

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_path)
    problems = load_source(source).problems
    lengths = [_tokens(tokenizer, m) for p in problems for m in training_conversations(p)]
    figures = {"source": source, "tokenizer": tokenizer_path, "rows": len(lengths),
               "recorded": datetime.date.today().isoformat(),
               "percentiles": [int(v) for v in np.percentile(lengths, range(101))]}
    out.write_text(json.dumps(figures, indent=1) + "\n")
    return figures


def draw(count: int, max_length: int, lengths_file: Path | None, seed: int = 0) -> tuple[list[int], str]:
    """`count` lengths capped at `max_length`, and a line saying where they come from.

    From a recorded file: uniform between neighbouring percentiles. Without one: every row at
    `max_length`, an upper bound on the tokens of an epoch, said so in the line.
    """
    rng = random.Random(seed)
    if lengths_file is None:
        return [max_length] * count, f"no recorded distribution: every row at max_length {max_length} (an upper bound)"
    recorded = json.loads(lengths_file.read_text())
    cuts = recorded["percentiles"]
    drawn = []
    for _ in range(count):
        at = rng.random() * (len(cuts) - 1)
        low, high = cuts[int(at)], cuts[min(int(at) + 1, len(cuts) - 1)]
        drawn.append(min(max_length, int(low + (high - low) * (at - int(at)))))
    capped = sum(length == max_length for length in drawn)
    return drawn, (f"{recorded['source']} ({recorded['rows']} rows, {recorded['tokenizer']} tokens, recorded "
                   f"{recorded['recorded']}), capped at {max_length}: {capped} of {count} drawn rows capped")


def problems_of_lengths(lengths: list[int], tokenizer) -> list:
    """One training problem per length: a bundled prompt and an assistant turn filling it to about that many tokens."""
    from dataclasses import replace

    from harness.models.pretraining.library import library_texts
    from harness.problems.bundled import load_bundled
    from harness.prompts import assistant_answer, training_conversations

    prompts = load_bundled()
    stream = tokenizer("\n".join(library_texts()[:80]), add_special_tokens=False, verbose=False)["input_ids"]
    problems, offset = [], 0
    for index, length in enumerate(lengths):
        problem = prompts[index % len(prompts)]
        code = problem.reference_solution or "print(0)"
        frame = training_conversations(replace(problem, answers=(assistant_answer("", code),)))[0]
        fill = max(1, length - _tokens(tokenizer, frame))
        if offset + fill > len(stream):
            offset = 0
        reasoning = tokenizer.decode(stream[offset: offset + fill])
        offset += fill
        problems.append(replace(problem, id=f"{problem.id}-len{index}", answers=(assistant_answer(reasoning, code),)))
    return problems


def _tokens(tokenizer, messages: list[dict]) -> int:
    return len(tokenizer.apply_chat_template(messages, tokenize=True, return_dict=True)["input_ids"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    rec = commands.add_parser("record", help="measure a dataset's conversation lengths (needs the hub)")
    rec.add_argument("source")
    rec.add_argument("tokenizer")
    rec.add_argument("out", type=Path)
    args = parser.parse_args()
    print(json.dumps(record(args.source, args.tokenizer, args.out)))


if __name__ == "__main__":
    sys.exit(main())
