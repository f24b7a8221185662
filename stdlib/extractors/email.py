"""Email addresses: `jane.doe+tag@example.co.uk`.

Value: the address with its domain lower-cased (the local part is kept as written; it may
be case-sensitive). ASCII addresses only; a trailing full stop is not part of the domain.
"""

from __future__ import annotations

import re
from datetime import datetime

from assistc.stdlib.extractors.match import BuiltinMatch

# Every quantifier is bounded and every start is anchored to a token boundary, so a long
# run of address characters cannot make the regex backtrack quadratically.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})"
_EMAIL = re.compile(
    rf"(?<![\w.%+-])(?P<local>[A-Za-z0-9][A-Za-z0-9._%+-]{{0,63}})"
    rf"@(?P<domain>{_LABEL}(?:\.{_LABEL}){{0,10}}\.[A-Za-z]{{2,24}})"
    r"(?![\w-]|\.[A-Za-z0-9])",
    re.ASCII,
)


def extract(text: str, now: datetime) -> list[BuiltinMatch]:
    """All email addresses in `text` (`now` is unused; every extractor takes it)."""
    del now
    return [
        BuiltinMatch(m.start(), m.end(), m.group(), f"{m['local']}@{m['domain'].lower()}")
        for m in _EMAIL.finditer(text)
    ]
