"""Parse `.assist` source text into a `Module`, reporting syntax errors as diagnostics.

One Lark LALR parser is built from `assist.lark`, once per process (its tables are
cached on disk by Lark), and two ways of running it. The fast one is our own LALR loop
(`FastParser`, dsl/lalr.py) over Lark's table, taking tokens from `AssistLexer` (one
regex, indentation computed inline); the exact one is Lark's own parser with its
contextual lexer and indenter, and decides wherever the fast path is unsure or finds a
syntax error, so error messages are Lark's own. Both build AST nodes directly while
parsing (no intermediate tree), with the same callbacks.

When a file has a syntax error, it is parsed again one top-level definition at a time:
every definition starts at column 0, so an error stays inside its own definition and
the others are still checked (several independent errors per run, no cascades).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from lark import Lark, Token
from lark.exceptions import (
    GrammarError,
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
)
from lark.grammar import Rule, Terminal
from lark.indenter import DedentError
from lark.parsers.lalr_analysis import Reduce

from assistc.dsl import ast
from assistc.dsl.diagnostics import Diagnostic
from assistc.dsl.expected import MISTAKES, MistakeCatalogue, describe_expected, describe_token
from assistc.dsl.lalr import FastParser, UnexpectedTokenType
from assistc.dsl.lexer import (
    AssistIndenter,
    FastToken,
    LexFallback,
    StringLines,
    UnexpectedWord,
    kept_terminals,
)

GRAMMAR_PATH = Path(__file__).with_name("assist.lark")
MAX_LINE_LENGTH = 10_000


def _make_lark(**lexing: Any) -> Lark:
    parser = Lark(
        GRAMMAR_PATH.read_text(encoding="utf-8"),
        parser="lalr",
        maybe_placeholders=False,
        cache=True,
        **lexing,
    )
    return _install_ast_builder(parser)


@functools.cache
def _exact_lark() -> Lark:
    """The grammar with Lark's contextual lexer and indenter: the reference behaviour, used
    where the fast parser gives up, so error messages are Lark's own."""
    return _make_lark(lexer="contextual", postlex=AssistIndenter())


@functools.cache
def _fast_parser() -> FastParser:
    """`AssistLexer` and our LALR driver over the same table and callbacks: used first,
    for every file."""
    return FastParser(_exact_lark(), _span)


@functools.cache
def _mistakes() -> MistakeCatalogue:
    return MistakeCatalogue(_exact_lark().parse, MISTAKES)


_PARSE_ERRORS = (UnexpectedInput, DedentError)
_FAST_PATH_FAILURES = (LexFallback, UnexpectedTokenType)
"""What makes the fast parser hand the text to the exact one."""


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building a large tree of objects that has
    no cycles: otherwise its full collections, ever slower as the tree grows, cost a
    fifth of the time of a 100,000-line file."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def parse_module(text: str, path: str) -> tuple[ast.Module, list[Diagnostic]]:
    """Parse one file. Never raises: problems come back as diagnostics, and the module
    holds every definition that parsed."""
    with gc_paused():
        return _parse_module(text, path)


def _parse_module(text: str, path: str) -> tuple[ast.Module, list[Diagnostic]]:
    if not text.endswith("\n"):
        text += "\n"
    long_line = _find_long_line(text, path)
    if long_line is not None:
        return ast.Module(path), [long_line]
    try:
        return ast.Module(path, _parse_text(_fast_parser(), text, path)), []
    except _FAST_PATH_FAILURES:
        pass
    module = ast.Module(path)
    diagnostics: list[Diagnostic] = []
    fast_lexer_gave_up = False
    found_glued = False
    for first_line, chunk in top_level_chunks(text):
        # Leading newlines keep line numbers right without shifting spans afterwards.
        padded = "\n" * (first_line - 1) + chunk
        glued: UnexpectedWord | None = None
        try:
            module.decls.extend(_parse_text(_fast_parser(), padded, path))
            continue
        except UnexpectedWord as error:
            glued = error
        except _FAST_PATH_FAILURES:
            pass
        try:
            decls = _parse_text(_exact_lark(), padded, path)
        except _PARSE_ERRORS as error:
            diagnostics.append(_syntax_diagnostic(error, path, text))
            continue
        if glued is not None:
            # Lark's lexer matched a keyword at the start of a longer word.
            diagnostics.append(_glued_keyword(glued, path))
            found_glued = True
            continue
        module.decls.extend(decls)
        fast_lexer_gave_up = True
    if fast_lexer_gave_up and diagnostics and not found_glued:
        # The fast lexer rejected text Lark accepts, so the whole file may parse after all
        # (chunks split an action's parameter list whose `)` is at column 0).
        try:
            return ast.Module(path, _parse_text(_exact_lark(), text, path)), []
        except _PARSE_ERRORS:
            pass
    return module, diagnostics


