"""Phone numbers: international (`+44 20 7946 0958`, `+1 (555) 123-4567`, `+4420794609580`)
and national (`(555) 123-4567`, `555-123-4567`, `555.123.4567`, `020 7946 0958`).

Value: the digits, with a leading `+` kept when written (`+442079460958`, `5551234567`);
the bracketed trunk zero of `+44 (0)20 7946 0958` is dropped, as it is not dialled.
Rules: with `+`, 8–15 digits (E.164); without, 10 or 11 digits (11 only after a trunk `0`
or a country `1`). An ungrouped run of 10–11 digits is reported with confidence 0.6 (it may
be an order number). Dates (`2026-03-12`) and short numbers are not phones.
"""

from __future__ import annotations

import re
from datetime import datetime

from assistc.stdlib.extractors.match import BuiltinMatch

# Digit groups must be separated, so a digit run splits into groups in exactly one way and
# a failed match cannot backtrack through the ways of splitting it.
_PHONE = re.compile(
    r"(?<![\w+@/.,:-])(?:\+\s?)?"
    r"(?:(?:[0-9]{1,4}[ .-]?)?\([0-9]{1,5}\)[ .-]?)?"
    r"[0-9]{1,15}(?:(?: ?- ?|[ .])[0-9]{1,15}){0,7}"
    r"(?![0-9]|[A-Za-z])",
    re.ASCII,
)
_GROUP = re.compile(r"\(?[0-9]+\)?")


def _valid(digits: int, plus: bool, first_digit: str) -> bool:
    if plus:
        return 8 <= digits <= 15
    return digits == 10 or (digits == 11 and first_digit in "01")


def _best_span(candidate: str) -> tuple[int, int, float] | None:
    """The first, longest run of whole digit groups inside `candidate` that is a valid phone.

    Greedy group matching may swallow neighbouring numbers (`room 12 555 123 4567`,
    `555 123 4567 2 times`), so the match is cut back to whole groups until it fits.
    """
    groups = list(_GROUP.finditer(candidate))
    counts = [0]
    for group in groups:
        counts.append(counts[-1] + sum(c.isdigit() for c in group.group()))
    has_plus = candidate.startswith("+")
    for first in range(len(groups)):
        plus = has_plus and first == 0
        for last in range(len(groups) - 1, first - 1, -1):
            first_group = groups[first].group()
            if not _valid(counts[last + 1] - counts[first], plus, first_group.lstrip("(")[0]):
                continue
            start = 0 if plus else groups[first].start()
            grouped = plus or first != last or first_group.startswith("(")
            return start, groups[last].end(), 1.0 if grouped else 0.6
    return None


def extract(text: str, now: datetime) -> list[BuiltinMatch]:
    """All phone numbers in `text` (`now` is unused; every extractor takes it)."""
    del now
    found = []
    for m in _PHONE.finditer(text):
        best = _best_span(m.group())
        if best is None:
            continue
        start, end, confidence = best
        span = m.group()[start:end]
        plus = span.startswith("+")
        dialled = span.replace("(0)", "") if plus else span  # +44 (0)20: the 0 is not dialled
        value = ("+" if plus else "") + "".join(c for c in dialled if c.isdigit())
        found.append(BuiltinMatch(m.start() + start, m.start() + end, span, value, confidence))
    return found
