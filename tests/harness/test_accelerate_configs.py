"""configs/accelerate/*.yaml: what `accelerate launch` makes of each on a non-main machine, and a real two-machine DDP run.

The files are read by accelerate's own launcher code (its parser, config loader and the
environment it hands the processes), and the FSDP and DeepSpeed plugins are built from that
environment as the trainer builds them, so a misspelt key or value fails here, not on a
cluster. The DDP file then trains for real: two `accelerate launch` "machines" on loopback
(gloo on the CPU), each with its own run directory, as machines without a shared filesystem.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

CONFIGS = REPO / "configs" / "accelerate"
pytestmark = pytest.mark.slow  # accelerate's launcher imports torch


def launch_environment(name: str, *flags: str) -> tuple[object, dict[str, str]]:
    """`accelerate launch --config_file configs/accelerate/NAME.yaml FLAGS -m harness run --train`, up to the exec."""
    from accelerate.commands.launch import _validate_launch_command, launch_command_parser
    from accelerate.utils.launch import prepare_deepspeed_cmd_env, prepare_multi_gpu_env

    argv = ["--config_file", str(CONFIGS / f"{name}.yaml"), *flags, "-m", "harness", "run", "--train"]
    args, defaults, precision_from_file = _validate_launch_command(launch_command_parser().parse_args(argv))
    if args.use_deepspeed:  # as `launch_command` does before its DeepSpeed launcher
        fields = list(defaults.deepspeed_config) + (["mixed_precision"] if precision_from_file else [])
        args.deepspeed_fields_from_accelerate_config = ",".join(fields)
        _, env = prepare_deepspeed_cmd_env(args)
    else:
        env = prepare_multi_gpu_env(args)
    return args, {k: v for k, v in env.items() if k.startswith(("ACCELERATE", "FSDP"))}


@pytest.mark.parametrize("name", ["ddp", "fsdp", "deepspeed-zero2"])
def test_each_config_launches_machine_one_of_a_multi_machine_job(name):
    args, env = launch_environment(name, "--machine_rank", "1", "--main_process_ip", "10.1.2.3")
    assert (args.nnodes, args.node_rank, args.nproc_per_node) == ("2", 1, "8")  # 16 processes on 2 machines
    assert args.rdzv_endpoint == "10.1.2.3:29500" and args.rdzv_backend == "static"
    assert args.module and env["ACCELERATE_MIXED_PRECISION"] == "no"  # precision is train.bf16's


def test_the_fsdp_config_builds_fsdp2_saving_the_whole_adapter():
    from accelerate.utils import FullyShardedDataParallelPlugin, patch_environment

    _, env = launch_environment("fsdp")
    with patch_environment(**env):
        plugin = FullyShardedDataParallelPlugin()
    assert plugin.fsdp_version == 2 and plugin.state_dict_type.name == "FULL_STATE_DICT"
    assert plugin.activation_checkpointing and not plugin.cpu_ram_efficient_loading
    assert plugin.auto_wrap_policy.__name__ == "transformer_auto_wrap_policy"


def test_the_deepspeed_config_builds_zero2_with_the_trainers_values():
    from accelerate.utils import DeepSpeedPlugin, patch_environment

    _, env = launch_environment("deepspeed-zero2")
    with patch_environment(**env):
        plugin = DeepSpeedPlugin()
    config = plugin.deepspeed_config
    assert config["zero_optimization"]["stage"] == 2
    assert config["gradient_accumulation_steps"] == config["train_micro_batch_size_per_gpu"] == "auto"


def test_ddp_over_two_machines_on_loopback_trains_and_only_machine_zero_writes_the_run(tmp_path):
    from harness.generation.endpoint_engine import free_port

    port = str(free_port())
    sets = ["train.max_steps=2", "train.logging_steps=1", "train.save_steps=2"]
    outs = [tmp_path / "machine0", tmp_path / "machine1"]  # no shared filesystem: each machine its own folder
    launches = [subprocess.Popen(
        [sys.executable, "-m", "accelerate.commands.launch", "--config_file", str(CONFIGS / "ddp.yaml"),
         "--num_machines", "2", "--num_processes", "2", "--machine_rank", str(rank), "--main_process_ip", "127.0.0.1",
         "--main_process_port", port, "-m", "harness", "run", "--train", "--config", "configs/test-tiny.yaml",
         "--out", str(out), "--quiet", *[arg for item in sets for arg in ("--set", item)]],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for rank, out in enumerate(outs)]
    for launch in launches:
        _, stderr = launch.communicate(timeout=600)
        assert launch.returncode == 0, stderr[-3000:]
    main, other = outs
    steps = [json.loads(line)["step"] for line in (main / "train" / "metrics.jsonl").read_text().splitlines()]
    assert steps == [1, 2]
    assert json.loads((main / "train" / "diagnostics.json").read_text())["world_size"] == 2
    assert (main / "train" / "adapter" / "adapter_model.safetensors").is_file()
    assert json.loads((main / "status.json").read_text())["state"] == "done"
    # The other machine writes no file of the run, only its process's RNG state into each checkpoint
    # (the trainer's, for an exact resume): why --resume needs the run directory shared.
    written = sorted(str(path.relative_to(other)) for path in Path(other).rglob("*") if path.is_file())
    assert written == ["train/checkpoint-2/rng_state_1.pth"]
    assert (main / "train" / "checkpoint-2" / "rng_state_0.pth").is_file()