def _parse_text(parser: Lark | FastParser, text: str, path: str) -> list[ast.Decl]:
    global _path
    _path = path
    if isinstance(parser, FastParser):
        fast: list[ast.Decl] = parser.parse(text, path)
        return fast
    decls: list[ast.Decl] = parser.parse(text)  # type: ignore[assignment]
    return decls


def top_level_chunks(text: str) -> Iterator[tuple[int, str]]:
    """Split into (first line number, text) pieces, one per top-level definition."""
    # Only "\n" ends a line for Lark; `str.splitlines` would also split at "\u2028" etc.
    lines = re.findall(r"[^\n]*\n|[^\n]+$", text)
    start = 0
    for index, line in enumerate(lines):
        starts_definition = line[:1] not in ("", " ", "\t", "\n", "\r", "#")
        if starts_definition and index > start:
            yield start + 1, "".join(lines[start:index])
            start = index
    if start < len(lines):
        yield start + 1, "".join(lines[start:])


@functools.cache
def _keywords() -> tuple[str, ...]:
    """The language's keywords, longest first."""
    words = {
        str(t.pattern.value)
        for t in _exact_lark().terminals
        if t.pattern.type == "str" and str(t.pattern.value).isidentifier()
    }
    return tuple(sorted(words, key=lambda w: (-len(w), w)))


def _glued_keyword(error: UnexpectedWord, path: str) -> Diagnostic:
    word = error.word
    keyword = next((k for k in _keywords() if word.startswith(k) and word != k), None)
    hint = f"put a space after the keyword: `{keyword} {word[len(keyword) :]}`" if keyword else None
    return Diagnostic(
        "E0001",
        f"unexpected name `{word}`",
        ast.Span(path, error.line, error.column, error.line, error.column + len(word)),
        hint=hint,
    )


def _find_long_line(text: str, path: str) -> Diagnostic | None:
    lines = text.split("\n")
    if max(map(len, lines)) <= MAX_LINE_LENGTH:
        return None
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_LINE_LENGTH:
            span = ast.Span(path, number, 1, number, 2)
            return Diagnostic(
                "E0001",
                f"line {number} is {len(line):,} characters long; the limit is {MAX_LINE_LENGTH:,}",
                span,
                hint="split it: one example, variation or step per line",
            )
    return None


def _syntax_diagnostic(error: Exception, path: str, text: str) -> Diagnostic:
    if isinstance(error, DedentError):
        line = _dedent_error_line(text)
        return Diagnostic(
            "E0003",
            "this line's indentation matches no enclosing block",
            ast.Span(path, line, 1, line, 2),
            hint="indent the lines of one block by the same amount (2 spaces is usual)",
        )
    if isinstance(error, UnexpectedCharacters):
        line, col = error.line, error.column
        char = error.char
        span = ast.Span(path, line, col, line, col + 1)
        if char == '"':
            return Diagnostic(
                "E0002",
                "this string is never closed",
                span,
                hint='close it with `"` on the same line; strings cannot span lines',
            )
        hint = describe_expected(error.allowed) if error.allowed else None
        if char == "'":
            hint = 'strings are written in double quotes: "…"'
        return Diagnostic("E0004", f"unexpected character {char!r}", span, hint=hint)
    if isinstance(error, UnexpectedToken):
        token = error.token
        expected = describe_expected(error.accepts or error.expected)
        if token.type == "$END":
            line = max(1, text.count("\n"))
            span = ast.Span(path, line, 1, line, 2)
            return Diagnostic(
                "E0001", "the file ends in the middle of a definition", span, hint=expected
            )
        line = token.line or 1
        col = token.column or 1
        written = str(token.value).split("\n", 1)[0]
        span = ast.Span(path, line, col, line, col + max(1, len(written)))
        mistake = _mistakes().match(error)
        if mistake is not None:
            return Diagnostic(
                "E0001", mistake.message.format(found=written), span, hint=mistake.hint
            )
        return Diagnostic("E0001", f"unexpected {describe_token(token)}", span, hint=expected)
    if isinstance(error, UnexpectedEOF):
        line = max(1, text.count("\n"))
        return Diagnostic(
            "E0001",
            "the file ends in the middle of a definition",
            ast.Span(path, line, 1, line, 2),
            hint=describe_expected(set(error.expected)),
        )
    raise error  # pragma: no cover - every parse error class is handled above


def _dedent_error_line(text: str) -> int:
    """The first line whose indentation is not one of the enclosing levels."""
    levels = [0]
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.lstrip(" \t")
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(line[: len(line) - len(stripped)].expandtabs(8))
        if indent > levels[-1]:
            levels.append(indent)
            continue
        while indent < levels[-1]:
            levels.pop()
        if indent != levels[-1]:
            return number
    return 1


# --------------------------------------------------------------------------- tree → AST
#
# Lark calls one callback per reduced rule with the values of the rule's symbols. Lark's
# own tree builder wraps every rule in a chain of generic filters and builds Tree objects
# for inlined rules; `_rule_callback` instead precomputes, per rule, which children to keep
# (the ones Lark would keep) and calls the builder method named after the rule directly.

