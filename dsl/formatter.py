"""`assistc fmt`: one canonical layout for `.assist` files, keeping every comment.

The layout is line-for-line: the language puts one example, variation or step on each
line, so the formatter keeps the user's lines and their order and only normalises what
is inside and between them (indentation, spacing, string escapes, blank lines). It works
from the source text (see `comments.py`), not by printing the AST, so nothing the AST
leaves out (comments, repeated lines the checker reports) can be lost. Every result is
parsed again and compared with the input's AST: a file whose meaning would change is left
as it was and the problem is reported, never written.

The rules (docs/language.md, "Formatting"):
- definitions in source order, one blank line between them; consecutive definitions of
  the same one-line-friendly kind (`use`, `phrase`, `entity`, `slot`) keep the user's
  choice of none or one, so related declarations can stay grouped;
- inside a definition, the user's blank lines are kept (at most one in a row), except
  right after a line that opens a block and at the end of a block;
- 2 spaces per block level; full-line comments at the depth of the line they precede (or
  at the end of the block they are indented into); trailing comments two spaces after
  the code;
- `a: T`, `x = v`, `a, b`, `a | b`, `a -> b`, `x == v`; compact `entity:role` and
  `entity=value` inside a user turn or button payload (`order(size=large)`) and in
  `from entity city:from`; `name(` and `list[` without a space;
- strings re-escaped canonically: `\\"`, `\\\\`, `\\n`, `\\t`, and a backslash that escapes
  nothing stays single (`"\\d+"`); numbers without leading zeros or trailing fraction zeros;
- a bracketed list that spans lines is joined onto one line, unless it holds comments or
  the joined line would be longer than 100 columns: then one item per line;
- no trailing whitespace, `\\n` line endings, exactly one final newline.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from assistc.dsl import ast
from assistc.dsl.comments import (
    BlankLine,
    CodeLine,
    CommentLine,
    Entry,
    InlineComment,
    SourceShapeError,
    Token,
    scan,
)
from assistc.dsl.diagnostics import Diagnostic
from assistc.dsl.parser import parse_module

LINE_LENGTH = 100
INDENT = "  "
GROUPABLE_KINDS = frozenset({"use", "phrase", "entity", "slot"})
"""Definitions that may follow one another without a blank line."""
SOURCE_SUFFIX = ".assist"

# --------------------------------------------------------------------------- one text


@dataclass(frozen=True, slots=True)
class Formatted:
    """The outcome for one text: `text` is the formatted source, or the input unchanged
    when it has syntax errors (`diagnostics`) or the formatter failed (`internal_error`)."""

    text: str
    diagnostics: tuple[Diagnostic, ...] = ()
    internal_error: str | None = None


def format_source(text: str, path: str) -> str:
    """The canonical form of `text`; the text unchanged if it does not parse. Never raises."""
    return format_text(text, path).text


def format_text(text: str, path: str) -> Formatted:
    """Format one file's text, saying why when it is returned unchanged. Never raises."""
    module, diagnostics = parse_module(text, path)
    if diagnostics:
        return Formatted(text, tuple(diagnostics))
    try:
        # The parser reads the text with a final newline added (a last lone `\r` then
        # ends a line too) and takes `\r\n` as a line end: so does the formatter.
        with_newline = text if text.endswith("\n") else text + "\n"
        result = layout(scan(with_newline.replace("\r\n", "\n")))
    except Exception as error:  # a formatter bug must cost neither the file nor a traceback
        kind = "could not read" if isinstance(error, SourceShapeError) else "failed on"
        return Formatted(
            text, internal_error=f"the formatter {kind} this file ({error}); it was left unchanged"
        )
    check, check_diagnostics = parse_module(result, path)
    if check_diagnostics or without_spans(check) != without_spans(module):
        return Formatted(
            text,
            internal_error="formatting would change the meaning of this file (a formatter "
            "bug); it was left unchanged",
        )
    return Formatted(result)


def without_spans(node: object) -> object:
    """The node as nested tuples with every source position dropped, so two parses of
    differently laid-out texts compare equal exactly when they mean the same."""
    if isinstance(node, ast.Span):
        return None
    if isinstance(node, ast.Module):
        return without_spans(tuple(node.decls))
    if isinstance(node, tuple | list):
        return tuple(without_spans(item) for item in node)
    names = _field_names(type(node))
    if names is None:
        return node
    return (type(node).__name__, tuple(without_spans(getattr(node, name)) for name in names))


_FIELD_NAMES: dict[type, tuple[str, ...] | None] = {}


def _field_names(cls: type) -> tuple[str, ...] | None:
    """The fields of an AST node class (None for plain values), looked up once."""
    if cls not in _FIELD_NAMES:
        is_node = dataclasses.is_dataclass(cls)
        _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls)) if is_node else None
    return _FIELD_NAMES[cls]


