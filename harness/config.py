"""Run configuration: one frozen dataclass per stage, composed into `RunConfig`.

Loaded from YAML, overridden with `section.key=value`, validated all at once: every problem
found goes into one `ConfigError`, so a user fixes a file in one pass.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from harness.errors import ConfigError

LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def _f(default, help: str):  # noqa: A002 - `help` reads best at the call sites
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: default, metadata={"help": help})
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class ModelConfig:
    """The base model."""

    name_or_path: str = _f("Qwen/Qwen3-0.6B", "hub id or local directory; 'builtin:tiny-qwen3' builds a tiny local model")
    dtype: str = _f("auto", "weights dtype: auto, float32, bfloat16, float16")
    enable_thinking: bool = _f(True, "passed to the chat template (Qwen3's thinking switch)")


@dataclass(frozen=True)
class DataConfig:
    """Where problems come from and how they are split."""

    source: str = _f("bundled", "problems: 'bundled', a Kattis package (folder), an open-r1 dataset name "
                     "(open-r1/codeforces[:config][@split], open-r1/codeforces-cots...) or local parquet/jsonl files")
    train_source: str = _f("", "a separate training source (e.g. open-r1/codeforces-cots); empty: split `source`")
    codeforces_tests_dir: str = _f("", "folder of open-r1/codeforces generated_tests/test_cases_NNNN.parquet files")
    split: str = _f("hash", "hash (seeded, by problem) or date (held out: contest_start on/after date_cutoff)")
    date_cutoff: str = _f("", "YYYY-MM-DD for split: date")
    held_out_fraction: float = _f(0.25, "share of problems held out of training for evaluation")
    split_seed: int = _f(0, "seed of the train / held-out split")
    contamination: str = _f("remove", "held-out problems whose statements overlap training ones: remove or flag")
    ngram: int = _f(13, "n of the statement n-grams compared by the contamination check")
    ngram_threshold: float = _f(0.1, "share of a held-out statement's n-grams seen in training that counts as seen")


@dataclass(frozen=True)
class TrainConfig:
    """Supervised fine-tuning with TRL's SFTTrainer and a PEFT LoRA adapter."""

    lora_r: int = _f(16, "LoRA rank")
    lora_alpha: int = _f(32, "LoRA alpha")
    lora_dropout: float = _f(0.05, "LoRA dropout")
    target_modules: tuple[str, ...] = _f(LORA_TARGETS, "modules that get LoRA adapters")
    learning_rate: float = _f(2e-4, "peak learning rate")
    lr_scheduler: str = _f("cosine", "learning-rate schedule (transformers' names)")
    warmup_ratio: float = _f(0.03, "share of steps spent warming up")
    per_device_batch_size: int = _f(4, "sequences per device per step")
    gradient_accumulation_steps: int = _f(4, "micro-batches per optimizer step")
    num_epochs: float = _f(1.0, "epochs over the training problems")
    max_steps: int = _f(-1, "optimizer steps; -1 means use num_epochs")
    max_length: int = _f(4096, "longest training sequence in tokens")
    bf16: bool = _f(True, "train in bfloat16 (ignored on CPU)")
    gradient_checkpointing: bool = _f(True, "trade compute for activation memory")
    assistant_only_loss: bool = _f(True, "train only on the assistant turn (needs {% generation %} in the template)")
    packing: bool = _f(False, "pack sequences (bfd, padding-free)")
    logging_steps: int = _f(10, "log metrics every N optimizer steps")
    save_steps: int = _f(100, "save an adapter checkpoint every N steps")
    seed: int = _f(42, "training seed")
    eval_fraction: float = _f(0.0, "share of training problems kept apart for an eval loss every logging step; 0: none")
    report_to: tuple[str, ...] = _f(("none",), "trackers passed to TRL (tensorboard, wandb); metrics.jsonl is always written")
    zero_grad_patience: int = _f(3, "abort when every LoRA gradient is 0 for this many first steps")
    use_liger_kernel: bool = _f(False, "Liger fused kernels (needs the liger-kernel package)")
    torch_compile: bool = _f(False, "torch.compile the model")


