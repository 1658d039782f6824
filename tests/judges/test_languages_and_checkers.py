"""C++ programs and custom checkers, judged for real in both sandboxes."""

import dataclasses
import signal

import pytest

from judges import JudgeSettings, OutputRule, TestCase, Verdict, judge
from judges.checker import Checker
from judges.language import detect_language
from sandboxes import BwrapSandbox, ProcessSandbox

SANDBOXES = pytest.mark.parametrize("sandbox", [ProcessSandbox(), BwrapSandbox()], ids=["process", "bwrap"])
SUM_TESTS = [TestCase("sample-1", "2 3\n", "5\n", sample=True), TestCase("secret-1", "10 -4\n", "6\n")]
SETTINGS = JudgeSettings(time_limit_s=1.0, memory_mb=256)
CPP_SUM = "#include <iostream>\nint main() { long long a, b; std::cin >> a >> b; std::cout << a + b << '\\n'; }\n"
# A TLE waits out its limit: the endless loop gets a short one, run once where the test is not about the rerun.
TLE_SETTINGS = dataclasses.replace(SETTINGS, time_limit_s=0.25, rerun_tle=False)


@pytest.mark.slow  # g++ for every case
@SANDBOXES
@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (CPP_SUM, Verdict.AC),
        (CPP_SUM.replace("a + b", "a - b"), Verdict.WA),
        ("int main() { return undefined_name; }\n", Verdict.CE),
        ("int main() { volatile unsigned x = 0; while (true) ++x; }\n", Verdict.TLE),
        ("#include <cstdlib>\nint main() { std::abort(); }\n", Verdict.RE),
    ],
)
def test_cpp_verdicts(sandbox, source, expected):
    settings = TLE_SETTINGS if expected is Verdict.TLE else SETTINGS
    assert judge(source, SUM_TESTS, OutputRule(), settings, sandbox, language="cpp").verdict is expected


@pytest.mark.slow  # g++
def test_cpp_compile_error_carries_the_compiler_message():
    result = judge("int main() { return undefined_name; }\n", SUM_TESTS, OutputRule(), SETTINGS, BwrapSandbox(),
                   language="cpp")
    assert result.verdict is Verdict.CE and "undefined_name" in result.detail and "error" in result.detail


def test_language_is_detected_by_extension_then_by_look():
    assert detect_language("print(1)", "sol.cpp") == "cpp"
    assert detect_language(CPP_SUM) == "cpp"
    assert detect_language("print(int(input()) * 2)") == "python"


@SANDBOXES
def test_output_flood_is_ole(sandbox):
    result = judge("while True:\n    print('x' * 1000)\n", SUM_TESTS, OutputRule(), SETTINGS, sandbox)
    assert result.verdict is Verdict.OLE and result.tests[0].stdout_truncated


@pytest.mark.slow  # waits out the limit twice
def test_tle_is_rerun_once_and_counted():
    # wall_factor: a loaded machine must not hit the wall limit first (it is 20 x 0.3 s = 6 s of wall time).
    settings = JudgeSettings(time_limit_s=0.3, wall_factor=20.0)
    result = judge("while True:\n    pass\n", SUM_TESTS, OutputRule(), settings, BwrapSandbox())
    assert result.verdict is Verdict.TLE and result.tests[0].rerun
    assert (result.tle_reruns, result.tle_overturned) == (1, 0)
    # Stopped by the runner's CPU poll (SIGKILL past 0.3 s of CPU), not by the CPU rlimit's SIGXCPU, which the
    # runner sets at the limit rounded up plus 1 s: 2 s.
    assert result.tests[0].detail == "cpu_time" and result.tests[0].signal == signal.SIGKILL
    assert 0.3 < result.tests[0].cpu_s < 2.0


def test_tle_rerun_can_be_turned_off():
    settings = JudgeSettings(time_limit_s=0.25, rerun_tle=False)
    result = judge("while True:\n    pass\n", SUM_TESTS, OutputRule(), settings, BwrapSandbox())
    assert result.verdict is Verdict.TLE and not result.tests[0].rerun and result.tle_reruns == 0


