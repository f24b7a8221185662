"""Spelled-out numbers (`one hundred and five`, `a dozen`, `twenty-first`) found and valued.

Shared by the number, ordinal, date, time and money extractors. A run of number words is
found with one regex, then a small left-to-right reader splits it into numbers wherever
the next word cannot continue the current one (`one two` is two numbers, `twenty one` is
one). A number ending in an ordinal word (`first`, `twentieth`) is an ordinal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistc.stdlib.extractors import words_en as en
from assistc.stdlib.extractors.patterns import word_alternation

_UNIT, _TEEN, _TENS, _HUNDRED, _SCALE, _DOZEN, _ZERO, _ARTICLE = range(8)

_CARDINAL_KIND: dict[str, tuple[int, int]] = {
    **{w: (_UNIT, v) for w, v in en.UNITS.items() if v},
    **{w: (_ZERO, v) for w, v in en.UNITS.items() if not v},
    **{w: (_TEEN, v) for w, v in en.TEENS.items()},
    **{w: (_TENS, v) for w, v in en.TENS.items()},
    **{w: (_HUNDRED, v) for w, v in en.HUNDRED.items()},
    **{w: (_SCALE, v) for w, v in en.SCALES.items()},
    **{w: (_DOZEN, v) for w, v in en.DOZEN.items()},
}


def _kind_of_value(value: int) -> int:
    if value < 10:
        return _UNIT
    if value < 20:
        return _TEEN
    if value < 100:
        return _TENS
    return _HUNDRED if value == 100 else _SCALE


_ORDINAL_KIND: dict[str, tuple[int, int]] = {
    w: (_kind_of_value(v), v) for w, v in en.ORDINALS.items()
}
_KIND: dict[str, tuple[int, int]] = {**_CARDINAL_KIND, **_ORDINAL_KIND}

_MULTIPLIERS = (*en.HUNDRED, *en.SCALES, *en.DOZEN)


_WORD = rf"(?:{word_alternation(_KIND)})\b"
_ARTICLE_BEFORE_MULTIPLIER = (
    rf"(?:{word_alternation(en.ARTICLES)})\s+(?=(?:{word_alternation(_MULTIPLIERS)})\b)"
)
_START = rf"(?<![\w-])(?:{_ARTICLE_BEFORE_MULTIPLIER})?{_WORD}"
_NEXT = rf"(?:\s+|\s*-\s*)(?:{en.CONJUNCTION}\s+)?{_WORD}"
_RUN = re.compile(rf"{_START}(?:{_NEXT})*", re.IGNORECASE | re.ASCII)
WORD_NUMBER = rf"{_START}(?:{_NEXT}){{0,7}}"
"""Regex source for a run of up to 8 number words, for patterns that embed an amount.

Bounded because a pattern that needs something after the run (`in two weeks`) would
otherwise rescan a long run of number words from every word in it: quadratic time.
"""

_TOKEN = re.compile(r"[a-z]+", re.IGNORECASE | re.ASCII)

# The kinds that may come right before each kind inside one number (none: only first).
_PREDECESSORS: dict[int, frozenset[int]] = {
    _UNIT: frozenset({_TENS, _HUNDRED, _SCALE}),
    _TEEN: frozenset({_HUNDRED, _SCALE}),
    _TENS: frozenset({_HUNDRED, _SCALE}),
    _HUNDRED: frozenset({_ARTICLE, _UNIT, _TEEN, _TENS}),
    _SCALE: frozenset({_ARTICLE, _UNIT, _TEEN, _TENS, _HUNDRED}),
    _DOZEN: frozenset({_ARTICLE, _UNIT, _TEEN, _TENS}),
}


@dataclass(frozen=True)
class WordNumber:
    """A spelled-out number: its span in the text, value, and whether it is an ordinal."""

    start: int
    end: int
    value: int
    ordinal: bool


class _Reader:
    """Accumulates one number word by word; `feed` says whether the word continued it."""

    def __init__(self) -> None:
        self.total = 0
        self.current = 0
        self.last: int | None = None
        self.smallest_scale = 0
        self.ordinal = False
        self.start = -1
        self.end = -1

    def feed(self, kind: int, value: int, ordinal: bool, start: int, end: int) -> bool:
        if self.ordinal or self.last == _ZERO:
            return False
        if self.last is not None and self.last not in _PREDECESSORS.get(kind, frozenset()):
            return False
        if kind == _SCALE:
            if self.smallest_scale and value >= self.smallest_scale:
                return False
            self.total += (self.current or 1) * value
            self.current = 0
            self.smallest_scale = value
        elif kind in (_HUNDRED, _DOZEN):
            if self.current >= 100:
                return False
            self.current = (self.current or 1) * value
        else:
            self.current += value
        self.last = kind
        self.ordinal = ordinal
        if self.start < 0:
            self.start = start
        self.end = end
        return True

    def result(self) -> WordNumber:
        return WordNumber(self.start, self.end, self.total + self.current, self.ordinal)


def _read_run(text: str, offset: int) -> list[WordNumber]:
    """Split one run of number words into numbers; `offset` maps back into the message."""
    numbers: list[WordNumber] = []
    reader = _Reader()
    pending_and = False
    for token in _TOKEN.finditer(text):
        word = token.group().lower()
        if word == en.CONJUNCTION:
            pending_and = True
            continue
        start, end = token.start() + offset, token.end() + offset
        if word in en.ARTICLES:
            kind, value, ordinal = _ARTICLE, 0, False
        else:
            kind, value = _KIND[word]
            ordinal = word in _ORDINAL_KIND
        joins = not pending_and or reader.last in (_HUNDRED, _SCALE)
        if not (joins and reader.feed(kind, value, ordinal, start, end)):
            if reader.start >= 0:
                numbers.append(reader.result())
            reader = _Reader()
            reader.feed(kind, value, ordinal, start, end)
        pending_and = False
    if reader.start >= 0:
        numbers.append(reader.result())
    return numbers


def find_word_numbers(text: str) -> list[WordNumber]:
    """Every spelled-out number in `text`, in order, non-overlapping."""
    found: list[WordNumber] = []
    for run in _RUN.finditer(text):
        found.extend(_read_run(run.group(), run.start()))
    return found


def cardinal_value(text: str) -> int | None:
    """The value of `text` if it is one whole number in ASCII digits or words, else None.

    A lone article counts as 1, as in `in a week`, `in an hour`.
    """
    if text.isascii() and text.isdigit():
        return int(text)
    if text.lower() in en.ARTICLES:
        return 1
    numbers = find_word_numbers(text)
    if len(numbers) != 1 or numbers[0].ordinal:
        return None
    whole = numbers[0].start == 0 and numbers[0].end == len(text)
    return numbers[0].value if whole else None
