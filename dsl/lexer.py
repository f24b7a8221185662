"""A fast lexer for `assist.lark`: one master regex, keywords and indentation resolved inline.

Lark's contextual lexer runs a separate regex per parser state and its `Indenter` post-lexer
handles every token again in Python; together they were half of the parse time. This lexer
matches each token with one compiled regex, decides keyword / NAME / TITLE by looking at
the terminals the parser accepts in its current state (the contextual behaviour without
per-state lexers), and computes INDENT/DEDENT itself. Where the parser accepts
STRING_LINES, consecutive lines of a string alone (examples, plain response variations:
most lines of a project) become that one token instead of a STRING and an _NL each.

It feeds `FastParser` (dsl/lalr.py), whose stack of states it reads. Contract: for any
input it accepts, it yields tokens of exactly the types Lark's contextual lexer plus
`AssistIndenter` would, and for the tokens the tree keeps the same values and positions
(as the span their AST node shares), except that a STRING_LINES token stands for the
`STRING _NL` pairs it holds (the grammar accepts both). Where it cannot be sure — an
unexpected character, an unterminated string, a keyword glued to a word, indentation that
matches no enclosing block — it raises `LexFallback`, and the parser re-parses that text with
Lark's own lexer, which produces the exact error message.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, ClassVar, NamedTuple

from lark import Token
from lark.common import LexerConf
from lark.grammar import Rule, Terminal
from lark.indenter import Indenter
from lark.parsers.lalr_analysis import ParseTableBase

from assistc.dsl.ast import Span

NL = "_NL"
INDENT = "_INDENT"
DEDENT = "_DEDENT"
STRING_LINES = "STRING_LINES"
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class AssistIndenter(Indenter):
    """Lark's own indentation post-lexer, for the exact (slow) path; `AssistLexer` mirrors it."""

    NL_type = NL
    OPEN_PAREN_types: ClassVar[list[str]] = ["LPAR", "LSQB"]
    CLOSE_PAREN_types: ClassVar[list[str]] = ["RPAR", "RSQB"]
    INDENT_type = INDENT
    DEDENT_type = DEDENT
    tab_len = 8


OPEN_PARENS = tuple(AssistIndenter.OPEN_PAREN_types)
CLOSE_PARENS = tuple(AssistIndenter.CLOSE_PAREN_types)
TAB_LEN = AssistIndenter.tab_len


class FastToken(NamedTuple):
    """A token the AST keeps (a name or a literal), on both paths (the exact one converts
    Lark's): a tuple is far cheaper to make than Lark's `Token`, and its position is the
    span the AST node made from it has (shared, not made again from line and column)."""

    type: str
    value: str
    span: Span


class StringLines(NamedTuple):
    """A STRING_LINES token: the strings of consecutive lines, each a string alone."""

    type: str
    strings: tuple[FastToken, ...]


MakeSpan = Callable[[str, int, int, int, int], Span]
"""Makes a span: path, line, column, end line, end column."""


def kept_terminals(rules: Iterable[Rule]) -> frozenset[str]:
    """The token types the tree keeps (in some rule); the others it always drops."""
    return frozenset(
        symbol.name
        for rule in rules
        for symbol in rule.expansion
        if isinstance(symbol, Terminal) and not symbol.filter_out
    )


_new_token: Callable[[tuple[Any, ...]], FastToken] = functools.partial(tuple.__new__, FastToken)
"""`FastToken._make` without its length check: a C call instead of a Python one."""


class LexFallback(Exception):
    """The fast lexer is not sure what Lark would do here; re-parse with Lark's lexer."""


class UnexpectedWord(LexFallback):
    """A whole word the parser does not accept here. Lark's lexer would split it when it
    starts with a keyword (`usestdlib` → `use` `stdlib`), so the parser reports it instead."""

    def __init__(self, word: str, line: int, column: int) -> None:
        super().__init__(f"word {word!r} not expected")
        self.word = word
        self.line = line
        self.column = column


class _StateRules:
    """What the parser accepts in one LALR state, in the form the lexer needs."""

    __slots__ = ("accepts", "lines", "name", "title", "word", "words")

    def __init__(self, accepts: frozenset[str], keywords: dict[str, str]) -> None:
        self.accepts = accepts
        self.name = "NAME" in accepts
        # A state accepting both NAME and TITLE would need Lark's ordering between them;
        # the grammar has none, and if it ever does, such a state falls back.
        self.title = "TITLE" in accepts
        self.lines = STRING_LINES in accepts
        self.words = {word: kind for word, kind in keywords.items() if kind in accepts}
        self.word = "NAME" if self.name else ""
        """What a word that is no keyword here is: a name, or nothing."""


