"""Self-replay rows: the base model's own answers to the replayed problems' real prompts, sampled once and kept."""

import dataclasses
import json

import pytest

from harness.config import GenerationConfig
from harness.models import resolve_model
from harness.problems.bundled import load_bundled
from harness.progress import SilentProgress
from harness.prompts import generation_messages
from harness.training.self_replay import replay_rows
from judges.language import Language

pytestmark = pytest.mark.slow  # loads and samples the tiny coder model

PROBLEMS = tuple(load_bundled()[:3])
SAMPLING = dataclasses.replace(GenerationConfig(), temperature=1.5, max_new_tokens=24)  # hot: seeds must show


@pytest.fixture(scope="module")
def coder():
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = resolve_model("builtin:tiny-qwen3-coder")
    return AutoModelForCausalLM.from_pretrained(path), AutoTokenizer.from_pretrained(path)


def test_each_row_is_the_generation_prompt_and_a_sampled_answer_repeatable_by_seed(tmp_path, coder):
    model, tokenizer = coder
    side = tokenizer.padding_side
    rows = replay_rows(tmp_path / "a.jsonl", model, tokenizer, PROBLEMS, Language.PYTHON, SAMPLING, 7, SilentProgress())
    assert [row["messages"][:-1] for row in rows] == [generation_messages(p) for p in PROBLEMS]
    answers = [row["messages"][-1]["content"] for row in rows]
    assert all(row["messages"][-1]["role"] == "assistant" for row in rows) and all(answers)
    assert not any("<|im_end|>" in a or "<|endoftext|>" in a for a in answers)  # the end and pad tokens are cut
    again = replay_rows(tmp_path / "b.jsonl", model, tokenizer, PROBLEMS, Language.PYTHON, SAMPLING, 7, SilentProgress())
    other = replay_rows(tmp_path / "c.jsonl", model, tokenizer, PROBLEMS, Language.PYTHON, SAMPLING, 8, SilentProgress())
    assert again == rows and other != rows
    assert tokenizer.padding_side == side  # left padding only while sampling
    saved = [json.loads(line) for line in (tmp_path / "a.jsonl").read_text().splitlines()]
    assert [row["problem_id"] for row in saved] == [p.id for p in PROBLEMS]


def test_a_resumed_run_trains_on_the_saved_answers_and_other_problems_sample_again(tmp_path, coder):
    model, tokenizer = coder
    path = tmp_path / "self_replay.jsonl"
    replay_rows(path, model, tokenizer, PROBLEMS, Language.PYTHON, SAMPLING, 7, SilentProgress())
    saved = [json.loads(line) for line in path.read_text().splitlines()]
    saved[0]["messages"][-1]["content"] = "kept from the first run"
    path.write_text("".join(json.dumps(row) + "\n" for row in saved))
    resumed = replay_rows(path, model, tokenizer, PROBLEMS, Language.PYTHON, SAMPLING, 7, SilentProgress())
    assert resumed[0]["messages"][-1]["content"] == "kept from the first run"
    fewer = replay_rows(path, model, tokenizer, PROBLEMS[:2], Language.PYTHON, SAMPLING, 7, SilentProgress())
    assert len(fewer) == 2 and fewer[0]["messages"][-1]["content"] != "kept from the first run"
