"""Intents: check example templates and generate the training data from them.

Templates are parsed (dsl.templates), their placeholders and annotations resolved
against entities and phrases, then turned into an expansion tree that can be counted,
enumerated and sampled. Sampling is seeded per intent, deduplicated, keeps every
hand-written example, and picks a template first and values second, so a placeholder
backed by a 10,000-row lookup table does not drown the other templates.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import itertools
import os
import pickle
import random
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistc.compiler.entities import ResolvedEntity
from assistc.compiler.intent_cache import FileEntries
from assistc.compiler.symbols import Namespace, SymbolTable
from assistc.dsl import ast
from assistc.dsl import templates as tpl
from assistc.dsl.claims import SharedJobs, can_fork
from assistc.dsl.diagnostics import Diagnostic, Label
from assistc.dsl.parser import gc_paused
from assistc.runtime import ir
from assistc.runtime.ir import fingerprint

MAX_PHRASE_DEPTH = 20
PARALLEL_MIN_EXAMPLES = 10_000
"""Below this many example lines to generate, forking a second process costs more than
it saves (a 100,000-line project has about 40,000)."""

# --------------------------------------------------------------------------- expansion tree


@dataclass(frozen=True, slots=True)
class Lit:
    text: str


@dataclass(frozen=True, slots=True)
class Seq:
    items: tuple[Expansion, ...]
    size: int
    """How many expansions (computed once: sampling asks for it often)."""


@dataclass(frozen=True, slots=True)
class Alt:
    options: tuple[Expansion, ...]
    size: int


def seq(items: Sequence[Expansion]) -> Expansion:
    """A sequence, simplified: nested sequences are inlined and neighbouring literals
    joined, so sampling walks as few nodes as possible. (Every `Seq` is built here, so
    one item is already simplified.)"""
    if len(items) == 1:
        return items[0]
    flat: list[Expansion] = []
    size = 1
    for item in items:
        if type(item) is Seq:
            parts: Sequence[Expansion] = item.items
            size *= item.size
        else:
            parts = (item,)
            if type(item) is not Lit:
                size *= count(item)
        for part in parts:
            if type(part) is Lit and flat and type(last := flat[-1]) is Lit:
                flat[-1] = Lit(last.text + part.text)
            else:
                flat.append(part)
    if len(flat) == 1:
        return flat[0]
    return Seq(tuple(flat), size)


_EMPTY = Seq((), 1)
"""The empty sequence (what `seq(())` gives)."""


def alt(options: tuple[Expansion, ...]) -> Alt:
    return Alt(options, sum(count(option) for option in options))


@dataclass(frozen=True, slots=True)
class Fill:
    """An entity placeholder: one of `values` (surface, canonical), annotated."""

    entity: str
    role: str | None
    values: tuple[tuple[str, str | None], ...]


@dataclass(frozen=True, slots=True)
class Annotate:
    body: Expansion
    entity: str
    role: str | None
    canonical: str | None


Expansion = Lit | Seq | Alt | Fill | Annotate


def count(node: Expansion) -> int:
    """How many expansions (an upper bound on distinct examples)."""
    if isinstance(node, Lit):
        return 1
    if isinstance(node, _SIZED):
        return node.size
    if isinstance(node, Fill):
        return len(node.values)
    return count(node.body)


_SIZED = (Seq, Alt)
"""A tuple, not `Seq | Alt`: that would build a union at each call (for every node)."""


# Rendering produces pieces: text, or an annotation opening / closing marker.
Open = tuple[str, str | None, str | None]
Piece = str | Open | None
"""str: text; tuple: opens an annotation (entity, role, canonical); None: closes it."""


def enumerate_all(node: Expansion) -> Iterator[list[Piece]]:
    if isinstance(node, Lit):
        yield [node.text]
    elif isinstance(node, Seq):
        yield from _product(node.items)
    elif isinstance(node, Alt):
        for option in node.options:
            yield from enumerate_all(option)
    elif isinstance(node, Fill):
        for surface, canonical in node.values:
            yield [(node.entity, node.role, canonical), surface, None]
    else:
        for body in enumerate_all(node.body):
            yield [(node.entity, node.role, node.canonical), *body, None]


def _product(items: tuple[Expansion, ...]) -> Iterator[list[Piece]]:
    if not items:
        yield []
        return
    for head in enumerate_all(items[0]):
        for tail in _product(items[1:]):
            yield head + tail


def sample(node: Expansion, rng: random.Random) -> list[Piece]:
    """One random expansion: alternatives and values are picked uniformly."""
    out: list[Piece] = []
    _sample_into(node, rng.random, out)
    return out


def _sample_into(node: Expansion, draw: Callable[[], float], out: list[Piece]) -> None:
    # Literals are the most common nodes: they are appended in place rather than through a
    # call (half of the calls a sample used to make).
    while isinstance(node, Alt):
        options = node.options
        node = options[int(draw() * len(options))]
    if isinstance(node, Lit):
        out.append(node.text)
    elif isinstance(node, Seq):
        for item in node.items:
            if isinstance(item, Lit):
                out.append(item.text)
            else:
                _sample_into(item, draw, out)
    elif isinstance(node, Fill):
        surface, canonical = node.values[int(draw() * len(node.values))]
        out.extend(((node.entity, node.role, canonical), surface, None))
    else:
        out.append((node.entity, node.role, node.canonical))
        _sample_into(node.body, draw, out)
        out.append(None)


_WORD = re.compile(r"\S+")


ExampleData = dict[str, Any]
"""An example as plain data (the IR's `Example` fields); an intent's examples are
validated into IR objects in one go, which is much faster than one by one."""


def render(pieces: list[Piece], intent: str) -> ExampleData | None:
    """Join pieces into an example with whitespace collapsed, keeping exact offsets.
    Returns None for an example that comes out empty.

    The pieces are joined as written, then the words (runs of non-space) are joined
    by single spaces; an annotation's offsets are mapped from the raw text to the words
    that hold them, so its span never includes surrounding space."""
    raw: list[str] = []
    length = 0
    opened: list[tuple[Open, int]] = []
    spans: list[tuple[Open, int, int]] = []
    for piece in pieces:
        if piece is None:
            label, start = opened.pop()
            spans.append((label, start, length))
        elif isinstance(piece, tuple):
            opened.append((piece, length))
        else:
            raw.append(piece)
            length += len(piece)
    joined = "".join(raw)
    text = " ".join(joined.split())
    if not text:
        return None
    if not spans:
        return {"text": text, "intent": intent, "entities": []}
    if text == joined and all(
        end > start and not text[start].isspace() and not text[end - 1].isspace()
        for _, start, end in spans
    ):
        # Already normalised (the common case): offsets need no mapping.
        return {"text": text, "intent": intent, "entities": _annotations(text, spans)}
    words = [(m.start(), m.end()) for m in _WORD.finditer(joined)]
    starts = [w[0] for w in words]
    ends = [w[1] for w in words]
    new_starts: list[int] = []
    position = 0
    for word_start, word_end in words:
        new_starts.append(position)
        position += word_end - word_start + 1
    text = " ".join(joined[a:b] for a, b in words)
    mapped: list[tuple[Open, int, int]] = []
    for label, start, end in spans:
        first = bisect.bisect_right(ends, start)  # the first word ending after `start`
        last = bisect.bisect_left(starts, end) - 1  # the last word starting before `end`
        if first > last:
            continue  # only whitespace was annotated
        begin = new_starts[first] + max(0, start - starts[first])
        finish = new_starts[last] + min(end, ends[last]) - starts[last]
        mapped.append((label, begin, finish))
    return {"text": text, "intent": intent, "entities": _annotations(text, mapped)}


def _annotations(text: str, spans: list[tuple[Open, int, int]]) -> list[dict[str, Any]]:
    """Entity annotations (IR fields) for spans of `text`, sorted by position."""
    entities: list[dict[str, Any]] = []
    for (entity, role, canonical), start, end in spans:
        value = text[start:end]
        entities.append(
            {
                "start": start,
                "end": end,
                "entity": entity,
                "value": value,
                "role": role,
                "canonical": canonical if canonical != value else None,
            }
        )
    entities.sort(key=lambda e: (e["start"], e["end"], e["entity"]))
    return entities


# --------------------------------------------------------------------------- checking


@dataclass
class IntentStats:
    """What generation did for one intent, for the build summary."""

    examples: int = 0
    handwritten: int = 0
    requested: int = 0
    explicit: bool = False
    """The intent says `generate N` (otherwise `requested` is config `default_generate`)."""
    possible: int = 0
    values_used: dict[str, int] = field(default_factory=dict)
    under_sampled: list[str] = field(default_factory=list)


@dataclass
class _CompiledTemplate:
    index: int
    """Its place in the intent's examples."""
    literal: ast.StringLit
    size: int
    """How many expansions it has."""
    tree: Expansion | None
    """None when it was only counted (`check` samples no template). A template of one
    expansion, a hand-written example, always has its tree."""

    @property
    def literal_only(self) -> bool:
        return self.size == 1

    def expansion(self) -> Expansion:
        assert self.tree is not None, "templates are only counted when none is sampled"
        return self.tree


@dataclass
class _FlatPhrase:
    """What compiling a phrase that refers to no other phrase gave: the same wherever it
    is used, so it is compiled once per compile and replayed into each intent."""

    tree: Expansion | None
    """None: it does not resolve."""
    problems: list[Diagnostic]
    used_entities: set[str]
    consulted_table: bool


class _Resolver:
    """Turns parsed templates into expansion trees, reporting what does not resolve.
    Resolvers without a value filter may share entity values and flat phrases."""

    def __init__(
        self,
        table: SymbolTable,
        entities: dict[str, ResolvedEntity],
        problems: list[Diagnostic],
        value_filter: dict[str, frozenset[str]] | None = None,
        flat_phrases: dict[str, _FlatPhrase | None] | None = None,
        fill_cache: dict[str, tuple[tuple[str, str | None], ...]] | None = None,
    ) -> None:
        self.table = table
        self.entities = entities
        self.problems = problems
        self.value_filter = value_filter
        self.phrase_trees: dict[str, Expansion] = {}
        self.used_phrases: set[str] = set()
        self.used_entities: set[str] = set()
        self.fill_cache = {} if fill_cache is None else fill_cache
        self.flat_phrases = flat_phrases
        """Phrase name → its shared result, or None when it refers to other phrases."""
        self.consulted_table = False
        """A report's hint was drawn from the names of other kinds of definitions."""

    def compile(self, literal: ast.StringLit, depth: int = 0) -> Expansion | None:
        template = self._parse(literal)
        if template is None:
            return None
        try:
            return self._nodes(template.nodes, literal, depth)
        except _Unresolved:
            return None

    def counted(self, literal: ast.StringLit) -> tuple[int, Expansion | None] | None:
        """What `compile` reports, and how many expansions the tree has; the tree itself
        only when it has one (a hand-written example). Counting a template's parts costs
        a fraction of building its tree, and `check` needs no more."""
        template = self._parse(literal)
        if template is None:
            return None
        try:
            if template.is_literal:
                tree = self._nodes(template.nodes, literal, 0)
                return count(tree), tree
            size = self._count(template.nodes, literal)
            if size > 1:
                return size, None
            # `(a)`, or an entity with one value: a hand-written example after all.
            reported = len(self.problems)
            tree = self._nodes(template.nodes, literal, 0)
        except _Unresolved:
            return None
        del self.problems[reported:]  # already reported while counting
        return size, tree

    def _parse(self, literal: ast.StringLit) -> tpl.Template | None:
        try:
            return tpl.parse_template(literal.value)
        except tpl.TemplateError as error:
            self.problems.append(error.diagnostic(literal))
            return None

    def _count(self, nodes: tuple[tpl.Node, ...], literal: ast.StringLit) -> int:
        """`count(self._nodes(nodes, literal, 0))`, with the same reports, without
        building the literals, sequences and alternatives."""
        size = 1
        for node in nodes:
            if isinstance(node, tpl.Choice):
                if node.plain:  # (what most choices are: no need to look inside)
                    options = len(node.options)
                else:
                    options = sum(self._count(option, literal) for option in node.options)
                size *= options + node.optional
            elif isinstance(node, tpl.Placeholder):
                size *= count(self._placeholder(node, literal, 0))
            elif isinstance(node, tpl.Annotation):
                size *= count(self._annotation(node, literal, 0))
        return size

    def _nodes(self, nodes: tuple[tpl.Node, ...], literal: ast.StringLit, depth: int) -> Expansion:
        if len(nodes) == 1:
            return self._node(nodes[0], literal, depth)
        return seq([self._node(node, literal, depth) for node in nodes])

    def _node(self, node: tpl.Node, literal: ast.StringLit, depth: int) -> Expansion:
        if isinstance(node, tpl.Text):
            return Lit(node.text)
        if isinstance(node, tpl.Choice):
            options = [self._nodes(option, literal, depth) for option in node.options]
            if node.optional:
                options.append(_EMPTY)
            return alt(tuple(options))
        if isinstance(node, tpl.Placeholder):
            return self._placeholder(node, literal, depth)
        return self._annotation(node, literal, depth)

    def _span(self, literal: ast.StringLit, start: int, end: int) -> ast.Span:
        return literal.offset_span(start, end)

    def _placeholder(self, node: tpl.Placeholder, literal: ast.StringLit, depth: int) -> Expansion:
        if node.name in self.table.phrases.items:
            if node.role:
                span = self._span(literal, node.start, node.end)
                self.problems.append(
                    Diagnostic("E0110", f"phrase `{node.name}` cannot take a role", span)
                )
            return self._phrase(node.name, literal, node, depth)
        entity = self.entities.get(node.name)
        if entity is None:
            span = self._span(literal, node.start, node.end)
            self.consulted_table = True
            missing = self.table.undefined(self.table.entities, ast.Name(node.name, span))
            message = f"no entity or phrase named `{node.name}`"
            self.problems.append(Diagnostic(missing.code, message, span, hint=missing.hint))
            raise _Unresolved
        self.used_entities.add(node.name)
        self._check_role(entity, node.role, literal, node.start, node.end)
        values = self._fill_values(entity)
        if not values:
            self.problems.append(
                Diagnostic(
                    "E0304",
                    f"entity `{node.name}` has no values to fill this placeholder",
                    self._span(literal, node.start, node.end),
                    hint="give the entity sample values on indented lines, "
                    'e.g.  "+44 20 7946 0958"',
                )
            )
            raise _Unresolved
        return Fill(node.name, node.role, values)

    def _fill_values(self, entity: ResolvedEntity) -> tuple[tuple[str, str | None], ...]:
        """The values a placeholder of `entity` takes (computed once per entity)."""
        cached = self.fill_cache.get(entity.name)
        if cached is None:
            values = entity.fill_values()
            allowed = self.value_filter.get(entity.name) if self.value_filter else None
            if allowed is not None:
                values = [pair for pair in values if pair[0] in allowed] or values
            cached = self.fill_cache[entity.name] = tuple(values)
        return cached

    def _phrase(
        self, name: str, literal: ast.StringLit, node: tpl.Placeholder, depth: int
    ) -> Expansion:
        self.used_phrases.add(name)
        if name in self.phrase_trees:
            return self.phrase_trees[name]
        if depth >= MAX_PHRASE_DEPTH:
            self.problems.append(
                Diagnostic(
                    "E0115",
                    f"phrase `{name}` refers to itself",
                    self._span(literal, node.start, node.end),
                    hint="phrases may nest, but not in a cycle",
                )
            )
            raise _Unresolved
        flat = self._flat_phrase(name) if self.flat_phrases is not None else None
        if flat is None:
            tree = self._phrase_tree(name, depth)
        else:
            self.problems.extend(flat.problems)
            self.used_entities.update(flat.used_entities)
            self.consulted_table = self.consulted_table or flat.consulted_table
            if flat.tree is None:
                raise _Unresolved
            tree = flat.tree
        self.phrase_trees[name] = tree
        return tree

    def _phrase_tree(self, name: str, depth: int) -> Expansion:
        decl = self.table.phrases.get(name)
        assert decl is not None
        options: list[Expansion] = []
        for alternative in decl.alternatives:
            tree = self.compile(alternative, depth + 1)
            if tree is None:
                raise _Unresolved
            options.append(tree)
        return alt(tuple(options))

    def _flat_phrase(self, name: str) -> _FlatPhrase | None:
        """The shared result of phrase `name`, compiled apart the first time; None when
        that compile reached another phrase (its result then depends on where it is
        used: the phrases compiled there already, the nesting depth)."""
        assert self.flat_phrases is not None
        if name not in self.flat_phrases:
            apart = _Resolver(self.table, self.entities, [], fill_cache=self.fill_cache)
            tree: Expansion | None
            try:
                tree = apart._phrase_tree(name, 0)
            except _Unresolved:
                tree = None
            self.flat_phrases[name] = (
                None
                if apart.used_phrases
                else _FlatPhrase(tree, apart.problems, apart.used_entities, apart.consulted_table)
            )
        return self.flat_phrases[name]

    def _annotation(self, node: tpl.Annotation, literal: ast.StringLit, depth: int) -> Expansion:
        entity = self.entities.get(node.entity)
        body = self._nodes(node.body, literal, depth)
        if entity is None:
            name_span = self._span(literal, node.start, node.start + len(node.entity))
            self.consulted_table = True
            self.problems.append(
                self.table.undefined(self.table.entities, ast.Name(node.entity, name_span))
            )
            raise _Unresolved
        self.used_entities.add(node.entity)
        self._check_role(entity, node.role, literal, node.start, node.end)
        canonical = node.value
        if entity.ir.kind == "enum":
            canonical = self._enum_value(entity, node, body, literal)
        return Annotate(body, node.entity, node.role, canonical)

    def _enum_value(
        self,
        entity: ResolvedEntity,
        node: tpl.Annotation,
        body: Expansion,
        literal: ast.StringLit,
    ) -> str | None:
        span = self._span(literal, node.start, node.end)
        members = [v.name for v in entity.ir.values]
        if node.value is not None:
            if node.value not in members:
                self._not_member(entity, node.value, span)
            return node.value
        surfaces = {
            "".join(p for p in pieces if isinstance(p, str)).strip().lower()
            for pieces in enumerate_all(body)
        }
        canonical: str | None = None
        for surface in sorted(surfaces):
            found = entity.canonical.get(surface)
            if found is None:
                self._not_member(entity, surface, span)
                return None
            canonical = found
        return canonical

    def _not_member(self, entity: ResolvedEntity, value: str, span: ast.Span) -> None:
        members = ", ".join(v.name for v in entity.ir.values)
        self.problems.append(
            Diagnostic(
                "E0302",
                f"`{value}` is not a member or synonym of enum `{entity.name}`",
                span,
                hint=f"members: {members}; or add it as a synonym, "
                f"or write [text]({entity.name}=member)",
            )
        )

    def _check_role(
        self, entity: ResolvedEntity, role: str | None, literal: ast.StringLit, start: int, end: int
    ) -> None:
        if role is None or role in entity.ir.roles:
            return
        declared = ", ".join(entity.ir.roles) or "none"
        self.problems.append(
            Diagnostic(
                "E0110",
                f"entity `{entity.name}` has no role `{role}`",
                self._span(literal, start, end),
                hint=f"declared roles: {declared}; add `roles {role}` to the entity",
            )
        )


class _Unresolved(Exception):
    """A template referred to something that does not exist (already reported)."""


@dataclass
class ExamplesResult:
    intents: list[ir.Intent]
    stats: dict[str, IntentStats]
    used_entities: set[str]
    used_phrases: set[str]
    diagnostics: list[Diagnostic]


@dataclass
class _IntentOutcome:
    """Everything generating one intent produced; reusable while its declaration (the
    same parsed object) and the entities, phrases and config it depends on are unchanged."""

    decl: ast.IntentDecl
    environment: str
    intent: ir.Intent
    stat: IntentStats
    lines: dict[str, int]
    """Hand-written example text → the index of its line in the declaration's examples,
    for duplicate reports."""
    problems: list[Diagnostic]
    used_entities: set[str]
    used_phrases: set[str]
    portable: bool
    """It depends on nothing but its file's text and the environment, so it may be kept
    on disk: no problem points into another file or has a hint drawn from other names."""

    def packed(self) -> _Packed:
        span = self.decl.name.span
        return (
            (span.line, span.col),
            self.intent,
            self.stat,
            self.lines,
            self.problems,
            self.used_entities,
            self.used_phrases,
        )

    @classmethod
    def unpacked(
        cls, decl: ast.IntentDecl, environment: str, packed: _Packed, portable: bool = True
    ) -> _IntentOutcome:
        _, intent, stat, lines, problems, used_entities, used_phrases = packed
        return cls(
            decl, environment, intent, stat, lines, problems, used_entities, used_phrases, portable
        )


_Packed = tuple[
    tuple[int, int],
    ir.Intent,
    IntentStats,
    dict[str, int],
    list[Diagnostic],
    set[str],
    set[str],
]
"""An outcome on disk: where its declaration's name is, then the outcome's fields."""


class IntentCache(dict[str, _IntentOutcome]):
    """Intent name → its last outcome; kept by long-running callers (the dev loop)."""

    environment: tuple[object, list[object], str] | None = None
    """The last environment's inputs (`_environment`) and fingerprint: a re-check whose
    entities are the same object and whose other inputs are equal skips hashing them."""
    assembled: _Assembled | None = None
    """These outcomes put together; None while a compile changes them."""


@dataclass
class _Assembled:
    """Outcomes put together in name order, and indexed for what `ExamplesResult`
    gathers from all of them, kept up to date one intent at a time: a re-check's cost
    follows what the edit changed."""

    names: list[str] = field(default_factory=list)
    outcomes: list[_IntentOutcome] = field(default_factory=list)
    """Those of `names`, in that (sorted) order; `intents` are theirs."""
    intents: list[ir.Intent] = field(default_factory=list)
    stats: dict[str, IntentStats] = field(default_factory=dict)
    """Name → its outcome's statistics, in name order unless `unordered`."""
    unordered: bool = False
    files: dict[str, set[str]] = field(default_factory=dict)
    """File → the intents declared in it."""
    problems: dict[str, list[Diagnostic]] = field(default_factory=dict)
    """Intent → its outcome's problems, for the intents that have some."""
    entities: Counter[str] = field(default_factory=Counter)
    phrases: Counter[str] = field(default_factory=Counter)
    """Name → how many intents use it."""
    keys: dict[str, set[str]] = field(default_factory=dict)
    """Intent → its examples' `_duplicate_key`s."""
    holders: dict[str, set[str]] = field(default_factory=dict)
    """Example key → the intents that have it."""
    shared: set[str] = field(default_factory=set)
    """The keys of more than one intent: only these can be duplicates."""
    unportable: set[str] = field(default_factory=set)
    """The intents whose outcomes are not portable (generated again each time)."""
    basis: tuple[int, str] | None = None
    """The symbol table's `Revision.number` and the environment they were assembled in."""

    def put(self, name: str, outcome: _IntentOutcome | None) -> None:
        """`outcome` is intent `name`'s now (None: there is no such intent)."""
        index = bisect.bisect_left(self.names, name)
        if index < len(self.names) and self.names[index] == name:
            if self.outcomes[index] is outcome:
                return
            self._drop(name, self.outcomes[index])
            if outcome is None:
                del self.names[index], self.outcomes[index], self.intents[index], self.stats[name]
                return
            self.outcomes[index], self.intents[index] = outcome, outcome.intent
        elif outcome is None:
            return
        else:
            self.names.insert(index, name)
            self.outcomes.insert(index, outcome)
            self.intents.insert(index, outcome.intent)
            self.unordered = self.unordered or index < len(self.names) - 1
        self.stats[name] = outcome.stat  # (an existing name keeps its place)
        self.files.setdefault(outcome.decl.name.span.file, set()).add(name)
        if outcome.problems:
            self.problems[name] = outcome.problems
        if not outcome.portable:
            self.unportable.add(name)
        self.entities.update(outcome.used_entities)
        self.phrases.update(outcome.used_phrases)
        keys = self.keys[name] = {_duplicate_key(e.text) for e in outcome.intent.examples}
        for key in keys:
            holders = self.holders.setdefault(key, set())
            holders.add(name)
            if len(holders) > 1:
                self.shared.add(key)

    def _drop(self, name: str, outcome: _IntentOutcome) -> None:
        self.problems.pop(name, None)
        self.files[outcome.decl.name.span.file].discard(name)
        self.unportable.discard(name)
        self.entities.subtract(outcome.used_entities)
        self.phrases.subtract(outcome.used_phrases)
        for key in self.keys.pop(name):
            holders = self.holders[key]
            holders.discard(name)
            if len(holders) < 2:
                self.shared.discard(key)
                if not holders:
                    del self.holders[key]

    def result(self) -> ExamplesResult:
        problems = [p for name in sorted(self.problems) for p in self.problems[name]]
        sharing = sorted({name for key in self.shared for name in self.holders[key]})
        problems.extend(
            _duplicates_across_intents(
                [self.outcomes[bisect.bisect_left(self.names, name)] for name in sharing],
                self.shared,
            )
        )
        if self.unordered:
            self.stats = {name: self.stats[name] for name in self.names}
            self.unordered = False
        return ExamplesResult(
            list(self.intents),
            dict(self.stats),
            {name for name, uses in self.entities.items() if uses},
            {name for name, uses in self.phrases.items() if uses},
            problems,
        )


def generate_intents(
    table: SymbolTable,
    entities: dict[str, ResolvedEntity],
    config: ir.Config,
    *,
    sample_templates: bool = True,
    cache: IntentCache | None = None,
    disk: FileEntries | None = None,
    jobs: int | None = None,
) -> ExamplesResult:
    """Check every intent's templates and generate its examples.

    With `sample_templates` off (what `check` does) only hand-written examples are
    produced; counts still come from the templates, so every warning is the same, and
    texts duplicated across intents are found among the hand-written ones (`build`
    also compares the generated ones). With a `cache`, intents whose inputs did not
    change are not generated again; with `disk`, nor those of unchanged files. When
    templates are not sampled and `PARALLEL_MIN_EXAMPLES` or more example lines are left
    to generate, a second process (if `jobs`, default one per CPU, allows) shares them
    (see `dsl.claims`)."""
    return PendingExamples(table, entities, config, sample_templates, cache, disk, jobs).result()


class PendingExamples:
    """`generate_intents` in two steps: the worker process, if any, starts generating its
    share when this is made, so the caller can run other passes before `result()`."""

    def __init__(
        self,
        table: SymbolTable,
        entities: dict[str, ResolvedEntity],
        config: ir.Config,
        sample_templates: bool = True,
        cache: IntentCache | None = None,
        disk: FileEntries | None = None,
        jobs: int | None = None,
    ) -> None:
        self.table = table
        self.sample_templates = sample_templates
        self.cache = cache
        self.environment = _environment(table, entities, config, sample_templates, cache)
        self.state = _GenerationState(table, entities, config)
        self.stored = _StoredOutcomes(disk, self.environment)
        self.found: dict[str, _IntentOutcome] = {}
        self.missing: list[ast.IntentDecl] = []
        self.assembled = None if cache is None else cache.assembled
        self.changed: list[str] = []
        """The intents found on disk: their outcomes are not those assembled."""
        if cache is not None:
            cache.assembled = None
        for decl in self._to_check(table.intents):
            cached = cache.get(decl.name.text) if cache is not None else None
            # Not portable: its hints may name other kinds' definitions, not in `environment`.
            if (
                cached is None
                or cached.decl is not decl
                or cached.environment != self.environment
                or not cached.portable
            ):
                cached = self.stored.get(decl)
                if cached is None:
                    self.missing.append(decl)
                    continue
                self.changed.append(decl.name.text)
                if cache is not None:
                    cache[decl.name.text] = cached
            self.found[decl.name.text] = cached
        # One job per file: its intents together, so whoever generates them stores its entry.
        self.missing.sort(key=lambda decl: decl.name.span.file)
        self.files = [
            list(decls)
            for _, decls in itertools.groupby(self.missing, key=lambda d: d.name.span.file)
        ]
        self.whole = {decls[0].name.span.file for decls in self.files} - {
            outcome.decl.name.span.file for outcome in self.found.values()
        }
        """The files all of whose intents are missing: their entries are stored as soon as
        they are generated (the others' once all are there)."""
        lines = sum(len(decl.examples) for decl in self.missing)
        self.shared: SharedJobs[list[_IntentOutcome]] | None = None
        if (
            # Sampled examples (`build`) are many: sending them back from a worker costs
            # about half of what generating them does, so only `check` shares the work.
            not sample_templates
            and len(self.files) >= 2
            and lines >= PARALLEL_MIN_EXAMPLES
            and (jobs if jobs is not None else os.cpu_count() or 1) >= 2
            and can_fork()
        ):
            with contextlib.suppress(OSError):  # no process to be had: generate here
                self.shared = SharedJobs(
                    len(self.files), self._generate_file, self._packed_file, self._received
                )

    def _to_check(self, intents: Namespace[ast.IntentDecl]) -> list[ast.IntentDecl]:
        """The intents whose cached outcomes may not hold; the others' are `found`. Once
        the outcomes are assembled, in the same environment, these are only those the
        table's `Revision` says may differ and those that are not portable."""
        assembled, revision = self.assembled, intents.revision
        if (
            self.cache is None
            or assembled is None
            or revision.after is None
            or assembled.basis != (revision.after, self.environment)
        ):
            return intents.values()
        self.found.update(self.cache)
        for name in revision.touched:
            if name not in intents.items:
                self.found.pop(name, None)
        names = sorted((revision.touched | assembled.unportable) & intents.items.keys())
        return [intents.items[name][1] for name in names]

    def _packed_file(self, n: int) -> bytes:
        """In the worker: the `n`th file's outcomes, as much as this process cannot rebuild."""
        outcomes = self._generate_file(n)
        return pickle.dumps([(o.packed(), o.portable) for o in outcomes], pickle.HIGHEST_PROTOCOL)

    def _generate_file(self, n: int) -> list[_IntentOutcome]:
        """The outcomes of the `n`th file's missing intents; its entry is stored if whole."""
        decls = self.files[n]
        outcomes = [self.state.generate(d, self.environment, self.sample_templates) for d in decls]
        if decls[0].name.span.file in self.whole:
            self.stored.save(outcomes, [decls[0].name.span.file])
        return outcomes

    def _received(self, n: int, blob: bytes) -> list[_IntentOutcome]:
        with gc_paused():
            received: list[tuple[_Packed, bool]] = pickle.loads(blob)
        return [
            _IntentOutcome.unpacked(decl, self.environment, packed, portable)
            for decl, (packed, portable) in zip(self.files[n], received, strict=True)
        ]

    def _outcomes(self) -> list[_IntentOutcome]:
        """Every missing intent's outcome, in order, generated here or by the worker."""
        if self.shared is None:
            return [o for n in range(len(self.files)) for o in self._generate_file(n)]
        files, self.shared = self.shared.results(), None  # (it refers back to this object)
        return [outcome for file in files for outcome in file]

    def result(self) -> ExamplesResult:
        """Generate this process's share, wait for the worker's, and put them together."""
        table, cache = self.table, self.cache
        for outcome in self._outcomes():
            self.found[outcome.decl.name.text] = outcome
            if cache is not None:
                cache[outcome.decl.name.text] = outcome
        assembled = self.assembled
        if assembled is None:
            assembled = _Assembled()
            changed: Iterable[str] = sorted(self.found)  # each joins at the end
        else:
            changed = [*self.changed, *(decl.name.text for decl in self.missing)]
        if cache is not None:
            gone = cache.keys() - table.intents.items.keys()
            for name in gone:
                del cache[name]
            changed = itertools.chain(changed, gone)
        for name in changed:
            assembled.put(name, self.found.get(name))
        files = [f for f in self.stored.entries if f not in self.whole]
        self.stored.save([self.found[n] for f in files for n in assembled.files.get(f, ())], files)
        if cache is not None:
            assembled.basis = (table.intents.revision.number, self.environment)
            cache.assembled = assembled
        return assembled.result()


def _environment(
    table: SymbolTable,
    entities: dict[str, ResolvedEntity],
    config: ir.Config,
    sample_templates: bool,
    cache: IntentCache | None = None,
) -> str:
    """A fingerprint of everything an intent's examples depend on besides its own text;
    the last one in `cache` while its inputs are the same."""
    decls = table.phrases.values()
    settings = [config.seed, config.holdout, config.default_generate, config.min_examples]
    inputs: list[object] = [*settings, sample_templates, *decls]
    last = cache.environment if cache is not None else None
    if last is not None and last[0] is entities and last[1] == inputs:
        return last[2]
    phrases = [(d.name.text, [a.value for a in d.alternatives]) for d in decls]
    found = fingerprint(
        [e.ir.model_dump(mode="json") for e in entities.values()],
        phrases,
        settings,
        sample_templates,
    )
    if cache is not None:
        cache.environment = (entities, inputs, found)
    return found


class _StoredOutcomes:
    """The disk entries of one compile. A file's entry (its intents' outcomes) is read
    when one of its intents is not in the in-process cache, and written when it was
    missing."""

    def __init__(self, disk: FileEntries | None, environment: str) -> None:
        self.disk = disk
        self.environment = environment
        self.entries: dict[str, dict[str, _Packed] | None] = {}

    def get(self, decl: ast.IntentDecl) -> _IntentOutcome | None:
        if self.disk is None:
            return None
        span = decl.name.span
        if span.file not in self.entries:
            self.entries[span.file] = self.disk.load(span.file, self.environment)
        entry = self.entries[span.file]
        packed = entry.get(decl.name.text) if entry is not None else None
        if packed is None or packed[0] != (span.line, span.col):
            return None
        return _IntentOutcome.unpacked(decl, self.environment, packed)

    def save(self, outcomes: list[_IntentOutcome], files: Iterable[str] | None = None) -> None:
        """Write the entries that were missing, of `files` (default: every file read),
        from `outcomes`, which hold all of those files' intents."""
        if self.disk is None:
            return
        missing: dict[str, dict[str, _Packed]] = {
            file: {}
            for file in (self.entries if files is None else files)
            if self.entries.get(file, {}) is None
        }
        for outcome in outcomes:
            entry = missing.get(outcome.decl.name.span.file)
            if entry is not None and outcome.portable:
                entry[outcome.decl.name.text] = outcome.packed()
        for file, payload in missing.items():
            self.disk.store(file, self.environment, payload)


class _GenerationState:
    """Resolvers shared by the intents generated in one compile."""

    def __init__(
        self, table: SymbolTable, entities: dict[str, ResolvedEntity], config: ir.Config
    ) -> None:
        self.table = table
        self.entities = entities
        self.config = config
        self.holdout: tuple[_Resolver, _Resolver] | None = None
        self.flat_phrases: dict[str, _FlatPhrase | None] = {}
        self.fill_cache: dict[str, tuple[tuple[str, str | None], ...]] = {}

    def _holdout_resolvers(self) -> tuple[_Resolver, _Resolver]:
        if self.holdout is None:
            train = _holdout_values(self.entities, self.config, test=False)
            test = _holdout_values(self.entities, self.config, test=True)
            self.holdout = (
                _Resolver(self.table, self.entities, [], train),
                _Resolver(self.table, self.entities, [], test),
            )
        return self.holdout

    def generate(
        self, decl: ast.IntentDecl, environment: str, sample_templates: bool
    ) -> _IntentOutcome:
        config = self.config
        problems: list[Diagnostic] = []
        resolver = _Resolver(
            self.table,
            self.entities,
            problems,
            flat_phrases=self.flat_phrases,
            fill_cache=self.fill_cache,
        )
        compiled = _compile_intent(decl, resolver, trees=sample_templates)
        requested = decl.generate.count if decl.generate else config.default_generate
        # `check` samples nothing: seeding a generator per intent would be wasted work
        rng = random.Random(_seed(config.seed, decl.name.text)) if sample_templates else None
        holding_out = config.holdout > 0 and sample_templates
        trees = compiled
        if holding_out:
            trees = _compile_intent(decl, self._holdout_resolvers()[0])
        examples, stat = _generate(decl, trees, requested, rng)
        stat.explicit = decl.generate is not None
        holdout: list[ExampleData] = []
        if holding_out:
            test_trees = _compile_intent(decl, self._holdout_resolvers()[1])
            wanted = round(requested * config.holdout)
            taken = {e["text"] for e in examples}
            holdout = [
                e
                for e in _generate(decl, test_trees, wanted, rng, literals=False)[0]
                if e["text"] not in taken
            ]
        _intent_warnings(decl, compiled, stat, config, problems)
        file = decl.name.span.file
        return _IntentOutcome(
            decl,
            environment,
            # strict: the data is built here with exact types, so nothing needs coercing
            # (and validating is twice as fast)
            ir.Intent.model_validate(
                {
                    "name": decl.name.text,
                    "examples": examples,
                    "holdout": holdout,
                    "payload_only": decl.payload_only,
                },
                strict=True,
            ),
            stat,
            _lines_of_examples(compiled),
            problems,
            resolver.used_entities,
            resolver.used_phrases,
            not resolver.consulted_table and all(_within(p, file) for p in problems),
        )


def _within(problem: Diagnostic, file: str) -> bool:
    return problem.span.file == file and all(label.span.file == file for label in problem.labels)


def _seed(seed: int, name: str) -> int:
    digest = hashlib.sha256(f"{seed}:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _holdout_values(
    entities: dict[str, ResolvedEntity], config: ir.Config, test: bool
) -> dict[str, frozenset[str]]:
    """Split every entity's fill values into train and test sets by a stable hash, so
    held-out examples use values the training examples never saw."""
    split: dict[str, frozenset[str]] = {}
    for name, entity in entities.items():
        chosen = set()
        for surface, _ in entity.fill_values():
            bucket = _seed(config.seed, f"{name}\x00{surface}") % 1000 / 1000
            if (bucket < config.holdout) == test:
                chosen.add(surface)
        split[name] = frozenset(chosen)
    return split


def _compile_intent(
    decl: ast.IntentDecl, resolver: _Resolver, *, trees: bool = True
) -> list[_CompiledTemplate]:
    """The intent's templates that resolve; without `trees`, those of more than one
    expansion are only counted."""
    compiled: list[_CompiledTemplate] = []
    for index, literal in enumerate(decl.examples):
        found: tuple[int, Expansion | None] | None
        if trees:
            tree = resolver.compile(literal)
            found = None if tree is None else (count(tree), tree)
        else:
            found = resolver.counted(literal)
        if found is not None:
            compiled.append(_CompiledTemplate(index, literal, *found))
    return compiled


def _generate(
    decl: ast.IntentDecl,
    compiled: list[_CompiledTemplate],
    requested: int,
    rng: random.Random | None,
    literals: bool = True,
) -> tuple[list[ExampleData], IntentStats]:
    """The intent's examples: every expansion of its hand-written templates and, with
    an `rng`, `requested` in all sampled from the others; without one (`check`), the
    others are only counted."""
    intent = decl.name.text
    stat = IntentStats(requested=requested)
    seen: set[str] = set()
    examples: list[ExampleData] = []

    def add(pieces: list[Piece]) -> bool:
        example = render(pieces, intent)
        if example is None or example["text"] in seen:
            return False
        seen.add(example["text"])
        examples.append(example)
        return True

    choices = [t for t in compiled if not t.literal_only]
    for template in compiled:
        if template.literal_only and literals:
            for pieces in enumerate_all(template.expansion()):
                add(pieces)
    stat.handwritten = len(examples)
    stat.possible = stat.handwritten + sum(t.size for t in choices)
    if rng is None:
        stat.examples = min(max(requested, stat.handwritten), stat.possible)
        return examples, stat
    if choices and len(examples) < requested:
        if stat.possible <= requested:
            for template in choices:
                for pieces in enumerate_all(template.expansion()):
                    add(pieces)
        else:
            attempts = 0
            limit = requested * 30
            while len(examples) < requested and attempts < limit:
                attempts += 1
                template = choices[int(rng.random() * len(choices))]
                add(sample(template.expansion(), rng))
    for template in choices:
        if template.size < requested // max(1, len(choices)):
            stat.under_sampled.append(template.literal.value)
    stat.examples = len(examples)
    for example in examples:
        for entity in example["entities"]:
            name = entity["entity"]
            stat.values_used[name] = stat.values_used.get(name, 0) + 1
    return examples, stat


def _duplicate_key(text: str) -> str:
    """What two examples share when they are the same text, case and spaces aside
    (examples are rendered with single spaces)."""
    return text.lower()


def _duplicates_across_intents(
    outcomes: list[_IntentOutcome], shared: set[str]
) -> list[Diagnostic]:
    """The same text (case and spaces aside) under two intents; one report per pair.
    Only examples whose `shared` key another intent has are looked at (no other can be
    a duplicate or mark a pair reported)."""
    problems: list[Diagnostic] = []
    first_seen: dict[str, tuple[str, ast.Span]] = {}
    reported: set[tuple[str, str]] = set()
    for outcome in outcomes:
        intent = outcome.intent.name
        for example in outcome.intent.examples:
            key = _duplicate_key(example.text)
            if key not in shared:
                continue
            line = outcome.lines.get(example.text)
            decl = outcome.decl
            span = decl.name.span if line is None else decl.examples[line].span
            previous = first_seen.setdefault(key, (intent, span))
            if previous[0] == intent or (previous[0], intent) in reported:
                continue
            if line is None:
                reported.add((previous[0], intent))  # generated: once per pair of intents
            problems.append(
                Diagnostic(
                    "E0401",
                    f'"{example.text}" is an example of both `{previous[0]}` and `{intent}`',
                    span,
                    labels=(Label(previous[1], f"also an example of `{previous[0]}`"),),
                    hint="one text must mean one intent: remove or reword one of them",
                )
            )
    return problems


def _intent_warnings(
    decl: ast.IntentDecl,
    compiled: list[_CompiledTemplate],
    stat: IntentStats,
    config: ir.Config,
    problems: list[Diagnostic],
) -> None:
    intent = decl.name.text
    if stat.examples < config.min_examples and compiled:
        problems.append(
            Diagnostic(
                "W0402",
                f"intent `{intent}` has {stat.examples} distinct example"
                f"{'s' if stat.examples != 1 else ''}; at least {config.min_examples} "
                "are needed to learn it well",
                decl.name.span,
                hint="add examples or templates (the threshold is config `min_examples`)",
            )
        )
    if decl.generate is not None and stat.possible < decl.generate.count:
        problems.append(
            Diagnostic(
                "W0403",
                f"the templates of `{intent}` can produce at most {stat.possible} distinct "
                f"examples, but `generate {decl.generate.count}` asks for more",
                decl.generate.span,
                hint=f"lower it to {stat.possible}, or add alternatives and values",
            )
        )


def _lines_of_examples(compiled: list[_CompiledTemplate]) -> dict[str, int]:
    """Map each hand-written example text to its line's index (for diagnostics);
    generated ones are reported at the intent name."""
    lines: dict[str, int] = {}
    for template in compiled:
        if template.literal_only:
            for pieces in enumerate_all(template.expansion()):
                example = render(pieces, "")
                if example is not None:
                    lines.setdefault(example["text"], template.index)
    return lines
