"""Real LoRA SFT on the tiny Qwen3-architecture model: gradients, loss, masks, reload, resume, guards."""

import json
import math
import os
import signal
import subprocess
import sys
import time

import pytest

from harness.config import load_config
from harness.models import resolve_model
from harness.problems.bundled import load_bundled
from harness.progress import SilentProgress
from harness.prompts import training_messages
from harness.rundir import RunDir
from harness.training import Training, make_trainer, train
from tests.conftest import REPO

pytestmark = pytest.mark.slow  # trains the tiny model

PROBLEMS = load_bundled()[:2]


def tiny(tmp_path, *overrides):
    """What training takes from the smoke config with `overrides`, and a fresh run directory."""
    config = load_config(REPO / "configs" / "test-tiny.yaml", list(overrides))
    run = RunDir.prepare(tmp_path / "run", config, resume=False, overwrite=False)
    return Training(config.train, config.generation.language, resolve_model(config.model.name_or_path)), run


def metrics(run):
    return [json.loads(line) for line in run.metrics.read_text().splitlines()]


def test_a_max_length_that_cuts_off_every_answer_is_one_line_naming_it(tmp_path):
    from harness.errors import DataError

    training, run = tiny(tmp_path, "train.max_length=64")
    with pytest.raises(DataError, match=r"^train.max_length 64: every training conversation's answer starts past it"):
        make_trainer(training, run, PROBLEMS, SilentProgress())


def test_repeated_batch_every_lora_tensor_learns_and_the_loss_falls(tmp_path):
    training, run = tiny(tmp_path, "train.max_steps=30", "train.per_device_batch_size=2", "train.logging_steps=1",
                         "train.learning_rate=2e-3", "train.lr_scheduler=constant", "train.save_steps=100")
    trainer = make_trainer(training, run, PROBLEMS, SilentProgress())
    trainer.train()
    records = metrics(run)
    assert [r["step"] for r in records] == list(range(1, 31))
    # Step 1: LoRA's B starts at zero, so A has no gradient yet; from step 2 on, every tensor has one.
    assert all(r["lora_tensors_without_grad"] == 0 and r["lora_grad_norm_min"] > 0 for r in records[1:])
    assert records[0]["lora_tensors"] == 2 * 7 * 2  # A and B on 7 projections in 2 layers
    losses = [r["loss"] for r in records]
    assert sum(losses[-3:]) / 3 < 0.9 * losses[0], losses  # a random tiny model learns slowly, but steadily
    assert all(b < a for a, b in zip(losses[::5], losses[5::5], strict=False))  # falling at every 5th step
    assert all(0 <= r["padding_fraction"] < 1 and 0 < r["trained_token_fraction"] <= 1 for r in records)

    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    trainer.save_model(str(run.adapter))
    batch = trainer.processing_class("def main():\n    print(42)\n", return_tensors="pt")
    trainer.model.eval()
    with torch.no_grad():
        trained = trainer.model(**batch).logits
        base = AutoModelForCausalLM.from_pretrained(training.model_path)
        reloaded_model = PeftModel.from_pretrained(base, run.adapter).eval()
        reloaded = reloaded_model(**batch).logits
    assert torch.allclose(trained, reloaded, atol=1e-5)


def test_only_the_assistant_reply_and_its_end_token_are_trained(tmp_path):
    training, run = tiny(tmp_path)
    trainer = make_trainer(training, run, PROBLEMS, SilentProgress())
    tokenizer = trainer.processing_class
    for row, problem in zip(trainer.train_dataset, PROBLEMS, strict=True):
        trained = [token for token, label in zip(row["input_ids"], row["labels"], strict=True) if label != -100]
        assert tokenizer.decode(trained) == training_messages(problem)[-1]["content"] + "<|im_end|>"


def test_packing_is_padding_free(tmp_path):
    training, run = tiny(tmp_path, "train.max_steps=2", "train.logging_steps=1", "train.packing=true")
    make_trainer(training, run, PROBLEMS, SilentProgress()).train()
    assert {r["padding_fraction"] for r in metrics(run)} == {0.0}


@pytest.mark.parametrize("kernel", ["sdpa", "eager"])
def test_packed_conversations_are_each_attended_on_their_own(tmp_path, kernel):
    # Padding-free packing puts several conversations in one row with restarting position ids; unless the model
    # reads the boundaries from them, each conversation attends to the ones before it in the row.
    import torch

    training, run = tiny(tmp_path, "train.packing=true", f"train.attn_implementation={kernel}")
    trainer = make_trainer(training, run, load_bundled()[:4], SilentProgress())
    batch = trainer.data_collator([trainer.train_dataset[0]])
    starts = (batch["position_ids"][0] == 0).nonzero().flatten().tolist() + [batch["input_ids"].shape[1]]
    assert len(starts) >= 3  # at least two conversations in the row
    model = trainer.model.eval()
    with torch.no_grad():
        packed = model(input_ids=batch["input_ids"], position_ids=batch["position_ids"]).logits
        for start, end in zip(starts, starts[1:], strict=False):
            alone = model(input_ids=batch["input_ids"][:, start:end]).logits
            assert torch.allclose(packed[:, start:end], alone, atol=1e-4), (kernel, start, end)