_Callback = Callable[[list[Any]], Any]


def _install_ast_builder(parser: Lark) -> Lark:
    """Make `parser.parse` return the list of declarations instead of a tree."""
    lalr = parser.parser.parser.parser  # Lark → ParsingFrontend → LALR_Parser → _Parser
    # Key by the parse table's own Rule objects: dict lookups then hit on identity.
    rules = {
        arg
        for actions in lalr.parse_table.states.values()
        for action, arg in actions.values()
        if action is Reduce
    }
    builder = _AstBuilder()
    callbacks: dict[Any, Callable[[Any], Any]] = {
        rule: _rule_callback(rule, builder) for rule in rules
    }
    # Lark's own parser calls a terminal's callback on each token it shifts.
    callbacks |= {name: _fast_token for name in kept_terminals(rules)}
    lalr.callbacks = callbacks
    return parser


def _fast_token(token: Token) -> FastToken:
    """A token of Lark's lexer (the exact path) as `AssistLexer` makes it."""
    line = token.line or 1
    column = token.column or 1
    span = _span(_path, line, column, token.end_line or line, token.end_column or column)
    return FastToken(token.type, token.value, span)


def _rule_callback(rule: Rule, builder: _AstBuilder) -> _Callback:
    """Lark's child filtering for one rule, reduced to the cheapest equivalent."""
    keep = [
        (index, not symbol.is_term and symbol.name.startswith("_"))
        for index, symbol in enumerate(rule.expansion)
        if not (isinstance(symbol, Terminal) and symbol.filter_out)
    ]
    expand_single = rule.options.expand1 and not rule.alias  # `?rule` without `-> alias`
    if expand_single and len(keep) == 1 and not keep[0][1]:
        only = keep[0][0]
        return lambda children: children[only]
    name = rule.alias or rule.origin.name
    build: _Callback = getattr(builder, name, None) or _inlined(name)
    if expand_single:
        build = _single_or(build)
    indices = tuple(index for index, _ in keep)
    if build is _same and len(keep) == 2 and keep[0] == (0, True) and not keep[1][1]:
        callback = _appending(keep[1][0])
    elif any(inline for _, inline in keep):
        callback = _expanding_filter(keep, build)
    elif indices == tuple(range(len(rule.expansion))):
        callback = build
    else:
        callback = _picking_filter(indices, build)
    return callback


def _inlined(name: str) -> _Callback:
    if not name.startswith("_"):
        raise GrammarError(f"no AST builder for rule {name!r}")
    return _same


def _same(children: list[Any]) -> list[Any]:
    """An inlined helper rule (`__x_plus_1`): its children go into the parent's list."""
    return children


def _appending(index: int) -> _Callback:
    """`__x_plus: __x_plus item`: the list built so far, one item longer."""

    def append(children: list[Any]) -> list[Any]:
        items: list[Any] = children[0]
        items.append(children[index])
        return items

    return append


def _picking_filter(indices: tuple[int, ...], build: _Callback) -> _Callback:
    if len(indices) == 1:
        (only,) = indices
        return lambda children: build([children[only]])
    return lambda children: build([children[index] for index in indices])


def _expanding_filter(keep: list[tuple[int, bool]], build: _Callback) -> _Callback:
    def callback(children: list[Any]) -> Any:
        kept: list[Any] = []
        for index, inline in keep:
            if not inline:
                kept.append(children[index])
            elif kept:
                kept += children[index]
            else:  # left recursion: extend the inlined list in place, as Lark does
                kept = children[index]
        return build(kept)

    return callback


def _single_or(build: _Callback) -> _Callback:
    return lambda children: children[0] if len(children) == 1 else build(children)


_Node = TypeVar("_Node")


def _slot_setters(cls: type[Any], names: tuple[str, ...]) -> tuple[Any, ...] | None:
    """The slot setters of a frozen slotted dataclass with exactly the fields `names`, or
    None if the class is not (any more) like that: then its own `__init__` is used."""
    fields = tuple(field.name for field in dataclasses.fields(cls))
    if fields != names or hasattr(cls, "__post_init__") or not hasattr(cls, "__slots__"):
        return None
    return tuple(cls.__dict__[name].__set__ for name in names)


def _fast_constructor(name: str, cls: type[_Node], *names: str) -> Callable[..., _Node]:
    """Build the most frequent nodes (spans, names, strings, values: three in four of all
    objects) by setting their slots directly. A frozen dataclass's generated `__init__`
    goes through `object.__setattr__` for every field, which takes twice as long; the
    objects are the same (equal, hashable, immutable). `name` is the module-level name the
    constructor is stored under, so pickle can refer to it (the parse cache does)."""
    setters = _slot_setters(cls, names)
    if setters is None:
        return cls
    return _named(name, _make_by_slots(cls, setters))


