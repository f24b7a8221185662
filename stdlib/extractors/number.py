"""Cardinal numbers, written in digits or in words.

Supported: `12`, `-3`, `1,234.5`, `0.25`, a digit number with a scale word (`3 million`,
`2 dozen`), and spelled-out numbers (`twelve`, `twenty-one`, `one hundred and five`,
`a dozen`, `two thousand three hundred`). Value: an `int`, or a `float` when the text has
a decimal part that the scale does not make whole (`1.5` → 1.5, `1.5 million` → 1500000).
A lone `one` right after a determiner (`this one`, `no one`) gets confidence 0.5: it is
usually a pronoun.

Not numbers here: digits glued into other tokens (`abc123`, `1st`, `5:30`, `2026-03-12`,
`555-123-4567`, `3/4`) — those belong to ordinal, time, date and phone, or are ids.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal

from assistc.stdlib.extractors import words_en as en
from assistc.stdlib.extractors.match import BuiltinMatch, leftmost_longest
from assistc.stdlib.extractors.numwords import WordNumber, find_word_numbers
from assistc.stdlib.extractors.patterns import word_alternation

_SCALE_WORDS: dict[str, int] = {**en.HUNDRED, **en.SCALES, **en.DOZEN}

DIGIT_NUMBER = (
    r"(?:[0-9]{1,3}(?:,[0-9]{3}){1,10}|[0-9]{1,30})(?:\.[0-9]{1,30})?"
    r"(?![0-9]|[.,:/-][0-9])"
)
"""Regex source for an unsigned digit number (the money extractor reuses it)."""

_NUMBER = re.compile(
    rf"(?<![\w.,:/+-])(?P<number>-?{DIGIT_NUMBER})"
    rf"(?:\s*(?P<scale>{word_alternation(_SCALE_WORDS)})\b)?"
    rf"(?!{en.ORDINAL_SUFFIX}\b)",
    re.IGNORECASE | re.ASCII,
)


_DETERMINERS = ("the", "this", "that", "which", "no", "any", "every", "each", "another", "some")
_DETERMINER_BEFORE = re.compile(
    rf"\b(?:{word_alternation(_DETERMINERS)})\s{{1,4}}$", re.IGNORECASE | re.ASCII
)
_LONGEST_DETERMINER = max(map(len, _DETERMINERS)) + 5


def digit_value(number: str, scale: str | None = None) -> Decimal:
    """The exact value of a digit number like `1,234.5`, times its scale word if any."""
    value = Decimal(number.replace(",", ""))
    return value * _SCALE_WORDS[scale.lower()] if scale else value


def _as_number(value: Decimal, *, whole: bool) -> int | float:
    """An int when the text is whole (no decimal part, or a scale that makes it whole)."""
    return int(value) if whole and value == value.to_integral_value() else float(value)


def extract(text: str, now: datetime) -> list[BuiltinMatch]:
    """All cardinal numbers in `text` (`now` is unused; every extractor takes it)."""
    del now
    found = [
        BuiltinMatch(
            m.start(),
            m.end(),
            m.group(),
            _as_number(
                digit_value(m["number"], m["scale"]),
                whole=m["scale"] is not None or "." not in m["number"],
            ),
        )
        for m in _NUMBER.finditer(text)
    ]
    found.extend(
        BuiltinMatch(w.start, w.end, text[w.start : w.end], w.value, _confidence(text, w))
        for w in find_word_numbers(text)
        if not w.ordinal
    )
    return leftmost_longest(found)


def _confidence(text: str, number: WordNumber) -> float:
    """Lower for a lone `one` after a determiner, a pronoun: `this one`, `no one`."""
    if text[number.start : number.end].lower() != "one":
        return 1.0
    window = max(0, number.start - _LONGEST_DETERMINER)
    return 0.5 if _DETERMINER_BEFORE.search(text, window, number.start) else 1.0
