"""Calendar dates, absolute and relative to `now`.

Supported (case-insensitive):
- ISO: `2026-03-12`, `2026/03/12`.
- Numeric with the year last, when the order is clear: `25/12/2026`, `12/25/26`,
  `25.12.2026` (a part over 12 is the day; `3/4/2026` is ambiguous and not a date).
- Month and day: `March 12`, `Mar 12th`, `March 12, 2026`, `March the twelfth`,
  `12 March 2026`, `12th of March`, `the twelfth of March`.
- Day of the month alone: `the 3rd` (confidence 0.8), when no noun follows it (`the 3rd
  floor`, `the 4th time` are not dates).
- Relative days: `today`, `tonight`, `tomorrow`, `yesterday`, `the day after tomorrow`,
  `the day before yesterday`.
- Weekdays: `monday`, `this friday`, `next tues`, `last sunday` (no `sun`, `sat`: words).
- Offsets: `in 3 days`, `in two weeks`, `in a month`, `3 days from now`, `a week ago`
  (days, weeks, fortnights, months, years).

Value: the ISO date `YYYY-MM-DD`. Rules, with `today = now.date()`:
- a date without a year, and a day alone, is the next one on or after today;
- a bare weekday and `this <weekday>` are the next one on or after today; `next <weekday>`
  is that weekday in the following week (weeks start on Monday); `last <weekday>` is the
  most recent one before today;
- adding months or years keeps the day, clamped to the month's end (Jan 31 + 1 month →
  Feb 28).

Not supported: numeric dates without a year (`3/12`) or with the day and month order
unknown (`3/4/2026`), periods (`next week`, `in March`, `this weekend`), and times (see
`times`).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta

from assistc.stdlib.extractors import words_en as en
from assistc.stdlib.extractors.match import BuiltinMatch, leftmost_longest
from assistc.stdlib.extractors.numwords import WORD_NUMBER, cardinal_value, find_word_numbers
from assistc.stdlib.extractors.patterns import word_alternation

_FLAGS = re.IGNORECASE | re.ASCII
_MONTH = rf"(?P<month>{word_alternation(en.MONTHS)})\b\.?"
_WEEKDAY = word_alternation(en.WEEKDAYS)
_ORDINAL_WORDS = word_alternation(w for w, v in en.ORDINALS.items() if v <= 30)
_DAY = (
    rf"(?P<day>[0-9]{{1,2}}(?:{en.ORDINAL_SUFFIX})?"
    rf"|(?:(?:twenty|thirty)(?:\s+|-))?(?:{_ORDINAL_WORDS}))(?![\w:])"
)
_YEAR = r"(?:,?\s+(?P<year>[0-9]{4})(?![\w:]))?"
_UNIT_DAYS = {"day": 1, "week": 7, "fortnight": 14}
_UNIT_MONTHS = {"month": 1, "year": 12}
_RELATIVE_DAYS = {
    "today": 0,
    "tonight": 0,
    "tomorrow": 1,
    "yesterday": -1,
    "the day after tomorrow": 2,
    "the day before yesterday": -2,
}

_NOT_A_NOUN_AFTER = (
    r"(?=\s*(?:$|[^\w\s]|(?:at|and|or|in|on|for|by|then|please|instead|is|works?|would|will"
    r"|if|but|so|too|maybe|from|to|until|till|through|next|this)\b))"
)
"""`the 3rd` is a day unless a noun follows (`the 3rd floor`, `the 4th time`)."""

Resolver = Callable[[re.Match[str], date], date | None]


def _day_number(text: str) -> int:
    """The day of the month written as `12`, `12th` or `twelfth` (0 when not a single day)."""
    if text[0].isdigit():
        return int(text.rstrip("stndrhSTNDRH"))
    words = find_word_numbers(text)
    return words[0].value if len(words) == 1 and words[0].ordinal else 0


def _make_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def _iso(m: re.Match[str], today: date) -> date | None:
    del today
    return _make_date(int(m["y"]), int(m["mo"]), int(m["d"]))


def _numeric(m: re.Match[str], today: date) -> date | None:
    """`25/12/2026` or `12/25/2026`: only when a part over 12 says which one is the day."""
    del today
    first, second = int(m["a"]), int(m["b"])
    year = int(m["y"]) + (2000 if len(m["y"]) == 2 else 0)
    if first > 12 >= second:
        return _make_date(year, second, first)
    if second > 12 >= first or first == second:
        return _make_date(year, first, second)
    return None  # `3/4/2026`: March 4 or 3 April


def _month_day(m: re.Match[str], today: date) -> date | None:
    """`March 12` / `12th of March`, in the given year or the next one on or after today."""
    month, day = en.MONTHS[m["month"].lower()], _day_number(m["day"])
    if m["year"]:
        return _make_date(int(m["year"]), month, day)
    for year in range(today.year, today.year + 9):  # 8 years covers every 29 February
        candidate = _make_date(year, month, day)
        if candidate is not None and candidate >= today:
            return candidate
    return None


def _day_alone(m: re.Match[str], today: date) -> date | None:
    """`the 3rd`: this month's if not past, else the next month that has that day."""
    day = _day_number(m["day"])
    for months in range(3):  # a 31st is never more than two months away
        first = _add_months(today.replace(day=1), months)
        candidate = _make_date(first.year, first.month, day)
        if candidate is not None and candidate >= today:
            return candidate
    return None