def test_sandbox_state_does_not_leak_between_tests():
    source = ("import os\nprint(int(os.path.exists('seen')) + int(os.path.exists('/tmp/seen')))\n"
              "open('seen', 'w').close(); open('/tmp/seen', 'w').close(); open('main.py', 'a').write('print(9)')\n")
    tests = [TestCase(f"t{i}", "", "0\n") for i in range(3)]
    assert judge(source, tests, OutputRule(), SETTINGS, BwrapSandbox()).verdict is Verdict.AC


# A checker that accepts any pair whose sum is the number in the input (many right answers).
KATTIS_PY = b"""import sys
target = int(open(sys.argv[1]).read())
words = sys.stdin.read().split()
ok = len(words) == 2 and all(w.lstrip('-').isdigit() for w in words) and int(words[0]) + int(words[1]) == target
if not ok:
    open(sys.argv[3] + '/judgemessage.txt', 'w').write('pair does not sum to %d' % target)
sys.exit(42 if ok else 43)
"""
KATTIS_CPP = b"""#include <fstream>
#include <iostream>
#include "sum.h"
int main(int argc, char** argv) {
    std::ifstream in(argv[1]);
    long long target, a, b;
    in >> target;
    if (!(std::cin >> a >> b) || !sums_to(a, b, target)) {
        std::ofstream(std::string(argv[3]) + "/judgemessage.txt") << "wrong pair";
        return 43;
    }
    return 42;
}
"""
CODEFORCES_PY = b"""import sys
inp, correct, out = (open(p).read().split() for p in sys.argv[1:4])
print(1 if len(out) == 2 and int(out[0]) + int(out[1]) == int(inp[0]) else 0)
"""
PAIR_TESTS = [TestCase("sample-1", "7\n", "3 4\n", sample=True), TestCase("secret-1", "100\n", "50 50\n")]
CHECKERS = {
    "kattis-python": Checker("kattis", "python", (("validate.py", KATTIS_PY),)),
    "kattis-cpp": Checker("kattis", "cpp", (("validate.cpp", KATTIS_CPP),
                                            ("sum.h", b"inline bool sums_to(long long a, long long b, long long t)"
                                                      b" { return a + b == t; }\n"))),
    "codeforces-python": Checker("codeforces", "python", (("checker.py", CODEFORCES_PY),)),
}


@SANDBOXES
@pytest.mark.parametrize("name", [pytest.param(name, marks=pytest.mark.slow) if checker.language == "cpp" else name
                                  for name, checker in CHECKERS.items()])  # a C++ checker runs g++
def test_custom_checker_accepts_any_right_answer_and_rejects_wrong_ones(sandbox, name):
    other_answer = "n = int(input())\nprint(n - 1, 1)\n"  # differs from every .ans, still right
    wrong = "n = int(input())\nprint(n, 1)\n"
    right = judge(other_answer, PAIR_TESTS, OutputRule(), SETTINGS, sandbox, checker=CHECKERS[name])
    rejected = judge(wrong, PAIR_TESTS, OutputRule(), SETTINGS, sandbox, checker=CHECKERS[name])
    assert right.verdict is Verdict.AC, right.detail
    assert rejected.verdict is Verdict.WA


def test_kattis_feedback_message_is_the_wa_detail():
    result = judge("print(1, 1)\n", PAIR_TESTS, OutputRule(), SETTINGS, BwrapSandbox(), checker=CHECKERS["kattis-python"])
    assert result.verdict is Verdict.WA and "pair does not sum to 7" in result.detail


def test_a_broken_checker_is_an_internal_error_not_a_verdict_on_the_program():
    broken = Checker("kattis", "python", (("validate.py", b"import sys\nsys.exit(7)\n"),))
    result = judge("print(3, 4)\n", PAIR_TESTS, OutputRule(), SETTINGS, BwrapSandbox(), checker=broken)
    assert result.verdict is Verdict.IE and "exit code 7" in result.detail


@pytest.mark.slow  # g++
def test_a_checker_that_does_not_compile_is_an_internal_error():
    broken = Checker("kattis", "cpp", (("validate.cpp", b"int main( {"),))
    result = judge("print(3, 4)\n", PAIR_TESTS, OutputRule(), SETTINGS, BwrapSandbox(), checker=broken)
    assert result.verdict is Verdict.IE and "does not compile" in result.detail
