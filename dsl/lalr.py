"""Our own LALR driver over the parse table Lark builds from `assist.lark`.

Lark's parser feeds every token through a generic `ParserState.feed_token` (a method call,
a `try`, an end-of-input check and a callback lookup per token, and per reduction); this
loop does only what an LALR parser must, with the table reshaped for it: per state, a
terminal maps to the state to shift to (an int) or to the rule to reduce by. It calls the
same callbacks with the same children, so it builds the same AST as `Lark.parse` on the
same tokens. It reports no syntax errors itself: on a token the table has no action for,
it raises `UnexpectedTokenType`, and the caller parses again with Lark, whose exceptions
make the diagnostics.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import chain
from typing import Any, NamedTuple

from lark import Lark, Token
from lark.grammar import Rule
from lark.parsers.lalr_analysis import Reduce

from assistc.dsl.lexer import AssistLexer, MakeSpan

START = "start"


class UnexpectedTokenType(Exception):
    """The table has no action for this token here: a syntax error (or a token that the
    fast lexer chose differently from Lark's lexer); re-parse with Lark."""


class _Reduction(NamedTuple):
    """Reduce by a rule: pop `size` values, push `build(popped)` and the state `goto`
    gives for the state then on top."""

    size: int
    build: Callable[[list[Any]], Any]
    goto: dict[int, int]


_END_OF_INPUT = (Token("$END", ""),)


class FastParser:
    """Parses with `AssistLexer` and the callbacks installed on `parser`'s LALR parser."""

    def __init__(self, parser: Lark, make_span: MakeSpan) -> None:
        lalr = parser.parser.parser.parser  # Lark → ParsingFrontend → LALR_Parser → _Parser
        table = lalr.parse_table
        self.lexer = AssistLexer(parser.lexer_conf, table, make_span)
        self._start: int = table.start_states[START]
        self._end: int = table.end_states[START]
        nonterminals = {rule.origin.name for rule in parser.rules}
        gotos: dict[str, dict[int, int]] = {name: {} for name in nonterminals}
        for state, actions in table.states.items():
            for symbol, (_, arg) in actions.items():
                if symbol in nonterminals:
                    gotos[symbol][state] = arg
        reductions = {
            rule: _Reduction(len(rule.expansion), build, gotos[rule.origin.name])
            for rule, build in lalr.callbacks.items()
            if isinstance(rule, Rule)  # not a terminal's callback
        }
        self._actions: dict[int, dict[str, int | _Reduction]] = {
            state: {
                symbol: reductions[arg] if action is Reduce else arg
                for symbol, (action, arg) in actions.items()
                if symbol not in nonterminals
            }
            for state, actions in table.states.items()
        }

    def parse(self, text: str, path: str) -> Any:
        """What the callback of the `start` rule returns for `text` (of file `path`)."""
        stack = [self._start]
        values: list[Any] = []
        actions = self._actions
        end = self._end
        tokens: Iterable[Any] = chain(self.lexer.tokens(text, path, stack), _END_OF_INPUT)
        for token in tokens:
            kind = token.type
            while True:
                action = actions[stack[-1]].get(kind)
                if isinstance(action, int):
                    stack.append(action)
                    values.append(token)
                    break
                if action is None:
                    raise UnexpectedTokenType(kind)
                size, build, goto = action
                if size:
                    children = values[-size:]
                    del values[-size:]
                    del stack[-size:]
                else:
                    children = []
                values.append(build(children))
                state = goto[stack[-1]]
                if state == end:
                    return values[-1]
                stack.append(state)
        raise AssertionError("the table accepts nowhere")  # pragma: no cover
