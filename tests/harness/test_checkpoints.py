"""One parser of `checkpoint-N`, two explicit meanings of complete: evaluable and resumable."""

import pytest

from harness.checkpoints import checkpoint_step, checkpoints, last_resumable
from harness.errors import DataError
from harness.pipeline import adapter_labels, checkpoint_labels


def make(root, step, *files):
    folder = root / f"checkpoint-{step}"
    folder.mkdir(parents=True)
    for name in files:
        (folder / name).write_text("{}")
    return folder


@pytest.mark.parametrize(("name", "step"), [("checkpoint-12", 12), ("checkpoint-x", None), ("checkpoint-", None),
                                            ("my-checkpoint-3", None), ("checkpoint-3-old", None)])
def test_only_checkpoint_dash_digits_is_a_checkpoint(name, step):
    assert checkpoint_step(name) == step


def test_checkpoints_come_in_step_order_not_name_order(tmp_path):
    for step in (10, 9, 100):
        make(tmp_path, step, "adapter_config.json")
    assert [c.step for c in checkpoints(tmp_path)] == [9, 10, 100]


def test_a_checkpoint_cut_off_while_saving_is_not_resumed_from(tmp_path):
    make(tmp_path, 4, "adapter_config.json", "trainer_state.json")
    make(tmp_path, 8, "adapter_config.json")  # killed while writing checkpoint-8: no trainer state yet
    make(tmp_path, 12, "trainer_state.json")  # no adapter: nothing to resume either
    assert last_resumable(tmp_path) == tmp_path / "checkpoint-4"
    assert last_resumable(tmp_path / "missing") is None


def test_an_evaluable_checkpoint_needs_only_its_adapter(tmp_path):
    make(tmp_path / "train", 4, "adapter_config.json", "trainer_state.json")
    make(tmp_path / "train", 8, "adapter_config.json")
    make(tmp_path / "train", 12, "trainer_state.json")
    assert list(checkpoint_labels(str(tmp_path))) == ["checkpoint-4", "checkpoint-8"]


def test_a_run_without_adapters_is_refused(tmp_path):
    with pytest.raises(DataError, match="no train/checkpoint-N"):
        checkpoint_labels(str(tmp_path))


def test_an_adapter_given_by_path_keeps_its_checkpoint_step(tmp_path):
    folder = make(tmp_path, 6, "adapter_config.json")
    other = tmp_path / "run" / "train" / "adapter"
    other.mkdir(parents=True)
    (other / "adapter_config.json").write_text("{}")
    assert list(adapter_labels([str(folder), str(other)])) == ["checkpoint-6", "run"]
