"""Custom output checkers from problem packages, run inside a sandbox like any untrusted program.

Two contracts:
- `kattis`: the program gets `input_file judge_answer_file feedback_dir [flags...]` as arguments
  and the contestant's output on stdin; exit 42 accepts, 43 rejects, anything else is a
  checker failure (IE). Its message is `feedback_dir/judgemessage.txt`.
- `codeforces` (open-r1/codeforces `generated_checker`): the program gets
  `input.txt correct_output.txt solution_output.txt`; exit 0 with `1` as the first token of
  stdout accepts, exit 0 with anything else rejects, a non-zero exit is a checker failure.
"""

from __future__ import annotations

from dataclasses import dataclass

CONTRACTS = ("kattis", "codeforces")
LANGUAGES = ("python", "cpp")


@dataclass(frozen=True)
class Checker:
    """A checker program: its source files (name, bytes), language and contract."""

    contract: str  # one of CONTRACTS
    language: str  # one of LANGUAGES
    files: tuple[tuple[str, bytes], ...]  # sources, flat names; C++ sources are compiled together
    flags: tuple[str, ...] = ()  # Kattis validator flags, passed after the three paths

    def __post_init__(self) -> None:
        if self.contract not in CONTRACTS:
            raise ValueError(f"unknown checker contract '{self.contract}' (known: {', '.join(CONTRACTS)})")
        if self.language not in LANGUAGES:
            raise ValueError(f"unknown checker language '{self.language}' (known: {', '.join(LANGUAGES)})")
        if not self.files:
            raise ValueError("a checker needs at least one source file")