def test_a_frozen_adapter_stops_training_with_a_reason(tmp_path):
    # lora_dropout 1.0 drops every input of the adapter: its gradients are exactly zero.
    training, run = tiny(tmp_path, "train.max_steps=10", "train.lora_dropout=1.0")
    from harness.training.guards import TrainingError

    with pytest.raises(TrainingError, match="every LoRA gradient was 0 for the first 3 steps"):
        train(training, run, PROBLEMS, SilentProgress())


def test_out_of_memory_names_the_knobs(tmp_path):
    from harness.training.guards import out_of_memory_message

    training, _ = tiny(tmp_path)
    message = out_of_memory_message(training.train, "GPU")
    for knob in ("train.per_device_batch_size (now 4", "train.max_length (now 2048)", "train.gradient_checkpointing"):
        assert knob in message


def test_eval_loss_on_held_apart_training_problems(tmp_path):
    training, run = tiny(tmp_path, "train.max_steps=2", "train.logging_steps=1", "train.eval_fraction=0.25")
    train(training, run, load_bundled()[:8], SilentProgress())
    assert any("eval_loss" in r for r in metrics(run))


def test_kill_9_then_resume_continues_the_curve(tmp_path):
    out = tmp_path / "killed"
    args = [sys.executable, "-m", "harness", "run", "--train", "--config", "configs/test-tiny.yaml", "--out", str(out),
            "--quiet", "--set", "train.max_steps=16", "--set", "train.save_steps=4", "--set", "train.logging_steps=1"]
    proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 300
    while not (out / "train" / "checkpoint-8").is_dir() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "train" / "adapter").exists()
    resumed = subprocess.run([*args, "--resume"], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    steps = [json.loads(line)["step"] for line in (out / "train" / "metrics.jsonl").read_text().splitlines()]
    assert steps == list(range(1, 17))  # no step lost, none written twice
    assert (out / "train" / "adapter" / "adapter_model.safetensors").is_file()


def test_push_to_hub_calls_the_hub_and_reports_a_clear_error(tmp_path):
    """The upload goes to the configured endpoint with the repo name; a refusal is one line naming the folder."""
    import http.server
    import threading

    seen = []

    class Refuse(http.server.BaseHTTPRequestHandler):
        def _refuse(self):
            length = int(self.headers.get("Content-Length") or 0)
            seen.append((self.command, self.path, self.rfile.read(length).decode(errors="replace")))
            self.send_response(503)
            self.end_headers()

        do_GET = do_POST = do_PUT = do_HEAD = _refuse

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Refuse)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text("{}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_HUB_OFFLINE")}
    env.update(HF_ENDPOINT=f"http://127.0.0.1:{server.server_port}", HF_TOKEN="hf_test_token", HF_HUB_DISABLE_TELEMETRY="1",
               HF_HUB_ETAG_TIMEOUT="2", HF_HUB_DOWNLOAD_TIMEOUT="2")
    code = ("import sys\nfrom pathlib import Path\nfrom harness.training import push_adapter\n"
            "push_adapter(Path(sys.argv[1]), 'someone/tiny-adapter')")
    try:
        result = subprocess.run([sys.executable, "-c", code, str(adapter)], capture_output=True, text=True, env=env,
                                timeout=120)
    finally:
        server.shutdown()
    last = result.stderr.strip().splitlines()[-1]
    assert result.returncode != 0 and f"could not upload {adapter}" in last and "someone/tiny-adapter" in last
    assert any(method == "POST" and path == "/api/repos/create" and "tiny-adapter" in body for method, path, body in seen)


def test_two_process_ddp_on_cpu_trains_in_step(tmp_path):
    """`torchrun --nproc_per_node 2` (gloo on the CPU): one run directory, one metrics line per step, twice the data."""
    from harness.selection import select
    from harness.training import training_rows

    out = tmp_path / "ddp"
    overrides = ["train.max_steps=2", "train.logging_steps=1", "train.save_steps=100"]
    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", "-m", "harness", "run",
         "--train", "--config", "configs/test-tiny.yaml", "--out", str(out), "--quiet",
         *[arg for item in overrides for arg in ("--set", item)]],
        cwd=REPO, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    records = metrics(RunDir(out))
    assert [r["step"] for r in records] == [1, 2]
    assert json.loads((out / "train" / "diagnostics.json").read_text())["world_size"] == 2
    rows = len(training_rows(select(load_config(REPO / "configs" / "test-tiny.yaml", overrides).data).train))
    steps_per_epoch = math.ceil(rows / (2 * 4))  # 2 processes x batch 4 (one process: rows / 4)
    assert records[-1]["epoch"] == pytest.approx(2 / steps_per_epoch)
    assert (out / "train" / "adapter" / "adapter_model.safetensors").is_file()
