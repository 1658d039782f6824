"""Languages a program may be written in: how to recognise, compile and run each inside a sandbox.

`Language` is the closed set; `SPECS` holds one `LanguageSpec` per member, and everything
else (config validation, prompts, code extraction, `harness judge --language`) reads them.
Adding a language is one `Language` member, one `SPECS` entry and the build function that runs it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePath

from sandboxes import Limits


class Language(StrEnum):
    """A language programs (and checkers) are written in."""

    PYTHON = "python"
    CPP = "cpp"


CPP_COMPILER = "/usr/bin/g++"
CPP_FLAGS = ("-O2", "-std=gnu++17", "-pipe")
COMPILE_LIMITS = Limits(wall_time_s=60.0, cpu_time_s=30.0, memory_mb=2048, stdout_bytes=64 << 10,
                        stderr_bytes=64 << 10, file_size_mb=256, open_files=256, processes=32)
_CPP_HINT = re.compile(r"^\s*#\s*include\s*[<\"]|\bint\s+main\s*\(|\bstd::", re.MULTILINE)


@dataclass(frozen=True)
class Build:
    """A program laid out for a sandbox: its files, an optional compile step, and how to run it."""

    language: Language
    files: dict[str, bytes]
    compile_argv: tuple[str, ...] | None  # run once, keeping what it writes
    run_argv: tuple[str, ...] | None  # exec'd per test (compiled languages)
    script: str | None = None  # run per test in the sandbox's warm interpreter (Python)


def _python_build(sources: Mapping[str, bytes], entry: str | None) -> Build:
    return Build(Language.PYTHON, dict(sources), None, None, script=entry or next(iter(sources)))


def _cpp_build(sources: Mapping[str, bytes], entry: str | None) -> Build:
    units = [n for n in sources if PurePath(n).suffix.lower() in SPECS[Language.CPP].extensions]
    return Build(Language.CPP, dict(sources), (CPP_COMPILER, *CPP_FLAGS, "-o", "a.out", *units), ("./a.out",))


@dataclass(frozen=True)
class LanguageSpec:
    """Everything the harness knows about one language, in one place."""

    title: str  # as the prompt names it
    fence: str  # the code-block tag the model is asked to write
    fence_aliases: frozenset[str]  # tags extraction accepts (an untagged block always counts)
    extensions: tuple[str, ...]  # source file suffixes; the first names a single-file submission
    build: Callable[[Mapping[str, bytes], str | None], Build]


SPECS: dict[Language, LanguageSpec] = {
    Language.PYTHON: LanguageSpec("Python 3", "python", frozenset({"python", "python3", "py"}), (".py",), _python_build),
    Language.CPP: LanguageSpec("C++17", "cpp", frozenset({"cpp", "c++", "cc", "cxx"}), (".cpp", ".cc", ".cxx", ".c++"),
                               _cpp_build),
}
LANGUAGES = tuple(Language)


def detect_language(source: str, filename: str | None = None) -> Language:
    """The language of a source, by file extension when there is one, else by its look."""
    if filename:
        suffix = PurePath(filename).suffix.lower()
        for language, spec in SPECS.items():
            if suffix in spec.extensions:
                return language
    return Language.CPP if _CPP_HINT.search(source) else Language.PYTHON


def build(language: Language | str, sources: dict[str, bytes], entry: str | None = None) -> Build:
    """How to compile and run `sources`; for Python `entry` (default: the first file) is the script."""
    if language not in SPECS:
        raise ValueError(f"unknown language '{language}' (known: {', '.join(LANGUAGES)})")
    return SPECS[Language(language)].build(sources, entry)


def program_build(source: str, language: Language | str) -> Build:
    """The build of a single-file submission."""
    spec = SPECS[Language(language)]
    return build(language, {"main" + spec.extensions[0]: source.encode()})
