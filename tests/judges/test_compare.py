from judges import OutputRule, compare


def test_tokens_ignore_whitespace_layout():
    assert compare("1 2\n3\n", "1   2 3", OutputRule()).ok


def test_tokens_report_first_difference():
    result = compare("1 2 3\n", "1 5 3\n", OutputRule())
    assert not result.ok and result.detail == "token 2: expected '2', got '5'"


def test_tokens_missing_output():
    result = compare("1 2\n", "1\n", OutputRule())
    assert not result.ok and "end of output" in result.detail


def test_case_flag():
    assert not compare("YES", "yes", OutputRule(case_sensitive=True)).ok
    assert compare("YES", "yes", OutputRule(case_sensitive=False)).ok


def test_space_change_sensitive_compares_lines():
    rule = OutputRule(space_change_sensitive=True)
    assert compare("1 2\n", "1 2\n", rule).ok
    assert not compare("1 2\n", "1  2\n", rule).ok


def test_exact_needs_identical_bytes():
    rule = OutputRule(kind="exact")
    assert compare("a\nb\n", "a\nb\n", rule).ok
    result = compare("a\nb\n", "a\nc\n", rule)
    assert not result.ok and result.detail.startswith("line 2")


def test_float_tolerance_both_sides_of_the_bound():
    rule = OutputRule(kind="float", float_absolute_tolerance=1e-6, float_relative_tolerance=1e-6)
    assert compare("1.000000", "1.0000009", rule).ok
    assert not compare("1.000000", "1.0000021", rule).ok
    assert compare("1000000.0", "1000000.9", rule).ok  # relative
    assert not compare("1000000.0", "1000002.1", rule).ok


def test_float_rule_still_compares_words():
    rule = OutputRule(kind="float", float_absolute_tolerance=1e-6)
    assert compare("YES 0.5", "YES 0.5000001", rule).ok
    assert not compare("YES 0.5", "NO 0.5", rule).ok
    assert not compare("0.5", "nan", rule).ok