def _named(name: str, function: Callable[..., _Node]) -> Callable[..., _Node]:
    function.__name__ = function.__qualname__ = name
    function.__module__ = __name__
    return function


def _make_by_slots(cls: type[_Node], setters: tuple[Any, ...]) -> Callable[..., _Node]:
    new = object.__new__
    if len(setters) == 2:
        set_a, set_b = setters

        def make2(a: Any, b: Any) -> _Node:
            node = new(cls)
            set_a(node, a)
            set_b(node, b)
            return node

        return make2
    if len(setters) == 3:
        set_a, set_b, set_c = setters

        def make3(a: Any, b: Any, c: Any) -> _Node:
            node = new(cls)
            set_a(node, a)
            set_b(node, b)
            set_c(node, c)
            return node

        return make3
    set_a, set_b, set_c, set_d, set_e = setters

    def make5(a: Any, b: Any, c: Any, d: Any, e: Any) -> _Node:
        node = new(cls)
        set_a(node, a)
        set_b(node, b)
        set_c(node, c)
        set_d(node, d)
        set_e(node, e)
        return node

    return make5


_span = _fast_constructor("_span", ast.Span, "file", "line", "col", "end_line", "end_col")
_name_node = _fast_constructor("_name_node", ast.Name, "text", "span")
_string_lit = _fast_constructor("_string_lit", ast.StringLit, "value", "span")
_value = _fast_constructor("_value", ast.Value, "kind", "data", "span")
_generate_count = _fast_constructor("_generate_count", ast.GenerateCount, "count", "span")
_intent_decl = _fast_constructor(
    "_intent_decl", ast.IntentDecl, "name", "examples", "generate", "span", "payload_only"
)
_variation_node = _fast_constructor(
    "_variation_node", ast.VariationNode, "text", "condition", "buttons", "image", "span"
)
_response_decl = _fast_constructor("_response_decl", ast.ResponseDecl, "name", "variations", "span")
_user_intent = _fast_constructor("_user_intent", ast.UserIntent, "intent", "args", "span")
_user_step = _fast_constructor("_user_step", ast.UserStepNode, "alternatives", "span")
_bot_step = _fast_constructor("_bot_step", ast.BotStepNode, "name", "span")
FAST_CONSTRUCTORS: dict[type[Any], Callable[..., Any]] = {
    ast.Span: _span,
    ast.Name: _name_node,
    ast.StringLit: _string_lit,
    ast.Value: _value,
    ast.GenerateCount: _generate_count,
    ast.IntentDecl: _intent_decl,
    ast.VariationNode: _variation_node,
    ast.ResponseDecl: _response_decl,
    ast.UserIntent: _user_intent,
    ast.UserStepNode: _user_step,
    ast.BotStepNode: _bot_step,
}
"""The node classes built without their `__init__`, for the parse cache's unpickling."""

_TOKENS = (FastToken, StringLines)
"""A token, or STRING_LINES, the fast lexer's token for several."""
_SEQUENCES = (tuple, list)
"""A tuple, not `tuple | list`: that would build a union at each call (for most nodes)."""

_path = ""
"""The file being parsed, for spans (set by `_parse_text`; the builder is shared)."""


def _first_span(item: Any) -> ast.Span | None:
    """The span of the first positioned thing in `item` (tokens, spanned nodes, or
    tuples/lists of them, STRING_LINES tokens too); nodes without a span (config entries,
    enum members) have none."""
    span: ast.Span | None = getattr(item, "span", None)
    if span is None and isinstance(item, _SEQUENCES):
        for element in item:
            span = _first_span(element)
            if span is not None:
                break
    return span


def _last_span(item: Any) -> ast.Span | None:
    span: ast.Span | None = getattr(item, "span", None)
    if span is None and isinstance(item, _SEQUENCES):
        for element in reversed(item):
            span = _last_span(element)
            if span is not None:
                break
    return span


def _cover(children: list[Any]) -> ast.Span:
    """The span from the first to the last positioned child (that child's own when it is
    the only one). Keywords are not kept in the tree, so a span starts at the first name
    or literal after them."""
    start = _first_span(children)
    end = _last_span(children)
    if start is None or end is None:
        return _span(_path, 1, 1, 1, 1)
    if start is end:
        return start
    return _span(_path, start.line, start.col, end.end_line, end.end_col)


def _cover_tokens(first: FastToken, last: FastToken) -> ast.Span:
    if first is last:
        return first.span
    start, end = first.span, last.span
    return _span(_path, start.line, start.col, end.end_line, end.end_col)


def _token_to_node(first: FastToken, last: Any) -> ast.Span:
    """From a token to the end of a node (that has a span)."""
    start: ast.Span = first.span
    end: ast.Span = last.span
    return _span(_path, start.line, start.col, end.end_line, end.end_col)