# --------------------------------------------------------------------------- layout


@dataclass(slots=True)
class _Group:
    """One definition with the comments above it (or the comments that end the file)."""

    gap_before: bool
    kind: str | None = None
    leading: list[Entry] = field(default_factory=list)
    lines: list[Entry] = field(default_factory=list)


def layout(entries: Sequence[Entry]) -> str:
    """The canonical text of a scanned file."""
    out: list[str] = []
    previous_kind: str | None = None
    for index, group in enumerate(_groups(entries)):
        if index > 0:
            users_choice = group.kind is None or (
                group.kind == previous_kind and group.kind in GROUPABLE_KINDS
            )
            if group.gap_before or not users_choice:
                out.append("")
        _emit([*group.leading, *group.lines], out)
        previous_kind = group.kind
    return "\n".join(out) + "\n" if out else ""


def _groups(entries: Iterable[Entry]) -> list[_Group]:
    groups: list[_Group] = []
    current = _Group(gap_before=False)
    for entry in entries:
        if isinstance(entry, BlankLine):
            if current.lines:
                current.lines.append(entry)
            elif current.leading:
                current.leading.append(entry)
            else:
                current.gap_before = True
            continue
        top_level = entry.depth == 0
        if top_level and current.lines:
            gap = _strip_blanks(current.lines)
            groups.append(current)
            current = _Group(gap_before=gap)
        if isinstance(entry, CodeLine) and top_level:
            current.kind = entry.tokens[0].text
            current.lines.append(entry)
        elif top_level:
            current.leading.append(entry)
        else:
            current.lines.append(entry)
    _strip_blanks(current.lines)
    _strip_blanks(current.leading)
    if current.lines or current.leading:
        groups.append(current)
    return groups


def _strip_blanks(entries: list[Entry]) -> bool:
    """Drop the blank lines at the end; whether there were any."""
    stripped = False
    while entries and isinstance(entries[-1], BlankLine):
        entries.pop()
        stripped = True
    return stripped


def _emit(entries: Sequence[Entry], out: list[str]) -> None:
    """Write entries; a run of blank lines becomes one, and none opens a block."""
    previous: CodeLine | CommentLine | None = None
    blank = False
    for entry in entries:
        if isinstance(entry, BlankLine):
            blank = previous is not None
            continue
        opens_block = isinstance(previous, CodeLine) and entry.depth > previous.depth
        if blank and not opens_block:
            out.append("")
        blank = False
        if isinstance(entry, CommentLine):
            out.append(INDENT * entry.depth + entry.text)
        else:
            out.extend(render_code(entry))
        previous = entry


# --------------------------------------------------------------------------- one logical line


@dataclass(slots=True)
class _OutLine:
    depth: int
    text: str = ""
    last: int | None = None
    """Index of the last token written on this line."""
    trailing: str | None = None
    before: list[tuple[int, str]] = field(default_factory=list)
    """Full-line comments written above this line, with their depths."""


@dataclass(frozen=True, slots=True)
class _Context:
    """What spacing needs to know about one logical line's tokens."""

    tokens: list[Token]
    nesting: list[int]
    """Brackets open before each token."""
    from_line: bool
    """A slot mapping: `from entity city:from`."""
    payload: bool
    """A user turn or button: `order(size=large, city:to="Paris")`."""
    one_of: bool


def render_code(line: CodeLine) -> list[str]:
    """A logical line as output lines: one, or one per item of each bracketed list that
    must be split (it holds comments, or the line is too long)."""
    ctx = _context(line)
    skip = _trailing_commas(ctx.tokens)
    groups = _outer_groups(ctx.tokens)
    flat = _flat(ctx, skip)
    too_long = len(INDENT * line.depth + flat) > LINE_LENGTH
    split = {
        opening: closing
        for opening, closing in groups
        if any(opening < c.position <= closing for c in line.comments)
        or (too_long and _has_top_comma(ctx, opening, closing, skip))
    }
    lines, line_of = _place_tokens(ctx, line.depth, split, skip)
    closing_tokens = set(split.values())
    for comment in line.comments:
        _attach(comment, lines, line_of, closing_tokens)
    out: list[str] = []
    for out_line in lines:
        out.extend(INDENT * depth + text for depth, text in out_line.before)
        tail = f"  {out_line.trailing}" if out_line.trailing is not None else ""
        out.append(INDENT * out_line.depth + out_line.text + tail)
    return out


