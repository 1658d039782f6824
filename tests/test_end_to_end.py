"""The real pipeline on the tiny model: train a few steps, generate, judge in the sandbox, score, report."""

import json

import pytest

from tests.conftest import TINY_RUN_OVERRIDES, run_cli

pytestmark = pytest.mark.slow


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_run_writes_every_artefact(smoke_run):
    for name in ("config.yaml", "env.json", "split.json", "status.json", "eval/summary.json", "report.md",
                 "report.html", "train/adapter/adapter_model.safetensors", "train/adapter/adapter_config.json"):
        assert (smoke_run / name).is_file(), name
    assert json.loads((smoke_run / "status.json").read_text())["state"] == "done"
    assert "Run status: **done**" in (smoke_run / "report.md").read_text()
    env = json.loads((smoke_run / "env.json").read_text())
    assert env["packages"]["torch"] and env["seeds"]["train"] == 42 and env["sandbox"]["kind"] == "bwrap"
    assert env["sandbox"]["isolation"] == "full" and env["sandbox"]["time_scale"] == 1.0
    assert env["sandbox"]["memory"] in ("cgroup-v1", "cgroup-v2", "rlimit")
    assert "harness_commit" in env and env["hardware"]["cpus"] >= 1


def test_metrics_have_loss_on_every_logged_step(smoke_run):
    metrics = read_jsonl(smoke_run / "train" / "metrics.jsonl")
    assert [m["step"] for m in metrics] == list(range(1, 7))
    for m in metrics:
        assert {"loss", "grad_norm", "learning_rate", "mean_token_accuracy", "epoch"} <= set(m)
        assert m["grad_norm"] > 0


def test_split_is_disjoint_and_eval_uses_held_out_only(smoke_run):
    split = json.loads((smoke_run / "split.json").read_text())
    assert split["train"] and split["held_out"] and not set(split["train"]) & set(split["held_out"])
    for label in ("base", "adapter"):
        completions = read_jsonl(smoke_run / "eval" / label / "completions.jsonl")
        results = read_jsonl(smoke_run / "eval" / label / "results.jsonl")
        assert len(completions) == len(results) == 2 * 2  # 2 problems x 2 samples
        assert {c["problem_id"] for c in completions} <= set(split["held_out"])
        assert {c["key"] for c in completions} == {r["completion_key"] for r in results}
        for c in completions:
            assert c["finish_reason"] in ("stop", "length") and c["completion_tokens"] <= 48


def test_summary_has_pass_at_k_for_base_and_adapter(smoke_run):
    summary = json.loads((smoke_run / "eval" / "summary.json").read_text())
    for label in ("base", "adapter"):
        scores = summary["labels"][label]["scores"]
        assert set(scores) == {"pass@1", "pass@2"}
        assert 0.0 <= scores["pass@1"]["ci_low"] <= scores["pass@1"]["estimate"] <= scores["pass@1"]["ci_high"] <= 1.0
    assert {(c["a"], c["b"]) for c in summary["comparisons"]} == {("base", "adapter")}


def test_rerun_without_resume_is_refused(smoke_run):
    result = run_cli("run", "--eval", "--config", "configs/test-tiny.yaml", "--out", str(smoke_run), "--quiet")
    assert result.returncode == 2 and "--resume" in result.stderr


def test_resume_redoes_nothing(smoke_run, tmp_path):
    before = {p: p.read_text() for p in smoke_run.glob("eval/*/*.jsonl")}
    result = run_cli("run", "--eval", "--config", "configs/test-tiny.yaml", "--out", str(smoke_run), "--resume", "--quiet",
                     *TINY_RUN_OVERRIDES)
    assert result.returncode == 0, result.stderr[-2000:]
    assert {p: p.read_text() for p in smoke_run.glob("eval/*/*.jsonl")} == before


def test_eval_of_an_existing_adapter_without_training(smoke_run, tmp_path):
    out = tmp_path / "eval-only"
    result = run_cli("eval", "--adapter", str(smoke_run / "train" / "adapter"), "--config", "configs/test-tiny.yaml",
                     "--out", str(out), "--quiet", *TINY_RUN_OVERRIDES)
    assert result.returncode == 0, result.stderr[-2000:]
    assert not (out / "train").exists()
    summary = json.loads((out / "eval" / "summary.json").read_text())
    assert set(summary["labels"]) == {"base", "adapter"}
    # Same model, adapter, prompts and seeds: the same completions as in the training run.
    texts = lambda run: sorted(c["text"] for c in read_jsonl(run / "eval" / "adapter" / "completions.jsonl"))  # noqa: E731
    assert texts(out) == texts(smoke_run)


def test_report_regenerates_from_files(smoke_run):
    (smoke_run / "report.html").unlink()
    result = run_cli("report", str(smoke_run))
    assert result.returncode == 0 and (smoke_run / "report.html").is_file()


def test_checkpoint_sweep_in_one_engine(smoke_run, tmp_path):
    out = tmp_path / "sweep"
    result = run_cli("eval", "--checkpoints", str(smoke_run), "--config", "configs/test-tiny.yaml", "--out", str(out),
                     "--quiet", *TINY_RUN_OVERRIDES)
    assert result.returncode == 0, result.stderr[-2000:]
    labels = set(json.loads((out / "eval" / "summary.json").read_text())["labels"])
    assert labels == {"base", "checkpoint-3", "checkpoint-6", "adapter"}


def test_kill_9_during_generation_then_resume_loses_and_repeats_nothing(smoke_run, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import REPO

    args = ["eval", "--adapter", str(smoke_run / "train" / "adapter"), "--config", "configs/test-tiny.yaml", "--quiet",
            *TINY_RUN_OVERRIDES, "--set", "eval.max_problems=4", "--set", "generation.chunk_problems=1"]
    killed = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "harness", *args, "--out", str(killed)], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    journal = killed / "eval" / "base" / "completions.jsonl"
    deadline = time.monotonic() + 300
    while proc.poll() is None and time.monotonic() < deadline:
        if journal.exists() and journal.read_text().count("\n") >= 2:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = journal.read_text().count("\n")
    assert 2 <= partial < 8  # killed mid-way: some problems journaled, not all
    assert run_cli(*args, "--out", str(killed), "--resume").returncode == 0
    clean = tmp_path / "clean"
    assert run_cli(*args, "--out", str(clean)).returncode == 0
    for label in ("base", "adapter"):
        resumed = read_jsonl(killed / "eval" / label / "completions.jsonl")
        assert len(resumed) == len({r["key"] for r in resumed}) == 8  # 4 problems x 2 samples, none twice
        fresh = read_jsonl(clean / "eval" / label / "completions.jsonl")
        assert sorted((r["key"], r["text"]) for r in resumed) == sorted((r["key"], r["text"]) for r in fresh)
