"""The result type every built-in extractor returns (kept apart so extractor modules share it)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BuiltinMatch:
    """One entity found by a built-in extractor; `text == message[start:end]`."""

    start: int
    end: int
    text: str
    value: str | int | float
    """The normalised value; each extractor's module docstring gives its format."""
    confidence: float = 1.0


def leftmost_longest(matches: list[BuiltinMatch]) -> list[BuiltinMatch]:
    """Resolve overlaps between an extractor's own patterns: keep the earliest, then longest."""
    kept: list[BuiltinMatch] = []
    for match in sorted(matches, key=lambda m: (m.start, m.start - m.end)):
        if not kept or match.start >= kept[-1].end:
            kept.append(match)
    return kept
