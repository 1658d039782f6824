"""Where this process stands in a multi-process launch (`torchrun`, `accelerate launch`).

Training runs on every process (the trainer synchronises them); everything else, writing
the run directory and evaluating, happens on the main process only.
"""

from __future__ import annotations

import os


def rank() -> int:
    """This process's global rank (0 when not launched distributed)."""
    return int(os.environ.get("RANK", "0"))


def world_size() -> int:
    """How many processes train together."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_main() -> bool:
    """True on the process that owns the run directory."""
    return rank() == 0
