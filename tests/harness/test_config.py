import pytest

from harness.config import load_config
from harness.errors import ConfigError
from tests.conftest import REPO


def test_defaults_are_the_reference_recipe():
    config = load_config()
    t = config.train
    assert config.model.name_or_path == "Qwen/Qwen3-0.6B"
    assert (t.lora_r, t.lora_alpha, t.lora_dropout, t.learning_rate) == (16, 32, 0.05, 2e-4)
    assert (t.per_device_batch_size, t.gradient_accumulation_steps, t.bf16, t.gradient_checkpointing) == (4, 4, True, True)
    assert set(t.target_modules) == {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}


def test_overrides_are_yaml_values():
    config = load_config("configs/test-tiny.yaml", ["train.learning_rate=1e-3", "eval.k=[1,2]", "generation.samples=2"])
    assert config.train.learning_rate == 1e-3 and config.eval.k == (1, 2)


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(ConfigError, match="config file not found: .*nope.yaml"):
        load_config(tmp_path / "nope.yaml")


def test_every_error_is_reported_at_once(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("train:\n  lora_rank: 8\n  learning_rate: fast\nmodel:\n  dtype: int3\nextra: {}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    for culprit in ("train.lora_rank", "train.learning_rate", "model.dtype", "'extra'"):
        assert culprit in message
    assert "\n" not in message


def test_k_larger_than_samples_is_refused():
    with pytest.raises(ConfigError, match="eval.k"):
        load_config(None, ["generation.samples=2", "eval.k=[1,5]"])


def test_reference_config_is_valid_and_names_the_hub_ids():
    config = load_config(REPO / "configs" / "qwen3-0.6b-codeforces.yaml", [])
    assert config.model.name_or_path == "Qwen/Qwen3-0.6B"
    assert config.data.train_source.startswith("open-r1/codeforces-cots:solutions_py")
    assert config.data.source.startswith("open-r1/codeforces:")
    t = config.train
    assert (t.lora_r, t.lora_alpha, t.lora_dropout, t.learning_rate) == (16, 32, 0.05, 2e-4)
    assert (t.per_device_batch_size, t.gradient_accumulation_steps, t.bf16, t.gradient_checkpointing) == (4, 4, True, True)
    assert set(t.target_modules) == {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}
    assert (t.packing, t.save_steps) == (False, 100)


def test_the_embedded_default_trains_a_sample_it_also_evaluates_on_the_shipped_model():
    from harness.models import resolve_model
    from harness.models.tiny import SHIPPED_CODER
    from harness.selection import select

    config = load_config(REPO / "configs" / "smoke.yaml", [])
    assert resolve_model(config.model.name_or_path) == str(SHIPPED_CODER)  # nothing to build on a first run
    selection = select(config.data, config.eval.seen_problems)
    assert len(selection.train) == config.data.max_train_problems == config.eval.seen_problems
    assert {p.id for p in selection.seen} == {p.id for p in selection.train}  # every problem it learns is also scored
    assert len(selection.evaluated(config.eval.max_problems)) == config.eval.max_problems + config.eval.seen_problems