@dataclass(frozen=True)
class GenerationConfig:
    """Sampling solutions for held-out problems."""

    engine: str = _f("auto", "auto (vLLM where installed, else transformers), vllm, endpoint or transformers")
    endpoint_url: str = _f("", "engine endpoint: an OpenAI-compatible server (vllm serve --enable-lora --lora-modules "
                               "LABEL=PATH ...); empty: start one on loopback")
    endpoint_model: str = _f("", "engine endpoint: the served base model's name (default: model.name_or_path)")
    endpoint_concurrency: int = _f(8, "engine endpoint: requests in flight at once")
    endpoint_timeout_s: float = _f(600.0, "engine endpoint: per-request timeout (retried with backoff)")
    max_model_len: int = _f(8192, "vLLM's context length (prompt + completion)")
    check_against_transformers: bool = _f(False, "before a vLLM evaluation, also compare its greedy probe outputs with "
                                          "transformers + PEFT (recorded in env.json)")
    chunk_problems: int = _f(16, "problems per engine call (every label's requests in one batch); journaled after each")
    language: str = _f("python", "language the model is asked to write: python or cpp")
    samples: int = _f(4, "completions per problem (n)")
    temperature: float = _f(0.7, "sampling temperature; 0 means greedy")
    top_p: float = _f(0.95, "nucleus sampling")
    max_new_tokens: int = _f(4096, "completion token budget")
    seed: int = _f(1234, "sampling seed (per-problem seeds derive from it)")


@dataclass(frozen=True)
class EvalConfig:
    """Running, judging and scoring the generated programs."""

    k: tuple[int, ...] = _f((1,), "pass@k values to report (each at most generation.samples)")
    max_problems: int = _f(0, "evaluate at most this many held-out problems; 0 means all")
    seen_problems: int = _f(0, "also evaluate this many training problems, reported apart from held-out")
    sandbox: str = _f("auto", "sandbox kind: auto (bwrap when it works here), bwrap or process")
    workers: int = _f(2, "programs judged in parallel")
    stop_on_failure: bool = _f(True, "stop judging a program at its first failing test")
    rerun_tle: bool = _f(True, "run a TLE once more before reporting it (counted in the summary)")
    calibrate_time_limits: bool = _f(False, "scale time limits to this host's speed (a fixed workload, measured once)")
    bootstrap_resamples: int = _f(2000, "resamples for confidence intervals")


@dataclass(frozen=True)
class RunConfig:
    """The whole pipeline's configuration."""

    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    generation: GenerationConfig = field(default_factory=GenerationConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)


SECTIONS = {
    "model": ModelConfig,
    "data": DataConfig,
    "train": TrainConfig,
    "generation": GenerationConfig,
    "eval": EvalConfig,
}


def _coerce(value, hint, where: str, errors: list[str]):
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        return None if value is None else _coerce(value, options[0], where, errors)
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            value = [value]
        inner = typing.get_args(hint)[0]
        return tuple(_coerce(v, inner, where, errors) for v in value)
    if hint is bool:
        if isinstance(value, bool):
            return value
    elif hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        try:  # YAML 1.1 reads "1e-2" as a string
            return float(value) if isinstance(value, str) else None
        except ValueError:
            pass
    elif hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif hint is str:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
    errors.append(f"{where}: expected {getattr(hint, '__name__', hint)}, got {value!r}")
    return None


def _build_section(name: str, raw, errors: list[str]):
    cls = SECTIONS[name]
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        errors.append(f"{name}: expected a mapping, got {raw!r}")
        return cls()
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    values = {}
    for key, value in raw.items():
        if key not in known:
            errors.append(f"unknown config key '{name}.{key}'")
            continue
        values[key] = _coerce(value, hints[key], f"{name}.{key}", errors)
    return cls(**{k: v for k, v in values.items() if v is not None or hints[k] is type(None)})


