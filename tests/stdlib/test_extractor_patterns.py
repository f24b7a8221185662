"""The trie-shaped word alternation the extractors build their patterns from."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistc.stdlib.extractors.numwords import cardinal_value
from assistc.stdlib.extractors.patterns import word_alternation


def test_prefixes_are_shared() -> None:
    assert word_alternation(["ten", "two"]) == "t(?:en|wo)"


@given(
    words=st.lists(st.text("abc$.", min_size=1, max_size=4), min_size=1, max_size=8),
    probe=st.text("abc$.", max_size=5),
)
def test_matches_exactly_the_words_and_prefers_the_longest(words: list[str], probe: str) -> None:
    pattern = re.compile(word_alternation(words))
    assert (pattern.fullmatch(probe) is not None) == (probe in words)
    match = pattern.match(probe)
    longest = max((w for w in words if probe.startswith(w)), key=len, default=None)
    assert (match.group() if match else None) == longest


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7", 7),
        ("an", 1),
        ("twenty-five", 25),
        ("one hundred and five", 105),
        ("one two", None),
        ("first", None),
        ("banana", None),
        ("١٢", None),
    ],
)
def test_cardinal_value(text: str, expected: int | None) -> None:
    assert cardinal_value(text) == expected
