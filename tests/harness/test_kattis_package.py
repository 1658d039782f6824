"""Loading Kattis / ICPC problem packages (legacy and 2023-07) from real directories: no sandbox runs."""

from pathlib import Path

import pytest

from harness.errors import DataError
from harness.problems.kattis import load_package
from judges import OutputRule, TestCase
from tests.conftest import make_package

TESTS = {"sample1": ("1 2\n", "3\n"), "big": ("10 7\n", "17\n")}


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write {relative path: content} under root."""
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


def load_error(root: Path) -> str:
    with pytest.raises(DataError) as caught:
        load_package(root)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_legacy_package_with_timelimit_file_and_flags(tmp_path):
    yaml_text = "name: Sum\nlimits:\n  memory: 512\n  time_multiplier: 5\nvalidation: default\n" \
                "validator_flags: case_sensitive space_change_sensitive\n"
    problem = load_package(make_package(tmp_path / "sum", TESTS, yaml_text=yaml_text, timelimit=2.5))
    assert (problem.id, problem.title, problem.source) == ("kattis/sum", "Sum", "kattis")
    assert (problem.time_limit_s, problem.memory_limit_mb) == (2.5, 512)
    assert problem.output_rule == OutputRule(kind="tokens", case_sensitive=True, space_change_sensitive=True)
    assert problem.checker is None and problem.description == ""
    assert [(e.name, e.input, e.output) for e in problem.examples] == [("sample/sample1", "1 2\n", "3\n")]
    assert problem.hidden_tests.load() == (TestCase("secret/big", "10 7\n", "17\n", sample=False),)


def test_legacy_defaults_without_problem_yaml(tmp_path):
    root = make_package(tmp_path / "plain", TESTS, timelimit=None)
    (root / "problem.yaml").unlink()
    problem = load_package(root)
    assert (problem.title, problem.time_limit_s, problem.memory_limit_mb) == ("plain", 1.0, 1024)
    assert problem.output_rule == OutputRule(kind="tokens", case_sensitive=False)


def test_legacy_time_limit_in_yaml_is_used_only_without_timelimit_file(tmp_path):
    yaml_text = "limits:\n  time_limit: 4\n"
    assert load_package(make_package(tmp_path / "a", TESTS, yaml_text=yaml_text, timelimit=None)).time_limit_s == 4.0
    assert load_package(make_package(tmp_path / "b", TESTS, yaml_text=yaml_text, timelimit=2)).time_limit_s == 2.0


@pytest.mark.parametrize("version", ["2023-07", "2023-07-draft"])
def test_2023_package_with_time_limit_memory_and_name_map(tmp_path, version):
    yaml_text = f"problem_format_version: {version}\nname:\n  de: Summe\n  en: Sum\ntype: pass-fail\n" \
                "limits:\n  time_limit: 3\n  memory: 256\n  time_multipliers:\n    ac_to_time_limit: 2.0\n"
    problem = load_package(make_package(tmp_path / "sum", TESTS, yaml_text=yaml_text, timelimit=9))
    assert (problem.title, problem.time_limit_s, problem.memory_limit_mb) == ("Sum", 3.0, 256)


def test_2023_defaults_and_name_without_english(tmp_path):
    yaml_text = "problem_format_version: 2023-07\nname:\n  sv: Summa\ntype: [scoring]\n"
    problem = load_package(make_package(tmp_path / "sum", TESTS, yaml_text=yaml_text, timelimit=None))
    assert (problem.title, problem.time_limit_s, problem.memory_limit_mb) == ("Summa", 1.0, 2048)


def test_nested_groups_in_kattis_order_with_names_relative_to_data(tmp_path):
    root = write(tmp_path / "groups", {
        "problem.yaml": "name: Groups\n",
        "data/sample/1.in": "s\n", "data/sample/1.ans": "s\n",
        "data/secret/2.in": "2\n", "data/secret/2.ans": "2\n",
        "data/secret/10.in": "10\n", "data/secret/10.ans": "10\n",
        "data/secret/group1/sub/02.in": "x\n", "data/secret/group1/sub/02.ans": "x\n",
        "data/secret/group1/03.in": "3\n", "data/secret/group1/03.ans": "3\n",
    })
    problem = load_package(root)
    assert [t.name for t in problem.tests] == ["sample/1", "secret/10", "secret/2", "secret/group1/03",
                                                "secret/group1/sub/02"]
    assert [t.sample for t in problem.tests] == [True, False, False, False, False]


def test_testdata_yaml_flags_combine_after_problem_yaml(tmp_path):
    root = make_package(tmp_path / "half", TESTS, yaml_text="validator_flags: case_sensitive\n")
    write(root, {"data/testdata.yaml": "output_validator_flags: float_tolerance 1e-6\n"})
    assert load_package(root).output_rule == OutputRule(kind="float", case_sensitive=True, float_absolute_tolerance=1e-6,
                                                        float_relative_tolerance=1e-6)


@pytest.mark.parametrize(("flags", "absolute", "relative"), [
    ("float_tolerance 1e-6", 1e-6, 1e-6),
    ("float_absolute_tolerance 0.01", 0.01, 0.0),
    ("float_relative_tolerance 1e-4", 0.0, 1e-4),
    ("float_absolute_tolerance 1e-3 float_relative_tolerance 1e-5", 1e-3, 1e-5),
])
def test_float_tolerance_flags_give_the_float_rule(tmp_path, flags, absolute, relative):
    problem = load_package(make_package(tmp_path / "f", TESTS, yaml_text=f"validator_flags: {flags}\n"))
    assert problem.output_rule == OutputRule(kind="float", case_sensitive=False, float_absolute_tolerance=absolute,
                                             float_relative_tolerance=relative)


def test_unknown_flag_for_the_default_validator_names_the_file(tmp_path):
    root = make_package(tmp_path / "f", TESTS, yaml_text="name: F\n")
    write(root, {"data/testdata.yaml": "output_validator_flags: ignore_case\n"})
    message = load_error(root)
    assert "data/testdata.yaml: output_validator_flags" in message and "'ignore_case'" in message


def test_tolerance_without_a_number_is_an_error(tmp_path):
    message = load_error(make_package(tmp_path / "f", TESTS, yaml_text="validator_flags: float_tolerance\n"))
    assert "problem.yaml: validator_flags" in message and "needs a number" in message


def test_legacy_custom_python_validator_with_entry_first_and_flags_passed_through(tmp_path):
    root = make_package(tmp_path / "p", TESTS, yaml_text="validation: custom\nvalidator_flags: my_flag 3\n")
    write(root, {
        "output_validators/checker/util.py": "X = 1\n",
        "output_validators/checker/validate.py": "import util\n",
        "output_validators/checker/README": "notes\n",
        "data/testdata.yaml": "output_validator_flags: --strict\n",
    })
    problem = load_package(root)
    checker = problem.checker
    assert checker is not None and (checker.contract, checker.language) == ("kattis", "python")
    assert checker.files == (("validate.py", b"import util\n"), ("util.py", b"X = 1\n"))
    assert checker.flags == ("my_flag", "3", "--strict")


def test_legacy_single_python_file_directly_in_output_validators(tmp_path):
    root = make_package(tmp_path / "p", TESTS, yaml_text="validation: custom score\n")
    write(root, {"output_validators/judge.py": "print()\n"})
    checker = load_package(root).checker
    assert checker is not None and checker.files == (("judge.py", b"print()\n"),) and checker.flags == ()


def test_legacy_validator_directory_is_ignored_without_custom_validation(tmp_path):
    root = make_package(tmp_path / "p", TESTS, yaml_text="validation: default\n")
    write(root, {"output_validators/judge.py": "print()\n"})
    assert load_package(root).checker is None


def test_2023_cpp_validator_with_testlib_header(tmp_path):
    root = make_package(tmp_path / "c", TESTS, yaml_text="problem_format_version: 2023-07\nname: C\n")
    write(root, {"output_validator/validator.cpp": "#include \"testlib.h\"\n", "output_validator/testlib.h": "// lib\n",
                 "output_validator/build": "#!/bin/sh\n", "data/testdata.yaml": "output_validator_args: [case_sensitive]\n"})
    checker = load_package(root).checker
    assert checker is not None and checker.language == "cpp"
    assert checker.files == (("testlib.h", b"// lib\n"), ("validator.cpp", b"#include \"testlib.h\"\n"))
    assert checker.flags == ("case_sensitive",)


def test_several_python_files_without_an_entry_name_are_refused(tmp_path):
    root = make_package(tmp_path / "p", TESTS, yaml_text="validation: custom\n")
    write(root, {"output_validators/v/a.py": "", "output_validators/v/b.py": ""})
    assert "output_validators/v" in load_error(root)


@pytest.mark.parametrize("files", [{"output_validators/v/Validator.java": "class V {}\n"},
                                   {"output_validators/v/build": "#!/bin/sh\n"}])
def test_unsupported_validator_language_names_the_directory(tmp_path, files):
    root = make_package(tmp_path / "j", TESTS, yaml_text="validation: custom\n")
    message = load_error(write(root, files))
    assert "output_validators/v" in message and "Python" in message and "C++" in message


def test_custom_validation_without_a_validator_directory(tmp_path):
    message = load_error(make_package(tmp_path / "j", TESTS, yaml_text="validation: custom\n"))
    assert "problem.yaml" in message and "output_validators/" in message


@pytest.mark.parametrize("yaml_text", [
    "validation: custom interactive\n",
    "problem_format_version: 2023-07\ntype: interactive\n",
    "problem_format_version: 2023-07\ntype: [scoring, interactive]\n",
])
def test_interactive_problems_are_refused_from_problem_yaml(tmp_path, yaml_text):
    message = load_error(make_package(tmp_path / "i", TESTS, yaml_text=yaml_text))
    assert message.endswith("problem.yaml: interactive problems are not supported")


def test_interactive_problems_are_refused_from_interaction_files(tmp_path):
    root = write(make_package(tmp_path / "i", TESTS), {"data/sample/1.interaction": "> 1\n< 2\n"})
    assert load_error(root).endswith("data/sample/1.interaction: interactive problems are not supported")


def test_multi_pass_problems_are_refused(tmp_path):
    yaml_text = "problem_format_version: 2023-07\ntype: multi-pass\n"
    assert "multi-pass problems are not supported" in load_error(make_package(tmp_path / "m", TESTS, yaml_text=yaml_text))


def test_input_without_answer_names_the_file(tmp_path):
    root = write(make_package(tmp_path / "a", TESTS), {"data/secret/g/lonely.in": "1\n"})
    assert load_error(root).endswith("data/secret/g/lonely.in: no matching .ans file")


@pytest.mark.parametrize(("yaml_text", "field", "shown"), [
    ("limits:\n  memory: abc\n", "limits.memory", "'abc'"),
    ("limits:\n  memory: -5\n", "limits.memory", "-5"),
    ("problem_format_version: 2023-07\nlimits:\n  time_limit: 0\n", "limits.time_limit", "0"),
])
def test_bad_limits_name_the_file_and_field(tmp_path, yaml_text, field, shown):
    message = load_error(make_package(tmp_path / "b", TESTS, yaml_text=yaml_text))
    assert message.endswith(f"problem.yaml: {field} must be a positive number, got {shown}")


def test_bad_timelimit_file(tmp_path):
    root = make_package(tmp_path / "b", TESTS)
    (root / ".timelimit").write_text("fast\n")
    assert ".timelimit" in load_error(root)


def test_bad_yaml_and_unknown_format_version(tmp_path):
    assert "problem.yaml: not valid YAML" in load_error(make_package(tmp_path / "y", TESTS, yaml_text="name: [\n"))
    message = load_error(make_package(tmp_path / "v", TESTS, yaml_text="problem_format_version: 1999\n"))
    assert "problem_format_version" in message


def test_no_tests_at_all(tmp_path):
    root = write(tmp_path / "empty", {"problem.yaml": "name: Empty\n", "data/secret/README": "todo\n"})
    assert "no tests under data/sample or data/secret" in load_error(root)


def test_statement_becomes_the_description_and_names_an_untitled_problem(tmp_path):
    tex = "\\problemname{Adding Up}\nAdd two numbers.\n" + "x" * 30_000
    root = write(make_package(tmp_path / "s", TESTS, yaml_text="validation: default\n"),
                 {"problem_statement/problem.en.tex": tex})
    problem = load_package(root)
    assert problem.title == "Adding Up" and problem.description == tex[:20_000]
    root = write(make_package(tmp_path / "md", TESTS, yaml_text="problem_format_version: 2023-07\nname: M\n"),
                 {"statement/problem.en.md": "# M\n"})
    assert load_package(root).description == "# M\n"


def test_group_testdata_may_repeat_but_not_change_the_flags(tmp_path):
    root = make_package(tmp_path / "g", TESTS)
    write(root, {"data/testdata.yaml": "output_validator_flags: case_sensitive\n",
                 "data/secret/testdata.yaml": "output_validator_flags: case_sensitive\n"})
    assert load_package(root).output_rule.case_sensitive
    write(root, {"data/secret/testdata.yaml": "output_validator_flags: float_tolerance 1\n"})
    assert "data/secret/testdata.yaml: output_validator_flags: per-group" in load_error(root)
