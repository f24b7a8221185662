"""Read a valid `.assist` file as lines of tokens, with its comments and block depths.

The AST does not carry comments or blank lines, so the formatter works from this view of
the source instead: every logical line (a physical line, or several joined while a `(`
or `[` is open) with its code tokens and the comments inside it, every full-line
comment, every blank line, and the block depth of each (the nesting the indentation
expresses, computed as the parser's indenter does). Strings never span lines, so a `#`
outside a string always starts a comment that runs to the end of its line.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Literal

TokenKind = Literal["string", "number", "word", "punct", "title"]

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>[ \t\f]+)
    | (?P<string>"(?:[^"\\\n]|\\.)*")
    | (?P<comment>\#.*)
    | (?P<punct>->|==|!=|<=|>=|[<>=:,()\[\]|.])
    | (?P<number>-?[0-9]+(?:\.[0-9]+)?)
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    """,
    re.VERBOSE,
)
_LEADING_INDENT = re.compile(r"[ \t]*")
_TITLE_KEYWORDS = ("story", "rule", "test")
_STEP_BLOCKS = ("story", "rule")
_TAB_WIDTH = 8
"""The parser's indenter counts a tab as 8 columns (and does not round to tab stops)."""


class SourceShapeError(ValueError):
    """The text is not shaped like a file the parser accepted (a character no token
    starts with, or indentation that matches no enclosing block)."""


@dataclass(frozen=True, slots=True)
class Token:
    kind: TokenKind
    text: str


@dataclass(frozen=True, slots=True)
class InlineComment:
    """A comment inside or at the end of a logical line. `position` is the number of
    code tokens before it; `trailing` says it shares a physical line with code before it."""

    text: str
    position: int
    trailing: bool


@dataclass(slots=True)
class CodeLine:
    tokens: list[Token]
    comments: list[InlineComment]
    depth: int


@dataclass(frozen=True, slots=True)
class CommentLine:
    text: str
    indent: int
    """Columns, as the parser's indenter counts them; placing the comment needs it."""
    depth: int = 0


@dataclass(frozen=True, slots=True)
class BlankLine:
    pass


Entry = CodeLine | CommentLine | BlankLine


@dataclass(slots=True)
class _Scanner:
    entries: list[Entry] = field(default_factory=list)
    open_line: CodeLine | None = None
    brackets: int = 0
    levels: list[int] = field(default_factory=lambda: [0])
    block: str = ""
    """The keyword of the definition the scan is in (`story`, `slot`, …)."""
    comment_levels: list[tuple[int, list[int]]] = field(default_factory=list)
    """For each full-line comment (by entry index), the open indentation levels."""


def scan(text: str) -> list[Entry]:
    """Split a syntactically valid file (with `\\n` line endings) into entries, each
    code line and comment line with its depth. Raises `SourceShapeError` if the text
    is not what the parser accepted."""
    scanner = _Scanner()
    for number, line in enumerate(text.split("\n")):
        _scan_line(scanner, line, first=number == 0)
    if scanner.open_line is not None:
        raise SourceShapeError("a bracket is never closed")
    _place_comments(scanner)
    return scanner.entries


def _scan_line(scanner: _Scanner, line: str, first: bool) -> None:
    if scanner.open_line is not None:
        _tokenize_into(scanner, scanner.open_line, line, continuation=True)
        return
    indent_text = _LEADING_INDENT.match(line)
    assert indent_text is not None  # the pattern matches the empty string
    rest = line[indent_text.end() :].lstrip(" \t\f")
    if not rest:
        scanner.entries.append(BlankLine())
        return
    indent = 0 if first else _indent_width(indent_text.group())
    if rest.startswith("#"):
        scanner.comment_levels.append((len(scanner.entries), list(scanner.levels)))
        scanner.entries.append(CommentLine(rest.rstrip(" \t\f"), indent))
        return
    depth = _enter_block(scanner.levels, indent)
    code = CodeLine([], [], depth)
    scanner.entries.append(code)
    words = rest.split(None, 1) or [rest]
    if depth == 0:
        scanner.block = words[0]
    if _starts_title(words, rest, depth, scanner.block):
        _scan_title_line(code, words[0], rest[len(words[0]) :])
        return
    _tokenize_into(scanner, code, rest, continuation=False)


