"""Spelling Rasa data as source text: what the importer writes reads back as the same
value through the real parser and template parser."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from assistc.compiler.rasa_text import (
    LINE_BREAKS,
    NameMap,
    escape_interpolation,
    escape_template,
    is_name,
    quote,
    sanitize,
    title,
)
from assistc.dsl import ast
from assistc.dsl.parser import parse_module
from assistc.dsl.templates import Text, interpolations, parse_template

TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_quote_reads_back_as_the_same_string(value: str) -> None:
    module, diagnostics = parse_module(f"response r:\n  {quote(value)}\n", "x.assist")
    assert diagnostics == []
    decl = module.decls[0]
    assert isinstance(decl, ast.ResponseDecl)
    assert decl.variations[0].text.value == LINE_BREAKS.sub("\n", value)


@settings(max_examples=200, deadline=None)
@given(TEXT.filter(lambda t: "\\" not in t))
def test_escaped_example_text_is_one_literal(value: str) -> None:
    template = parse_template(escape_template(value))
    assert "".join(node.text for node in template.nodes if isinstance(node, Text)) == value
    assert all(isinstance(node, Text) for node in template.nodes)


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_response_text_keeps_slots_and_literal_braces(value: str) -> None:
    escaped = escape_interpolation(value)
    interpolations(escaped)  # raises for a brace that is neither a slot nor doubled


def test_names_are_sanitised_deterministically_and_uniquely() -> None:
    names = NameMap()
    assert names("intent", "faq/ask-name") == "faq__ask_name"
    assert names("intent", "faq__ask_name") == "faq__ask_name_2"
    assert names("intent", "faq/ask-name") == "faq__ask_name"
    assert names("slot", "faq__ask_name") == "faq__ask_name"  # kinds are separate
    assert names("intent", "1st") == "_1st"
    assert names.renames[("intent", "1st")] == "_1st"
    assert sanitize("true") == "true_" and not is_name("true")


def test_valid_names_keep_their_name_when_reserved() -> None:
    names = NameMap()
    names.reserve("intent", ["faq/ask-name", "faq__ask_name"])
    assert names("intent", "faq__ask_name") == "faq__ask_name"
    assert names("intent", "faq/ask-name") == "faq__ask_name_2"
    assert names.renames == {("intent", "faq/ask-name"): "faq__ask_name_2"}


def test_titles_lose_colons_and_stay_unique() -> None:
    taken: set[str] = set()
    assert title("step 1: greet # hi", taken) == "step 1- greet - hi"
    assert title("Step 1- greet - hi", taken) == "Step 1- greet - hi 2"
    assert title("  ", taken) == "untitled"
    assert title("- dash first", taken) == "untitled - dash first"
