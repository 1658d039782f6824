"""The base model of the PEFT adapters `harness eval` is given: read from their `adapter_config.json`, checked.

Every adapter records the model it was trained on (`base_model_name_or_path`). With no model
named in the config (neither in its file nor by `--set model.name_or_path=`), that record is the
base evaluated; a named model must be the same one, and several adapters (`--checkpoints`) must
share one base, else the command stops before anything is written, with one line naming both
models and the file. Same means same identity (`identity`), not the same string: an adapter
trained on `builtin:tiny-qwen3` records the built model's cache folder,
`$HARNESS_HOME/models/tiny-qwen3-v1-s0-<corpus digest>`, and that folder's name (builder version,
seed, corpus digest) names the model wherever the cache lives.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from harness.config import RunConfig
from harness.errors import ConfigError, DataError

BUILTIN_FOLDER = re.compile(r"(?P<base>tiny-qwen3(?:-coder)?)-v\d+-s(?P<seed>\d+)-[0-9a-f]{12}")
HUB_SNAPSHOT = re.compile(r"models--(?P<org>[^/]+?)--(?P<name>[^/]+)/snapshots/")


@dataclass(frozen=True)
class RecordedBase:
    """The base model an adapter names, and the file that names it."""

    name: str
    source: Path


def recorded_base(adapter_dir: str | Path) -> RecordedBase:
    """`base_model_name_or_path` of the adapter in `adapter_dir`; DataError when unreadable or absent."""
    path = Path(adapter_dir) / "adapter_config.json"
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: not a readable adapter config ({exc})") from None
    name = record.get("base_model_name_or_path") if isinstance(record, dict) else None
    if not isinstance(name, str) or not name:
        raise DataError(f"{path}: names no base model (base_model_name_or_path); name one with "
                        "--set model.name_or_path=...")
    return RecordedBase(name, path)


def identity(name: str) -> str:
    """What one model is called wherever it is stored.

    A builtin model's cache folder: its folder name. A hub cache snapshot
    (`.../models--ORG--NAME/snapshots/REV`): the hub id ORG/NAME. An existing local directory: its
    real path. Anything else (a hub id): the name itself.
    """
    if match := HUB_SNAPSHOT.search(name):
        return f"{match['org']}/{match['name']}"
    folder = Path(name).name
    if BUILTIN_FOLDER.fullmatch(folder):
        return folder
    return str(Path(name).resolve()) if Path(name).is_dir() else name


def agreed_base(adapters: Mapping[str, str]) -> RecordedBase:
    """The one base every adapter was trained on; DataError naming two that disagree, and their files."""
    recorded = [recorded_base(path) for path in adapters.values()]
    first = recorded[0]
    for other in recorded[1:]:
        if identity(other.name) != identity(first.name):
            raise DataError(f"the adapters were trained on different bases: {first.source} names {first.name}, "
                            f"{other.source} names {other.name}")
    return first


def _builtin_name(recorded: str) -> str | None:
    """`builtin:tiny-qwen3[-coder][-sN]` for a builtin model's cache folder, else None."""
    match = BUILTIN_FOLDER.fullmatch(Path(recorded).name)
    if match is None:
        return None
    return f"builtin:{match['base']}" + (f"-s{match['seed']}" if match["seed"] != "0" else "")


def evaluated_base(named: str | None, adapters: Mapping[str, str]) -> str:
    """The model to load `adapters` on: `named` (the config's, None when it names none) once checked, else their record.

    A builtin model's folder that is gone (the adapter was trained elsewhere) is rebuilt through its
    builtin name, and must come out as the same folder.
    """
    from harness.models import resolve_model

    recorded = agreed_base(adapters)
    if named is not None:
        if identity(resolve_model(named)) != identity(recorded.name):
            raise ConfigError(f"model.name_or_path is {named}, but the adapter was trained on {recorded.name} "
                              f"({recorded.source}); leave model.name_or_path out to evaluate on the adapter's base")
        return named
    if Path(recorded.name).is_dir():
        return recorded.name
    builtin = _builtin_name(recorded.name)
    if builtin is not None:
        rebuilt = resolve_model(builtin)
        if identity(rebuilt) != identity(recorded.name):
            raise DataError(f"{recorded.source}: its base {recorded.name} is not on this machine, and {builtin} now "
                            f"builds another model ({Path(rebuilt).name})")
        return builtin
    if recorded.name.startswith(("/", ".", "~")):
        raise DataError(f"{recorded.source}: its base {recorded.name} is not on this machine; name a copy with "
                        "--set model.name_or_path=...")
    return recorded.name  # a hub id


def with_adapters_base(config: RunConfig, adapters: Mapping[str, str], named: bool) -> RunConfig:
    """`config` with the base model the adapters were trained on (`named`: the config names its model)."""
    if not adapters:
        return config
    base = evaluated_base(config.model.name_or_path if named else None, adapters)
    return dataclasses.replace(config, model=dataclasses.replace(config.model, name_or_path=base))
