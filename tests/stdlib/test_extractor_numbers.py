"""Cardinal and ordinal numbers, in digits and in words."""

from __future__ import annotations

import pytest
from extractor_helpers import found

from assistc.stdlib.extractors import extract_builtin


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I want 12 pizzas", [("12", 12)]),
        ("it costs 1,234.5 in total", [("1,234.5", 1234.5)]),
        ("it is -3 outside", [("-3", -3)]),
        ("0.25 of it", [("0.25", 0.25)]),
        ("12.0 exactly", [("12.0", 12.0)]),
        ("twelve", [("twelve", 12)]),
        ("Twenty-One guests", [("Twenty-One", 21)]),
        ("one hundred and five", [("one hundred and five", 105)]),
        ("a dozen eggs", [("a dozen", 12)]),
        ("two dozen eggs", [("two dozen", 24)]),
        ("two thousand three hundred", [("two thousand three hundred", 2300)]),
        ("one million two thousand and one", [("one million two thousand and one", 1002001)]),
        ("nineteen hundred", [("nineteen hundred", 1900)]),
        ("3 million people", [("3 million", 3000000)]),
        ("1.5 thousand", [("1.5 thousand", 1500)]),
        ("one two three", [("one", 1), ("two", 2), ("three", 3)]),
        ("five and six", [("five", 5), ("six", 6)]),
        ("zero", [("zero", 0)]),
        ("5pm", [("5", 5)]),
        ("between 3 and 4", [("3", 3), ("4", 4)]),
        ("I have no number here", []),
        ("someone said tone and none", []),
        ("the 1st, at 5:30, on 2026-03-12, call 555-123-4567, 3/4, abc123", []),
        ("the twenty-first", []),
    ],
)
def test_number(text: str, expected: list[tuple[str, int | float]]) -> None:
    assert found("number", text) == expected


@pytest.mark.parametrize(
    ("text", "confidence"),
    [("I need one ticket", 1.0), ("this one please", 0.5), ("no one came", 0.5)],
)
def test_pronoun_one_is_uncertain(text: str, confidence: float) -> None:
    (match,) = extract_builtin("number", text)
    assert (match.value, match.confidence) == (1, confidence)


def test_number_value_types() -> None:
    (whole,) = extract_builtin("number", "42")
    (fraction,) = extract_builtin("number", "4.2")
    assert isinstance(whole.value, int)
    assert isinstance(fraction.value, float)


def test_number_offsets() -> None:
    text = "buy 3 then twenty-one"
    assert [(m.start, m.end) for m in extract_builtin("number", text)] == [(4, 5), (11, 21)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the 1st and the 22nd", [("1st", 1), ("22nd", 22)]),
        ("3rd floor, 11th hour", [("3rd", 3), ("11th", 11)]),
        ("the third one", [("third", 3)]),
        ("twenty-first century", [("twenty-first", 21)]),
        ("the twenty first", [("twenty first", 21)]),
        ("one hundred and first", [("one hundred and first", 101)]),
        ("the hundredth time", [("hundredth", 100)]),
        ("first second", [("first", 1), ("second", 2)]),
        ("I have no number here", []),
        ("1 2 3, twelve", []),
        ("abc1st", []),
    ],
)
def test_ordinal(text: str, expected: list[tuple[str, int]]) -> None:
    assert found("ordinal", text) == expected


def test_ordinal_second_is_uncertain() -> None:
    (match,) = extract_builtin("ordinal", "wait a second")
    assert match.value == 2
    assert match.confidence < 1.0


def test_number_and_ordinal_do_not_split_a_compound() -> None:
    text = "the twenty-first of them"
    assert found("number", text) == []
    assert found("ordinal", text) == [("twenty-first", 21)]
