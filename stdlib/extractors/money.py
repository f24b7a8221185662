"""Amounts of money.

Supported (case-insensitive):
- A symbol before or after the amount: `$12`, `$ 1,234.56`, `€5.50`, `£3`, `¥100`, `₹250`,
  `5€`, `US$20`, `C$15`, `A$10`; a scale word or `k`: `$5k`, `$2 million`.
- An ISO code before or after: `USD 20`, `20 usd`, `EUR 5.50`.
- A currency word after the amount, in digits or words: `12 dollars`, `twelve bucks`,
  `5 euros`, `ten pounds`, `100 yen`, `50 cents`, `20p`/`20 pence`,
  `12 dollars and 50 cents`.

Value: `"<amount with two decimals> <ISO 4217 code>"`, e.g. `"12.00 USD"`, `"0.50 USD"`.
`$` alone is USD, `pound`/`£` is GBP. Not supported: decimal commas (`5,50 €`),
negative amounts, and ranges (`$10-20`).
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation

from assistc.stdlib.extractors import words_en as en
from assistc.stdlib.extractors.match import BuiltinMatch, leftmost_longest
from assistc.stdlib.extractors.number import DIGIT_NUMBER, digit_value
from assistc.stdlib.extractors.numwords import WORD_NUMBER, cardinal_value, find_word_numbers
from assistc.stdlib.extractors.patterns import word_alternation

_FLAGS = re.IGNORECASE | re.ASCII
_SYMBOLS = {
    "$": "USD",
    "us$": "USD",
    "c$": "CAD",
    "ca$": "CAD",
    "a$": "AUD",
    "au$": "AUD",
    "nz$": "NZD",
    "hk$": "HKD",
    "s$": "SGD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "₹": "INR",
}
_CODES = ("USD", "EUR", "GBP", "JPY", "INR", "CAD", "AUD", "NZD", "CHF", "CNY", "HKD", "SGD")
_WORDS = {
    "dollars": "USD",
    "dollar": "USD",
    "bucks": "USD",
    "buck": "USD",
    "euros": "EUR",
    "euro": "EUR",
    "pounds": "GBP",
    "pound": "GBP",
    "quid": "GBP",
    "yen": "JPY",
    "rupees": "INR",
    "rupee": "INR",
    "cents": "USD",
    "cent": "USD",
    "pence": "GBP",
    "pennies": "GBP",
    "penny": "GBP",
}
_HUNDREDTHS = {"cents", "cent", "pence", "pennies", "penny"}
_SCALES = {**en.SCALES, "k": 1_000, "m": 1_000_000, "bn": 1_000_000_000}
_CENT = Decimal("0.01")


_NEEDLES = tuple(sorted({*_SYMBOLS, *(code.lower() for code in _CODES), *_WORDS}))
"""Every amount names its currency, so a text without one of these is skipped at once."""
_NAMES = word_alternation([*(code.lower() for code in _CODES), *_WORDS])
_CURRENCY = rf"(?:(?:{_NAMES})\b|{word_alternation(_SYMBOLS)})"
_DIGITS = rf"(?P<digits>{DIGIT_NUMBER})(?:\s?(?P<scale>{word_alternation(_SCALES)})\b)?"
_CENTS = rf"(?:\s+and\s+(?P<cents>[0-9]{{1,2}}|{WORD_NUMBER})\s+cents?\b)?"
_CURRENCY_FIRST = re.compile(rf"(?<![\w$€£¥₹])(?P<currency>{_CURRENCY})\s?{_DIGITS}", _FLAGS)
_AMOUNT_FIRST = re.compile(
    rf"(?<![\w.,$€£¥₹-])(?:{_DIGITS}|(?P<words>{WORD_NUMBER}))\s?(?P<currency>{_CURRENCY})"
    rf"{_CENTS}",
    _FLAGS,
)


def _code(currency: str) -> str:
    """The ISO 4217 code of a symbol, word or code as written."""
    name = currency.lower()
    return _SYMBOLS.get(name) or _WORDS.get(name) or currency.upper()


def _word_amount(m: re.Match[str]) -> tuple[int, Decimal] | None:
    """Where the amount in words starts, and its value: the last number of the word run."""
    numbers = find_word_numbers(m["words"])
    if not numbers or numbers[-1].ordinal:
        return None
    return m.start("words") + numbers[-1].start, Decimal(numbers[-1].value)


def _match(m: re.Match[str], text: str) -> BuiltinMatch | None:
    """The amount and currency of a pattern match, or None when it does not add up."""
    start = m.start()
    if m["digits"] is not None:
        amount = digit_value(m["digits"])
        if m["scale"]:
            amount *= _SCALES[m["scale"].lower()]
    else:
        word_amount = _word_amount(m)
        if word_amount is None:
            return None
        start, amount = word_amount
    currency = m["currency"].lower()
    if currency in _HUNDREDTHS:
        amount *= _CENT
    cents = m.groupdict().get("cents")
    if cents:
        extra = cardinal_value(cents)
        if extra is None or extra > 99:
            return None
        amount += extra * _CENT
    try:
        value = f"{amount.quantize(_CENT)} {_code(currency)}"
    except InvalidOperation:  # more digits than a Decimal holds
        return None
    return BuiltinMatch(start, m.end(), text[start : m.end()], value)


def extract(text: str, now: datetime) -> list[BuiltinMatch]:
    """All amounts of money in `text` (`now` is unused; every extractor takes it)."""
    del now
    lowered = text.lower()
    if not any(needle in lowered for needle in _NEEDLES):
        return []
    found = [
        match
        for pattern in (_CURRENCY_FIRST, _AMOUNT_FIRST)
        for m in pattern.finditer(text)
        if (match := _match(m, text)) is not None
    ]
    return leftmost_longest(found)
