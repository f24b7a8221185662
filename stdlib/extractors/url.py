"""Web addresses, with a scheme (`https://example.com/a?b=1`), `www.` (`www.example.com`),
or a bare domain with a common top-level domain (`example.com/pricing`, `docs.python.org`).

Value: the URL with a scheme (`http://` added when missing) and its scheme and host
lower-cased; the path, query and fragment are kept as written. Trailing sentence
punctuation (`.`, `,`, `!`, `?`, an unbalanced `)`) is not part of the URL. Bare domains
need a lower-case top-level domain from a short list (so `e.g.` or `file.txt` are not
URLs); email addresses are not URLs.
"""

from __future__ import annotations

import re
from datetime import datetime

from assistc.stdlib.extractors.match import BuiltinMatch

_COMMON_TLDS = (
    "com|org|net|edu|gov|io|ai|app|dev|co|uk|us|ca|au|de|fr|es|it|nl|eu|ch|se|no|jp|in|me|"
    "info|biz|ly|tv|xyz|tech|cloud|shop|blog|site|online"
)
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})"
_STOP = "\\s<>\"'`\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff"
"""Characters that end a URL: ASCII and Unicode spaces (`re.ASCII` makes `\\s` ASCII-only)."""
_TAIL = rf"(?::[0-9]{{1,5}})?(?:[/?#][^{_STOP}]{{0,2000}})?"
_URL = re.compile(
    r"(?<![\w@.+-])(?:"
    rf"(?P<scheme>(?i:https?|ftp)://)[^{_STOP}/]{{1,253}}(?:[/?#][^{_STOP}]{{0,2000}})?"
    rf"|(?P<www>(?i:www)\.{_LABEL}(?:\.{_LABEL}){{0,10}}\.[A-Za-z]{{2,24}}){_TAIL}"
    rf"|(?P<bare>{_LABEL}(?:\.{_LABEL}){{0,10}}\.(?:{_COMMON_TLDS})(?![\w-])){_TAIL}"
    r")(?![\w@-])",
    re.ASCII,
)
_TRAILING = ".,;:!?'\""
_HOST = re.compile(r"^(?P<scheme>[A-Za-z]+://)?(?P<host>[^/?#]*)(?P<rest>.*)$", re.DOTALL)


def _trim(url: str) -> str:
    """Drop sentence punctuation after the URL, and a `)` that closes no `(` inside it."""
    while url:
        if url[-1] in _TRAILING or (url[-1] == ")" and url.count("(") < url.count(")")):
            url = url[:-1]
        else:
            break
    return url


def _normalise(url: str) -> str:
    parts = _HOST.match(url)
    assert parts is not None  # the pattern matches every string
    scheme = (parts["scheme"] or "http://").lower()
    return f"{scheme}{parts['host'].lower()}{parts['rest']}"


def extract(text: str, now: datetime) -> list[BuiltinMatch]:
    """All URLs in `text` (`now` is unused; every extractor takes it)."""
    del now
    found = []
    for m in _URL.finditer(text):
        url = _trim(m.group())
        if m["scheme"] and len(url) <= len(m["scheme"]):
            continue
        found.append(BuiltinMatch(m.start(), m.start() + len(url), url, _normalise(url)))
    return found