def _name(token: FastToken) -> ast.Name:
    return _name_node(token.value, token.span)


_LETTERS = {letter: char for char, letter in ast.ESCAPED_CHARS.items()}
_ESCAPE = re.compile(r"\\(.)")


def _unescape_one(match: re.Match[str]) -> str:
    # Unknown escapes stay as written: regexes read naturally ("\d+").
    escaped: str = match[0]
    return _LETTERS.get(match[1], escaped)


def _string(token: FastToken) -> ast.StringLit:
    body = token.value[1:-1]
    text = _ESCAPE.sub(_unescape_one, body) if "\\" in body else body
    return _string_lit(text, token.span)


def _name_or_string(token: FastToken) -> ast.Name | ast.StringLit:
    return _string(token) if token.type == "STRING" else _name(token)


def _line_items(children: list[Any], plain: Callable[[FastToken], Any]) -> list[Any]:
    """The items of a body in which a line may be a string alone (each such string bare
    in `children`, or several in a STRING_LINES token): `plain` makes those, the others
    stay as they are."""
    items: list[Any] = []
    for child in children:
        kind = type(child)
        if kind is StringLines:
            items += map(plain, child.strings)
        elif kind is FastToken:
            items.append(plain(child))
        else:
            items.append(child)
    return items


def _plain_variation(token: FastToken) -> ast.VariationNode:
    """A response variation that is a string alone."""
    text = _string(token)
    return _variation_node(text, (), (), None, text.span)


def _of_type(children: list[Any], cls: type[Any]) -> list[Any]:
    return [c for c in children if isinstance(c, cls)]


def _title(token: FastToken) -> ast.Name:
    text = token.value.rstrip()
    span = token.span
    if len(text) < len(token.value):  # without the spaces before the `:`
        span = _span(_path, span.line, span.col, span.line, span.col + len(text))
    return _name_node(text, span)


def _value_of(token: FastToken, kind: ast.ValueKind, data: Any) -> ast.Value:
    return _value(kind, data, token.span)


class _MappingOptions:
    """The optional tail of a slot mapping (`in F`, `when asked`, `if/unless intent …`),
    popped off the end of its children, leaving the mapping's own parts."""

    __slots__ = ("asked", "filter", "form", "names")

    def __init__(self, children: list[Any]) -> None:
        self.filter: ast.IntentFilter | None = (
            children.pop() if children and isinstance(children[-1], ast.IntentFilter) else None
        )
        self.asked: bool = children.pop() if children and children[-1] is True else False
        self.form: ast.Name | None = (
            children.pop() if children and isinstance(children[-1], ast.Name) else None
        )
        self.names = ((self.form,) if self.form else ()) + (
            self.filter.intents if self.filter else ()
        )
        """The positioned parts of the tail, in source order."""

    def extend(self, span: ast.Span) -> ast.Span:
        """`span` stretched to the end of the tail's last name."""
        if not self.names:
            return span
        end = self.names[-1].span
        return ast.Span(span.file, span.line, span.col, end.end_line, end.end_col)


