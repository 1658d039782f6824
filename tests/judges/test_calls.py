"""Function-call problems: the driver in the real sandbox, one property per test, plus `assemble` and `call_verdict`."""

import pytest

from judges import CallKind, FunctionCall, JudgeSettings, OutputRule, TestCase, Verdict, assemble, call_verdict, judge
from judges.call_driver import MARKER
from sandboxes import BwrapSandbox, Execution, ProcessSandbox

SETTINGS = JudgeSettings(time_limit_s=0.5, memory_mb=256, rerun_tle=False)
SANDBOXES = pytest.mark.parametrize("sandbox", [ProcessSandbox(), BwrapSandbox()], ids=["process", "bwrap"])

TWO_SUM = FunctionCall(CallKind.METHOD, "twoSum")
TWO_SUM_TESTS = [TestCase("t1", "[2,7,11,15]\n9", "[0, 1]"), TestCase("t2", "[3,2,4]\n6\n", "[1,2]")]
SOLUTION = """\
class Solution:
    def twoSum(self, nums, target):
        seen = {}
        for i, x in enumerate(nums):
            if target - x in seen:
                return [seen[target - x], i]
            seen[x] = i
"""
ADD = FunctionCall(CallKind.FUNCTION, "add")
ADD_TESTS = [TestCase("t1", "1\n2", "3"), TestCase("t2", "[1]\n[2]", "[1, 2]")]
CHECK = FunctionCall(CallKind.CHECK, "add")
CHECK_TESTS = [TestCase("t1", "def check(candidate):\n    assert candidate(1, 2) == 3\n\ncheck(add)\n", "")]


TESTS = {TWO_SUM: TWO_SUM_TESTS, ADD: ADD_TESTS, CHECK: CHECK_TESTS}


def judged(source, call, sandbox=None):
    return judge(source, TESTS[call], OutputRule(), SETTINGS, sandbox or BwrapSandbox(), call=call)


def two_sum(source, sandbox=None):
    return judged(source, TWO_SUM, sandbox)


def add(source, call=ADD, sandbox=None):
    return judged(source, call, sandbox)


# ---- method and function: values compared in the harness ------------------------------------

@SANDBOXES
def test_a_right_method_is_accepted(sandbox):
    result = two_sum(SOLUTION, sandbox)
    assert result.verdict is Verdict.AC and [t.verdict for t in result.tests] == [Verdict.AC, Verdict.AC]


def test_a_wrong_method_is_wa_showing_both_values():
    result = two_sum(SOLUTION.replace("[seen[target - x], i]", "[i, seen[target - x]]"))
    assert result.verdict is Verdict.WA and result.tests[0].detail == "expected [0, 1], got [1, 0]"


def test_a_tuple_is_accepted_for_a_list():
    assert two_sum(SOLUTION.replace("[seen[target - x], i]", "(seen[target - x], i)")).verdict is Verdict.AC


def test_prints_of_the_solution_do_not_reach_the_result():
    noisy = "import os, sys\nprint('hello')\nos.write(1, b'[9, 9]')\n" + SOLUTION.replace(
        "seen = {}", "seen = {}\n        print(nums); sys.stdout.flush(); os.write(1, b'x\\n')")
    assert two_sum(noisy).verdict is Verdict.AC


def test_stdin_is_empty_for_the_solution():
    source = "import sys\nassert sys.stdin.read() == ''\ntry:\n    input()\nexcept EOFError:\n    pass\n" + SOLUTION
    assert two_sum(source).verdict is Verdict.AC


def test_input_at_import_is_eof_not_a_hang():
    result = two_sum("x = input()\n" + SOLUTION)
    assert result.verdict is Verdict.RE and "EOFError" in result.tests[0].detail


def test_a_main_block_is_not_run():
    assert two_sum(SOLUTION + "if __name__ == '__main__':\n    while True:\n        pass\n").verdict is Verdict.AC


@SANDBOXES
def test_a_top_level_function_is_called(sandbox):
    assert add("def add(a, b):\n    return a + b\n", sandbox=sandbox).verdict is Verdict.AC


def test_leetcode_names_are_there_unimported():
    source = "class Solution:\n    def twoSum(self, nums: List[int], target: int) -> List[int]:\n" \
             "        return next([i, j] for j in range(len(nums)) for i in range(j) if nums[i] + nums[j] == target)\n"
    assert two_sum(source).verdict is Verdict.AC