def _context(line: CodeLine) -> _Context:
    tokens = [_canonical(token) for token in line.tokens]
    nesting: list[int] = []
    level = 0
    for token in tokens:
        if token.kind == "punct" and token.text in (")", "]"):
            level -= 1
        nesting.append(level)
        if token.kind == "punct" and token.text in ("(", "["):
            level += 1
    first = tokens[0].text if tokens[0].kind == "word" else ""
    return _Context(
        tokens,
        nesting,
        from_line=first == "from",
        payload=first in ("user", "button"),
        one_of=first == "one" and len(tokens) > 1 and tokens[1].text == "of",
    )


def _spaced(ctx: _Context, prev: int, cur: int) -> bool:
    """Whether a space goes between two tokens written next to each other."""
    before, after = ctx.tokens[prev], ctx.tokens[cur]
    p = before.text if before.kind == "punct" else ""
    c = after.text if after.kind == "punct" else ""
    if c in (",", ")", "]", ":", ".") or p in ("(", "[", "."):
        return False
    if p == ":":
        return not (ctx.from_line or (ctx.payload and ctx.nesting[prev] > 0))
    if "=" in (p, c) and ctx.payload:
        equals = prev if p == "=" else cur
        return ctx.nesting[equals] == 0
    if c in ("(", "["):
        return before.kind != "word" or (ctx.one_of and prev == 1)
    return True


def _trailing_commas(tokens: list[Token]) -> set[int]:
    """Commas right before a closing bracket (allowed in action parameter lists)."""
    return {
        index
        for index in range(len(tokens) - 1)
        if tokens[index].text == ","
        and tokens[index].kind == "punct"
        and tokens[index + 1].kind == "punct"
        and tokens[index + 1].text in (")", "]")
    }


def _outer_groups(tokens: list[Token]) -> list[tuple[int, int]]:
    groups: list[tuple[int, int]] = []
    level = 0
    opening = 0
    for index, token in enumerate(tokens):
        if token.kind != "punct":
            continue
        if token.text in ("(", "["):
            if level == 0:
                opening = index
            level += 1
        elif token.text in (")", "]"):
            level -= 1
            if level == 0:
                groups.append((opening, index))
    return groups


def _has_top_comma(ctx: _Context, opening: int, closing: int, skip: set[int]) -> bool:
    return any(
        ctx.tokens[i].text == "," and ctx.nesting[i] == 1 and i not in skip
        for i in range(opening + 1, closing)
    )


def _flat(ctx: _Context, skip: set[int]) -> str:
    text = ""
    prev: int | None = None
    for index, token in enumerate(ctx.tokens):
        if index in skip:
            continue
        if prev is not None and _spaced(ctx, prev, index):
            text += " "
        text += token.text
        prev = index
    return text


def _place_tokens(
    ctx: _Context, depth: int, split: dict[int, int], skip: set[int]
) -> tuple[list[_OutLine], list[int]]:
    """Write the tokens onto output lines; which line each token landed on."""
    lines = [_OutLine(depth)]
    line_of: list[int] = []
    open_split: list[int] = []
    for index, token in enumerate(ctx.tokens):
        if index in skip:
            line_of.append(len(lines) - 1)
            continue
        if open_split and index == split[open_split[-1]]:
            open_split.pop()
            if lines[-1].last is None:
                lines[-1].depth = depth
            else:
                lines.append(_OutLine(depth))
        current = lines[-1]
        if current.last is not None and _spaced(ctx, current.last, index):
            current.text += " "
        current.text += token.text
        current.last = index
        line_of.append(len(lines) - 1)
        if index in split:
            open_split.append(index)
            lines.append(_OutLine(depth + 1))
        elif open_split and token.text == "," and ctx.nesting[index] == 1:
            lines.append(_OutLine(depth + 1))
    return lines, line_of


def _attach(
    comment: InlineComment, lines: list[_OutLine], line_of: list[int], closing: set[int]
) -> None:
    """Put a comment of a logical line on (or above) the output line it belongs to."""
    if comment.trailing or comment.position >= len(line_of):
        target = lines[line_of[max(comment.position - 1, 0)]]
        if target.trailing is None:
            target.trailing = comment.text
        else:
            target.before.append((target.depth, comment.text))
        return
    target = lines[line_of[comment.position]]
    depth = target.depth + (1 if comment.position in closing else 0)
    target.before.append((depth, comment.text))


# --------------------------------------------------------------------------- tokens


_ESCAPE = re.compile(r'\\(["\\nt])')
_LETTER_OF = {letter: char for char, letter in ast.ESCAPED_CHARS.items()}
_NEEDS_ESCAPED_BACKSLASH = frozenset('"\\nt\n\t')
"""A literal backslash before these (or at the end) must be written `\\\\`."""


def _canonical(token: Token) -> Token:
    if token.kind == "string":
        return Token("string", quote(unquote(token.text)))
    if token.kind == "number":
        return Token("number", _canonical_number(token.text))
    return token


