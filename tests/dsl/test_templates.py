"""Example templates and response interpolations (dsl/templates.py): the one-step path
for simple templates gives exactly what the general parser gives."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistc.dsl import templates as tpl

PIECES = ["(", ")", "[", "]", "{", "}", "|", "\\", " ", "\t", ":", "=", "a", "b c", "size", "é"]
PIECES += ["x_1", "[big](size)", "]("]


def general(source: str) -> object:
    """What the general parser gives: nodes, or the error's message and offsets."""
    try:
        options = tpl._Parser(source).alternatives(closing=None)
    except tpl.TemplateError as error:
        return (error.message, error.start, error.end, error.hint)
    if len(options) == 1:
        return tpl.Template(options[0])
    return tpl.Template((tpl.Choice(tuple(options), optional=False),))


def parsed(source: str) -> object:
    try:
        return tpl.parse_template(source)
    except tpl.TemplateError as error:
        return (error.message, error.start, error.end, error.hint)


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=16).map("".join))
def test_any_template_parses_as_the_general_parser_parses_it(source: str) -> None:
    assert parsed(source) == general(source)
    template, reference = parsed(source), general(source)
    if isinstance(template, tpl.Template) and isinstance(reference, tpl.Template):
        assert template.is_literal == reference.is_literal  # known to the one-step path


@pytest.mark.parametrize(
    "source",
    [
        "(show|give) me a {size} pizza {polite}",
        "[please] order ( | one|two) {city : to}",
        "plain text only",
        "",
        "()[]",
        "a [big one](size) and [x](city : to) or [y](size= large )",
    ],
)
def test_simple_templates_take_the_one_step_path(source: str) -> None:
    assert tpl._simple(source) is not None
    assert parsed(source) == general(source)


@pytest.mark.parametrize(
    "source",
    [
        "[big|x](size)",
        "[](size)",
        "[a](1x)",
        "a|b",
        "(a(b))",
        "\\(x\\)",
        "{size:}",
        "{ size\t}",
        "(a",
    ],
)
def test_other_templates_go_to_the_general_parser(source: str) -> None:
    assert tpl._simple(source) is None
    assert parsed(source) == general(source)


def test_interpolations_find_slots_and_skip_doubled_braces() -> None:
    found = tpl.interpolations("{{x}} is { name } and {size}}}")
    assert [(i.name, i.start, i.end) for i in found] == [("name", 10, 16), ("size", 23, 27)]


@pytest.mark.parametrize(
    ("text", "start", "end"), [("a } b", 2, 3), ("a { b", 2, 3), ("{1x} y", 0, 4), ("{}", 0, 2)]
)
def test_a_stray_brace_in_a_response_is_reported_where_it_is(
    text: str, start: int, end: int
) -> None:
    with pytest.raises(tpl.TemplateError) as raised:
        tpl.interpolations(text)
    assert (raised.value.start, raised.value.end) == (start, end)
