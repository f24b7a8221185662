"""Clock times.

Supported (case-insensitive):
- 12-hour with am/pm: `5pm`, `5 p.m.`, `5:30 pm`, `5.30pm`, `five pm`, `five thirty pm`.
- 24-hour: `17:30`, `09:05`, `17:30:15` (seconds dropped).
- Words: `noon`, `midday`, `midnight`, `five o'clock`, `half past five`, `quarter to six`,
  `ten past 5`, `twenty-five to three`.
- A bare hour after `at`: `at 5`, `at seven` (confidence 0.7; the span is the hour only).
- A part of the day after a 12-hour time without am/pm: `half past five in the evening`,
  `at 8 tonight`, `7 in the morning`.
- A delay from `now`: `in 2 hours`, `in 45 minutes`, `in an hour`, `in half an hour`.

Not times: ranges of minutes (`5 to 10 minutes`); digits before `to` (`10 to 5` is a
range, `ten to five` is 04:50); minutes that are not a multiple of five without the word
`minutes` (`2 to 3 tickets`).

Value: `HH:MM` on a 24-hour clock. `12am` is 00:00 and `12pm` is 12:00. A 12-hour time
without am/pm or a part of the day is taken as written (`half past five` → 05:30).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

from assistc.stdlib.extractors import words_en as en
from assistc.stdlib.extractors.match import BuiltinMatch, leftmost_longest
from assistc.stdlib.extractors.numwords import WORD_NUMBER, cardinal_value
from assistc.stdlib.extractors.patterns import word_alternation

_FLAGS = re.IGNORECASE | re.ASCII
_HOUR_WORDS = word_alternation(w for w, v in {**en.UNITS, **en.TEENS}.items() if 1 <= v <= 12)
_HOUR = rf"(?P<hour>[0-9]{{1,2}}|(?:{_HOUR_WORDS})\b)"
_MERIDIEM = r"(?P<meridiem>[ap]\.?m\b\.?)"
_PART_OF_DAY = (
    r"(?:\s+(?:in\s+the\s+(?P<part>morning|afternoon|evening)|at\s+(?P<night>night)"
    r"|(?P<tonight>tonight)))?"
)
_NOT_A_DURATION = r"(?!\s+(?:min|mins|minutes?|hrs?|hours?|days?|weeks?|months?|years?)\b)"
"""`5 to 10 minutes away` is a range of minutes, not 09:55."""
_EVENING_PARTS = {"afternoon", "evening", "night", "tonight"}
_BEFORE = {"to", "till", "before", "of"}
"""Relations that count minutes back from the hour (`quarter to six`); others count on."""
_MINUTE_NAMES = {"half": 30, "quarter": 15}

Resolver = Callable[[re.Match[str]], tuple[int, int] | None]


def _twelve_hour(hour: int, m: re.Match[str]) -> int | None:
    """Apply am/pm or a part of the day to an hour of a 12-hour clock."""
    if not 1 <= hour <= 12:
        return None
    groups = m.groupdict()
    meridiem = (groups.get("meridiem") or "").lower()[:1]
    part = next((groups[g].lower() for g in ("part", "night", "tonight") if groups.get(g)), "")
    if meridiem == "p" or (part in _EVENING_PARTS and hour < 12):
        return hour % 12 + 12
    if meridiem == "a" or part == "morning":
        return hour % 12
    return hour


def _with_meridiem(m: re.Match[str]) -> tuple[int, int] | None:
    """`5pm`, `5:30 pm`, `five thirty pm`."""
    hour = cardinal_value(m["hour"])
    minute = cardinal_value(m["minute"]) if m["minute"] else 0
    if hour is None or minute is None or minute > 59:
        return None
    hour = _twelve_hour(hour, m)
    return None if hour is None else (hour, minute)


def _twenty_four(m: re.Match[str]) -> tuple[int, int] | None:
    """`17:30`; with a part of the day, a 12-hour time (`7:30 in the evening`)."""
    hour, minute = int(m["hour"]), int(m["minute"])
    if m["part"] or m["night"] or m["tonight"]:
        hour_12 = _twelve_hour(hour, m)
        hour = hour_12 if hour_12 is not None else hour
    return (hour, minute) if hour <= 23 and minute <= 59 else None


def _named(m: re.Match[str]) -> tuple[int, int] | None:
    return (0, 0) if m.group().lower() == "midnight" else (12, 0)


def _relative_to_hour(m: re.Match[str]) -> tuple[int, int] | None:
    """`half past five`, `quarter to six`, `ten past 5`."""
    name = m["minutes"].lower()
    minutes = _MINUTE_NAMES.get(name) or cardinal_value(name)
    hour = cardinal_value(m["hour"])
    if minutes is None or hour is None or not 1 <= minutes <= 59:
        return None
    before = m["relation"].lower() in _BEFORE
    loose = not (name in _MINUTE_NAMES or m["explicit"])
    if loose and (minutes % 5 or (before and name.isdigit())):
        return None  # `ten to six` is a time; `2 to 3 tickets`, `10 to 5` are ranges
    if name == "half" and before:
        return None
    if before:
        hour, minutes = hour - 1 if hour > 1 else 12, 60 - minutes
    hour_24 = _twelve_hour(hour, m)
    return None if hour_24 is None else (hour_24, minutes)


def _hour_only(m: re.Match[str]) -> tuple[int, int] | None:
    """`five o'clock`, `at 5`."""
    hour = cardinal_value(m["hour"])
    hour_24 = None if hour is None else _twelve_hour(hour, m)
    return None if hour_24 is None else (hour_24, 0)


# (pattern, resolver, confidence, needles): a pattern only runs when the lower-cased text
# contains one of its needles (no `:`, no `17:30`), which skips most patterns on most
# messages for the price of a few substring searches.
_CLOCK_PATTERNS: tuple[tuple[str, Resolver, float, tuple[str, ...]], ...] = (
    (  # 5pm, 5:30 pm, five thirty pm
        rf"{_HOUR}(?:(?:[:.]|\s+)(?P<minute>[0-5][0-9]|{WORD_NUMBER}))?\s*{_MERIDIEM}",
        _with_meridiem,
        1.0,
        ("am", "pm", "a.m", "p.m"),
    ),
    (  # 17:30, 7:30 in the evening
        r"(?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2})(?::[0-9]{2})?(?![\w:]|\.[0-9])" + _PART_OF_DAY,
        _twenty_four,
        1.0,
        (":",),
    ),
    (r"(?:12\s+)?(?:noon|midday|midnight)\b", _named, 1.0, ("noon", "midday", "midnight")),
    (  # half past five, quarter to six, ten past 5, 20 minutes to 6
        r"(?P<minutes>half|quarter|[0-9]{1,2}|"
        + WORD_NUMBER
        + r")(?P<explicit>\s+minutes?)?\s+(?P<relation>past|after|to|till|before|of)\s+"
        + _HOUR
        + _NOT_A_DURATION
        + _PART_OF_DAY,
        _relative_to_hour,
        1.0,
        ("past", "after", "to", "till", "before", "of"),
    ),
    (rf"{_HOUR}\s+o['’]?clock\b{_PART_OF_DAY}", _hour_only, 1.0, ("clock",)),
    (  # at 5, at seven tonight (the span starts at the hour)
        rf"(?<=\bat\s){_HOUR}(?!\s*(?:[ap]\.?m\b|o['’]?clock\b)|[\w:%/-]|\.[0-9]){_PART_OF_DAY}",
        _hour_only,
        0.7,
        ("at",),
    ),
)
_PATTERNS = tuple(
    (re.compile(r"(?<![\w:.-])" + source, _FLAGS), resolve, confidence, needles)
    for source, resolve, confidence, needles in _CLOCK_PATTERNS
)


_DELAY = re.compile(
    r"(?<![\w-])in\s+(?:(?P<half>half\s+an\s+hour)"
    rf"|(?P<amount>[0-9]{{1,4}}|an?|{WORD_NUMBER})\s+(?P<unit>hours?|hrs?|minutes?|mins?)\b)",
    _FLAGS,
)


_DELAY_NEEDLES = ("hour", "hr", "min")


def _delay_minutes(m: re.Match[str]) -> int | None:
    """`in 2 hours` → 120, `in half an hour` → 30."""
    if m["half"]:
        return 30
    value = cardinal_value(m["amount"])
    if value is None:
        return None
    return value * 60 if m["unit"].lower().startswith("h") else value


def extract(text: str, now: datetime) -> list[BuiltinMatch]:
    """All clock times in `text`; `now` anchors delays (`in 2 hours`)."""
    lowered = text.lower()
    found = []
    delays = _DELAY.finditer(text) if any(n in lowered for n in _DELAY_NEEDLES) else ()
    for m in delays:
        minutes = _delay_minutes(m)
        try:
            later = None if minutes is None else now + timedelta(minutes=minutes)
        except OverflowError:  # past year 9999
            later = None
        if later is not None:
            found.append(BuiltinMatch(m.start(), m.end(), m.group(), f"{later:%H:%M}"))
    for pattern, resolve, confidence, needles in _PATTERNS:
        if not any(needle in lowered for needle in needles):
            continue
        for m in pattern.finditer(text):
            resolved = resolve(m)
            if resolved is not None:
                value = f"{resolved[0]:02d}:{resolved[1]:02d}"
                found.append(BuiltinMatch(m.start(), m.end(), m.group(), value, confidence))
    return leftmost_longest(found)
