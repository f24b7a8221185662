"""Dates and times, resolved against a fixed `now` (Thursday 2026-03-12 09:30)."""

from __future__ import annotations

from datetime import datetime

import pytest
from extractor_helpers import NOW, found

from assistc.stdlib.extractors import extract_builtin


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("on 2026-03-12", [("2026-03-12", "2026-03-12")]),
        ("2026/3/9 please", [("2026/3/9", "2026-03-09")]),
        ("2026-02-30 is not a day", []),
        ("25/12/2026", [("25/12/2026", "2026-12-25")]),
        ("12/25/26", [("12/25/26", "2026-12-25")]),
        ("25.12.2026.", [("25.12.2026", "2026-12-25")]),
        ("4/4/2026", [("4/4/2026", "2026-04-04")]),
        ("3/4/2026 or 31/02/2026 or 1/2 or 1.2.3.4", []),
        ("March 12", [("March 12", "2026-03-12")]),
        ("mar 3rd", [("mar 3rd", "2027-03-03")]),
        ("March 12, 2025", [("March 12, 2025", "2025-03-12")]),
        ("March the twelfth", [("March the twelfth", "2026-03-12")]),
        ("12 March 2026", [("12 March 2026", "2026-03-12")]),
        ("the 12th of March", [("the 12th of March", "2026-03-12")]),
        ("the twenty-first of June", [("the twenty-first of June", "2026-06-21")]),
        ("Feb 29", [("Feb 29", "2028-02-29")]),
        ("February 30th", []),
        ("the 3rd", [("the 3rd", "2026-04-03")]),
        ("the 15th", [("the 15th", "2026-03-15")]),
        ("on the 15th at 5pm", [("the 15th", "2026-03-15")]),
        ("the 2nd floor, the 4th time", []),
        ("today", [("today", "2026-03-12")]),
        ("Tomorrow works", [("Tomorrow", "2026-03-13")]),
        ("yesterday", [("yesterday", "2026-03-11")]),
        ("the day after tomorrow", [("the day after tomorrow", "2026-03-14")]),
        ("the day before yesterday", [("the day before yesterday", "2026-03-10")]),
        ("monday", [("monday", "2026-03-16")]),
        ("thursday", [("thursday", "2026-03-12")]),
        ("this friday", [("this friday", "2026-03-13")]),
        ("next monday", [("next monday", "2026-03-16")]),
        ("next thursday", [("next thursday", "2026-03-19")]),
        ("next friday", [("next friday", "2026-03-20")]),
        ("last sunday", [("last sunday", "2026-03-08")]),
        ("last thursday", [("last thursday", "2026-03-05")]),
        ("in 3 days", [("in 3 days", "2026-03-15")]),
        ("in two weeks", [("in two weeks", "2026-03-26")]),
        ("in a month", [("in a month", "2026-04-12")]),
        ("in twenty one days", [("in twenty one days", "2026-04-02")]),
        ("3 days from now", [("3 days from now", "2026-03-15")]),
        ("a week ago", [("a week ago", "2026-03-05")]),
        ("I have no date here", []),
        ("it took 2 days, I may go, the sun was out on sat", []),
    ],
)
def test_date(text: str, expected: list[tuple[str, str]]) -> None:
    assert found("date", text) == expected


def test_month_arithmetic_clamps_to_month_end() -> None:
    (match,) = extract_builtin("date", "in a month", now=datetime(2026, 1, 31))
    assert match.value == "2026-02-28"


def test_day_alone_skips_months_without_that_day() -> None:
    (match,) = extract_builtin("date", "the 31st", now=datetime(2026, 4, 5))
    assert match.value == "2026-05-31"


@pytest.mark.parametrize(
    ("text", "now"),
    [
        ("tomorrow, next monday, the 3rd, in a year", datetime.max),
        ("yesterday, last monday, a year ago", datetime.min),
    ],
)
def test_dates_beyond_the_calendar_are_ignored(text: str, now: datetime) -> None:
    assert extract_builtin("date", text, now=now) == []


def test_date_depends_on_now() -> None:
    assert found("date", "tomorrow") != [
        (m.text, m.value) for m in extract_builtin("date", "tomorrow", now=datetime(2030, 1, 1))
    ]
    assert NOW.weekday() == 3  # the cases above assume a Thursday


def test_date_and_time_in_one_message() -> None:
    text = "book it for tomorrow at 5pm"
    assert found("date", text) == [("tomorrow", "2026-03-13")]
    assert found("time", text) == [("5pm", "17:00")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5pm", [("5pm", "17:00")]),
        ("at 5 p.m.", [("5 p.m.", "17:00")]),
        ("5:30 pm", [("5:30 pm", "17:30")]),
        ("5.30pm", [("5.30pm", "17:30")]),
        ("5 AM", [("5 AM", "05:00")]),
        ("five pm", [("five pm", "17:00")]),
        ("five thirty pm", [("five thirty pm", "17:30")]),
        ("12am and 12pm", [("12am", "00:00"), ("12pm", "12:00")]),
        ("13pm", []),
        ("17:30", [("17:30", "17:30")]),
        ("09:05", [("09:05", "09:05")]),
        ("17:30:15", [("17:30:15", "17:30")]),
        ("24:00 or 12:61", []),
        ("7:30 in the evening", [("7:30 in the evening", "19:30")]),
        ("noon", [("noon", "12:00")]),
        ("12 noon", [("12 noon", "12:00")]),
        ("midnight", [("midnight", "00:00")]),
        ("half past five", [("half past five", "05:30")]),
        ("quarter to six", [("quarter to six", "05:45")]),
        ("quarter past 12", [("quarter past 12", "12:15")]),
        ("ten past 5", [("ten past 5", "05:10")]),
        ("twenty-five to three", [("twenty-five to three", "02:35")]),
        ("20 minutes to 6", [("20 minutes to 6", "05:40")]),
        ("five to one", [("five to one", "12:55")]),
        ("half past 5 in the evening", [("half past 5 in the evening", "17:30")]),
        ("five o'clock", [("five o'clock", "05:00")]),
        ("7 o’clock in the morning", [("7 o’clock in the morning", "07:00")]),
        ("at 8 tonight", [("8 tonight", "20:00")]),
        ("I have no time here", []),
        ("I have 5 apples, 2 to 3 tickets, at 5%, 3:1 odds", []),
        ("5 to 10 minutes away, five to ten minutes, from 10 to 5", []),
        ("10 past 5", [("10 past 5", "05:10")]),
    ],
)
def test_time(text: str, expected: list[tuple[str, str]]) -> None:
    assert found("time", text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("in 2 hours", [("in 2 hours", "11:30")]),
        ("in 45 minutes", [("in 45 minutes", "10:15")]),
        ("in an hour", [("in an hour", "10:30")]),
        ("in half an hour", [("in half an hour", "10:00")]),
        ("in twenty mins", [("in twenty mins", "09:50")]),
        ("in 15 hours", [("in 15 hours", "00:30")]),
        ("in 3 days", []),
    ],
)
def test_time_after_a_delay(text: str, expected: list[tuple[str, str]]) -> None:
    assert found("time", text) == expected


def test_delay_past_the_last_representable_moment_is_ignored() -> None:
    assert extract_builtin("time", "in 2 hours", now=datetime.max) == []


def test_bare_hour_after_at_is_uncertain() -> None:
    (match,) = extract_builtin("time", "see you at 7")
    assert (match.text, match.value) == ("7", "07:00")
    assert match.confidence < 1.0