def _relative_day(m: re.Match[str], today: date) -> date | None:
    return today + timedelta(days=_RELATIVE_DAYS[" ".join(m.group().lower().split())])


def _weekday(m: re.Match[str], today: date) -> date | None:
    target = en.WEEKDAYS[m["weekday"].lower()]
    which = (m["which"] or "").lower()
    if which == "next":
        monday_next_week = today + timedelta(days=7 - today.weekday())
        return monday_next_week + timedelta(days=target)
    if which == "last":
        return today - timedelta(days=(today.weekday() - target - 1) % 7 + 1)
    return today + timedelta(days=(target - today.weekday()) % 7)


def _offset(m: re.Match[str], today: date) -> date | None:
    """`in 3 days`, `two weeks from now`, `a month ago`."""
    amount = cardinal_value(m["amount"])
    if amount is None or not (m["within"] or m["direction"]):
        return None
    if (m["direction"] or "").lower() == "ago":
        amount = -amount
    unit = m["unit"].lower().rstrip("s")
    if unit in _UNIT_DAYS:
        return today + timedelta(days=amount * _UNIT_DAYS[unit])
    return _add_months(today, amount * _UNIT_MONTHS[unit])


_AMOUNT = rf"(?P<amount>[0-9]{{1,4}}|an?|{WORD_NUMBER})"
_UNIT = r"(?P<unit>days?|weeks?|fortnights?|months?|years?)\b"

_MONTH_STEMS = tuple(sorted({name[:3] for name in en.MONTHS}))
_WEEKDAY_STEMS = ("day", *(name for name in en.WEEKDAYS if not name.endswith("day")))

# (pattern, resolver, confidence, needles): a pattern only runs when the lower-cased text
# contains one of its needles (a text without `to` or `yesterday` cannot say `tomorrow`),
# which skips most patterns on most messages for the price of a few substring searches.
_PATTERNS: tuple[tuple[re.Pattern[str], Resolver, float, tuple[str, ...]], ...] = (
    (
        re.compile(
            r"(?<![\w/.:-])(?P<y>[0-9]{4})(?P<sep>[-/])(?P<mo>[0-9]{1,2})(?P=sep)(?P<d>[0-9]{1,2})"
            r"(?![\w/-]|\.[0-9])",
            _FLAGS,
        ),
        _iso,
        1.0,
        ("-", "/"),
    ),
    (
        re.compile(
            r"(?<![\w/.:-])(?P<a>[0-9]{1,2})(?P<sep>[/.])(?P<b>[0-9]{1,2})(?P=sep)"
            r"(?P<y>[0-9]{4}|[0-9]{2})(?![\w/]|[.:][0-9])",
            _FLAGS,
        ),
        _numeric,
        1.0,
        ("/", "."),
    ),
    (
        re.compile(rf"(?<![\w-]){_MONTH}\s+(?:the\s+)?{_DAY}{_YEAR}", _FLAGS),
        _month_day,
        1.0,
        _MONTH_STEMS,
    ),
    (
        re.compile(rf"(?<![\w-])(?:the\s+)?{_DAY}(?:\s+of)?\s+{_MONTH}{_YEAR}", _FLAGS),
        _month_day,
        1.0,
        _MONTH_STEMS,
    ),
    (
        re.compile(
            rf"(?<![\w-])the\s+(?P<day>[0-9]{{1,2}}{en.ORDINAL_SUFFIX})\b{_NOT_A_NOUN_AFTER}",
            _FLAGS,
        ),
        _day_alone,
        0.8,
        ("the",),
    ),
    (
        re.compile(
            r"(?<![\w-])(?:the\s+day\s+(?:after\s+tomorrow|before\s+yesterday)"
            r"|today|tonight|tomorrow|yesterday)\b",
            _FLAGS,
        ),
        _relative_day,
        1.0,
        ("to", "yesterday"),
    ),
    (
        re.compile(
            rf"(?<![\w-])(?:(?P<which>this|next|last|coming)\s+)?(?P<weekday>{_WEEKDAY})\b",
            _FLAGS,
        ),
        _weekday,
        1.0,
        _WEEKDAY_STEMS,
    ),
    (
        re.compile(
            rf"(?<![\w-])(?:(?P<within>in)\s+)?{_AMOUNT}\s+{_UNIT}"
            r"(?:\s+(?P<direction>ago|from\s+now|later))?",
            _FLAGS,
        ),
        _offset,
        1.0,
        ("day", "week", "fortnight", "month", "year"),
    ),
)


def extract(text: str, now: datetime) -> list[BuiltinMatch]:
    """All dates in `text`, resolved against `now`."""
    today = now.date()
    lowered = text.lower()
    found = []
    for pattern, resolve, confidence, needles in _PATTERNS:
        if not any(needle in lowered for needle in needles):
            continue
        for m in pattern.finditer(text):
            try:
                resolved = resolve(m, today)
            except (OverflowError, ValueError):  # before year 1 or after year 9999
                continue
            if resolved is not None:
                found.append(
                    BuiltinMatch(m.start(), m.end(), m.group(), resolved.isoformat(), confidence)
                )
    return leftmost_longest(found)
