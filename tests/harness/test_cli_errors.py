"""Bad input: one line naming the culprit, exit status 2, nothing written."""

from tests.conftest import call_cli


def assert_one_line_error(result, *culprits):
    assert result.returncode == 2, result.stderr
    line = result.stderr.strip()
    assert "\n" not in line and line.startswith("harness: error:")
    for culprit in culprits:
        assert culprit in line


def test_bad_config_path(tmp_path):
    result = call_cli("run", "--train", "--eval", "--config", str(tmp_path / "missing.yaml"), "--out", str(tmp_path / "r"))
    assert_one_line_error(result, "missing.yaml")
    assert not (tmp_path / "r").exists()


def test_unknown_config_key(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("train:\n  lora_rnak: 8\n")
    result = call_cli("run", "--train", "--config", str(config), "--out", str(tmp_path / "r"))
    assert_one_line_error(result, "train.lora_rnak")


def test_unknown_override_key(tmp_path):
    result = call_cli("run", "--eval", "--set", "generation.temprature=0.5", "--out", str(tmp_path / "r"))
    assert_one_line_error(result, "generation.temprature")


def test_missing_adapter_directory(tmp_path):
    result = call_cli("eval", "--adapter", str(tmp_path / "no-adapter"), "--config", "configs/test-tiny.yaml",
                     "--out", str(tmp_path / "r"))
    assert_one_line_error(result, "no-adapter")


def test_run_needs_a_stage(tmp_path):
    assert_one_line_error(call_cli("run", "--out", str(tmp_path / "r")), "--train")