def unquote(literal: str) -> str:
    """The value of a string literal (quotes included), as the parser reads it."""
    return _ESCAPE.sub(lambda m: _LETTER_OF[m.group(1)], literal[1:-1])


def quote(value: str) -> str:
    """The canonical literal for a string value: only what must be escaped is."""
    out: list[str] = []
    for index, char in enumerate(value):
        if char == "\\":
            following = value[index + 1 : index + 2]
            at_end = not following
            out.append("\\\\" if at_end or following in _NEEDS_ESCAPED_BACKSLASH else "\\")
        elif char in ast.ESCAPED_CHARS:
            out.append("\\" + ast.ESCAPED_CHARS[char])
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _canonical_number(text: str) -> str:
    sign = "-" if text.startswith("-") else ""
    whole, _, fraction = text.lstrip("-").partition(".")
    whole = whole.lstrip("0") or "0"
    if not fraction:
        return sign + whole
    return f"{sign}{whole}.{fraction.rstrip('0') or '0'}"


# --------------------------------------------------------------------------- files


FileStatus = Literal["unchanged", "reformatted", "would_reformat", "error"]


@dataclass(frozen=True, slots=True)
class FileOutcome:
    path: Path
    status: FileStatus
    diff: str | None = None
    """A unified diff, when one was asked for and the file would change."""
    diagnostics: tuple[Diagnostic, ...] = ()
    """Why the file was not formatted: syntax errors, or E0005 (unreadable)."""
    message: str | None = None
    """Why the file was not formatted, when it is not a diagnostic (a formatter bug)."""


@dataclass(frozen=True, slots=True)
class FormatResult:
    files: tuple[FileOutcome, ...]
    check: bool

    @property
    def changed(self) -> list[Path]:
        """Files reformatted (or that would be, with `check` or `diff`)."""
        return [f.path for f in self.files if f.status in ("reformatted", "would_reformat")]

    @property
    def errors(self) -> list[FileOutcome]:
        return [f for f in self.files if f.status == "error"]

    @property
    def exit_code(self) -> int:
        """0: clean (or reformatted); 1: errors, or with `check` a file would change."""
        would_change = self.check and bool(self.changed)
        return 1 if self.errors or would_change else 0


def format_paths(
    paths: Sequence[Path | str], check: bool = False, diff: bool = False
) -> FormatResult:
    """Format files and folders (every `.assist` file below a folder, hidden folders
    skipped) in sorted order. With `check` or `diff` nothing is written; `diff` adds a
    unified diff to every file that would change. Writes are atomic."""
    outcomes = [
        _format_file(path, write=not (check or diff), want_diff=diff) for path in _expand(paths)
    ]
    return FormatResult(tuple(outcomes), check)


def _expand(paths: Sequence[Path | str]) -> list[Path]:
    found: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.update(
                p
                for p in path.rglob(f"*{SOURCE_SUFFIX}")
                if p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        else:
            found.add(path)
    return sorted(found)


def _format_file(path: Path, write: bool, want_diff: bool) -> FileOutcome:
    try:
        original = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return FileOutcome(path, "error", diagnostics=(_unreadable(path, error),))
    formatted = format_text(original, str(path))
    if formatted.diagnostics or formatted.internal_error:
        return FileOutcome(
            path, "error", diagnostics=formatted.diagnostics, message=formatted.internal_error
        )
    if formatted.text == original:
        return FileOutcome(path, "unchanged")
    patch = _unified_diff(original, formatted.text, path) if want_diff else None
    if not write:
        return FileOutcome(path, "would_reformat", diff=patch)
    try:
        write_atomically(path, formatted.text)
    except OSError as error:
        return FileOutcome(path, "error", diagnostics=(_unreadable(path, error),))
    return FileOutcome(path, "reformatted", diff=patch)


def _unreadable(path: Path, error: OSError | UnicodeDecodeError) -> Diagnostic:
    reason = (
        "it is not UTF-8 text"
        if isinstance(error, UnicodeDecodeError)
        else (error.strerror or str(error))
    )
    return Diagnostic(
        "E0005",
        f"cannot format {path}: {reason}",
        ast.Span(str(path), 1, 1, 1, 1),
    )


def _unified_diff(before: str, after: str, path: Path) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=f"{path} (original)",
            tofile=f"{path} (formatted)",
        )
    )


def write_atomically(path: Path, text: str) -> None:
    """Write to a temporary file beside `path`, then rename it over `path`, so a reader
    (or a crash) never sees half a file. Keeps the file's permission bits, and a
    symbolic link stays a link (its target is rewritten)."""
    path = path.resolve()
    mode = path.stat().st_mode & 0o7777 if path.exists() else None
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
