"""`harness eval --adapter` knows its base: read from adapter_config.json, checked against a named model, one per run.

The adapter_config.json files here are written by the tests (no weights are loaded); the real
`harness eval --adapter` on a trained tiny adapter, with no model named, is in test_console.py.
"""

import json

import pytest

from harness.adapters import evaluated_base, with_adapters_base
from harness.config import given_keys, load_config
from harness.errors import ConfigError, DataError
from harness.pipeline import checkpoint_labels
from tests.conftest import REPO, call_cli
from tests.harness.test_cli_errors import assert_one_line_error


def adapter(folder, base):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA", "base_model_name_or_path": base}))
    return folder


@pytest.fixture
def base_dir(tmp_path):
    folder = tmp_path / "models" / "my-base"
    folder.mkdir(parents=True)
    return folder


def test_with_no_model_named_the_base_is_the_adapters(tmp_path, base_dir):
    path = adapter(tmp_path / "adapter", str(base_dir))
    config = with_adapters_base(load_config(None), {"adapter": str(path)}, named=False)
    assert config.model.name_or_path == str(base_dir)
    assert load_config(None).model.name_or_path == "Qwen/Qwen3-0.6B"  # the default is untouched elsewhere


def test_a_hub_id_passes_through(tmp_path):
    path = adapter(tmp_path / "adapter", "Qwen/Qwen3-0.6B")
    assert evaluated_base(None, {"adapter": str(path)}) == "Qwen/Qwen3-0.6B"


def test_a_named_model_that_differs_is_one_error_naming_both_and_the_file(tmp_path, base_dir):
    path = adapter(tmp_path / "adapter", str(base_dir))
    with pytest.raises(ConfigError) as caught:
        evaluated_base("Qwen/Qwen3-0.6B", {"adapter": str(path)})
    message = str(caught.value)
    assert "Qwen/Qwen3-0.6B" in message and str(base_dir) in message and str(path / "adapter_config.json") in message
    assert "\n" not in message


def test_a_named_model_that_is_the_same_passes(tmp_path, base_dir):
    path = adapter(tmp_path / "adapter", str(base_dir) + "/")
    assert evaluated_base(str(base_dir), {"adapter": str(path)}) == str(base_dir)
    snapshot = adapter(tmp_path / "hub", "/cache/hub/models--Qwen--Qwen3-0.6B/snapshots/0123abcd")
    assert evaluated_base("Qwen/Qwen3-0.6B", {"adapter": str(snapshot)}) == "Qwen/Qwen3-0.6B"


def test_checkpoints_must_agree_on_one_base(tmp_path, base_dir):
    run = tmp_path / "run"
    for step in (10, 20):
        adapter(run / "train" / f"checkpoint-{step}", str(base_dir))
    adapter(run / "train" / "adapter", str(base_dir))
    assert evaluated_base(None, checkpoint_labels(str(run))) == str(base_dir)
    adapter(run / "train" / "checkpoint-20", "Qwen/Qwen3-0.6B")
    with pytest.raises(DataError, match="different bases") as caught:
        evaluated_base(None, checkpoint_labels(str(run)))
    assert "checkpoint-20/adapter_config.json names Qwen/Qwen3-0.6B" in str(caught.value)


def test_an_adapter_naming_no_base_or_a_missing_directory_is_refused(tmp_path):
    path = tmp_path / "adapter"
    path.mkdir()
    (path / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA"}))
    with pytest.raises(DataError, match="names no base model"):
        evaluated_base(None, {"adapter": str(path)})
    gone = adapter(tmp_path / "gone", "/nowhere/my-model")
    with pytest.raises(DataError, match="not on this machine"):
        evaluated_base(None, {"adapter": str(gone)})


def test_named_means_in_the_file_or_an_override(tmp_path):
    assert "model.name_or_path" in given_keys(REPO / "configs" / "test-tiny.yaml")
    assert "model.name_or_path" in given_keys(None, ["model.name_or_path=x/y"])
    config = tmp_path / "c.yaml"
    config.write_text("model:\n  dtype: float32\n")
    assert given_keys(config, ["eval.k=[1]"]) == {"model.dtype", "eval.k"}


@pytest.mark.slow  # builds the tiny model
def test_a_builtin_base_trained_in_another_cache_is_rebuilt_by_its_builtin_name(tmp_path):
    from harness.models import resolve_model

    built = resolve_model("builtin:tiny-qwen3")
    elsewhere = adapter(tmp_path / "adapter", f"/other/home/models/{built.rsplit('/', 1)[1]}")  # as trained elsewhere
    assert evaluated_base(None, {"adapter": str(elsewhere)}) == "builtin:tiny-qwen3"
    assert evaluated_base("builtin:tiny-qwen3", {"adapter": str(elsewhere)}) == "builtin:tiny-qwen3"
    with pytest.raises(ConfigError, match="builtin:tiny-qwen3-s1"):  # another seed is another model
        evaluated_base("builtin:tiny-qwen3-s1", {"adapter": str(elsewhere)})
    stale = adapter(tmp_path / "stale", "/other/home/models/tiny-qwen3-v0-s0-000000000000")
    with pytest.raises(DataError, match="now builds another model"):
        evaluated_base(None, {"adapter": str(stale)})


def test_cli_mismatch_is_one_line_and_writes_nothing(tmp_path, base_dir):
    path = adapter(tmp_path / "adapter", str(base_dir))
    result = call_cli("eval", "--adapter", str(path), "--set", "model.name_or_path=Qwen/Qwen3-0.6B", "--out",
                     str(tmp_path / "r"))
    assert_one_line_error(result, "Qwen/Qwen3-0.6B", str(base_dir), "adapter_config.json")
    assert not (tmp_path / "r").exists()
