"""Languages a program may be written in: how to recognise, compile and run each inside a sandbox."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath

from sandboxes import Limits

LANGUAGES = ("python", "cpp")
CPP_COMPILER = "/usr/bin/g++"
CPP_FLAGS = ("-O2", "-std=gnu++17", "-pipe")
COMPILE_LIMITS = Limits(wall_time_s=60.0, cpu_time_s=30.0, memory_mb=2048, stdout_bytes=64 << 10,
                        stderr_bytes=64 << 10, file_size_mb=256, open_files=256, processes=32)
_EXTENSIONS = {".py": "python", ".cpp": "cpp", ".cc": "cpp", ".cxx": "cpp", ".c++": "cpp"}
_CPP_HINT = re.compile(r"^\s*#\s*include\s*[<\"]|\bint\s+main\s*\(|\bstd::", re.MULTILINE)


@dataclass(frozen=True)
class Build:
    """A program laid out for a sandbox: its files, an optional compile step, and how to run it."""

    language: str
    files: dict[str, bytes]
    compile_argv: tuple[str, ...] | None  # run once, keeping what it writes
    run_argv: tuple[str, ...] | None  # exec'd per test (compiled languages)
    script: str | None = None  # run per test in the sandbox's warm interpreter (Python)


def detect_language(source: str, filename: str | None = None) -> str:
    """The language of a source, by file extension when there is one, else by its look."""
    if filename:
        suffix = PurePath(filename).suffix.lower()
        if suffix in _EXTENSIONS:
            return _EXTENSIONS[suffix]
    return "cpp" if _CPP_HINT.search(source) else "python"


def build(language: str, sources: dict[str, bytes], entry: str | None = None) -> Build:
    """How to compile and run `sources`; for Python `entry` (default: the first file) is the script."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language '{language}' (known: {', '.join(LANGUAGES)})")
    names = list(sources)
    if language == "python":
        return Build("python", dict(sources), None, None, script=entry or names[0])
    units = [n for n in names if PurePath(n).suffix.lower() in _EXTENSIONS]
    compile_argv = (CPP_COMPILER, *CPP_FLAGS, "-o", "a.out", *units)
    return Build("cpp", dict(sources), compile_argv, ("./a.out",))


def program_build(source: str, language: str) -> Build:
    """The build of a single-file submission."""
    name = "main.py" if language == "python" else "main.cpp"
    return build(language, {name: source.encode()})
