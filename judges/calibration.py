"""Calibrate time limits to this host: how much slower (or faster) it runs a fixed workload.

Time limits are written for the judge a problem came from. `time_scale()` runs a fixed
CPU-bound Python workload in the sandbox and compares its CPU time with the same workload
on the reference host (the machine the bundled problems' limits were set on), so a limit of
1 s means the same amount of work here. Opt-in: `--calibrate` / `eval.calibrate_time_limits`.
"""

from __future__ import annotations

from sandboxes import Limits, Sandbox

# Integer and list work typical of contest solutions.
WORKLOAD = b"""
total = 0
values = list(range(2000))
for round_ in range(600):
    for v in values:
        total = (total * 31 + v * round_) % 1000000007
    values.sort(key=lambda x: (x * 7919) % 2003)
print(total)
"""
# Least CPU time over 3 runs on the reference host: Debian's python3 3.11 in the bwrap sandbox,
# a 2-core x86-64 cloud container (measured 0.162-0.173 s).
REFERENCE_CPU_S = 0.165
_BOUNDS = (0.5, 10.0)
_LIMITS = Limits(wall_time_s=30.0, cpu_time_s=20.0, memory_mb=256)


def measure_workload(sandbox: Sandbox, runs: int = 3) -> float:
    """The least CPU time the workload took over `runs` runs in one sandbox session."""
    times = []
    with sandbox.session({"calibrate.py": WORKLOAD}) as session:
        for _ in range(runs):
            result = session.run_python("calibrate.py", b"", _LIMITS)
            if not result.ok:
                raise RuntimeError(f"calibration workload failed: {result.stderr_tail()}")
            times.append(result.cpu_s)
    return min(times)


def time_scale(sandbox: Sandbox, runs: int = 3) -> float:
    """Factor for time limits on this host (clamped to 0.5-10): > 1 where this host is slower."""
    factor = measure_workload(sandbox, runs) / REFERENCE_CPU_S
    return round(min(max(factor, _BOUNDS[0]), _BOUNDS[1]), 3)
