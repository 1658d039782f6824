"""`harness judge` on Kattis packages built here: the contract of DESIGN.md."""

import json
import subprocess
import sys

import pytest

from tests.conftest import call_cli, make_package

CORRECT = "a, b = map(int, input().split())\nprint(a + b)\n"


def judge_json(tmp_path, package, source, *extra):
    solution = tmp_path / "solution.py"
    solution.write_text(source)
    result = call_cli("judge", str(solution), str(package), "--json", *extra)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_correct_solution_is_ac_with_per_test_records(tmp_path, sum_package):
    report = judge_json(tmp_path, sum_package, CORRECT)
    assert report["verdict"] == "AC" and report["sandbox"] == "bwrap"  # the project's setup installs bubblewrap
    assert [t["name"] for t in report["tests"]] == ["sample/sample1", "secret/big", "secret/neg"]
    assert set(report["tests"][0]) >= {"name", "verdict", "wall_s", "cpu_s", "max_rss_mb"}


def test_process_sandbox_on_request(tmp_path, sum_package):
    report = judge_json(tmp_path, sum_package, CORRECT, "--sandbox", "process")
    assert report["verdict"] == "AC" and report["sandbox"] == "process"


def test_wrong_answer(tmp_path, sum_package):
    assert judge_json(tmp_path, sum_package, "print(3)\n")["verdict"] == "WA"


@pytest.mark.slow  # waits out the limit
def test_endless_loop_is_tle_stopped_by_the_cpu_limit(tmp_path):
    # The package's own 0.3 s limit (not the 1 s default), run once: a TLE waits out its limit.
    package = make_package(tmp_path / "sum", {"sample1": ("1 2\n", "3\n"), "s1": ("5 5\n", "10\n")}, timelimit=0.3)
    report = judge_json(tmp_path, package, "while True:\n    pass\n", "--no-rerun-tle")
    assert report["verdict"] == "TLE" and report["time_limit_s"] == 0.3
    # Stopped by the CPU-time poll soon after the limit (not by the wall-time safety net, at 1.3 s): CPU time
    # is what the program used, whatever else loads the machine.
    assert all(t["detail"] == "cpu_time" and 0.3 <= t["cpu_s"] < 0.8 for t in report["tests"] if t["verdict"] == "TLE")


def test_crash_is_re(tmp_path, sum_package):
    assert judge_json(tmp_path, sum_package, "import sys\nsys.exit(4)\n")["verdict"] == "RE"


def test_float_tolerance_from_validator_flags(tmp_path):
    package = make_package(tmp_path / "half", {"sample1": ("1\n", "0.5\n")},
                           yaml_text="name: Half\nvalidation: default\nvalidator_flags: float_tolerance 1e-6\n")
    assert judge_json(tmp_path, package, "print(0.5000004)\n")["verdict"] == "AC"
    assert judge_json(tmp_path, package, "print(0.500004)\n")["verdict"] == "WA"


def test_missing_solution_is_one_line_exit_2(tmp_path, sum_package):
    result = call_cli("judge", str(tmp_path / "nope.py"), str(sum_package))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "nope.py" in result.stderr


def test_not_a_package_is_one_line_exit_2(tmp_path):
    solution = tmp_path / "s.py"
    solution.write_text(CORRECT)
    result = call_cli("judge", str(solution), str(tmp_path / "missing"))
    assert result.returncode == 2 and "missing" in result.stderr and result.stderr.strip().count("\n") == 0


@pytest.mark.slow  # g++
def test_cpp_solution_is_recognised_by_its_extension(tmp_path, sum_package):
    solution = tmp_path / "sum.cpp"
    solution.write_text("#include <cstdio>\nint main() { long long a, b; scanf(\"%lld %lld\", &a, &b);"
                        " printf(\"%lld\\n\", a + b); }\n")
    report = json.loads(call_cli("judge", str(solution), str(sum_package), "--json").stdout)
    assert report["verdict"] == "AC" and report["language"] == "cpp"


def test_package_with_an_output_validator_is_judged_by_it(tmp_path):
    package = make_package(tmp_path / "pair", {"sample1": ("7\n", "3 4\n"), "s1": ("10\n", "5 5\n")},
                           yaml_text="name: Pair\nvalidation: custom\n")
    validator = package / "output_validators" / "pair"
    validator.mkdir(parents=True)
    (validator / "validate.py").write_text(
        "import sys\nt = int(open(sys.argv[1]).read())\na, b = map(int, sys.stdin.read().split())\n"
        "sys.exit(42 if a + b == t else 43)\n")
    report = judge_json(tmp_path, package, "n = int(input())\nprint(1, n - 1)\n")  # not the .ans, still right
    assert report["verdict"] == "AC"
    assert judge_json(tmp_path, package, "print(1, 1)\n")["verdict"] == "WA"


@pytest.mark.slow  # times the machine
def test_calibration_reports_the_scale_it_applied(tmp_path, sum_package):
    report = judge_json(tmp_path, sum_package, CORRECT, "--calibrate")
    assert 0.5 <= report["time_scale"] <= 10 and report["time_limit_s"] == round(1.0 * report["time_scale"], 3)


def test_judge_path_imports_no_ml_stack(tmp_path, sum_package):
    solution = tmp_path / "s.py"
    solution.write_text(CORRECT)
    probe = ("import sys\nfrom harness.cli import main\nmain(['judge', sys.argv[1], sys.argv[2], '--json'])\n"
             "heavy = {'torch', 'transformers', 'vllm', 'trl', 'peft', 'datasets'} & set(sys.modules)\n"
             "assert not heavy, heavy\n")
    result = subprocess.run([sys.executable, "-c", probe, str(solution), str(sum_package)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(("name", "source", "verdict"), [
    ("ac.py", CORRECT, "AC"),
    ("wa.py", "print(0)\n", "WA"),
    pytest.param("tle.py", "while True:\n    pass\n", "TLE", marks=pytest.mark.slow),  # waits out the limit
    ("mle.py", "x = bytearray(400 << 20)\nprint(len(x))\n", "MLE"),
    ("ole.py", "while True:\n    print('y' * 4096)\n", "OLE"),
    ("re.py", "raise IndexError('oops')\n", "RE"),
    ("ce.py", "def broken(:\n", "CE"),
    pytest.param("ce.cpp", "int main() { return missing; }\n", "CE", marks=pytest.mark.slow),  # g++
    ("empty.py", "\n", "NO_CODE"),
])
def test_every_verdict_from_a_package(tmp_path, name, source, verdict):
    package = make_package(tmp_path / "sum64", {"sample1": ("1 2\n", "3\n"), "s1": ("5 5\n", "10\n")},
                           yaml_text="name: Sum\nlimits:\n  memory: 64\n", timelimit=0.5)
    solution = tmp_path / name
    solution.write_text(source)
    result = call_cli("judge", str(solution), str(package), "--json", "--no-rerun-tle")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["verdict"] == verdict
