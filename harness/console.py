"""Where output goes: the harness's progress and messages to the terminal, other libraries' into the run's log.

transformers, peft, trl, torch, datasets and vLLM talk through many channels: Python warnings,
their own loggers and handlers, tqdm bars, and C/C++ code writing straight to file descriptor 2
(vLLM's Triton and NUMA notices, torch's c10 warnings), also from child processes (vLLM's engine
core on a GPU). `library_output` sends all of it to `RUN/logs/<command>.log`: the libraries' own
switches where they have them (progress bars off, vLLM's logging left to ours, warnings captured
by `logging`), and beneath them file descriptors 1 and 2 pointed at the log, which catches what C
code and child processes write. The harness writes its own output through `terminal()`, a
duplicate of the real stderr. `--verbose` leaves everything on the console, as the libraries print it.
"""

from __future__ import annotations

import logging
import os
import sys
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

# Always: their bars would interleave with the harness's rich progress.
BAR_SWITCHES = {"HF_HUB_DISABLE_PROGRESS_BARS": "1", "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
                "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1"}
# Unless --verbose: tqdm's default off (read when tqdm is imported), vLLM's records handed to our root logger
# instead of its own stdout handler.
QUIET_SWITCHES = {"TQDM_DISABLE": "1", "VLLM_CONFIGURE_LOGGING": "0"}

_terminal: TextIO | None = None  # set while libraries' output goes to a log


def terminal() -> TextIO:
    """The stream for the harness's own progress and messages: the real stderr, also while fd 2 goes to a log."""
    return _terminal or sys.stderr


def capturing() -> bool:
    """Whether library output is being sent to a log (so nothing may re-route sys.stdout/sys.stderr to the terminal)."""
    return _terminal is not None


def log_path(root: Path, command: str) -> Path:
    """`RUN/logs/<command>.log`."""
    return Path(root) / "logs" / f"{command}.log"


def library_switches() -> None:
    """The libraries' own progress-bar switches (environment variables; set before they are imported)."""
    for name, value in BAR_SWITCHES.items():
        os.environ.setdefault(name, value)


@contextmanager
def library_output(log: Path, verbose: bool = False) -> Iterator[None]:
    """Send other libraries' warnings, logging, bars and fd-level writes to `log` (appended); none with `verbose`."""
    global _terminal
    library_switches()
    if verbose or _terminal is not None:  # nested: the outer capture already holds the terminal
        yield
        return
    switched = {name: value for name, value in QUIET_SWITCHES.items() if name not in os.environ}
    os.environ.update(switched)
    log.parent.mkdir(parents=True, exist_ok=True)
    handle = open(log, "a", encoding="utf-8", errors="replace", buffering=1)  # closed in the finally below
    handle.write(f"==== {time.strftime('%Y-%m-%dT%H:%M:%S%z')} harness {' '.join(sys.argv[1:])}\n")
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    saved = {fd: os.dup(fd) for fd in (1, 2)}  # non-inheritable: sandboxed programs never see the terminal
    _terminal = terminal_stream = os.fdopen(saved[2], "w", buffering=1, errors="backslashreplace", closefd=False,
                                            encoding=getattr(sys.stderr, "encoding", None) or "utf-8")
    for fd in (1, 2):
        os.dup2(handle.fileno(), fd)
    undo = _route_logging(handle, _terminal)
    try:
        yield
    except Exception:
        traceback.print_exc(file=handle)  # the whole story in the log; the CLI prints its one line
        raise
    finally:
        for stream in (sys.stdout, sys.stderr, handle):
            stream.flush()  # what libraries buffered belongs to the log, not to the terminal restored next
        undo()
        terminal_stream.close()  # flushes; the descriptor is closed next, once fd 2 is back
        _terminal = None
        for fd in (1, 2):
            os.dup2(saved[fd], fd)
            os.close(saved[fd])
        handle.close()
        for name in switched:  # child processes started later (a --verbose run in the same tests) see the user's
            os.environ.pop(name, None)


def _route_logging(handle: TextIO, console: TextIO):
    """Every record (and captured warning) into the log; the harness's own warnings also to the terminal."""
    root, ours = logging.getLogger(), logging.getLogger("harness")
    to_log = logging.StreamHandler(handle)
    to_log.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    to_terminal = logging.StreamHandler(console)
    to_terminal.setLevel(logging.WARNING)
    level = root.level
    root.addHandler(to_log)
    root.setLevel(logging.INFO)
    ours.addHandler(to_terminal)
    logging.captureWarnings(True)

    def undo() -> None:
        logging.captureWarnings(False)
        ours.removeHandler(to_terminal)
        root.removeHandler(to_log)
        root.setLevel(level)

    return undo
