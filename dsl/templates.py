"""The mini-language inside example strings: alternation, optional parts, placeholders
and literal annotations.

    "(can i|could i) order [a] {size} pizza with [olives](topping) {polite}"

`(a|b)` picks one alternative, `[x]` is optional, `{name}` / `{name:role}` is an entity
or phrase placeholder, `[text](entity)` / `[text](entity:role)` / `[text](entity=value)`
annotates literal text. `\\(` and friends are literal characters. A top-level `|`
separates whole alternatives. Offsets are indexes into the string's value, so the
compiler can point at the exact column of a problem.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from assistc.dsl.ast import StringLit
from assistc.dsl.diagnostics import Diagnostic

SPECIAL = "()[]{}|"
_PLAIN = re.compile(r"[^()\[\]{}|\\]+")
_BRACE = re.compile(r"[{}]")
_SIMPLE = re.compile(
    r"""([^()\[\]{}|\\]+)                    # 1: text
    | \(([^()\[\]{}\\]*)\)                   # 2: (a|b) of plain texts
    | \[([^()\[\]{}\\]*)\](?!\()             # 3: [a|b] of plain texts, not annotated
    | \{[ ]*([A-Za-z_]\w*)[ ]*(?::[ ]*([A-Za-z_]\w*)[ ]*)?}  # 4, 5: {name} or {name:role}
    | \[([^()\[\]{}|\\]+)\]                   # 6: [text] annotated with
      \([ ]*([A-Za-z_]\w*)[ ]*(?::[ ]*([A-Za-z_]\w*)[ ]*)?(?:=([^()\[\]{}|\\]*))?\)
                                             # 7-9: (entity), (entity:role), (entity=value)
    """,
    re.VERBOSE | re.ASCII,
)
"""The parts of a template without nesting or escapes: what most templates are made of,
parsed here in one step per part."""


@dataclass(frozen=True, slots=True)
class Text:
    text: str


@dataclass(frozen=True, slots=True)
class Choice:
    """One of the alternatives (each a sequence); `optional` adds the empty one."""

    options: tuple[tuple[Node, ...], ...]
    optional: bool
    plain: bool = field(default=False, compare=False)
    """Known to be alternatives of plain text only (each expands one way)."""


@dataclass(frozen=True, slots=True)
class Placeholder:
    name: str
    role: str | None
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Annotation:
    body: tuple[Node, ...]
    entity: str
    role: str | None
    value: str | None
    start: int
    end: int
    """Offsets of the `(entity…)` part, where a bad entity name is reported."""


Node = Text | Choice | Placeholder | Annotation


@dataclass(frozen=True, slots=True)
class Template:
    nodes: tuple[Node, ...]
    literal: bool | None = field(default=None, compare=False, repr=False)
    """`is_literal`, when the parser already knows it."""

    @property
    def is_literal(self) -> bool:
        """True when the template has exactly one expansion (hand-written text)."""
        if self.literal is not None:
            return self.literal
        return all(_is_literal(node) for node in self.nodes)


def _is_literal(node: Node) -> bool:
    if isinstance(node, Text):
        return True
    if isinstance(node, Annotation):
        return all(_is_literal(child) for child in node.body)
    return False


class TemplateError(Exception):
    def __init__(self, message: str, start: int, end: int, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.start = start
        self.end = end
        self.hint = hint

    def diagnostic(self, literal: StringLit) -> Diagnostic:
        """The E0006 report, pointing into `literal`, the string the template came from."""
        return Diagnostic(
            "E0006", self.message, literal.offset_span(self.start, self.end), hint=self.hint
        )


def parse_template(source: str) -> Template:
    """Parse one example string; raises TemplateError with offsets into `source`."""
    simple = _simple(source)
    if simple is not None:
        nodes, literal = simple
        return Template(nodes, literal)
    parser = _Parser(source)
    options = parser.alternatives(closing=None)
    if len(options) == 1:
        return Template(options[0])
    return Template((Choice(tuple(options), optional=False),))


def _simple(source: str) -> tuple[tuple[Node, ...], bool] | None:
    """The nodes of a template made only of `_SIMPLE` parts (the parser would give the
    same) and whether it is literal, or None when it has anything else, or an error, for
    the parser to handle."""
    nodes: list[Node] = []
    literal = True
    position = 0
    match = _SIMPLE.match
    while position < len(source):
        part = match(source, position)
        if part is None:
            return None
        kind = part.lastindex  # the alternative that matched: see `_SIMPLE`'s groups
        if kind == 1:
            nodes.append(Text(part[1]))
        elif kind == 2 or kind == 3:
            nodes.append(_plain_choice(part[kind], optional=kind == 3))
            literal = False
        elif kind == 4 or kind == 5:
            nodes.append(Placeholder(part[4], part[5], position + 1, part.end() - 1))
            literal = False
        else:
            body, entity, entity_role, value = part.group(6, 7, 8, 9)
            value = value.strip() if value is not None else None
            start = position + len(body) + 3  # after `[body](`
            nodes.append(
                Annotation((Text(body),), entity, entity_role, value or None, start, part.end() - 1)
            )
        position = part.end()
    return tuple(nodes), literal


@functools.lru_cache(maxsize=1 << 12)
def _plain_choice(inner: str, optional: bool) -> Choice:
    """`(a|b)` or `[a|b]` of plain texts: the same few recur in many templates, and the
    nodes are immutable, so each is built once."""
    options = tuple((Text(option),) if option else () for option in inner.split("|"))
    return Choice(options, optional, plain=True)


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.pos = 0

    def alternatives(self, closing: str | None) -> list[tuple[Node, ...]]:
        options = [self.sequence(closing)]
        while self.pos < len(self.source) and self.source[self.pos] == "|":
            self.pos += 1
            options.append(self.sequence(closing))
        return options

    def sequence(self, closing: str | None) -> tuple[Node, ...]:
        nodes: list[Node] = []
        text: list[str] = []
        source = self.source
        while self.pos < len(source):
            plain = _PLAIN.match(source, self.pos)
            if plain is not None:
                text.append(plain.group())
                self.pos = plain.end()
                continue
            char = source[self.pos]
            if char == "\\":
                following = source[self.pos + 1 : self.pos + 2]
                text.append(following if following in SPECIAL else "\\")
                self.pos += 2 if following in SPECIAL else 1
                continue
            if char == "|":
                break
            if char in ")]}":
                if char == closing:
                    break
                raise TemplateError(
                    f"`{char}` closes nothing",
                    self.pos,
                    self.pos + 1,
                    hint="write `\\" + char + "` for a literal character",
                )
            if text:
                nodes.append(Text("".join(text)))
                text.clear()
            if char == "(":
                nodes.append(self.group())
            elif char == "[":
                nodes.append(self.bracket())
            else:
                nodes.append(self.placeholder())
        if text:
            nodes.append(Text("".join(text)))
        return tuple(nodes)

    def _expect_close(self, opener_pos: int, closing: str) -> None:
        if self.pos >= len(self.source) or self.source[self.pos] != closing:
            opener = self.source[opener_pos]
            raise TemplateError(
                f"`{opener}` is never closed",
                opener_pos,
                opener_pos + 1,
                hint=f"add `{closing}`, or write `\\{opener}` for a literal character",
            )
        self.pos += 1

    def group(self) -> Choice:
        start = self.pos
        self.pos += 1
        options = self.alternatives(closing=")")
        self._expect_close(start, ")")
        return Choice(tuple(options), optional=False)

    def bracket(self) -> Choice | Annotation:
        start = self.pos
        self.pos += 1
        options = self.alternatives(closing="]")
        self._expect_close(start, "]")
        if self.pos < len(self.source) and self.source[self.pos] == "(":
            if len(options) != 1:
                raise TemplateError(
                    "annotated text cannot contain a top-level `|`",
                    start,
                    self.pos,
                    hint="wrap the alternatives in parentheses: [(big|large)](size)",
                )
            return self.annotation(options[0])
        return Choice(tuple(options), optional=True)

    def annotation(self, body: tuple[Node, ...]) -> Annotation:
        start = self.pos
        close = self.source.find(")", start)
        if close < 0:
            raise TemplateError("`(` is never closed", start, start + 1, hint="add `)`")
        inner = self.source[start + 1 : close]
        self.pos = close + 1
        entity_part, _, value = inner.partition("=")
        entity, _, role = entity_part.partition(":")
        entity, role, value = entity.strip(), role.strip(), value.strip()
        if not _is_identifier(entity) or (role and not _is_identifier(role)):
            raise TemplateError(
                f"`({inner})` is not an entity annotation",
                start,
                close + 1,
                hint="write [text](entity), [text](entity:role) or [text](entity=value)",
            )
        if not body:
            raise TemplateError("the annotated text is empty", start - 2, close + 1)
        return Annotation(body, entity, role or None, value or None, start + 1, close)

    def placeholder(self) -> Placeholder:
        start = self.pos
        close = self.source.find("}", start)
        if close < 0:
            raise TemplateError(
                "`{` is never closed", start, start + 1, hint="add `}`, or write `\\{`"
            )
        inner = self.source[start + 1 : close]
        self.pos = close + 1
        name, _, role = inner.partition(":")
        name, role = name.strip(), role.strip()
        if not _is_identifier(name) or (role and not _is_identifier(role)):
            raise TemplateError(
                f"`{{{inner}}}` is not a placeholder",
                start,
                close + 1,
                hint="write {entity}, {entity:role} or {phrase}",
            )
        return Placeholder(name, role or None, start + 1, close)


def _is_identifier(text: str) -> bool:
    return text.isidentifier() and text.isascii()


def placeholders(nodes: tuple[Node, ...]) -> list[Placeholder | Annotation]:
    """Every placeholder and annotation, in order, however deeply nested."""
    found: list[Placeholder | Annotation] = []
    for node in nodes:
        if isinstance(node, Placeholder):
            found.append(node)
        elif isinstance(node, Annotation):
            found.append(node)
            found.extend(placeholders(node.body))
        elif isinstance(node, Choice):
            for option in node.options:
                found.extend(placeholders(option))
    return found


@dataclass(frozen=True, slots=True)
class Interpolation:
    name: str
    start: int
    end: int


def interpolations(text: str) -> list[Interpolation]:
    """The `{slot}` references in a response text; `{{` and `}}` are literal braces.
    Raises TemplateError for a brace that is not part of either."""
    found, error = _interpolations(text)
    if error is not None:
        raise TemplateError(*error)
    return list(found)


@functools.lru_cache(maxsize=1 << 16)
def _interpolations(
    text: str,
) -> tuple[tuple[Interpolation, ...], tuple[str, int, int, str] | None]:
    """Remembered: a check reads each response text twice, and the dev loop re-checks
    texts that did not change. Gives the references, or an error's arguments."""
    found: list[Interpolation] = []
    index = 0
    while (brace := _BRACE.search(text, index)) is not None:
        index = brace.start()
        if text[index : index + 2] in ("{{", "}}"):
            index += 2
            continue
        if brace.group() == "}":
            return (), ("`}` closes nothing", index, index + 1, "write `}}`")
        close = text.find("}", index)
        name = text[index + 1 : close].strip() if close >= 0 else ""
        if close < 0 or not _is_identifier(name):
            end = close + 1 if close >= 0 else index + 1
            message = "a `{` in a response must name a slot"
            return (), (message, index, end, "write {slot_name}, or `{{` for a literal brace")
        found.append(Interpolation(name, index + 1, close))
        index = close + 1
    return tuple(found), None
