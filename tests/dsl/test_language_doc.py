"""docs/language.md stays true: every example block that starts with a definition parses."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistc.dsl.parser import parse_module

DOC = Path(__file__).parents[2] / "docs" / "language.md"
DEFINITION = re.compile(
    r"(use|config|entity|slot|phrase|intent|response|form|action|story|rule|test)\b"
)


def _blocks() -> list[str]:
    """The unlabelled fenced blocks (```text and the like are not the language) that
    start with a definition."""
    blocks: list[str] = []
    fence: str | None = None
    lines: list[str] = []
    for line in DOC.read_text(encoding="utf-8").split("\n"):
        if not line.startswith("```"):
            lines.append(line)
        elif fence is None:
            fence, lines = line, []
        else:
            if fence == "```":
                blocks.append("\n".join(lines) + "\n")
            fence = None
    return [b for b in blocks if DEFINITION.match(b)]


def test_the_doc_has_examples() -> None:
    assert len(_blocks()) >= 10


@pytest.mark.parametrize("block", _blocks(), ids=lambda b: b.split("\n", 1)[0][:40])
def test_example_parses(block: str) -> None:
    _, diagnostics = parse_module(block, "language.md")
    assert [d.message for d in diagnostics] == []
