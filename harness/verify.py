"""`harness problems verify`: every reference solution must be AC, every known-wrong one must not be.

The check that a problem set is fit to evaluate on: tests that accept a wrong solution or
reject the reference make every pass@k computed on them meaningless.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from harness.problems import Problem
from judges import JudgeSettings, Verdict, judge


@dataclass
class Verification:
    """What `verify` found; `ok` when nothing failed."""

    problems: int = 0
    references: int = 0
    reference_ac: int = 0
    wrong: int = 0
    wrong_rejected: int = 0
    failed: list[dict] = field(default_factory=list)  # {"id", "solution", "verdict", "detail"}

    @property
    def ok(self) -> bool:
        """Every reference accepted and every wrong solution rejected."""
        return not self.failed

    def to_json(self) -> dict:
        """The `--json` object."""
        return {"problems": self.problems, "references": self.references, "reference_ac": self.reference_ac,
                "wrong": self.wrong, "wrong_rejected": self.wrong_rejected, "ok": self.ok,
                "failed_ids": sorted({f["id"] for f in self.failed}), "failed": self.failed}


def _jobs(problems: list[Problem]) -> list[tuple[Problem, str, str]]:
    jobs = []
    for problem in problems:
        if problem.reference_solution:
            jobs.append((problem, "reference", problem.reference_solution))
        jobs += [(problem, f"wrong-{i + 1}", source) for i, source in enumerate(problem.wrong_solutions)]
    return jobs


def verify(problems: list[Problem], sandbox, progress=None, workers: int | None = None) -> Verification:
    """Judge every reference and wrong solution of `problems` (in parallel sandboxes)."""
    jobs = _jobs(problems)
    task = progress.add_task("verifying problems", total=len(jobs)) if progress else None

    def run(job):
        problem, kind, source = job
        # A wrong solution's TLE rejects it either way; only a reference's TLE deserves a second run.
        settings = JudgeSettings(time_limit_s=problem.time_limit_s, memory_mb=problem.memory_limit_mb,
                                 rerun_tle=kind == "reference")
        judgement = judge(source, problem.tests, problem.output_rule, settings, sandbox, checker=problem.checker)
        if progress:
            progress.advance(task)
        return problem, kind, judgement

    result = Verification(problems=len(problems))
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 2) as pool:
        for problem, kind, judgement in pool.map(run, jobs):
            accepted = judgement.verdict is Verdict.AC
            if kind == "reference":
                result.references += 1
                result.reference_ac += accepted
                bad = not accepted
            else:
                result.wrong += 1
                result.wrong_rejected += not accepted
                bad = accepted
            if bad:
                result.failed.append({"id": problem.id, "solution": kind, "verdict": judgement.verdict.value,
                                      "detail": judgement.detail[:300]})
    return result
