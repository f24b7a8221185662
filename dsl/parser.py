"""Parse `.assist` source text into a `Module`, reporting syntax errors as diagnostics.

The Lark LALR parser is built once per process (and cached on disk by Lark), and the
tree is turned into AST nodes during parsing (no intermediate tree). When a file has a
syntax error, it is parsed again one top-level definition at a time: every definition
starts at column 0, so an error stays inside its own definition and the others are
still checked (several independent errors per run, no cascades).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer
from lark.exceptions import (
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
    VisitError,
)
from lark.indenter import DedentError, Indenter

from assistc.dsl import ast
from assistc.dsl.diagnostics import Diagnostic
from assistc.dsl.expected import describe_expected, describe_token

GRAMMAR_PATH = Path(__file__).with_name("assist.lark")
MAX_LINE_LENGTH = 10_000


class _AssistIndenter(Indenter):
    NL_type = "_NL"
    OPEN_PAREN_types = ["LPAR", "LSQB"]
    CLOSE_PAREN_types = ["RPAR", "RSQB"]
    INDENT_type = "_INDENT"
    DEDENT_type = "_DEDENT"
    tab_len = 8


@functools.cache
def _lark() -> Lark:
    return Lark(
        GRAMMAR_PATH.read_text(encoding="utf-8"),
        parser="lalr",
        lexer="contextual",
        postlex=_AssistIndenter(),
        maybe_placeholders=False,
        transformer=_ToAst(),
        cache=True,
    )


def parse_module(text: str, path: str) -> tuple[ast.Module, list[Diagnostic]]:
    """Parse one file. Never raises: problems come back as diagnostics, and the module
    holds every definition that parsed."""
    if not text.endswith("\n"):
        text += "\n"
    long_line = _find_long_line(text, path)
    if long_line is not None:
        return ast.Module(path), [long_line]
    try:
        return ast.Module(path, _parse_text(text, path)), []
    except (UnexpectedInput, DedentError, VisitError):
        pass
    module = ast.Module(path)
    diagnostics: list[Diagnostic] = []
    for first_line, chunk in _top_level_chunks(text):
        # Leading newlines keep line numbers right without shifting spans afterwards.
        try:
            module.decls.extend(_parse_text("\n" * (first_line - 1) + chunk, path))
        except (UnexpectedInput, DedentError, VisitError) as error:
            diagnostics.append(_syntax_diagnostic(error, path, text))
    return module, diagnostics


def _parse_text(text: str, path: str) -> list[ast.Decl]:
    _FILE.path = path
    decls: list[ast.Decl] = _lark().parse(text)  # type: ignore[assignment]
    return decls


class _CurrentFile:
    """The file being parsed, for spans (the transformer is shared and built once)."""

    path = ""


_FILE = _CurrentFile()


def _top_level_chunks(text: str) -> Iterator[tuple[int, str]]:
    """Split into (first line number, text) pieces, one per top-level definition."""
    lines = text.splitlines(keepends=True)
    start = 0
    for index, line in enumerate(lines):
        starts_definition = line[:1] not in ("", " ", "\t", "\n", "\r", "#")
        if starts_definition and index > start:
            yield start + 1, "".join(lines[start:index])
            start = index
    if start < len(lines):
        yield start + 1, "".join(lines[start:])


def _find_long_line(text: str, path: str) -> Diagnostic | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if len(line) > MAX_LINE_LENGTH:
            span = ast.Span(path, number, 1, number, 2)
            return Diagnostic(
                "E0001",
                f"line {number} is {len(line):,} characters long; the limit is "
                f"{MAX_LINE_LENGTH:,}",
                span,
                hint="split it: one example, variation or step per line",
            )
    return None


def _syntax_diagnostic(error: Exception, path: str, text: str) -> Diagnostic:
    if isinstance(error, VisitError):
        error = error.orig_exc
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
        shown = repr(char)
        return Diagnostic(
            "E0004",
            f"unexpected character {shown}",
            span,
            hint=describe_expected(error.allowed) if error.allowed else None,
        )
    if isinstance(error, UnexpectedToken):
        token = error.token
        expected = describe_expected(error.accepts or error.expected)
        if token.type == "$END":
            line = max(1, text.count("\n"))
            span = ast.Span(path, line, 1, line, 2)
            return Diagnostic("E0001", "the file ends in the middle of a definition", span,
                              hint=expected)
        line = token.line or 1
        col = token.column or 1
        end_col = col + max(1, len(str(token.value).split("\n", 1)[0]))
        return Diagnostic(
            "E0001",
            f"unexpected {describe_token(token)}",
            ast.Span(path, line, col, line, end_col),
            hint=expected,
        )
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
    for number, line in enumerate(text.splitlines(), start=1):
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


def _position(item: Any, last: bool) -> ast.Span | None:
    if isinstance(item, Token):
        return _token_span(item) if item.line is not None else None
    span = getattr(item, "span", None)
    if isinstance(span, ast.Span):
        return span
    if isinstance(item, tuple | list):
        for element in reversed(item) if last else item:
            found = _position(element, last)
            if found is not None:
                return found
    return None


def _cover(children: list[Any]) -> ast.Span:
    """The span from the first to the last positioned child. Keywords are not kept in
    the tree, so a span starts at the first name or literal after them."""
    first = _position(children, last=False)
    last = _position(children, last=True)
    if first is None or last is None:
        return ast.Span(_FILE.path, 1, 1, 1, 1)
    return ast.Span(first.file, first.line, first.col, last.end_line, last.end_col)


def _token_span(token: Token) -> ast.Span:
    return ast.Span(
        _FILE.path,
        token.line or 1,
        token.column or 1,
        token.end_line or token.line or 1,
        token.end_column or token.column or 1,
    )


def _name(token: Token) -> ast.Name:
    return ast.Name(str(token), _token_span(token))


def _unescape(raw: str) -> str:
    out: list[str] = []
    index = 1
    end = len(raw) - 1
    letters = {letter: char for char, letter in ast.ESCAPED_CHARS.items()}
    while index < end:
        char = raw[index]
        if char == "\\" and index + 1 < end + 1:
            nxt = raw[index + 1]
            if nxt in letters:
                out.append(letters[nxt])
                index += 2
                continue
            # Unknown escapes stay as written: regexes read naturally ("\d+").
            out.append("\\")
            index += 1
            continue
        out.append(char)
        index += 1
    return "".join(out)


def _string(token: Token) -> ast.StringLit:
    return ast.StringLit(_unescape(str(token)), _token_span(token))


def _name_or_string(token: Token) -> ast.Name | ast.StringLit:
    return _string(token) if token.type == "STRING" else _name(token)


def _tokens(children: list[Any], kind: str) -> list[Token]:
    return [c for c in children if isinstance(c, Token) and c.type == kind]


def _of_type(children: list[Any], cls: type[Any]) -> list[Any]:
    return [c for c in children if isinstance(c, cls)]


def _title(token: Token) -> ast.Name:
    text = str(token).rstrip()
    span = _token_span(token)
    return ast.Name(text, ast.Span(span.file, span.line, span.col, span.line, span.col + len(text)))


class _ToAst(Transformer[Token, Any]):
    """Builds AST nodes bottom-up; method names are the grammar's rule names."""

    def start(self, children: list[Any]) -> list[ast.Decl]:
        return [c for c in children if not isinstance(c, Token)]

    # ----- modules, config
    def dotted_name(self, children: list[Token]) -> ast.Name:
        return ast.Name(".".join(str(c) for c in children), _cover(children))

    def use_decl(self, children: list[Any]) -> ast.UseDecl:
        return ast.UseDecl(children[0].text, children[0].span)

    def config_entry(self, children: list[Any]) -> ast.ConfigEntry:
        return ast.ConfigEntry(_name(children[0]), children[1])

    def config_decl(self, children: list[Any]) -> ast.ConfigDecl:
        return ast.ConfigDecl(tuple(_of_type(children, ast.ConfigEntry)), _cover(children))

    # ----- entities
    def kind_enum(self, children: list[Any]) -> tuple[str, None]:
        return ("enum", None)

    def kind_lookup(self, children: list[Token]) -> tuple[str, ast.StringLit]:
        return ("lookup", _string(children[1]))

    def kind_regex(self, children: list[Token]) -> tuple[str, ast.StringLit]:
        return ("regex", _string(children[1]))

    def kind_builtin(self, children: list[Token]) -> tuple[str, ast.Name]:
        return ("builtin", _name(children[1]))

    def kind_free(self, children: list[Any]) -> tuple[str, None]:
        return ("free", None)

    def enum_member(self, children: list[Token]) -> ast.EnumMember:
        head = children[0]
        synonyms = tuple(_string(t) for t in children[1:])
        if head.type == "STRING":
            lit = _string(head)
            return ast.EnumMember(ast.Name(lit.value, lit.span), synonyms, quoted=True)
        return ast.EnumMember(_name(head), synonyms, quoted=False)

    def roles_line(self, children: list[Token]) -> tuple[ast.Name, ...]:
        return tuple(_name(t) for t in children)

    def entity_body(self, children: list[Any]) -> list[Any]:
        return [c for c in children if not isinstance(c, Token)]

    def entity_decl(self, children: list[Any]) -> ast.EntityDecl:
        name = _name(children[0])
        kind, source = children[1]
        body: list[Any] = children[2] if len(children) > 2 else []
        members = tuple(c for c in body if isinstance(c, ast.EnumMember))
        roles = tuple(r for c in body if isinstance(c, tuple) for r in c)
        return ast.EntityDecl(name, kind, source, members, roles, _cover(children))

    # ----- slots
    def type_expr(self, children: list[Any]) -> ast.TypeExpr:
        arg = children[1] if len(children) > 1 else None
        return ast.TypeExpr(_name(children[0]), arg, _cover(children))

    def map_entity(self, children: list[Token]) -> ast.EntityMapping:
        role = _name(children[1]) if len(children) > 1 else None
        return ast.EntityMapping(_name(children[0]), role, _cover(children))

    def map_intent(self, children: list[Any]) -> ast.IntentMapping:
        return ast.IntentMapping(_name(children[0]), children[1], _cover(children))

    def map_text(self, children: list[Token]) -> ast.TextMapping:
        form = _name(children[0]) if children else None
        return ast.TextMapping(form, _cover(children))

    def slot_body(self, children: list[Any]) -> list[Any]:
        return [c for c in children if not isinstance(c, Token)]

    def slot_decl(self, children: list[Any]) -> ast.SlotDecl:
        name = _name(children[0])
        type_expr: ast.TypeExpr = children[1]
        initial = next((c for c in children[2:] if isinstance(c, ast.Value)), None)
        body = next((c for c in children[2:] if isinstance(c, list)), [])
        return ast.SlotDecl(name, type_expr, initial, tuple(body), _cover(children))

    # ----- phrases, intents
    def phrase_decl(self, children: list[Token]) -> ast.PhraseDecl:
        return ast.PhraseDecl(
            _name(children[0]), tuple(_string(t) for t in children[1:]), _cover(children)
        )

    def example(self, children: list[Token]) -> ast.StringLit:
        return _string(children[0])

    def generate(self, children: list[Token]) -> ast.GenerateCount:
        return ast.GenerateCount(int(children[0]), _cover(children))

    def intent_decl(self, children: list[Any]) -> ast.IntentDecl:
        counts = _of_type(children, ast.GenerateCount)
        return ast.IntentDecl(
            _name(children[0]),
            tuple(_of_type(children, ast.StringLit)),
            counts[-1] if counts else None,
            _cover(children),
        )

    # ----- responses
    def cond_set(self, children: list[Token]) -> ast.CondTerm:
        return ast.CondTerm(_name(children[0]), "set", None, _cover(children))

    def cond_unset(self, children: list[Token]) -> ast.CondTerm:
        return ast.CondTerm(_name(children[0]), "unset", None, _cover(children))

    def cond_compare(self, children: list[Any]) -> ast.CondTerm:
        return ast.CondTerm(_name(children[0]), str(children[1]), children[2], _cover(children))  # type: ignore[arg-type]

    def condition(self, children: list[Any]) -> tuple[ast.CondTerm, ...]:
        return tuple(children)

    def button(self, children: list[Any]) -> ast.ButtonNode:
        return ast.ButtonNode(_string(children[0]), children[1], _cover(children))

    def image(self, children: list[Token]) -> ast.StringLit:
        return _string(children[0])

    def variation_body(self, children: list[Any]) -> list[Any]:
        return [c for c in children if not isinstance(c, Token)]

    def variation(self, children: list[Any]) -> ast.VariationNode:
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
        return ast.ResponseDecl(
            _name(children[0]), tuple(_of_type(children, ast.VariationNode)), _cover(children)
        )

    # ----- forms
    def c_min(self, children: list[Any]) -> ast.ConstraintNode:
        return ast.ConstraintNode("min", (children[0],), _cover(children))

    def c_max(self, children: list[Any]) -> ast.ConstraintNode:
        return ast.ConstraintNode("max", (children[0],), _cover(children))

    def c_matches(self, children: list[Token]) -> ast.ConstraintNode:
        lit = _string(children[0])
        return ast.ConstraintNode("matches", (ast.Value("string", lit.value, lit.span),), _cover(children))

    def c_one_of(self, children: list[Any]) -> ast.ConstraintNode:
        return ast.ConstraintNode("one_of", tuple(children), _cover(children))

    def c_invalid(self, children: list[Token]) -> ast.ConstraintNode:
        token = children[0]
        kind = "string" if token.type == "STRING" else "name"
        target = _name_or_string(token)
        data = target.value if isinstance(target, ast.StringLit) else target.text
        return ast.ConstraintNode("invalid", (ast.Value(kind, data, target.span),), _cover(children))

    def ask_body(self, children: list[Any]) -> list[Any]:
        return [c for c in children if not isinstance(c, Token)]

    def ask(self, children: list[Any]) -> ast.AskNode:
        constraints: list[ast.ConstraintNode] = next(
            (c for c in children if isinstance(c, list)), []
        )
        has_prompt = len(children) > 1 and isinstance(children[1], Token)
        prompt = _name_or_string(children[1]) if has_prompt else None
        return ast.AskNode(_name(children[0]), prompt, tuple(constraints), _cover(children))

    def then(self, children: list[Token]) -> ast.Name:
        return _name(children[0])

    def form_decl(self, children: list[Any]) -> ast.FormDecl:
        return ast.FormDecl(
            _name(children[0]),
            tuple(_of_type(children, ast.AskNode)),
            tuple(c for c in children[1:] if isinstance(c, ast.Name)),
            _cover(children),
        )

    # ----- actions
    def param(self, children: list[Any]) -> ast.Param:
        return ast.Param(_name(children[0]), children[1], _cover(children))

    def action_inputs(self, children: list[Any]) -> tuple[str, tuple[ast.Param, ...]]:
        return ("in", tuple(_of_type(children, ast.Param)))

    def action_outputs(self, children: list[Any]) -> tuple[str, tuple[ast.Param, ...]]:
        return ("out", tuple(_of_type(children, ast.Param)))

    def impl_python(self, children: list[Token]) -> tuple[str, Any, Any, ast.Span]:
        function = _name(children[1]) if len(children) > 1 else None
        return ("python", _string(children[0]), function, _cover(children))

    def impl_remote(self, children: list[Token]) -> tuple[str, Any, Any, ast.Span]:
        return ("remote", _string(children[0]), None, _cover(children))

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
        return ast.EntityArg(_name(children[0]), role, children[-1], _cover(children))

    def user_intent(self, children: list[Any]) -> ast.UserIntent:
        return ast.UserIntent(
            _name(children[0]), tuple(_of_type(children, ast.EntityArg)), _cover(children)
        )

    def user_step(self, children: list[Any]) -> ast.UserStepNode:
        return ast.UserStepNode(tuple(children), _cover(children))

    def bot_step(self, children: list[Token]) -> ast.BotStepNode:
        return ast.BotStepNode(_name(children[0]), _cover(children))

    def run_step(self, children: list[Token]) -> ast.RunStepNode:
        return ast.RunStepNode(_name(children[0]), _cover(children))

    def form_step(self, children: list[Token]) -> ast.FormStepNode:
        return ast.FormStepNode(_name(children[0]), _cover(children))

    def slot_step(self, children: list[Any]) -> ast.SlotStepNode:
        return ast.SlotStepNode(_name(children[0]), children[1], _cover(children))

    def include_step(self, children: list[Token]) -> ast.IncludeStepNode:
        return ast.IncludeStepNode(_title(children[0]), _cover(children))

    def story_decl(self, children: list[Any]) -> ast.StoryDecl:
        return ast.StoryDecl(_title(children[0]), tuple(children[1:]), _cover(children))

    def when_start(self, children: list[Any]) -> tuple[str, Any]:
        return ("start", None)

    def when_form(self, children: list[Token]) -> tuple[str, Any]:
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
    def test_user(self, children: list[Token]) -> ast.TestUserNode:
        intent = _name(children[1]) if len(children) > 1 else None
        return ast.TestUserNode(_string(children[0]), intent, _cover(children))

    def test_bot(self, children: list[Token]) -> ast.TestBotNode:
        return ast.TestBotNode(_name_or_string(children[0]), _cover(children))

    def test_run(self, children: list[Token]) -> ast.TestRunNode:
        return ast.TestRunNode(_name(children[0]), _cover(children))

    def test_slot(self, children: list[Any]) -> ast.TestSlotNode:
        return ast.TestSlotNode(_name(children[0]), children[1], _cover(children))

    def test_decl(self, children: list[Any]) -> ast.TestDecl:
        return ast.TestDecl(_title(children[0]), tuple(children[1:]), _cover(children))

    # ----- values
    def v_string(self, children: list[Token]) -> ast.Value:
        lit = _string(children[0])
        return ast.Value("string", lit.value, lit.span)

    def v_int(self, children: list[Token]) -> ast.Value:
        return ast.Value("int", int(children[0]), _token_span(children[0]))

    def v_float(self, children: list[Token]) -> ast.Value:
        return ast.Value("float", float(children[0]), _token_span(children[0]))

    def v_true(self, children: list[Any]) -> ast.Value:
        return ast.Value("bool", True, _cover(children))

    def v_false(self, children: list[Any]) -> ast.Value:
        return ast.Value("bool", False, _cover(children))

    def v_null(self, children: list[Any]) -> ast.Value:
        return ast.Value("null", None, _cover(children))

    def v_name(self, children: list[Token]) -> ast.Value:
        return ast.Value("name", str(children[0]), _token_span(children[0]))

    def v_list(self, children: list[Any]) -> ast.Value:
        return ast.Value("list", tuple(children), _cover(children))
