"""Amounts of money."""

from __future__ import annotations

import pytest
from extractor_helpers import found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("it is $12", [("$12", "12.00 USD")]),
        ("$ 1,234.56 total", [("$ 1,234.56", "1234.56 USD")]),
        ("€5.50", [("€5.50", "5.50 EUR")]),
        ("£3 and ¥100", [("£3", "3.00 GBP"), ("¥100", "100.00 JPY")]),
        ("5€", [("5€", "5.00 EUR")]),
        ("US$20 or C$15", [("US$20", "20.00 USD"), ("C$15", "15.00 CAD")]),
        ("$5k budget", [("$5k", "5000.00 USD")]),
        ("$2 million", [("$2 million", "2000000.00 USD")]),
        ("USD 20", [("USD 20", "20.00 USD")]),
        ("20 usd", [("20 usd", "20.00 USD")]),
        ("EUR 5.50", [("EUR 5.50", "5.50 EUR")]),
        ("12 dollars", [("12 dollars", "12.00 USD")]),
        ("twelve bucks", [("twelve bucks", "12.00 USD")]),
        ("5 euros", [("5 euros", "5.00 EUR")]),
        ("one hundred pounds", [("one hundred pounds", "100.00 GBP")]),
        ("50 cents", [("50 cents", "0.50 USD")]),
        ("20 pence", [("20 pence", "0.20 GBP")]),
        ("12 dollars and 50 cents", [("12 dollars and 50 cents", "12.50 USD")]),
        ("one two dollars", [("two dollars", "2.00 USD")]),
        ("I have no money here", []),
        ("5 tickets at 5 p.m., the first dollar, $, USD", []),
        ("$" + "9" * 40, []),
    ],
)
def test_money(text: str, expected: list[tuple[str, str]]) -> None:
    assert found("money", text) == expected
