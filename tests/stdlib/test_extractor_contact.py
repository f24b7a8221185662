"""Email addresses, URLs and phone numbers."""

from __future__ import annotations

import pytest
from extractor_helpers import found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail jane.doe@example.com please", [("jane.doe@example.com", "jane.doe@example.com")]),
        ("Bob+tag@Example.CO.UK.", [("Bob+tag@Example.CO.UK", "Bob+tag@example.co.uk")]),
        ("a@b.io, c_d@e-f.org", [("a@b.io", "a@b.io"), ("c_d@e-f.org", "c_d@e-f.org")]),
        ("(x@y.com)", [("x@y.com", "x@y.com")]),
        ("I have no email here", []),
        ("user@localhost and @handle and a@b", []),
        ("not.an@email.c0m", []),
    ],
)
def test_email(text: str, expected: list[tuple[str, str]]) -> None:
    assert found("email", text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "see https://example.com/a?b=1.",
            [("https://example.com/a?b=1", "https://example.com/a?b=1")],
        ),
        ("HTTP://Example.com/Path", [("HTTP://Example.com/Path", "http://example.com/Path")]),
        (
            "(see https://en.wikipedia.org/wiki/Foo_(bar))",
            [
                (
                    "https://en.wikipedia.org/wiki/Foo_(bar)",
                    "https://en.wikipedia.org/wiki/Foo_(bar)",
                ),
            ],
        ),
        ("go to www.Example.com, now", [("www.Example.com", "http://www.example.com")]),
        ("docs.python.org/3/ helps", [("docs.python.org/3/", "http://docs.python.org/3/")]),
        ("example.co.uk:8080/x", [("example.co.uk:8080/x", "http://example.co.uk:8080/x")]),
        ("I have no link here", []),
        ("e.g. file.txt and node.js", []),
        ("write to jane@example.com", []),
        ("http:// nothing", []),
        ("https://example.com/a\u00a0next", [("https://example.com/a", "https://example.com/a")]),
    ],
)
def test_url(text: str, expected: list[tuple[str, str]]) -> None:
    assert found("url", text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call +44 20 7946 0958 now", [("+44 20 7946 0958", "+442079460958")]),
        ("+1 (555) 123-4567", [("+1 (555) 123-4567", "+15551234567")]),
        ("+4420794609580", [("+4420794609580", "+4420794609580")]),
        ("(555) 123-4567", [("(555) 123-4567", "5551234567")]),
        ("555-123-4567.", [("555-123-4567", "5551234567")]),
        ("555.123.4567", [("555.123.4567", "5551234567")]),
        ("020 7946 0958", [("020 7946 0958", "02079460958")]),
        ("room 12 555 123 4567 2 times", [("555 123 4567", "5551234567")]),
        ("I have no phone here", []),
        ("on 2026-03-12 at 10:30, 12345, 3.14159, 1,234,567", []),
        ("+12 3", []),
    ],
)
def test_phone(text: str, expected: list[tuple[str, str]]) -> None:
    assert found("phone", text) == expected


def test_ungrouped_phone_is_uncertain() -> None:
    from assistc.stdlib.extractors import extract_builtin

    (match,) = extract_builtin("phone", "call 5551234567")
    assert match.value == "5551234567"
    assert match.confidence < 1.0


def test_bracketed_trunk_zero_is_not_dialled() -> None:
    assert found("phone", "+44 (0)20 7946 0958") == [("+44 (0)20 7946 0958", "+442079460958")]
