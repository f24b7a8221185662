"""Built-in entity extractors: the entity types a `.assist` file declares `builtin`.

The runtime's NLU calls `extract_builtin(name, message)`; each extractor is a pure function
of the text (and of `now`, for relative dates and delays) built on regexes compiled at
import, so it is fast and deterministic. Supported forms and value formats: each module's
docstring and docs/stdlib.md. English only for now; the word tables live in `words_en`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from assistc.stdlib.extractors import dates, email, money, number, ordinal, phone, times, url
from assistc.stdlib.extractors.match import BuiltinMatch

__all__ = ["BUILTIN_EXTRACTORS", "BuiltinMatch", "UnknownExtractorError", "extract_builtin"]

Extractor = Callable[[str, datetime], list[BuiltinMatch]]

_EXTRACTORS: dict[str, Extractor] = {
    "number": number.extract,
    "ordinal": ordinal.extract,
    "date": dates.extract,
    "time": times.extract,
    "email": email.extract,
    "url": url.extract,
    "phone": phone.extract,
    "money": money.extract,
}

BUILTIN_EXTRACTORS: tuple[str, ...] = tuple(_EXTRACTORS)


class UnknownExtractorError(KeyError):
    """Raised for a name that is not in `BUILTIN_EXTRACTORS`."""


def extract_builtin(name: str, text: str, *, now: datetime | None = None) -> list[BuiltinMatch]:
    """Every match of the named extractor in `text`, ordered by start, non-overlapping.

    `now` anchors relative dates and times (`tomorrow`, `in 3 days`); default: the current
    local date and time.
    """
    try:
        extractor = _EXTRACTORS[name]
    except KeyError:
        raise UnknownExtractorError(name) from None
    return extractor(text, now if now is not None else datetime.now())
