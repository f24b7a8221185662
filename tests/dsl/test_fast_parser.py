"""The fast path (`AssistLexer` and our LALR driver) against Lark's standard parse: the same
AST, spans included, for every source of the repository and for generated programs; and on
broken input, our driver fails exactly where Lark's own parser loop, given the same tokens,
fails, so the diagnostics (made by the exact parser afterwards) are the same."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lark.exceptions import UnexpectedToken
from lark.grammar import Rule
from lark.lexer import Token
from lark.parsers.lalr_parser_state import ParseConf, ParserState
from test_parser_properties import DEFINITIONS, mutated, programs

from assistc.dsl import ast
from assistc.dsl import parser as parser_module
from assistc.dsl.lalr import UnexpectedTokenType
from assistc.dsl.lexer import LexFallback

REPO = Path(__file__).parents[2]
SOURCES = sorted(
    path
    for folder in ("examples", "stdlib", "tests")
    for path in (REPO / folder).rglob("*.assist")
    if ".assistc" not in path.parts
)
PATH = "f.assist"


def _larks_loop(text: str) -> list[ast.Decl]:
    """Lark's parser loop (`ParserState.feed_token`) over the fast lexer's tokens, with
    the same rule callbacks."""
    lalr = parser_module._exact_lark().parser.parser.parser
    rules = {key: build for key, build in lalr.callbacks.items() if isinstance(key, Rule)}
    state = ParserState(ParseConf(lalr.parse_table, rules, "start"), lexer=None)
    parser_module._path = PATH
    for token in parser_module._fast_parser().lexer.tokens(text, PATH, state.state_stack):
        state.feed_token(token)
    decls: list[ast.Decl] = state.feed_token(Token("$END", ""), is_end=True)
    return decls


def _outcome(parse: Any, text: str) -> object:
    """The declarations, or what stopped the parse: a syntax error or the lexer."""
    try:
        return parse(text)
    except (UnexpectedToken, UnexpectedTokenType):
        return "syntax error"
    except LexFallback as error:
        return type(error)


def _fast_path(text: str) -> list[ast.Decl]:
    return parser_module._parse_text(parser_module._fast_parser(), text, PATH)


def assert_fast_path_is_larks(text: str) -> None:
    text = text if text.endswith("\n") else text + "\n"  # as `parse_module` makes it
    fast = _outcome(
        lambda t: parser_module._parse_text(parser_module._fast_parser(), t, PATH), text
    )
    assert fast == _outcome(_larks_loop, text)
    if isinstance(fast, list):
        assert fast == parser_module._parse_text(parser_module._exact_lark(), text, PATH)


def test_there_are_sources() -> None:
    assert len(SOURCES) >= 20


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: str(path.relative_to(REPO)))
def test_every_source_gives_larks_ast(path: Path) -> None:
    assert_fast_path_is_larks(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("main", sorted(DEFINITIONS))
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_generated_programs_give_larks_ast(main: str, data: st.DataObject) -> None:
    program = data.draw(programs(main))
    messy = program.messy if program.messy.endswith("\n") else program.messy + "\n"
    for text in (program.canonical, messy):
        assert _fast_path(text) == parser_module._parse_text(
            parser_module._exact_lark(), text, PATH
        )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_broken_input_stops_the_fast_path_where_it_stops_larks(text: str) -> None:
    assert_fast_path_is_larks(text)


@pytest.mark.parametrize(
    "text",
    [
        "story s:\n  bot\n",  # a missing name
        "intent a:\n",  # a header without its body
        'intent a:\n  "x"\n  generate\n',
        "slot s: text\n  from intent\n",
        'response r:\n  "x" if a == \n',
    ],
)
def test_syntax_errors_stop_both_loops(text: str) -> None:
    assert _outcome(_larks_loop, text) == "syntax error"
    assert_fast_path_is_larks(text)
