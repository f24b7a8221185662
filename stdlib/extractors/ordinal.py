"""Ordinal numbers: `1st`, `22nd`, `3rd`, `third`, `twenty-first`, `one hundredth`.

Value: the `int` (`twenty-first` → 21). A lone `second` gets confidence 0.5, as it is
more often a unit of time (`wait a second`).
"""

from __future__ import annotations

import re
from datetime import datetime

from assistc.stdlib.extractors import words_en as en
from assistc.stdlib.extractors.match import BuiltinMatch, leftmost_longest
from assistc.stdlib.extractors.numwords import find_word_numbers

_DIGIT_ORDINAL = re.compile(
    rf"(?<![\w.,-])(?P<ordinal>[0-9]{{1,18}}){en.ORDINAL_SUFFIX}\b", re.IGNORECASE | re.ASCII
)
_AMBIGUOUS = {"second": 0.5}


def extract(text: str, now: datetime) -> list[BuiltinMatch]:
    """All ordinals in `text` (`now` is unused; every extractor takes it)."""
    del now
    found = [
        BuiltinMatch(m.start(), m.end(), m.group(), int(m["ordinal"]))
        for m in _DIGIT_ORDINAL.finditer(text)
    ]
    for w in find_word_numbers(text):
        if w.ordinal:
            surface = text[w.start : w.end]
            confidence = _AMBIGUOUS.get(surface.lower(), 1.0)
            found.append(BuiltinMatch(w.start, w.end, surface, w.value, confidence))
    return leftmost_longest(found)
