"""Tokenisation and normalisation shared by every NLU component.

All components see the same tokens, so a matcher hit, a tagger label and an annotation
refer to the same units. Tokens keep their character offsets into the original message;
normalisation (case folding, accent stripping) happens per token so offsets stay exact.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

_TOKEN = re.compile(r"\w+|[^\w\s]")


@dataclass(frozen=True, slots=True)
class Token:
    start: int
    end: int
    text: str
    norm: str
    """Case-folded, accent-stripped form used for matching and features."""

    @property
    def is_word(self) -> bool:
        """A word token (letters/digits/underscore), as opposed to punctuation."""
        return self.text[0].isalnum() or self.text[0] == "_"


@functools.lru_cache(maxsize=65536)
def normalize(text: str) -> str:
    """Case- and accent-insensitive form of `text` (NFKD, marks dropped, casefolded)."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.casefold()


def tokenize(text: str) -> list[Token]:
    """Words (runs of letters/digits/underscore) and single punctuation marks."""
    return [
        Token(m.start(), m.end(), m.group(), normalize(m.group())) for m in _TOKEN.finditer(text)
    ]


def normalized_words(text: str) -> list[str]:
    """The normalised forms of `tokenize(text)`, without building tokens (for tables)."""
    return [normalize(t) for t in _TOKEN.findall(text)]
