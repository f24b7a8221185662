"""Helpers shared by the built-in extractor tests."""

from __future__ import annotations

from datetime import datetime

from assistc.stdlib.extractors import extract_builtin

# A fixed reference moment (a Thursday) so relative dates are deterministic.
NOW = datetime(2026, 3, 12, 9, 30)


def found(name: str, text: str) -> list[tuple[str, str | int | float]]:
    """(surface text, value) of every match, after checking each span is consistent."""
    matches = extract_builtin(name, text, now=NOW)
    for m in matches:
        assert text[m.start : m.end] == m.text
    return [(m.text, m.value) for m in matches]
