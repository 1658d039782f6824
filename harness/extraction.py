"""Pull the program out of a completion: drop the reasoning, take the last fenced code block."""

from __future__ import annotations

import re
from dataclasses import dataclass

from judges.language import SPECS, Language

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+#-]*)[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)
_THINK = re.compile(r"<think>.*?</think>", re.DOTALL)


@dataclass(frozen=True)
class Extraction:
    """What extraction found; `code` is None when there is no program to run."""

    code: str | None
    think_closed: bool  # False when a `<think>` was opened and never closed
    reason: str = ""  # why there is no code


def strip_reasoning(text: str) -> tuple[str, bool]:
    """Remove `<think>...</think>` blocks; an unclosed one swallows the rest of the text."""
    text = _THINK.sub("", text)
    if "<think>" in text:
        return text[: text.index("<think>")], False
    if "</think>" in text:  # the template opened the block in the prompt
        return text[text.rindex("</think>") + len("</think>") :], True
    return text, True


def extract_code(text: str, language: Language = Language.PYTHON) -> Extraction:
    """The last fenced block of the wanted language (untagged blocks count too)."""
    answer, closed = strip_reasoning(text)
    tags = SPECS[language].fence_aliases | {""}
    blocks = [body for tag, body in _FENCE.findall(answer) if tag.lower() in tags]
    if not blocks:
        reason = "reasoning never closed" if not closed else "no fenced code block"
        return Extraction(None, closed, reason)
    code = blocks[-1].strip("\n")
    if not code.strip():
        return Extraction(None, closed, "empty code block")
    return Extraction(code + "\n", closed)
