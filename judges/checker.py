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

from contextlib import ExitStack
from dataclasses import dataclass
from enum import StrEnum

from judges.language import COMPILE_LIMITS, LANGUAGES, Language, build
from sandboxes import Execution, Limits, Sandbox, Session


class Contract(StrEnum):
    """How a checker is called and how it answers (see the module docstring)."""

    KATTIS = "kattis"
    CODEFORCES = "codeforces"


CONTRACTS = tuple(Contract)


@dataclass(frozen=True)
class Checker:
    """A checker program: its source files (name, bytes), language and contract."""

    contract: Contract
    language: Language
    files: tuple[tuple[str, bytes], ...]  # sources, flat names; C++ sources are compiled together
    flags: tuple[str, ...] = ()  # Kattis validator flags, passed after the three paths

    def __post_init__(self) -> None:
        if self.contract not in CONTRACTS:
            raise ValueError(f"unknown checker contract '{self.contract}' (known: {', '.join(CONTRACTS)})")
        if self.language not in LANGUAGES:
            raise ValueError(f"unknown checker language '{self.language}' (known: {', '.join(LANGUAGES)})")
        if not self.files:
            raise ValueError("a checker needs at least one source file")
        # Plain strings from a caller become the members they name (frozen: set through object).
        object.__setattr__(self, "contract", Contract(self.contract))
        object.__setattr__(self, "language", Language(self.language))


_KATTIS_ACCEPT, _KATTIS_REJECT = 42, 43
CHECKER_LIMITS = Limits(wall_time_s=30.0, cpu_time_s=15.0, memory_mb=2048, stdout_bytes=1 << 20, file_size_mb=256)


class CheckerError(RuntimeError):
    """The checker itself failed (did not compile, crashed, answered outside its contract): an IE."""


class CheckerRun:
    """A checker built once in its own sandbox session, then asked about one test output at a time.

    The program under test never shares a sandbox with the checker, which sees the expected
    answers.
    """

    def __init__(self, checker: Checker, sandbox: Sandbox) -> None:
        self.checker = checker
        self.sandbox = sandbox
        self.build = build(checker.language, dict(checker.files))
        self._stack = ExitStack()
        self.session: Session | None = None

    def __enter__(self) -> CheckerRun:
        self.session = self._stack.enter_context(self.sandbox.session(self.build.files, CHECKER_LIMITS))
        if self.build.compile_argv:
            compiled = self.session.run(self.build.compile_argv, b"", COMPILE_LIMITS, keep=True)
            if not compiled.ok:
                self._stack.close()
                raise CheckerError(f"the checker does not compile: {compiled.stderr_tail(8, 1500)}")
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    @property
    def _session(self) -> Session:
        if self.session is None:
            raise CheckerError("the checker was asked before its sandbox session started")
        return self.session

    def _execute(self, args: list[str], stdin: bytes, files: dict[str, bytes], dirs: tuple[str, ...] = ()) -> Execution:
        if self.build.script:
            return self._session.run_python(self.build.script, stdin, CHECKER_LIMITS, files, args=args, dirs=dirs)
        return self._session.run([*(self.build.run_argv or ()), *args], stdin, CHECKER_LIMITS, files, dirs=dirs)

    def check(self, test_input: str, answer: str, output: bytes) -> tuple[bool, str]:
        """(accepted, message) for one program output; raises CheckerError when the checker fails."""
        ask = {Contract.KATTIS: self._kattis, Contract.CODEFORCES: self._codeforces}[self.checker.contract]
        return ask(test_input, answer, output)

    def _kattis(self, test_input: str, answer: str, output: bytes) -> tuple[bool, str]:
        files = {"input": test_input.encode(), "judge_answer": answer.encode()}
        result = self._execute(["input", "judge_answer", "feedback", *self.checker.flags], output, files, ("feedback",))
        message = self._session.read("feedback/judgemessage.txt").decode(errors="replace").strip()
        if result.exit_code == _KATTIS_ACCEPT:
            return True, message
        if result.exit_code == _KATTIS_REJECT:
            return False, message or "rejected by the output validator"
        raise CheckerError(_failure("output validator", result))

    def _codeforces(self, test_input: str, answer: str, output: bytes) -> tuple[bool, str]:
        files = {"input.txt": test_input.encode(), "correct_output.txt": answer.encode(), "solution_output.txt": output}
        result = self._execute(["input.txt", "correct_output.txt", "solution_output.txt"], b"", files)
        verdict = result.stdout.decode(errors="replace").split()
        if result.exit_code == 0:
            accepted = bool(verdict) and verdict[0] == "1"
            return accepted, "" if accepted else "rejected by the checker: " + " ".join(verdict[:20])
        if result.exit_code in (1, 2) and "Traceback (most recent call last)" not in result.stderr_tail(50, 4000):
            return False, result.stderr_tail(3, 300) or "rejected by the checker"  # testlib's _wa / _pe
        raise CheckerError(_failure("checker", result))


def _failure(what: str, result: Execution) -> str:
    why = result.limit_hit.value if result.limit_hit else f"exit code {result.exit_code}, signal {result.signal}"
    return f"the {what} failed ({why}): {result.stderr_tail(3, 400)}".strip()