def _indent_width(indent: str) -> int:
    return indent.count(" ") + indent.count("\t") * _TAB_WIDTH


def _enter_block(levels: list[int], indent: int) -> int:
    """Push or pop indentation levels as the parser's indenter does; the new depth."""
    if indent > levels[-1]:
        levels.append(indent)
    else:
        while indent < levels[-1]:
            levels.pop()
        if indent != levels[-1]:
            raise SourceShapeError("indentation matches no enclosing block")
    return len(levels) - 1


def _starts_title(words: list[str], rest: str, depth: int, block: str) -> bool:
    """`story`, `rule` and `test` headers and `include` steps end in free text (a title),
    which is not made of tokens. The keyword must be followed by whitespace."""
    if len(words) < 2 or rest[len(words[0]) :][:1] not in (" ", "\t", "\f"):
        return False
    if depth == 0:
        return words[0] in _TITLE_KEYWORDS
    return depth == 1 and words[0] == "include" and block in _STEP_BLOCKS


def _scan_title_line(code: CodeLine, keyword: str, after: str) -> None:
    body = after.lstrip(" \t\f")
    end = len(body)
    for stop in ":#":
        found = body.find(stop)
        if found != -1:
            end = min(end, found)
    code.tokens = [Token("word", keyword), Token("title", body[:end].rstrip())]
    tail = body[end:]
    if tail.startswith(":"):
        code.tokens.append(Token("punct", ":"))
        tail = tail[1:].lstrip(" \t\f")
    if tail.startswith("#"):
        code.comments.append(InlineComment(tail.rstrip(" \t\f"), len(code.tokens), True))
    elif tail.strip(" \t\f"):
        raise SourceShapeError("unexpected text after a title")


def _tokenize_into(scanner: _Scanner, code: CodeLine, text: str, continuation: bool) -> None:
    """Append the tokens and comment of one physical line to `code`, tracking brackets."""
    position = 0
    has_code = False
    while position < len(text):
        match = _TOKEN_RE.match(text, position)
        if match is None:
            raise SourceShapeError(f"no token starts with {text[position]!r}")
        position = match.end()
        kind = match.lastgroup
        value = match.group()
        if kind == "ws":
            continue
        if kind == "comment":
            trailing = has_code or not continuation
            code.comments.append(InlineComment(value.rstrip(" \t\f"), len(code.tokens), trailing))
            break
        has_code = True
        if kind == "punct" and value in ("(", "["):
            scanner.brackets += 1
        elif kind == "punct" and value in (")", "]"):
            scanner.brackets -= 1
            if scanner.brackets < 0:
                raise SourceShapeError("a bracket closes that was never opened")
        code.tokens.append(Token(kind, value))  # type: ignore[arg-type]
    scanner.open_line = code if scanner.brackets > 0 else None


def _place_comments(scanner: _Scanner) -> None:
    """Give each full-line comment a depth: the depth of the code line that follows it,
    or deeper if the comment is indented into a block that ends before that line (then
    it stays at the end of that block, but never deeper than the comment above it)."""
    entries = scanner.entries
    following: dict[int, int] = {}
    next_depth = 0
    for index in range(len(entries) - 1, -1, -1):
        entry = entries[index]
        if isinstance(entry, CodeLine):
            next_depth = entry.depth
        elif isinstance(entry, CommentLine):
            following[index] = next_depth
    levels_at = dict(scanner.comment_levels)
    cap = 0
    for index, entry in enumerate(entries):
        if isinstance(entry, CodeLine):
            cap = entry.depth
        elif isinstance(entry, CommentLine):
            open_depth = min(bisect.bisect_right(levels_at[index], entry.indent) - 1, cap)
            depth = max(following[index], open_depth)
            entries[index] = CommentLine(entry.text, entry.indent, depth)
            cap = depth