def _check(config: RunConfig, errors: list[str]) -> None:
    g, e, d, t = config.generation, config.eval, config.data, config.train
    if not 0 < d.held_out_fraction < 1:
        errors.append("data.held_out_fraction: must be between 0 and 1")
    if d.split not in ("hash", "date"):
        errors.append(f"data.split: '{d.split}' is not one of hash, date")
    if d.split == "date" and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", d.date_cutoff):
        errors.append(f"data.date_cutoff: '{d.date_cutoff}' is not a YYYY-MM-DD date (needed by data.split: date)")
    if d.contamination not in ("remove", "flag"):
        errors.append(f"data.contamination: '{d.contamination}' is not one of remove, flag")
    if d.ngram < 1 or not 0 < d.ngram_threshold <= 1:
        errors.append("data.ngram / data.ngram_threshold: n must be at least 1 and the threshold in (0, 1]")
    if e.seen_problems < 0:
        errors.append("eval.seen_problems: must be 0 or more")
    if g.language not in ("python", "cpp"):
        errors.append(f"generation.language: '{g.language}' is not one of python, cpp")
    if g.engine not in ("auto", "vllm", "endpoint", "transformers"):
        errors.append(f"generation.engine: '{g.engine}' is not one of auto, vllm, endpoint, transformers")
    if g.chunk_problems < 1:
        errors.append("generation.chunk_problems: must be at least 1")
    if g.samples < 1:
        errors.append("generation.samples: must be at least 1")
    if g.samples > 1 and g.temperature <= 0:
        errors.append("generation.temperature: several samples need temperature > 0")
    if any(k < 1 or k > g.samples for k in e.k):
        errors.append(f"eval.k: every k must be between 1 and generation.samples ({g.samples})")
    if e.sandbox not in ("auto", "bwrap", "process"):
        errors.append(f"eval.sandbox: '{e.sandbox}' is not one of auto, bwrap, process")
    if e.workers < 1:
        errors.append("eval.workers: must be at least 1")
    if config.model.dtype not in ("auto", "float32", "bfloat16", "float16"):
        errors.append(f"model.dtype: '{config.model.dtype}' is not one of auto, float32, bfloat16, float16")
    if not 0 <= t.eval_fraction < 1:
        errors.append("train.eval_fraction: must be in [0, 1)")
    for name in ("lora_r", "per_device_batch_size", "gradient_accumulation_steps", "logging_steps", "save_steps",
                 "zero_grad_patience"):
        if getattr(t, name) < 1:
            errors.append(f"train.{name}: must be at least 1")


def _parse_overrides(overrides: list[str], raw: dict, errors: list[str]) -> None:
    for item in overrides:
        key, sep, text = item.partition("=")
        section, dot, name = key.partition(".")
        if not sep or not dot or not name:
            errors.append(f"--set '{item}': expected section.key=value")
            continue
        if section not in SECTIONS:
            errors.append(f"unknown config section '{section}' in --set '{item}'")
            continue
        raw.setdefault(section, {})
        if not isinstance(raw[section], dict):
            continue  # reported when the section is built
        raw[section][name] = yaml.safe_load(text) if text else ""


def load_config(path: str | Path | None = None, overrides: list[str] | None = None) -> RunConfig:
    """Read a YAML file (or defaults), apply overrides, validate; raise one `ConfigError` listing all errors."""
    raw: dict = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"config file not found: {path}")
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: expected a mapping of sections")
    errors: list[str] = []
    _parse_overrides(list(overrides or []), raw, errors)
    for section in raw:
        if section not in SECTIONS:
            errors.append(f"unknown config section '{section}'")
    sections = {name: _build_section(name, raw.get(name), errors) for name in SECTIONS}
    config = RunConfig(**sections)
    _check(config, errors)
    if errors:
        where = f"{path}: " if path else ""
        raise ConfigError(where + "; ".join(errors))
    return config


def config_to_dict(config: RunConfig) -> dict:
    """Plain data (tuples as lists) for YAML and JSON."""
    def plain(value):
        if isinstance(value, tuple):
            return [plain(v) for v in value]
        return value

    return {name: {k: plain(v) for k, v in dataclasses.asdict(getattr(config, name)).items()} for name in SECTIONS}


def dump_config(config: RunConfig) -> str:
    """The resolved config as YAML, exactly what ran."""
    return yaml.safe_dump(config_to_dict(config), sort_keys=False)