def test_a_method_gets_leetcodes_recursion_budget():
    deep = "        down = lambda n: n and down(n - 1)\n        down(20000)\n"
    source = SOLUTION.replace("        seen = {}", deep + "        seen = {}")
    assert two_sum(source).verdict is Verdict.AC


def test_the_leetcode_names_are_not_there_for_a_function():
    assert add("from operator import add\n").verdict is Verdict.AC  # its own import counts ...
    assert add("def plus(a, b):\n    return a + b\n").verdict is Verdict.CE  # ... operator's add does not


def test_a_value_json_cannot_hold_is_wa():
    result = add("def add(a, b):\n    return {a, b}\n")
    assert result.verdict is Verdict.WA and "set" in result.tests[0].detail and "not JSON" in result.tests[0].detail


# ---- check: a test program in the solution's namespace ---------------------------------------

@SANDBOXES
def test_a_check_program_that_runs_through_is_ac(sandbox):
    assert add("def add(a, b):\n    return a + b\n", CHECK, sandbox=sandbox).verdict is Verdict.AC


def test_a_failed_assert_of_the_test_is_wa_with_its_line():
    result = add("def add(a, b):\n    return a - b\n", CHECK)
    detail = result.tests[0].detail
    assert result.verdict is Verdict.WA and "AssertionError" in detail and "assert candidate(1, 2) == 3" in detail


def test_an_assert_inside_the_solution_is_its_own_crash():
    result = add("def add(a, b):\n    assert a > 5, 'too small'\n    return a + b\n", CHECK)
    assert result.verdict is Verdict.RE and "too small" in result.tests[0].detail


def test_another_exception_in_a_check_is_re():
    result = add("def add(a, b):\n    return a + None\n", CHECK)
    assert result.verdict is Verdict.RE and "TypeError" in result.tests[0].detail


# ---- what must not pass for success -----------------------------------------------------------

@pytest.mark.parametrize("exit_call", ["exit(0)", "import sys; sys.exit(0)", "import os; os._exit(0)",
                                       "raise SystemExit(102)", "import os; os._exit(101)"])
def test_an_exit_of_the_solution_is_never_a_driver_outcome(exit_call):
    result = add(f"{exit_call}\ndef add(a, b):\n    return a + b\n", CHECK)
    assert result.verdict is Verdict.RE


def test_an_exit_inside_the_called_function_is_not_ac():
    assert add("def add(a, b):\n    exit(0)\n").verdict is Verdict.RE


@pytest.mark.parametrize(
    ("source", "call", "missing"),
    [
        ("def twoSum(nums, target):\n    return [0, 1]\n", TWO_SUM, "no class Solution"),
        ("class Solution:\n    def two_sum(self, nums, target):\n        return [0, 1]\n", TWO_SUM, "no method 'twoSum'"),
        ("def plus(a, b):\n    return a + b\n", ADD, "no function 'add'"),
        ("add = 3\n", CHECK, "no function 'add'"),
    ],
    ids=["no-class", "no-method", "no-function", "not-callable"],
)
def test_a_missing_entry_point_is_ce(source, call, missing):
    result = judged(source, call)
    assert result.verdict is Verdict.CE and missing in result.tests[0].detail


def test_a_syntax_error_is_ce_before_any_run():
    result = add("def add(a, b)\n    return a + b\n")
    assert result.verdict is Verdict.CE and not result.tests


@pytest.mark.slow  # waits out the limit
@SANDBOXES
def test_an_endless_loop_is_tle(sandbox):
    assert add("def add(a, b):\n    while True:\n        pass\n", sandbox=sandbox).verdict is Verdict.TLE


def test_a_memory_bomb_is_mle():
    assert add("x = bytearray(2 << 30)\ndef add(a, b):\n    return a + b\n").verdict is Verdict.MLE


def test_function_calls_are_python_only():
    result = judge("int main() {}\n", ADD_TESTS, OutputRule(), SETTINGS, BwrapSandbox(), language="cpp", call=ADD)
    assert result.verdict is Verdict.CE and "Python" in result.detail and not result.tests


