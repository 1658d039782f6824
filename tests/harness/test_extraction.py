from harness.extraction import extract_code


def test_takes_the_last_python_block_after_reasoning():
    text = "<think>try ```python\nprint(0)\n```</think>\nFirst:\n```python\nprint(1)\n```\nBetter:\n```py\nprint(2)\n```"
    result = extract_code(text)
    assert result.code == "print(2)\n" and result.think_closed


def test_code_inside_reasoning_does_not_count():
    result = extract_code("<think>```python\nprint(1)\n```</think> no code here")
    assert result.code is None and result.reason == "no fenced code block"


def test_unclosed_reasoning_is_no_code():
    result = extract_code("<think>let me think ```python\nprint(1)\n```")
    assert result.code is None and not result.think_closed and result.reason == "reasoning never closed"


def test_reasoning_opened_by_the_template():
    result = extract_code("plan...\n</think>\n```python\nprint(3)\n```")
    assert result.code == "print(3)\n"


def test_untagged_block_counts_other_languages_do_not():
    assert extract_code("```\nprint(4)\n```").code == "print(4)\n"
    assert extract_code("```cpp\nint main(){}\n```").code is None


def test_block_cut_off_by_the_token_limit_is_kept():
    assert extract_code("```python\nprint(5)\nx = (").code == "print(5)\nx = (\n"


def test_empty_block_is_no_code():
    result = extract_code("```python\n```")
    assert result.code is None and result.reason in ("empty code block", "no fenced code block")
