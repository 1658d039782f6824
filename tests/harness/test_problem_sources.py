"""The open-r1 datasets' local forms, loaded through the code that loads the hub names."""

import json
import os
import pickle
import subprocess
import sys
import tracemalloc

import datasets
import pytest

from harness.errors import DataError
from harness.problems import load_source
from harness.prompts import SYSTEM_PROMPT, training_conversations
from harness.training import training_rows
from judges import JudgeSettings, OutputRule, Verdict, judge
from sandboxes import BwrapSandbox


def statement(n: int) -> dict:
    return {
        "id": f"{1000 + n}/A", "aliases": [], "contest_id": str(1000 + n), "contest_name": f"Round {n}",
        "contest_start": 1_600_000_000 + n * 86_400 * 30, "index": "A", "title": f"Problem {n}",
        "description": f"Story number {n}: given two integers, print their sum times {n}.",
        "input_format": "Two integers a and b.", "output_format": "One integer.",
        "examples": [{"input": "1 2\n", "output": f"{3 * n}\n"}], "note": "", "time_limit": 1.0,
        "memory_limit": 256.0,
    }


def cots_row(n: int, trace: int) -> dict:
    answer = (f"<think>\nMultiply the sum by {n} (trace {trace}).\n</think>\n\n"
              f"```python\na, b = map(int, input().split())\nprint((a + b) * {n})\n```")
    return {**statement(n), "prompt": "raw prompt", "generation": answer, "finish_reason": "stop",
            "api_metadata": {"completion_tokens": 10},
            "messages": [{"role": "user", "content": "raw prompt"}, {"role": "assistant", "content": answer}]}


def codeforces_row(n: int, checker: str = "") -> dict:
    return {**statement(n), "rating": 800 + 100 * n, "tags": ["math"],
            "official_tests": [{"input": f"{i} {i}\n", "output": f"{2 * i * n}\n"} for i in range(1, 4)],
            "official_tests_complete": True, "input_mode": "stdio", "generated_checker": checker,
            "generated_tests": 2}


def write_parquet(path, rows):
    datasets.Dataset.from_list(rows).to_parquet(str(path))
    return path


def test_cots_parquet_groups_traces_by_problem_and_counts_bad_rows(tmp_path):
    rows = [cots_row(1, 1), cots_row(1, 2), cots_row(2, 1),
            {**cots_row(3, 1), "description": ""}, {**cots_row(4, 1), "examples": []},
            {**cots_row(5, 1), "finish_reason": "length"}]
    loaded = load_source(str(write_parquet(tmp_path / "cots.parquet", rows)))
    assert [p.id for p in loaded.problems] == ["1001/A", "1002/A"]
    assert len(loaded.problems[0].answers) == 2 and loaded.problems[0].date == "2020-10-13"
    assert dict(loaded.skipped) == {"missing description": 1, "no examples": 1, "trace finished by length": 1}


def test_cots_traces_train_under_the_evaluation_prompt(tmp_path):
    loaded = load_source(str(write_parquet(tmp_path / "cots.parquet", [cots_row(1, 1), cots_row(1, 2)])))
    conversations = training_conversations(loaded.problems[0])
    assert len(conversations) == 2 and len(training_rows(loaded.problems)) == 2
    system, user, assistant = conversations[1]
    assert system["content"] == SYSTEM_PROMPT and "Story number 1" in user["content"]
    assert assistant["content"].startswith("<think>\nMultiply") and "trace 2" in assistant["content"]


def test_jsonl_bad_lines_are_skipped_with_a_reason(tmp_path):
    path = tmp_path / "cots.jsonl"
    with path.open("wb") as handle:
        handle.write(json.dumps(cots_row(1, 1)).encode() + b"\n")
        handle.write(b'{"id": "9/A", "title": "caf\xe9"}\n')  # Latin-1, not UTF-8
        handle.write(b"{not json\n")
        handle.write(json.dumps({k: v for k, v in cots_row(2, 1).items() if k != "title"}).encode() + b"\n")
    loaded = load_source(str(path))
    assert [p.id for p in loaded.problems] == ["1001/A"]
    assert dict(loaded.skipped) == {"not UTF-8": 1, "not JSON": 1, "missing title": 1}


