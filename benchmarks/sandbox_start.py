"""What a sandbox start costs in a process that holds the ML stack: the exec'd setup against a preexec_fn.

Prints one JSON object. A start with a `preexec_fn` forks the whole caller, so its cost grows with
the caller's memory; the exec'd setup (prlimit, bash, setpriv) lets `subprocess` use vfork. Both
ways are measured side by side, in alternating blocks, from this interpreter as it is and again
once it holds `--hold-gb` of touched memory (about what torch and vLLM leave behind):

- `bwrap_session_s`: start a bubblewrap sandbox (its warm runner says hello), then close it; what
  the judge pays once per program;
- `process_run_s`: one run of `/bin/true` in the process sandbox (memory cgroup, rlimits); what the
  reduced isolation pays per test.

Usage: python benchmarks/sandbox_start.py [--rounds N] [--hold-gb G]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import time

from sandboxes import BwrapSandbox, Limits, ProcessSandbox, spawn

LIMITS = Limits(wall_time_s=5.0, cpu_time_s=2.0, memory_mb=256)
WAYS = ("exec", "preexec")
TOOLS = dict(spawn.exec_tools())
SETTLE = 4  # starts left out at the head of each block (see measure)


def use(way: str) -> None:
    """Make every start from here on take `way` (the preexec way: as if the tools were missing)."""
    tools = dict(TOOLS) if way == "exec" else dict.fromkeys(TOOLS)
    spawn.exec_tools = lambda: tools  # type: ignore[assignment]


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def bwrap_session(sandbox: BwrapSandbox) -> None:
    with sandbox.session({}, LIMITS):
        pass


def process_run(sandbox: ProcessSandbox) -> None:
    result = sandbox.run(["/bin/true"], b"", LIMITS)
    assert result.exit_code == 0, result


def measure(rounds: int) -> dict[str, dict[str, float]]:
    """Medians over `rounds` rounds, each a block of starts per way, which way goes first alternating by round.

    Blocks, not start-by-start alternation: a fork of a large parent leaves it a page fault per
    touched page on its next writes, a cost of that way that would otherwise land on the other.
    The first starts of a block are left out: for about 0.2 s after bubblewrap sandboxes close,
    moving a process into a cgroup (either way's first step) takes 10-25 ms instead of 0.1.
    """
    bwrap, process = BwrapSandbox(), ProcessSandbox()
    actions = {"bwrap_session_s": (lambda: bwrap_session(bwrap), 4), "process_run_s": (lambda: process_run(process), 8)}
    samples: dict[str, list[float]] = {f"{what}_{way}": [] for what in actions for way in WAYS}
    for round_ in range(rounds):
        for what, (action, count) in actions.items():
            for way in WAYS if round_ % 2 == 0 else WAYS[::-1]:
                use(way)
                samples[f"{what}_{way}"] += [timed(action) for _ in range(count + SETTLE)][SETTLE:]
    return {name: {"median": statistics.median(values), "n": len(values)} for name, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--hold-gb", type=float, default=1.5)
    args = parser.parse_args()
    bare = measure(args.rounds)
    bare_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    held = bytearray(int(args.hold_gb * (1 << 30)))
    for offset in range(0, len(held), 4096):
        held[offset] = 1  # touched: the pages are mapped, as a loaded model's are
    holding = measure(args.rounds)
    ratios = {f"{parent}_{what}_preexec_over_exec": results[f"{what}_preexec"]["median"] / results[f"{what}_exec"]["median"]
              for parent, results in (("bare", bare), ("holding", holding))
              for what in ("bwrap_session_s", "process_run_s")}
    print(json.dumps({"bare_rss_mb": round(bare_rss_mb), "hold_gb": args.hold_gb, "bare": bare, "holding": holding,
                      "ratios": ratios}, indent=2))


if __name__ == "__main__":
    main()
