"""The pre-trained tiny model (builtin:tiny-qwen3-coder): its corpus runs, it is rebuilt bit for bit, and the
model that ships is the one the current recipe builds."""

import json
import sys
import sysconfig
from pathlib import Path

import pytest

from harness.extraction import extract_code
from harness.models import resolve_model
from harness.models.pretraining.corpus import build_corpus, run_program
from harness.models.pretraining.library import library_files, library_texts
from harness.models.pretraining.train import PretrainPlan
from harness.models.tiny import DEFAULT_PLAN, SHIPPED_CODER, build_coder_model, coder_sources, recipe, weights_digest


def test_corpus_programs_print_their_examples():
    corpus = build_corpus(40)
    assert all(len(messages) == 3 and messages[2]["content"].startswith("<think>\n") for messages in corpus)
    for messages in corpus[:21]:  # one per family
        code = extract_code(messages[2]["content"]).code
        assert code and run_program(code, messages[1]["content"].split("Input:\n```\n")[1].split("```")[0])


def test_the_library_is_this_pythons_own_sources_without_tests_or_installed_packages():
    root = Path(sysconfig.get_paths()["stdlib"])
    files = library_files()
    parts = {part for path in files for part in path.relative_to(root).parts}
    assert root / "json" / "decoder.py" in files and root / "functools.py" in files
    assert not parts & {"test", "tests", "site-packages", "idlelib", "__pycache__"}
    assert files == sorted(files)  # a fixed order: part of what makes the build repeatable
    texts = library_texts()
    assert len(texts) > 300 and sum(map(len, texts)) > 5_000_000


@pytest.mark.slow  # builds the 3000-conversation corpus
def test_the_shipped_model_is_what_the_current_recipe_builds():
    """Change the corpus, the library filter, the sizes or the plan without `build_tiny_model.py --ship`: this fails."""
    record = json.loads((SHIPPED_CODER / "pretraining.json").read_text())
    now = json.loads(json.dumps(recipe(*coder_sources(DEFAULT_PLAN), DEFAULT_PLAN, seed=0)))
    same_python = record["python"] == now["python"]
    # On another Python the library is other text: everything else must still agree.
    compared = [key for key in now if same_python or key not in ("library", "python")]
    assert {key: record[key] for key in compared} == {key: now[key] for key in compared}
    assert resolve_model("builtin:tiny-qwen3-coder") == str(SHIPPED_CODER)  # seed 0 is never rebuilt
    assert (SHIPPED_CODER / "model.safetensors").stat().st_size < 4_000_000


@pytest.mark.slow  # trains a (reduced) tiny model three times
def test_build_is_deterministic_and_seeded(tmp_path):
    corpus, library = build_corpus(48), library_texts()[:4]
    plan = PretrainPlan(documents=48, steps=4, batch_size=2, block=128, warmup_steps=1, layout_steps=2)
    first = build_coder_model(tmp_path / "a", corpus, library, seed=0, vocab_size=512, plan=plan)
    second = build_coder_model(tmp_path / "b", corpus, library, seed=0, vocab_size=512, plan=plan)
    other = build_coder_model(tmp_path / "c", corpus, library, seed=1, vocab_size=512, plan=plan)
    assert weights_digest(first) == weights_digest(second)
    assert weights_digest(other) != weights_digest(first)
    assert (first / "tokenizer.json").read_bytes() == (second / "tokenizer.json").read_bytes()
    assert json.loads((first / "pretraining.json").read_text())["python"] == sys.version.split()[0]
