"""`harness compare RUN_A RUN_B ...`: the same labels across runs, paired where the problems overlap.

Reads each run's `eval/summary.json` (per-problem sample and solve counts), compares every
label that several runs share against the first run that has it, and writes
`compare.json`; `reports.write_comparison` renders it.
"""

from __future__ import annotations

import json
from pathlib import Path

from harness.errors import RunDirError
from harness.scoring import paired_comparison

SCHEMA = 1


def _summary(root: Path) -> dict:
    path = root / "eval" / "summary.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunDirError(f"compare: {path} not found (run `harness report {root}` or finish its eval)") from None
    except json.JSONDecodeError as exc:
        raise RunDirError(f"compare: {path} is not valid JSON ({exc.msg})") from None


def compare_runs(roots: list[Path], resamples: int = 2000) -> dict:
    """Headline scores of every run and label, and paired differences of shared labels against the first run."""
    if len(roots) < 2:
        raise RunDirError("compare: give at least two run directories")
    names = _names(roots)
    summaries = {name: _summary(root) for name, root in zip(names, roots, strict=True)}
    rows, comparisons = [], []
    for name, summary in summaries.items():
        for label, scored in summary.get("labels", {}).items():
            rows.append({"run": name, "label": label, "problems": scored.get("problems", 0),
                         "samples": scored.get("samples", 0), "scores": scored.get("scores", {})})
    labels = sorted({label for s in summaries.values() for label in s.get("labels", {})})
    for label in labels:
        holders = [name for name in names if label in summaries[name].get("labels", {})]
        for other in holders[1:]:
            a, b = summaries[holders[0]]["labels"][label], summaries[other]["labels"][label]
            for metric in b.get("scores", {}):
                k = int(metric.split("@")[1])
                paired = paired_comparison(a, b, k, resamples)
                if paired:
                    comparisons.append({"label": label, "a": holders[0], "b": other, **paired})
    return {"schema": SCHEMA, "runs": {name: str(root) for name, root in zip(names, roots, strict=True)},
            "rows": rows, "comparisons": comparisons}


def _names(roots: list[Path]) -> list[str]:
    """Short unique names: the directory name, with its parent's where two clash."""
    names = [root.resolve().name for root in roots]
    return [f"{root.resolve().parent.name}/{name}" if names.count(name) > 1 else name for name, root in zip(names, roots,
                                                                                                          strict=True)]