class AssistLexer:
    """The tokens of one grammar (its terminals in `conf`) for the parser using `parse_table`."""

    def __init__(
        self, conf: LexerConf, parse_table: ParseTableBase[int], make_span: MakeSpan
    ) -> None:
        self._make_span = make_span
        patterns = {t.name: t.pattern for t in conf.terminals}
        self._keywords = {
            p.value: name
            for name, p in patterns.items()
            if p.type == "str" and _WORD.fullmatch(p.value)
        }
        self._symbols = {
            p.value: name
            for name, p in patterns.items()
            if p.type == "str" and not _WORD.fullmatch(p.value)
        }
        self._compare = re.compile(patterns["COMPARE"].to_regexp())
        operators = sorted(self._symbols, key=lambda s: (-len(s), s))
        ops = "|".join([patterns["COMPARE"].to_regexp(), *map(re.escape, operators)])
        ignore = "|".join(patterns[n].to_regexp() for n in conf.ignore if n != "COMMENT")
        self._master = re.compile(
            f"(?:{ignore})?(?:"
            f"(?P<WORD>{patterns['NAME'].to_regexp()})"
            f"|(?P<NL>{patterns[NL].to_regexp()})"
            f"|(?P<STRING>{patterns['STRING'].to_regexp()})"
            f"|(?P<FLOAT>{patterns['FLOAT'].to_regexp()})"
            f"|(?P<INT>{patterns['INT'].to_regexp()})"
            f"|(?P<OP>{ops}))"
        )
        self._title = re.compile(f"(?:{ignore})?({patterns['TITLE'].to_regexp()})")
        string = patterns["STRING"].to_regexp()
        self._string_line = re.compile(f"({string})(?:{ignore})?({patterns[NL].to_regexp()})")
        self._tables, self._kept = self._rules_for(parse_table)
        # The tree drops these tokens (keywords, punctuation, indentation) and the parser
        # only reads their type: one shared token per type serves.
        self._dropped = {
            name: Token(name, "") for name in (*self._symbols.values(), *self._keywords.values())
        }
        self._dropped |= {name: Token(name, "") for name in (NL, INDENT, DEDENT)}

    def _rules_for(
        self, parse_table: ParseTableBase[int]
    ) -> tuple[dict[int, _StateRules], frozenset[str]]:
        """Per-state rules and the token types the tree keeps (others are shared objects)."""
        terminals = set(self._keywords.values()) | set(self._symbols.values())
        terminals |= {"NAME", "TITLE", "STRING", "INT", "FLOAT", "COMPARE", NL, STRING_LINES}
        tables: dict[int, _StateRules] = {}
        for state, actions in parse_table.states.items():
            accepts = frozenset(a for a in actions if a in terminals)
            tables[state] = _StateRules(accepts, self._keywords)
        rules = (arg for actions in parse_table.states.values() for _, arg in actions.values())
        return tables, kept_terminals(rule for rule in rules if isinstance(rule, Rule))

    def tokens(self, text: str, path: str, stack: list[int]) -> Iterator[Any]:
        """One shared Lark `Token` per type for what the tree drops, `FastToken`s for what
        it keeps (their spans in file `path`). The parser's `stack` of states, which it
        changes in place, says what it accepts."""
        tables, kept, dropped = self._tables, self._kept, self._dropped
        span = self._make_span
        pos = 0
        end = len(text)
        newline, indent_token, dedent_token = dropped[NL], dropped[INDENT], dropped[DEDENT]
        layouts: dict[str, tuple[int, int, int]] = {}  # few newline tokens differ
        match = self._master.match
        title_match = self._title.match
        symbols = self._symbols
        make = _new_token
        line = 1
        line_start = 0
        levels = [0]
        parens = 0
        newline_taken = False  # by the STRING_LINES token just yielded
        while pos < end:
            rules = tables[stack[-1]]
            if rules.title:
                if rules.name:
                    raise LexFallback("a state accepting both NAME and TITLE")
                found = title_match(text, pos)
                if found is not None:
                    start, pos = found.span(1)
                    value = found.group(1)
                    kind = rules.words.get(value, "TITLE")
                    column = start - line_start + 1
                    yield make((kind, value, span(path, line, column, line, column + pos - start)))
                    continue
            m = match(text, pos)
            if m is None:
                raise LexFallback("no token here")
            group = m.lastgroup
            assert group is not None
            value = m[group]  # the group ends the match: its end is the match's end
            pos = m.end()
            start = pos - len(value)
            if group == "WORD":
                kind = rules.words.get(value, rules.word)
                if not kind:
                    raise UnexpectedWord(value, line, start - line_start + 1)
                if kind in kept:
                    column = start - line_start + 1
                    yield make((kind, value, span(path, line, column, line, column + pos - start)))
                else:
                    yield dropped[kind]
                continue
            if group == "NL":
                layout = layouts.get(value)
                if layout is None:
                    layout = layouts[value] = _layout(value)
                breaks, indent_width, indent = layout
                line += breaks
                line_start = pos - indent_width
                if parens:
                    continue
                if newline_taken:
                    newline_taken = False
                else:
                    yield newline
                if indent > levels[-1]:
                    levels.append(indent)
                    yield indent_token
                else:
                    while indent < levels[-1]:
                        levels.pop()
                        yield dedent_token
                    if indent != levels[-1]:
                        raise LexFallback("indentation matches no enclosing block")
                continue
            if group == "OP":
                kind = symbols.get(value, "")
                if kind not in rules.accepts:
                    kind = "COMPARE" if self._compare.fullmatch(value) else ""
                if kind in OPEN_PARENS:
                    parens += 1
                elif kind in CLOSE_PARENS:
                    parens -= 1
            elif group == "STRING" and rules.lines and not parens:
                run = self._string_lines(text, path, start, line, line_start, levels[-1])
                if run is not None:
                    # The last line's newline is matched next, for its dedents only.
                    token, pos, line, line_start = run
                    newline_taken = True
                    yield token
                    continue
                kind = group
            else:
                kind = group
            if kind not in rules.accepts:
                raise LexFallback(f"{kind or value!r} not expected")
            if kind in kept:
                column = start - line_start + 1
                yield make((kind, value, span(path, line, column, line, column + pos - start)))
            else:
                yield dropped[kind]
        while len(levels) > 1:
            levels.pop()
            yield dedent_token

    def _string_lines(
        self, text: str, path: str, start: int, line: int, line_start: int, level: int
    ) -> tuple[StringLines, int, int, int] | None:
        """The lines from `start` (at indentation `level`) that are a string alone, as one
        token, with the position after it and the line number and start of its last line:
        up to the first line whose next line is shallower (it ends the block), and not
        including one whose next line is deeper (its string starts a block of its own).
        None if there are none."""
        make, span, find, startswith = _new_token, self._make_span, text.find, text.startswith
        strings: list[FastToken] = []
        after = last_line = last_start = 0
        indentation = text[line_start:start]
        # Most lines are a string without escapes, a newline and the same indentation
        # before another string: found with `str.find` (a regex steps through each
        # character), its positions follow from the string's.
        simple = _indent(indentation) == level and not indentation.strip(" \t")
        follow = f'\n{indentation}"'
        pos = start
        while True:
            while simple:
                stop = find('"', pos + 1) + 1
                value = text[pos:stop]
                if not stop or "\n" in value or "\\" in value or not startswith(follow, stop):
                    break
                column = pos - line_start + 1
                strings.append(
                    make(("STRING", value, span(path, line, column, line, column + stop - pos)))
                )
                after, last_line, last_start = stop, line, line_start
                line, line_start, pos = line + 1, stop + 1, stop + len(follow) - 1
            found = self._string_line.match(text, pos)
            indent = _indent_after(found) if found is not None else level + 1
            if found is None or indent > level:
                break
            begin, after = found.span(1)
            column = begin - line_start + 1
            value_span = span(path, line, column, line, column + after - begin)
            strings.append(make(("STRING", found[1], value_span)))
            last_line, last_start = line, line_start
            if indent != level:
                break
            newlines = found[2]
            line += newlines.count("\n")
            line_start = found.start(2) + newlines.rfind("\n") + 1
            pos = found.end()
        if not strings:
            return None
        return StringLines(STRING_LINES, tuple(strings)), after, last_line, last_start


def _layout(newline: str) -> tuple[int, int, int]:
    """Of a newline token (line breaks, comments, the next line's indentation): the number
    of line breaks, and the length and width of the indentation after the last."""
    last = newline.rfind("\n")
    if last < 0:
        raise LexFallback("a comment at the end of the text")
    indentation = newline[last + 1 :]
    return newline.count("\n"), len(indentation), _indent(indentation)


def _indent(spaces: str) -> int:
    """The width of an indentation, as `AssistIndenter` counts it."""
    return spaces.count(" ") + spaces.count("\t") * TAB_LEN


def _indent_after(found: re.Match[str]) -> float:
    """The indentation of the line after a `_string_line` match; infinite when the match
    ends in a comment at the end of the text (no next line: not for a run)."""
    newlines = found.group(2)
    last = newlines.rfind("\n")
    return _indent(newlines[last + 1 :]) if last >= 0 else float("inf")
