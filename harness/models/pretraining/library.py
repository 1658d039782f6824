"""Python as people write it: the interpreter's own standard library, read as plain text for pre-training.

The toy conversations teach the answer layout, but they are a few dozen program shapes; a model
trained on them alone became a template machine that LoRA could not move (rank 64, 150 steps on
8 bundled conversations: loss 1.2, no program reproduced). Mixing these sources into the first
phase of pre-training makes the model adaptable (the same LoRA then reproduces 6 of the 8 programs);
a last phase on the toy conversations alone brings the answer layout back. The files are never
executed, only read.

Which files, in which order, is fixed (sorted paths, fixed filters), and `library_digest` names
their text in the model's cache key: another Python's library is another model.
"""

from __future__ import annotations

import hashlib
import os
import sysconfig
from pathlib import Path

SKIP_PARTS = {"test", "tests", "idlelib", "lib2to3", "site-packages", "dist-packages", "turtledemo", "__pycache__"}
MIN_CHARS, MAX_CHARS = 500, 200_000  # stubs say little; a few generated tables are huge and say less


def library_files(root: Path | None = None) -> list[Path]:
    """The standard library's Python sources under `root` (default: this interpreter's), sorted, tests left out."""
    root = Path(root or sysconfig.get_paths()["stdlib"])
    found = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [name for name in subfolders if name not in SKIP_PARTS]  # never walk site-packages
        found += [Path(folder) / name for name in names if name.endswith(".py")]
    return sorted(found)


def library_texts(root: Path | None = None) -> list[str]:
    """The text of each library file of a useful size (UTF-8; a file that does not decode is left out)."""
    texts = []
    for path in library_files(root):
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if MIN_CHARS <= len(text) <= MAX_CHARS:
            texts.append(text)
    return texts


def library_digest(texts: list[str]) -> str:
    """A short content hash of the library texts."""
    digest = hashlib.sha256()
    for text in texts:
        digest.update(hashlib.sha256(text.encode()).digest())
    return digest.hexdigest()[:12]
