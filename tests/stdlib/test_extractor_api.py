"""The public API of the built-in extractors, and properties that hold for any text."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import datetime

import pytest
from extractor_helpers import NOW
from hypothesis import given, settings
from hypothesis import strategies as st

from assistc.stdlib.extractors import (
    BUILTIN_EXTRACTORS,
    BuiltinMatch,
    UnknownExtractorError,
    dates,
    extract_builtin,
    money,
    times,
)


def test_the_eight_builtins_are_registered() -> None:
    assert BUILTIN_EXTRACTORS == (
        "number",
        "ordinal",
        "date",
        "time",
        "email",
        "url",
        "phone",
        "money",
    )
    for name in BUILTIN_EXTRACTORS:
        assert extract_builtin(name, "", now=NOW) == []


def test_unknown_extractor_is_a_key_error() -> None:
    with pytest.raises(UnknownExtractorError) as raised:
        extract_builtin("colour", "red")
    assert isinstance(raised.value, KeyError)


def test_match_is_frozen() -> None:
    match = BuiltinMatch(0, 2, "12", 12)
    assert match.confidence == 1.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        match.value = 13  # type: ignore[misc]


def test_now_defaults_to_the_current_date() -> None:
    (match,) = extract_builtin("date", "2026-03-12 is a date")
    assert match.value == "2026-03-12"


def test_extractors_may_claim_overlapping_text() -> None:
    """Choosing between entity types is the NLU's job; each extractor reports its reading."""
    text = "pay $12 on 2026-03-12 to +44 20 7946 0958"
    spans = {
        name: [(m.start, m.end, m.value) for m in extract_builtin(name, text, now=NOW)]
        for name in ("number", "money", "date", "phone")
    }
    assert spans == {
        "number": [(5, 7, 12), (29, 31, 20), (32, 36, 7946), (37, 41, 958)],
        "money": [(4, 7, "12.00 USD")],
        "date": [(11, 21, "2026-03-12")],
        "phone": [(25, 41, "+442079460958")],
    }


def test_same_input_same_output() -> None:
    text = "On March 3rd at 5pm send $20 to +44 20 7946 0958 or bob@example.com"
    for name in BUILTIN_EXTRACTORS:
        assert extract_builtin(name, text, now=NOW) == extract_builtin(name, text, now=NOW)


# Text built from the pieces the patterns look for, so the property test reaches deep into
# them instead of only seeing random letters.
_PIECES = st.sampled_from(
    [
        " ", "-", ".", ",", ":", "/", "@", "+", "(", ")", "$", "€", "'", "’", "\u00a0",
        "0", "12", "2026", "555", "1st", "a", "and", "the", "of", "in", "at", "pm",
        "one", "twenty", "hundred", "first", "dozen", "march", "friday", "next", "days",
        "half", "past", "to", "dollars", "cents", "usd", "www", "http://", "com", "x",
        "ſ", "K", "İ", "٣", "１", "\u0301", "\ufeff",
    ]
)  # fmt: skip
_TEXT = st.one_of(st.text(max_size=200), st.lists(_PIECES, max_size=40).map("".join))


@settings(max_examples=300, deadline=None)
@given(text=_TEXT, now=st.one_of(st.just(NOW), st.datetimes()))
def test_no_extractor_raises_and_offsets_are_consistent(text: str, now: datetime) -> None:
    for name in BUILTIN_EXTRACTORS:
        matches = extract_builtin(name, text, now=now)
        for match in matches:
            assert 0 <= match.start < match.end <= len(text)
            assert text[match.start : match.end] == match.text
            assert 0.0 < match.confidence <= 1.0
        starts_ends = [(m.start, m.end) for m in matches]
        assert starts_ends == sorted(starts_ends)
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(starts_ends))


_PREFILTER_PIECES = st.sampled_from(
    [
        " ", "-", ".", ":", "/", "'", "0", "12", "2026", "5", "1st", "3rd", "a", "an", "the",
        "of", "in", "at", "pm", "A.M.", "o'clock", "one", "twenty", "first", "March", "may",
        "Friday", "tues", "next", "last", "days", "weeks", "hours", "mins", "half", "quarter",
        "past", "to", "ago", "from now", "tonight", "evening", "noon", "TOMORROW", "yesterday",
        "$", "€", "US$", "Dollars", "usd", "cents", "k",
    ]
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(text=st.lists(_PREFILTER_PIECES, max_size=12).map("".join))
def test_needle_prefilters_never_change_the_result(text: str) -> None:
    """The substring pre-checks only skip patterns that could not match anyway."""
    modules = (dates, times, money)
    expected = {module: module.extract(text, NOW) for module in modules}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dates, "_PATTERNS", tuple((*p[:3], ("",)) for p in dates._PATTERNS))
        patch.setattr(times, "_PATTERNS", tuple((*p[:3], ("",)) for p in times._PATTERNS))
        patch.setattr(times, "_DELAY_NEEDLES", ("",))
        patch.setattr(money, "_NEEDLES", ("",))
        assert {module: module.extract(text, NOW) for module in modules} == expected