class _AstBuilder:
    """Builds AST nodes bottom-up; method names are the grammar's rule (or alias) names,
    and each gets the children Lark's tree would have."""

    def start(self, children: list[Any]) -> list[ast.Decl]:
        return [c for c in children if not isinstance(c, _TOKENS)]

    # ----- modules, config
    def dotted_name(self, children: list[FastToken]) -> ast.Name:
        text = ".".join(c.value for c in children)
        return _name_node(text, _cover_tokens(children[0], children[-1]))

    def use_decl(self, children: list[Any]) -> ast.UseDecl:
        return ast.UseDecl(children[0].text, children[0].span)

    def config_entry(self, children: list[Any]) -> ast.ConfigEntry:
        return ast.ConfigEntry(_name(children[0]), children[1])

    def config_decl(self, children: list[Any]) -> ast.ConfigDecl:
        return ast.ConfigDecl(tuple(_of_type(children, ast.ConfigEntry)), _cover(children))

    # ----- entities
    def kind_enum(self, children: list[Any]) -> tuple[str, None]:
        return ("enum", None)

    def kind_lookup(self, children: list[FastToken]) -> tuple[str, ast.StringLit]:
        return ("lookup", _string(children[1]))

    def kind_regex(self, children: list[FastToken]) -> tuple[str, ast.StringLit]:
        return ("regex", _string(children[1]))

    def kind_builtin(self, children: list[FastToken]) -> tuple[str, ast.Name]:
        return ("builtin", _name(children[1]))

    def kind_free(self, children: list[Any]) -> tuple[str, None]:
        return ("free", None)

    def enum_member(self, children: list[FastToken]) -> ast.EnumMember:
        head = children[0]
        synonyms = tuple(_string(t) for t in children[1:])
        if head.type == "STRING":
            lit = _string(head)
            return ast.EnumMember(_name_node(lit.value, lit.span), synonyms, quoted=True)
        return ast.EnumMember(_name(head), synonyms, quoted=False)

    def roles_line(self, children: list[FastToken]) -> tuple[ast.Name, ...]:
        return tuple(_name(t) for t in children)

    def entity_body(self, children: list[Any]) -> list[Any]:
        return children

    def entity_decl(self, children: list[Any]) -> ast.EntityDecl:
        name = _name(children[0])
        kind, source = children[1]
        body: list[Any] = children[2] if len(children) > 2 else []
        members = tuple(c for c in body if isinstance(c, ast.EnumMember))
        roles = tuple(r for c in body if isinstance(c, tuple) for r in c)
        return ast.EntityDecl(name, kind, source, members, roles, _cover(children))

    # ----- slots
    def type_expr(self, children: list[Any]) -> ast.TypeExpr:
        name = _name(children[0])
        if len(children) == 1:
            return ast.TypeExpr(name, None, name.span)
        return ast.TypeExpr(name, children[1], _token_to_node(children[0], children[1]))

    def map_in(self, children: list[FastToken]) -> ast.Name:
        return _name(children[0])

    def map_asked(self, children: list[Any]) -> bool:
        return True

    def map_if_intent(self, children: list[FastToken]) -> ast.IntentFilter:
        return ast.IntentFilter(tuple(map(_name, children)), exclude=False)

    def map_unless_intent(self, children: list[FastToken]) -> ast.IntentFilter:
        return ast.IntentFilter(tuple(map(_name, children)), exclude=True)

    def map_entity(self, children: list[Any]) -> ast.EntityMapping:
        options = _MappingOptions(children)
        role = _name(children[1]) if len(children) > 1 else None
        span = options.extend(_cover_tokens(children[0], children[-1]))
        return ast.EntityMapping(
            _name(children[0]), role, span, options.form, options.asked, options.filter
        )

    def map_intent(self, children: list[Any]) -> ast.IntentMapping:
        options = _MappingOptions(children)
        first, value = children
        span = options.extend(_token_to_node(first, value))
        return ast.IntentMapping(_name(first), value, span, options.form, options.asked)

    def map_text(self, children: list[Any]) -> ast.TextMapping:
        options = _MappingOptions(children)
        span = options.extend(children[0].span)
        return ast.TextMapping(options.form, span, options.filter)

    def slot_body(self, children: list[Any]) -> list[Any]:
        return children

    def slot_decl(self, children: list[Any]) -> ast.SlotDecl:
        name = _name(children[0])
        type_expr: ast.TypeExpr = children[1]
        initial = next((c for c in children[2:] if isinstance(c, ast.Value)), None)
        body = next((c for c in children[2:] if isinstance(c, list)), [])
        return ast.SlotDecl(name, type_expr, initial, tuple(body), _cover(children))

    # ----- phrases, intents
    def phrase_decl(self, children: list[FastToken]) -> ast.PhraseDecl:
        return ast.PhraseDecl(
            _name(children[0]),
            tuple(_string(t) for t in children[1:]),
            _cover_tokens(children[0], children[-1]),
        )

    def generate(self, children: list[FastToken]) -> ast.GenerateCount:
        return _generate_count(int(children[0].value), children[0].span)

    def intent_decl(self, children: list[Any]) -> ast.IntentDecl:
        items = _line_items(children[1:], _string)
        counts = _of_type(items, ast.GenerateCount)
        examples = tuple(_of_type(items, ast.StringLit))
        generate = counts[-1] if counts else None
        return _intent_decl(_name(children[0]), examples, generate, _cover(children), False)

    def payload_intent(self, children: list[Any]) -> ast.IntentDecl:
        return ast.IntentDecl(_name(children[0]), (), None, _cover(children), payload_only=True)

    # ----- responses
    def cond_set(self, children: list[FastToken]) -> ast.CondTerm:
        name = _name(children[0])
        return ast.CondTerm(name, "set", None, name.span)

    def cond_unset(self, children: list[FastToken]) -> ast.CondTerm:
        name = _name(children[0])
        return ast.CondTerm(name, "unset", None, name.span)

    def cond_compare(self, children: list[Any]) -> ast.CondTerm:
        first, operator, value = children
        return ast.CondTerm(_name(first), operator.value, value, _token_to_node(first, value))

    def condition(self, children: list[Any]) -> tuple[ast.CondTerm, ...]:
        return tuple(children)

    def button(self, children: list[Any]) -> ast.ButtonNode:
        first, payload = children
        return ast.ButtonNode(_string(first), payload, _token_to_node(first, payload))

    def image(self, children: list[FastToken]) -> ast.StringLit:
        return _string(children[0])

    def variation_body(self, children: list[Any]) -> list[Any]:
        return children

    def variation(self, children: list[Any]) -> ast.VariationNode:
        if len(children) == 1:
            return _plain_variation(children[0])
        text = _string(children[0])
        condition: tuple[ast.CondTerm, ...] = next(
            (c for c in children[1:] if isinstance(c, tuple)), ()
        )
        body: list[Any] = next((c for c in children[1:] if isinstance(c, list)), [])
        images = [c for c in body if isinstance(c, ast.StringLit)]
        return ast.VariationNode(
            text,
            condition,
            tuple(c for c in body if isinstance(c, ast.ButtonNode)),
            images[-1] if images else None,
            _cover(children),
        )

    def response_decl(self, children: list[Any]) -> ast.ResponseDecl:
        variations = tuple(_line_items(children[1:], _plain_variation))
        return _response_decl(_name(children[0]), variations, _cover(children))

    # ----- forms
    def c_min(self, children: list[Any]) -> ast.ConstraintNode:
        return ast.ConstraintNode("min", (children[0],), children[0].span)

    def c_max(self, children: list[Any]) -> ast.ConstraintNode:
        return ast.ConstraintNode("max", (children[0],), children[0].span)

    def c_matches(self, children: list[FastToken]) -> ast.ConstraintNode:
        lit = _string(children[0])
        return ast.ConstraintNode("matches", (_value("string", lit.value, lit.span),), lit.span)

    def c_one_of(self, children: list[Any]) -> ast.ConstraintNode:
        return ast.ConstraintNode("one_of", tuple(children), _cover(children))

    def c_invalid(self, children: list[FastToken]) -> ast.ConstraintNode:
        token = children[0]
        kind: ast.ValueKind = "string" if token.type == "STRING" else "name"
        target = _name_or_string(token)
        data = target.value if isinstance(target, ast.StringLit) else target.text
        return ast.ConstraintNode("invalid", (_value(kind, data, target.span),), target.span)

    def ask_body(self, children: list[Any]) -> list[Any]:
        return children

    def ask(self, children: list[Any]) -> ast.AskNode:
        constraints: list[ast.ConstraintNode] = next(
            (c for c in children if isinstance(c, list)), []
        )
        has_prompt = len(children) > 1 and isinstance(children[1], _TOKENS)
        prompt = _name_or_string(children[1]) if has_prompt else None
        return ast.AskNode(_name(children[0]), prompt, tuple(constraints), _cover(children))

    def then(self, children: list[FastToken]) -> ast.Name:
        return _name(children[0])

    def ignore(self, children: list[FastToken]) -> tuple[ast.Name, ...]:
        return tuple(map(_name, children))

    def form_decl(self, children: list[Any]) -> ast.FormDecl:
        ignored = (name for names in _of_type(children[1:], tuple) for name in names)
        return ast.FormDecl(
            _name(children[0]),
            tuple(_of_type(children, ast.AskNode)),
            tuple(c for c in children[1:] if isinstance(c, ast.Name)),
            _cover(children),
            tuple(ignored),
        )

    # ----- actions
    def param(self, children: list[Any]) -> ast.Param:
        first, type_expr = children
        return ast.Param(_name(first), type_expr, _token_to_node(first, type_expr))

    def action_inputs(self, children: list[Any]) -> tuple[str, tuple[ast.Param, ...]]:
        return ("in", tuple(_of_type(children, ast.Param)))

    def action_outputs(self, children: list[Any]) -> tuple[str, tuple[ast.Param, ...]]:
        return ("out", tuple(_of_type(children, ast.Param)))

    def impl_python(self, children: list[FastToken]) -> tuple[str, Any, Any, ast.Span]:
        function = _name(children[1]) if len(children) > 1 else None
        return ("python", _string(children[0]), function, _cover_tokens(children[0], children[-1]))

    def impl_remote(self, children: list[FastToken]) -> tuple[str, Any, Any, ast.Span]:
        url = _string(children[0])
        return ("remote", url, None, url.span)

    def action_decl(self, children: list[Any]) -> ast.ActionDecl:
        lists = {c[0]: c[1] for c in children if isinstance(c, tuple) and c[0] in ("in", "out")}
        impls = [c for c in children if isinstance(c, tuple) and c[0] in ("python", "remote")]
        python = next((i for i in impls if i[0] == "python"), None)
        remote = next((i for i in impls if i[0] == "remote"), None)
        return ast.ActionDecl(
            _name(children[0]),
            lists.get("in", ()),
            lists.get("out", ()),
            python[1] if python else None,
            python[2] if python else None,
            remote[1] if remote else None,
            _cover(children),
            tuple(i[3] for i in impls),
        )

    # ----- stories, rules
    def entity_arg(self, children: list[Any]) -> ast.EntityArg:
        role = _name(children[1]) if len(children) == 3 else None
        first, value = children[0], children[-1]
        return ast.EntityArg(_name(first), role, value, _token_to_node(first, value))

    def user_intent(self, children: list[Any]) -> ast.UserIntent:
        name = _name(children[0])
        if len(children) == 1:
            return _user_intent(name, (), name.span)
        return ast.UserIntent(name, tuple(_of_type(children, ast.EntityArg)), _cover(children))

    def user_step(self, children: list[Any]) -> ast.UserStepNode:
        first: ast.Span = children[0].span
        last: ast.Span = children[-1].span
        span = _span(_path, first.line, first.col, last.end_line, last.end_col)
        return _user_step(tuple(children), span)

    def user_text_step(self, children: list[FastToken]) -> ast.UserTextStepNode:
        text = _string(children[0])
        return ast.UserTextStepNode(text, text.span)

    def bot_step(self, children: list[FastToken]) -> ast.BotStepNode:
        name = _name(children[0])
        return _bot_step(name, name.span)

    def run_step(self, children: list[FastToken]) -> ast.RunStepNode:
        name = _name(children[0])
        return ast.RunStepNode(name, name.span)

    def form_step(self, children: list[FastToken]) -> ast.FormStepNode:
        name = _name(children[0])
        return ast.FormStepNode(name, name.span)

    def slot_step(self, children: list[Any]) -> ast.SlotStepNode:
        first, value = children
        return ast.SlotStepNode(_name(first), value, _token_to_node(first, value))

    def include_step(self, children: list[FastToken]) -> ast.IncludeStepNode:
        return ast.IncludeStepNode(_title(children[0]), children[0].span)

    def story_decl(self, children: list[Any]) -> ast.StoryDecl:
        return ast.StoryDecl(_title(children[0]), tuple(children[1:]), _cover(children))

    def when_start(self, children: list[Any]) -> tuple[str, Any]:
        return ("start", None)

    def when_form(self, children: list[FastToken]) -> tuple[str, Any]:
        return ("form", _name(children[0]))

    def when_slots(self, children: list[Any]) -> tuple[str, Any]:
        return ("slots", tuple(children))

    def rule_decl(self, children: list[Any]) -> ast.RuleDecl:
        conditions = [c for c in children[1:] if isinstance(c, tuple)]
        steps = [c for c in children[1:] if not isinstance(c, tuple)]
        forms = [c[1] for c in conditions if c[0] == "form"]
        return ast.RuleDecl(
            _title(children[0]),
            any(c[0] == "start" for c in conditions),
            forms[-1] if forms else None,
            tuple(t for c in conditions if c[0] == "slots" for t in c[1]),
            tuple(steps),
            _cover(children),
        )

    # ----- tests
    def test_user(self, children: list[Any]) -> ast.TestUserNode:
        text = _string(children[0])
        if len(children) == 1:
            return ast.TestUserNode(text, None, text.span)
        if isinstance(children[1], ast.UserIntent):
            return ast.TestUserNode(
                text, None, _token_to_node(children[0], children[1]), children[1]
            )
        return ast.TestUserNode(text, _name(children[1]), _cover_tokens(children[0], children[1]))

    def test_bot(self, children: list[FastToken]) -> ast.TestBotNode:
        expected = _name_or_string(children[0])
        return ast.TestBotNode(expected, expected.span)

    def test_run(self, children: list[FastToken]) -> ast.TestRunNode:
        name = _name(children[0])
        return ast.TestRunNode(name, name.span)

    def test_slot(self, children: list[Any]) -> ast.TestSlotNode:
        first, value = children
        return ast.TestSlotNode(_name(first), value, _token_to_node(first, value))

    def test_form(self, children: list[Any]) -> ast.TestFormNode:
        form, rest = _name(children[0]), children[2:]
        values = tuple((_name(rest[i]), rest[i + 1]) for i in range(0, len(rest), 2))
        return ast.TestFormNode(form, len(children) > 1, values, _cover(children))

    def test_decl(self, children: list[Any]) -> ast.TestDecl:
        return ast.TestDecl(_title(children[0]), tuple(children[1:]), _cover(children))

    # ----- values
    def v_string(self, children: list[FastToken]) -> ast.Value:
        lit = _string(children[0])
        return _value("string", lit.value, lit.span)

    def v_int(self, children: list[FastToken]) -> ast.Value:
        return _value_of(children[0], "int", int(children[0].value))

    def v_float(self, children: list[FastToken]) -> ast.Value:
        return _value_of(children[0], "float", float(children[0].value))

    def v_true(self, children: list[Any]) -> ast.Value:
        return _value("bool", True, _span(_path, 1, 1, 1, 1))

    def v_false(self, children: list[Any]) -> ast.Value:
        return _value("bool", False, _span(_path, 1, 1, 1, 1))

    def v_null(self, children: list[Any]) -> ast.Value:
        return _value("null", None, _span(_path, 1, 1, 1, 1))

    def v_name(self, children: list[FastToken]) -> ast.Value:
        return _value_of(children[0], "name", children[0].value)

    def v_list(self, children: list[Any]) -> ast.Value:
        return _value("list", tuple(children), _cover(children))
