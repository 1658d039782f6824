"""The driver of a function-call test: `driver.py KIND NAME` beside `solution.py`, run inside the sandbox.

Shipped into the sandbox as the script's source (standard library only, never templated
with the program's text); the harness imports it only for the protocol's constants.

Protocol. The test's stdin (read whole before the solution runs) is the call's arguments,
one JSON value per line (`method`, `function`), or a Python test program (`check`). The
solution's output, even `os.write(1, ...)`, goes to stderr; the driver alone writes to the
original stdout, once, at the end: the line `MARKER STATUS`, then the status's payload.

  status          exit  payload
  returned        0     the return value as JSON (method, function)
  passed          0     nothing (check: the test program ran to its end)
  missing         101   what is missing (no class Solution, method or function NAME)
  assertion       102   the traceback of the test program's failed assert (check)
  unserialisable  103   why the return value is not JSON

Any other exception propagates (exit 1, the traceback on stderr). The exit status and
the marker must agree: a program that calls `sys.exit(102)` or `os._exit(0)` itself has
written no marker, so it cannot pass for the driver.

Not covered: a program that sets out to forge the report. It runs in the driver's process
and could reach the saved descriptor; the sandbox bounds what it can do, not what it claims.
"""

import io
import json
import linecache
import os
import sys
import traceback
import types

MARKER = "#judges.calls.report#"
RETURNED, PASSED, MISSING, ASSERTION, UNSERIALISABLE = "returned", "passed", "missing", "assertion", "unserialisable"
EXIT_STATUS = {RETURNED: 0, PASSED: 0, MISSING: 101, ASSERTION: 102, UNSERIALISABLE: 103}
SOLUTION, TEST = "solution.py", "test.py"  # the file names tracebacks show
# LeetCode runs a `class Solution` with these imported already (typing's List, collections' deque, ...),
# and LiveCodeBench's grader puts the same imports before its solutions: code that uses `List[int]`
# unimported passes there, so it must pass here. Only for methods: in a top-level function's
# namespace they would stand in for a missing function (operator's `add`, math's `gcd`).
PRELUDE = "".join(f"from {name} import *\n" for name in (
    "string", "re", "datetime", "collections", "heapq", "bisect", "copy", "math", "random", "statistics",
    "itertools", "functools", "operator", "io", "sys", "json", "builtins", "typing",
)) + ("import string, re, datetime, collections, heapq, bisect, copy, math, random, statistics, itertools, "
      "functools, operator, io, sys, json\nsys.setrecursionlimit(50000)\n")

_loads, _dumps = json.loads, json.dumps  # bound before the solution can replace them


def compiled(source: str, filename: str) -> types.CodeType:
    """Compile as if from `filename`, registering the text so that tracebacks show its lines."""
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    return compile(source, filename, "exec", dont_inherit=True)


def load_solution(folder: str, prelude: bool) -> types.ModuleType:
    """Run solution.py as the module `solution`, so its `if __name__ == "__main__":` block stays out."""
    module = types.ModuleType("solution")
    module.__file__ = os.path.join(folder, SOLUTION)
    sys.modules["solution"] = module  # what dataclasses, pickle and typing look a class's module up in
    if prelude:
        exec(PRELUDE, module.__dict__)
    with open(module.__file__, encoding="utf-8") as handle:
        exec(compiled(handle.read(), SOLUTION), module.__dict__)
    return module


def entry_point(module: types.ModuleType, kind: str, name: str) -> tuple[object, str]:
    """The callable the test calls, or None and a sentence saying what is missing."""
    if kind == "method":
        solution = module.__dict__.get("Solution")
        if not isinstance(solution, type):
            return None, "the program defines no class Solution"
        instance = solution()  # a constructor that fails is the program's crash
        method = getattr(instance, name, None)
        return (method, "") if callable(method) else (None, f"class Solution has no method '{name}'")
    function = module.__dict__.get(name)
    return (function, "") if callable(function) else (None, f"the program defines no function '{name}'")


def run_check(module: types.ModuleType, program: str) -> tuple[str, str]:
    """Run the test program in the solution's namespace; a failed assert of its own is a wrong answer.

    An AssertionError whose last frame of ours is the solution's is the solution's own crash.
    """
    try:
        exec(compiled(program, TEST), module.__dict__)
    except AssertionError as exc:
        ours = [frame.f_code.co_filename for frame, _ in traceback.walk_tb(exc.__traceback__)
                if frame.f_code.co_filename in (TEST, SOLUTION)]
        if not ours or ours[-1] != TEST:
            raise
        tb = exc.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename != TEST:
            tb = tb.tb_next  # the driver's frames are no part of the test
        return ASSERTION, "".join(traceback.format_exception(type(exc), exc, tb))
    return PASSED, ""


def outcome(kind: str, name: str, given: str) -> tuple[str, str]:
    """Run the solution and its test: the report's status and payload (the program's exceptions propagate)."""
    args = [] if kind == "check" else [_loads(line) for line in given.split("\n") if line.strip()]
    module = load_solution(os.path.dirname(os.path.abspath(__file__)), prelude=kind == "method")
    function, missing = entry_point(module, kind, name)
    if not callable(function):
        return MISSING, missing
    if kind == "check":
        return run_check(module, given)
    result = function(*args)
    try:
        return RETURNED, _dumps(result)
    except (TypeError, ValueError, RecursionError) as exc:  # a set, an object, a 5000-digit int, a cycle
        return UNSERIALISABLE, f"the return value ({type(result).__name__}) is not JSON: {exc}"


def main() -> int:
    """Read the test, hide stdout from the solution, run it, report on the saved stdout."""
    kind, name = sys.argv[1], sys.argv[2]
    given = sys.stdin.buffer.read().decode("utf-8")
    sys.stdin = sys.__stdin__ = io.TextIOWrapper(io.BytesIO(b""), encoding="utf-8")  # type: ignore[misc]
    sys.stdout.flush()
    channel = os.fdopen(os.dup(1), "wb")  # os.dup's copy is not inherited by the solution's children
    os.dup2(2, 1)  # the solution's prints, even os.write(1, ...), go to stderr
    status, payload = outcome(kind, name, given)
    channel.write(f"{MARKER} {status}\n{payload}".encode("utf-8", errors="backslashreplace"))
    channel.flush()
    return EXIT_STATUS[status]


if __name__ == "__main__":
    raise SystemExit(main())  # not sys.exit: the solution may have replaced it
