"""The reference recipe on one GPU, measured in one command: every figure of the GPU check in one JSON file.

Steps, each timed, each failure recorded as one line without stopping the others (a GPU
check is short and rare, so one broken step must not cost the rest):

1. `environment`: versions, the device, which attention kernels the stack offers;
2. `peak`: a bf16 8192³ matrix product, the achievable peak beside the datasheet's;
3. `model`: Qwen3-0.6B's exact architecture, randomly initialised, and a 151,936-entry tokenizer
   (benchmarks/reference_model.py);
4. `training`: benchmarks/training.py with the reference recipe (configs/qwen3-0.6b-codeforces.yaml:
   LoRA r=16/α=32 on all seven projections, batch 4 × accumulation 4, bf16, gradient
   checkpointing, max_length 4096) on rows drawn from `--lengths`, per variant: tokens/s, MFU,
   peak GPU memory and the projected time of one epoch of codeforces-cots `solutions_py`;
5. `generation`: the transformers engine, base + one adapter, n=8, 1,024 new tokens (vLLM's
   wheels do not fit the 64 MiB that travels to the GPU machine, so vLLM is not measured there);
6. `end_to_end`: `harness run --train --eval` with benchmarks/gpu-check.yaml on that model;
7. `gpu_tests`: the suite's `gpu`-marked tests (skipped where there is no GPU).

MFU counts N as every weight of the base once (the tied embedding as the output layer's
matrix product, 596M for Qwen3-0.6B) plus the LoRA weights; `mfu_6n` is the usual 6·N·tokens/s
over the peak. A LoRA step computes no gradient for the frozen weights, so its model FLOPs are
about 4·N per token (`mfu_4n`); gradient checkpointing re-runs the forward (2·N more), which
neither counts. Attention's own FLOPs are left out of both.

`--dry-run` runs every step on the CPU at the suite's tiny sizes (seconds per step), so the
script cannot rot between GPU checks. Usage: benchmarks/gpu.sh OUT [--dry-run] [--lengths FILE]
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from sft_lengths import SOLUTIONS_PY_ROWS, draw  # noqa: E402  (beside this file)

from harness.config import LORA_TARGETS, load_config  # noqa: E402  (the recipe's seven projections; its config)

H200_BF16_DENSE_FLOPS = 989.4e12  # NVIDIA H200 SXM datasheet, bf16 dense (no sparsity)
RECIPE = ROOT / "configs" / "qwen3-0.6b-codeforces.yaml"  # the reference recipe the training step runs
SEED_EPOCH_MINUTES = 26.0  # the seed's reported time for one epoch of solutions_py, on one AMD MI300X


@dataclass(frozen=True)
class Plan:
    """How big each step is: the GPU check, or its CPU dry run."""

    tiny: bool
    train_steps: int
    train_batch: int | None  # None: the recipe's 4
    max_length: int | None  # None: the recipe's 4096
    variants: str
    gen_problems: int
    gen_samples: int
    gen_tokens: int
    dtype: str
    e2e_overrides: tuple[str, ...]
    budget_s: int  # every step together: a step that would start past it is skipped, and timeouts shrink to fit
    variant_s: int  # at most, per training variant


PLANS = {
    "gpu": Plan(tiny=False, train_steps=6, train_batch=None, max_length=None,
                variants="seed,project,packed-sdpa,packed-flex,packed-fa2", gen_problems=1, gen_samples=8,
                gen_tokens=1024, dtype="bfloat16", e2e_overrides=(), budget_s=540, variant_s=100),
    "dry-run": Plan(tiny=True, train_steps=1, train_batch=2, max_length=1024, variants="seed,packed-sdpa",
                    gen_problems=1, gen_samples=2, gen_tokens=8, dtype="float32",
                    e2e_overrides=("model.dtype=float32", "train.max_steps=2", "train.max_length=1024",
                                   "generation.max_new_tokens=16", "eval.max_problems=2", "eval.seen_problems=1",
                                   "eval.workers=2"),
                    budget_s=590, variant_s=120),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for gpu.json and the steps' logs")
    parser.add_argument("--dry-run", action="store_true", help="every step on the CPU at tiny sizes")
    parser.add_argument("--lengths", type=Path, default=None,
                        help="recorded length distribution (benchmarks/sft_lengths.py record); default: every row at "
                             "max_length")
    parser.add_argument("--work", type=Path, default=None, help="folder for the model and the run (default: a temp dir)")
    parser.add_argument("--budget-s", type=int, default=None, help="seconds for every step together (default: the plan's)")
    args = parser.parse_args()
    if args.lengths is not None and not args.lengths.is_file():
        parser.error(f"--lengths: {args.lengths}: no such file")
    plan = PLANS["dry-run" if args.dry_run else "gpu"]
    args.out.mkdir(parents=True, exist_ok=True)
    work = args.work or Path(tempfile.mkdtemp(prefix="gpu-check-"))
    figures: dict = {"benchmark": "gpu", "date": datetime.date.today().isoformat(), "plan": asdict(plan)}
    check = Check(figures, args.out, args.budget_s or plan.budget_s)
    check.step("environment", environment)
    check.step("peak", measured_peak)
    model = work / "model"
    check.step("model", lambda: built_model(model, plan.tiny))
    check.step("training", lambda: training(model, plan, args.lengths, check))
    check.step("generation", lambda: generation(model, plan, check))
    check.step("end_to_end", lambda: end_to_end(model, plan, work / "run", check))
    check.step("gpu_tests", lambda: gpu_tests(check))
    (args.out / "gpu.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    failed = [name for name, value in figures.items() if isinstance(value, dict) and "failed" in value]
    failed += [f"training {name}" for name, value in figures.get("training", {}).get("variants", {}).items()
               if "failed" in value]
    if failed:
        print(f"gpu check: steps failed: {', '.join(failed)} (see gpu.json)", file=sys.stderr)
    return 1 if failed else 0


class Check:
    """Runs steps into one figures dict under one time budget: each timed, an exception kept as one line.

    gpu.json is rewritten after every step (and every training variant), so what ran survives a kill.
    """

    def __init__(self, figures: dict, out: Path, budget_s: int) -> None:
        self.figures, self.out = figures, out
        self.deadline = time.monotonic() + budget_s

    def left(self, cap: int) -> int:
        """Seconds a subprocess may take: at most `cap`, never past the budget."""
        return max(1, min(cap, int(self.deadline - time.monotonic())))

    def step(self, name: str, run: Callable[[], dict]) -> None:
        started = time.perf_counter()
        if time.monotonic() >= self.deadline:
            value = {"skipped": "the check's time budget was spent"}
        else:
            try:
                value = run()
            except Exception as exc:  # noqa: BLE001 - recorded, and the next step still runs
                text = str(exc).strip()
                value = {"failed": f"{type(exc).__name__}: {text.splitlines()[-1] if text else ''}"}
        value["step_s"] = round(time.perf_counter() - started, 1)
        self.save(name, value)

    def log(self, title: str) -> Path:
        """The one log of every step (few files come back from the GPU machine), a header for the next part appended."""
        path = self.out / "steps.log"
        with path.open("a") as handle:
            handle.write(f"==== {title}\n")
        return path

    def save(self, name: str, value: dict) -> None:
        self.figures[name] = value
        (self.out / "gpu.json").write_text(json.dumps(self.figures, indent=2) + "\n")


def environment() -> dict:
    import importlib.util
    from importlib import metadata

    import torch

    versions = {}
    for name in ("torch", "transformers", "trl", "peft", "accelerate", "datasets", "flash-attn", "vllm"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    cuda = torch.cuda.is_available()
    return {"python": platform.python_version(), "versions": versions, "cuda": cuda,
            "device": torch.cuda.get_device_name(0) if cuda else platform.processor() or "cpu",
            "cuda_version": torch.version.cuda, "flash_attn_importable": importlib.util.find_spec("flash_attn") is not None,
            "flex_attention_in_torch": importlib.util.find_spec("torch.nn.attention.flex_attention") is not None}


def measured_peak() -> dict:
    """Mean bf16 TFLOP/s of ten 8192³ matrix products after three warm-ups (CUDA only)."""
    import torch

    if not torch.cuda.is_available():
        return {"skipped": "no CUDA device"}
    n = 8192
    a, b = (torch.randn(n, n, device="cuda", dtype=torch.bfloat16) for _ in range(2))
    for _ in range(3):
        a @ b
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(10):
        a @ b
    end.record()
    torch.cuda.synchronize()
    flops = 2 * n**3 * 10 / (start.elapsed_time(end) / 1000)
    return {"matmul_bf16_tflops": round(flops / 1e12, 1), "datasheet_bf16_dense_tflops": H200_BF16_DENSE_FLOPS / 1e12}


def built_model(target: Path, tiny: bool) -> dict:
    from reference_model import build

    build(target, tiny=tiny)
    made = json.loads((target / "built.json").read_text())
    made["lora_rank"] = load_config(RECIPE).train.lora_r  # the rank the training step trains
    made["lora_parameters"] = lora_parameters(json.loads((target / "config.json").read_text()), made["lora_rank"])
    return made


def lora_parameters(config: dict, rank: int) -> int:
    """LoRA weights on the seven projections of every layer: rank × (in + out) each."""
    h, i = config["hidden_size"], config["intermediate_size"]
    q, kv = config["num_attention_heads"] * config["head_dim"], config["num_key_value_heads"] * config["head_dim"]
    shapes = {"q_proj": (h, q), "k_proj": (h, kv), "v_proj": (h, kv), "o_proj": (q, h), "gate_proj": (h, i),
              "up_proj": (h, i), "down_proj": (i, h)}
    return config["num_hidden_layers"] * rank * sum(a + b for a, b in (shapes[t] for t in LORA_TARGETS))


def training(model: Path, plan: Plan, lengths: Path | None, check: Check) -> dict:
    """benchmarks/training.py on the reference recipe, one variant per process and time limit.

    Each measured variant gains MFU and the projected time of one epoch of solutions_py.
    """
    from training import ratios_to_seed

    command = [sys.executable, str(HERE / "training.py"), "--config", str(RECIPE),
               "--model", str(model), "--steps", str(plan.train_steps), "--lr", "2e-4",
               "--lengths", str(lengths) if lengths else "max"]
    command += ["--batch", str(plan.train_batch)] if plan.train_batch else []
    command += ["--max-length", str(plan.max_length)] if plan.max_length else []
    epoch_lengths, source = draw(SOLUTIONS_PY_ROWS, plan.max_length or 4096, lengths)
    made, peak = check.figures.get("model", {}), check.figures.get("peak", {}).get("matmul_bf16_tflops")
    n_base, n_lora = made.get("parameters", 0), made.get("lora_parameters", 0)
    result: dict = {"variants": {}, "epoch": {"rows": SOLUTIONS_PY_ROWS, "tokens": sum(epoch_lengths), "lengths": source,
                                              "seed_reported_min_mi300x": SEED_EPOCH_MINUTES},
                    "mfu_counts": {"n_base": n_base, "n_lora": n_lora, "peak_flops": H200_BF16_DENSE_FLOPS}}
    for name in plan.variants.split(","):
        try:
            variant = _run([*command, "--variants", name], check.log(f"training {name}"),
                           check.left(plan.variant_s))["variants"][name]
        except RuntimeError as exc:
            variant = {"failed": str(exc)}
        if "tokens_per_s" in variant:
            rate = variant["tokens_per_s"]
            variant["mfu_6n"] = round(6 * (n_base + n_lora) * rate / H200_BF16_DENSE_FLOPS, 4)
            variant["mfu_4n"] = round((4 * n_base + 6 * n_lora) * rate / H200_BF16_DENSE_FLOPS, 4)
            if peak:
                variant["mfu_6n_of_measured_peak"] = round(6 * (n_base + n_lora) * rate / (peak * 1e12), 4)
            epoch_min = sum(epoch_lengths) / rate / 60
            variant["projected_epoch_min"] = round(epoch_min, 1)
            variant["projected_epoch_vs_seed_mi300x"] = round(epoch_min / SEED_EPOCH_MINUTES, 3)
        result["variants"][name] = variant
        result["ratios_to_seed"] = ratios_to_seed(result["variants"])
        check.save("training", result)
    return result


def generation(model: Path, plan: Plan, check: Check) -> dict:
    command = [sys.executable, str(HERE / "generation.py"), "--engines", "transformers", "--model", str(model),
               "--adapters", "1", "--problems", str(plan.gen_problems), "--samples", str(plan.gen_samples),
               "--tokens", str(plan.gen_tokens), "--dtype", plan.dtype]
    return _run(command, check.log("generation"), check.left(150))


def end_to_end(model: Path, plan: Plan, run_dir: Path, check: Check) -> dict:
    """`harness run --train --eval` on the built model; its headline, verdicts, peak memory and engine settings."""
    from sandboxes.bwrap import bwrap_available

    why_not = bwrap_available()
    sandbox = ["--set", "eval.sandbox=process"] if why_not else []  # asked for by name, and recorded below
    command = [sys.executable, "-m", "harness", "run", "--train", "--eval", "--quiet",
               "--config", str(HERE / "gpu-check.yaml"), "--out", str(run_dir),
               "--set", f"model.name_or_path={model}", *sandbox]
    for override in plan.e2e_overrides:
        command += ["--set", override]
    out, log = check.out, check.log("end to end")
    started = time.perf_counter()
    done = _logged(command, log, check.left(240))
    figures: dict = {"seconds": round(time.perf_counter() - started, 1), "exit_code": done.returncode,
                     "sandbox": "process (bubblewrap cannot run here: " + why_not + ")" if why_not else "bwrap"}
    report = run_dir / "report.md"
    if report.exists():
        figures["headline"] = next((line.strip("*") for line in report.read_text().splitlines()
                                    if line.startswith("**On ")), None)
        (out / "report.md").write_text(report.read_text())
    metrics = run_dir / "train" / "metrics.jsonl"
    if metrics.exists():
        last = json.loads(metrics.read_text().splitlines()[-1])
        figures["training_last_step"] = {key: last.get(key) for key in
                                         ("step", "loss", "tokens_per_s", "peak_gpu_mem_mb", "peak_cpu_rss_mb")}
    env = run_dir / "env.json"
    if env.exists():
        recorded = json.loads(env.read_text())
        figures["engine"] = recorded.get("engine")
        figures["gpus"] = recorded.get("gpus")
    figures["verdicts"] = _verdicts(run_dir)
    if done.returncode:
        figures["failed"] = f"harness run exited {done.returncode}: " + _last_line(log)
    return figures


def gpu_tests(check: Check) -> dict:
    """`pytest -m gpu`: the suite's tests that need the device; pytest's summary line."""
    log = check.log("gpu tests")
    done = _logged([sys.executable, "-m", "pytest", "-q", "-m", "gpu", "-p", "no:cacheprovider", "tests"], log,
                   check.left(120))
    summary = _last_line(log)
    if done.returncode not in (0, 5):  # 5: none collected
        raise RuntimeError(f"pytest -m gpu exited {done.returncode}: {summary}")
    return {"summary": summary}


def _verdicts(run_dir: Path) -> dict:
    """Verdict counts per label, from the results journals."""
    from collections import Counter

    counts = {}
    for results in sorted((run_dir / "eval").glob("*/results.jsonl")):
        counts[results.parent.name] = dict(Counter(json.loads(line).get("verdict") for line in
                                                   results.read_text().splitlines() if line.strip()))
    return counts


def _run(command: list[str], log: Path, timeout: int) -> dict:
    """Run a benchmark script; its JSON (from the first `{` of stdout), its stderr in `log`."""
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        _append(log, exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else exc.stderr or "")
        raise RuntimeError(f"{Path(command[1]).name} timed out after {timeout} s") from None
    _append(log, done.stderr)
    if done.returncode:
        raise RuntimeError(f"{Path(command[1]).name} exited {done.returncode}: {_last_line(log)}")
    return json.loads(done.stdout[done.stdout.index("{"):])


def _logged(command: list[str], log: Path, timeout: int) -> subprocess.CompletedProcess:
    """Run a command with stdout and stderr into `log`; a timeout is a one-line error."""
    with log.open("a") as handle:
        try:
            return subprocess.run(command, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"{' '.join(command[1:3])} timed out after {timeout} s") from None


def _append(log: Path, text: str) -> None:
    with log.open("a") as handle:
        handle.write(text)


def _last_line(log: Path) -> str:
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


if __name__ == "__main__":
    sys.exit(main())