def test_stop_on_failure_and_per_test_records_as_for_stdin_programs():
    settings = JudgeSettings(time_limit_s=0.5, stop_on_failure=False)
    tests = [TestCase("a", "1\n1", "2"), TestCase("b", "1\n2", "4"), TestCase("c", "2\n2", "4")]
    result = judge("def add(a, b):\n    return a * 2\n", tests, OutputRule(), settings, BwrapSandbox(), call=ADD)
    assert [t.verdict for t in result.tests] == [Verdict.AC, Verdict.WA, Verdict.AC]
    assert result.verdict is Verdict.WA and result.detail == "b: expected 4, got 2"


# ---- call_verdict on made-up executions (no sandbox) -------------------------------------------

def execution(stdout: str, exit_code: int = 0) -> Execution:
    return Execution(exit_code=exit_code, signal=None, stdout=stdout.encode(), stderr=b"", stdout_truncated=False,
                     stderr_truncated=False, wall_s=0.01, cpu_s=0.01, max_rss_mb=10.0)


def test_an_expected_answer_that_is_not_json_is_ie_naming_the_test():
    verdict, detail = call_verdict(execution(f"{MARKER} returned\n[0, 1]"), TestCase("t7", "1", "[0, 1"), ADD)
    assert verdict is Verdict.IE and "t7" in detail and "expected answer is not JSON" in detail


def test_arguments_that_are_not_json_are_ie():
    verdict, detail = call_verdict(execution("", 1), TestCase("t7", "[1, 2]\nnope", "3"), ADD)
    assert verdict is Verdict.IE and "argument line 2" in detail


def test_a_test_program_that_does_not_compile_is_ie():
    verdict, detail = call_verdict(execution(f"{MARKER} passed\n"), TestCase("t1", "assert (", ""), CHECK)
    assert verdict is Verdict.IE and "does not compile" in detail


def test_a_marker_whose_exit_status_disagrees_is_not_trusted():
    verdict, _ = call_verdict(execution(f"{MARKER} missing\nno function", exit_code=0), ADD_TESTS[0], ADD)
    assert verdict is Verdict.RE


def test_values_compare_with_python_equality():
    assert call_verdict(execution(f"{MARKER} returned\n3.0"), ADD_TESTS[0], ADD) == (Verdict.AC, "")
    verdict, detail = call_verdict(execution(f"{MARKER} returned\n" + "7" * 500), ADD_TESTS[0], ADD)
    assert verdict is Verdict.WA and " ... " in detail and len(detail) < 200


# ---- assemble: the program judged for an extracted block ---------------------------------------

STARTER = 'from typing import List\n\n\ndef total(xs: List[int]) -> int:\n    """Sum of xs."""\n'
TOTAL = FunctionCall(CallKind.CHECK, "total")


def test_a_body_is_appended_to_the_starter():
    assert assemble("    return sum(xs)\n", STARTER, TOTAL) == STARTER + "    return sum(xs)\n"


def test_a_body_written_flush_left_is_indented():
    assert assemble("return sum(xs)\n", STARTER, TOTAL) == STARTER + "    return sum(xs)\n"


def test_a_full_function_gets_the_starters_imports():
    code = "def total(xs: List[int]) -> int:\n    return sum(xs)\n"
    program = assemble(code, STARTER, TOTAL)
    assert program.startswith("from typing import List\n") and program.endswith(code)
    assert program.count("def total") == 1 and '"""Sum of xs."""' not in program
    namespace: dict = {}
    exec(program, namespace)
    assert namespace["total"]([1, 2]) == 3


def test_a_full_function_keeps_the_starters_helpers():
    starter = "def is_even(n):\n    return n % 2 == 0\n\n\ndef evens(xs):\n    \"\"\"The even ones.\"\"\"\n"
    program = assemble("def evens(xs):\n    return [x for x in xs if is_even(x)]\n", starter,
                       FunctionCall(CallKind.FUNCTION, "evens"))
    namespace: dict = {}
    exec(program, namespace)
    assert namespace["evens"]([1, 2, 4]) == [2, 4]


def test_a_full_function_that_does_not_parse_is_found_by_the_regex():
    program = assemble("def total(xs):\n    return sum(xs\n", STARTER, TOTAL)
    assert program == "from typing import List\n\n\n\n" + "def total(xs):\n    return sum(xs\n"


def test_a_method_and_a_problem_without_starter_are_the_code_as_written():
    assert assemble("return 1\n", "class Solution:\n    def f(self):\n", TWO_SUM) == "return 1\n"
    assert assemble("def add(a, b): return a + b\n", "", ADD) == "def add(a, b): return a + b\n"