def test_all_bad_source_is_one_line_error(tmp_path):
    path = write_parquet(tmp_path / "bad.parquet", [{**cots_row(1, 1), "examples": []}])
    with pytest.raises(DataError) as error:
        load_source(str(path))
    assert "no usable problems" in str(error.value) and "no examples" in str(error.value)
    assert "\n" not in str(error.value)


def test_codeforces_rows_give_tests_and_a_checker(tmp_path):
    checker = "import sys\nprint(1)\n"
    loaded = load_source(str(write_parquet(tmp_path / "cf.parquet",
                                           [codeforces_row(1), codeforces_row(2, checker),
                                            {**codeforces_row(3), "input_mode": "file"}])))
    first, second = loaded.problems
    assert [t.answer for t in first.hidden_tests] == ["2\n", "4\n", "6\n"] and first.checker is None
    assert second.checker.contract == "codeforces" and second.rating == 1000
    assert dict(loaded.skipped) == {"file input/output is not supported": 1}
    settings = JudgeSettings(time_limit_s=first.time_limit_s)
    right = "a, b = map(int, input().split())\nprint(a + b)\n"
    assert judge(right, first.tests, first.output_rule, settings, BwrapSandbox()).verdict is Verdict.AC


def test_generated_tests_come_from_the_contest_parquet(tmp_path):
    source = write_parquet(tmp_path / "cf.parquet", [codeforces_row(1)])
    tests_dir = tmp_path / "generated_tests"
    tests_dir.mkdir()
    write_parquet(tests_dir / "test_cases_1001.parquet",
                  [{"problem_id": "1001/A", "input": "5 5\n", "output": "10\n"},
                   {"problem_id": "1001/B", "input": "x\n", "output": "y\n"}])
    [problem] = load_source(str(source), str(tests_dir)).problems
    assert [t.name for t in problem.hidden_tests][-1] == "generated-1" and len(problem.hidden_tests) == 4


def test_save_to_disk_directory_with_splits(tmp_path):
    folder = tmp_path / "cf-dataset"
    datasets.DatasetDict({"train": datasets.Dataset.from_list([codeforces_row(1)]),
                          "test": datasets.Dataset.from_list([codeforces_row(2)])}).save_to_disk(str(folder))
    assert [p.id for p in load_source(str(folder)).problems] == ["1001/A"]


def test_hub_name_offline_is_one_line_error():
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    code = "from harness.problems import load_source\nload_source('open-r1/codeforces-cots:solutions_py')"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    last = result.stderr.strip().splitlines()[-1]
    assert result.returncode != 0 and "DataError: dataset 'open-r1/codeforces-cots' (config solutions_py" in last


def test_checker_problem_is_judged_by_its_checker(tmp_path):
    checker = "import sys\ninp, ans, out = (open(p).read().split() for p in sys.argv[1:4])\nprint(1 if out == ans else 0)\n"
    [problem] = load_source(str(write_parquet(tmp_path / "cf.parquet", [codeforces_row(1, checker)]))).problems
    settings = JudgeSettings(time_limit_s=1.0)
    wrong = judge("print(0)\n", problem.tests, OutputRule(), settings, BwrapSandbox(), checker=problem.checker)
    assert wrong.verdict is Verdict.WA and "rejected by the checker" in wrong.detail


def test_a_large_source_keeps_its_tests_on_disk_until_judged(tmp_path):
    """40 problems x 5 tests of 200 kB: 40 MB of tests, none of it held by the loaded problems."""
    big = "9" * 200_000 + "\n"
    rows = [{**codeforces_row(n), "official_tests": [{"input": big, "output": f"{i}\n"} for i in range(5)]}
            for n in range(1, 41)]
    path = write_parquet(tmp_path / "big.parquet", rows)
    del rows
    tracemalloc.start()
    loaded = load_source(str(path))
    held = len(pickle.dumps(loaded.problems))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    test_bytes = 40 * 5 * len(big)
    assert len(loaded.problems) == 40 and all(p.test_count == 6 for p in loaded.problems)
    assert held < test_bytes / 100  # handles only: a digest, a count and a path per problem
    assert peak < test_bytes / 4  # Python-side peak while loading: a row's tests at a time, never all of them
    first = loaded.problems[0]
    assert [t.input for t in first.tests][1:] == [big] * 5  # read back whole when judged
