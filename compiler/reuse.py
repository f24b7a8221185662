"""Reusing what one compile resolved in the next: the dev loop's re-check.

A declaration's result (its IR and its diagnostics) is kept under its name, keyed by
exactly what resolving it read:

- the declaration itself, compared by identity: the parse cache hands back the same
  objects for unchanged files, and `reuse_decls` keeps the unchanged declarations of an
  edited file;
- the names it looked up, by kind (slot, entity, intent, response, action, form,
  story). The passes look names up through a `Scope` whose mappings are `Watched`:
  each lookup is noted in a `Reads`.

Each compile states its `Answers`: for each kind, what a lookup finds (name → the
resolved slot, entity, response… or, for intents, just the set of names). A `Memo`
remembers the answers its results were last checked against; the next compile compares
them with its own once, name by name (by identity: `keep_equal` keeps an unchanged
slot, response… the same object from compile to compile), and resolves again only the
declarations that are new or looked up a name whose answer changed.

A resolution that read more than it noted is not kept: one that read a whole namespace
(a "did you mean" hint weighs every name, so any new name could change it; such results
are errors, rare and cheap to redo), or a story or rule that includes stories (see
`DialogueResolver`). Checks across many results (conflicts among rules or stories) are
kept whole while they would read the same objects again (`check_once`).

Without a cache, `compile_project` resolves everything directly, as it always did; the
tests (tests/compiler/test_recheck.py) compare a re-check after edits with that.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Mapping, Sequence, Set
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from assistc.compiler.symbols import Namespace
from assistc.dsl import ast
from assistc.dsl.diagnostics import Diagnostic

D = TypeVar("D")
V = TypeVar("V")
R = TypeVar("R")

Lookup = Mapping[str, object] | Set[str]
"""What looking up one kind of name finds: name → answer, or the names that exist."""


@dataclass
class Reads:
    """The names one declaration's resolution looked up."""

    names: dict[str, set[str]] = field(default_factory=dict)
    """Kind → names."""
    whole: bool = False
    """It read more than the names noted (a namespace's every name, say): not reusable."""

    def note(self, kind: str, name: str) -> None:
        self.names.setdefault(kind, set()).add(name)


class Watched(Mapping[str, V]):
    """A read-only view of `items` that notes each lookup in `reads` as `kind`."""

    def __init__(self, kind: str, items: Mapping[str, V], reads: Reads) -> None:
        self.kind = kind
        self.items_ = items
        self.reads = reads

    def __getitem__(self, key: str) -> V:
        self.reads.note(self.kind, key)
        return self.items_[key]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def __iter__(self) -> Iterator[str]:
        self.reads.whole = True
        return iter(self.items_)

    def __len__(self) -> int:
        self.reads.whole = True
        return len(self.items_)


class Answers:
    """This compile's answers to each kind of lookup."""

    def __init__(self, **kinds: Lookup) -> None:
        self.kinds = kinds
        self._last: tuple[Answers, dict[str, Set[str]]] | None = None
        """The last `changed_since` asked, and its answer (several memos ask it)."""

    def adding(self, **kinds: Lookup) -> Answers:
        """These answers and more (for passes that look up what earlier ones made)."""
        return Answers(**self.kinds, **kinds)

    def changed_since(self, before: Answers) -> dict[str, Set[str]]:
        """Kind → the names whose answer is not the same as `before`'s (kinds with
        none are left out)."""
        if self._last is None or self._last[0] is not before:
            changes = {kind: _changed(before.kinds[kind], now) for kind, now in self.kinds.items()}
            before._last = None  # else each compile's answers would keep all earlier ones
            self._last = (before, {kind: names for kind, names in changes.items() if names})
        return self._last[1]


def _changed(before: Lookup, now: Lookup) -> Set[str]:
    if before is now:
        return set()
    if isinstance(before, Mapping) and isinstance(now, Mapping):
        names = {name for name, answer in now.items() if before.get(name) is not answer}
        return names | (before.keys() - now.keys())
    assert isinstance(before, Set) and isinstance(now, Set)
    return before ^ now


@dataclass
class Kept(Generic[R]):
    """One declaration's result, with what it was computed from."""

    decl: object
    reads: list[tuple[str, set[str]]]
    """(kind, names looked up)."""
    result: R
    problems: list[Diagnostic]

    def affected(self, changes: dict[str, Set[str]]) -> bool:
        return any(not names.isdisjoint(changes.get(kind, ())) for kind, names in self.reads)


@dataclass
class Memo(Generic[R]):
    """Declaration name → its last result; kept by long-running callers (the dev loop)."""

    kept: dict[str, Kept[R]] = field(default_factory=dict)
    basis: Answers | None = None
    """The answers every kept result was last checked against; None while a compile is
    checking them (so one that stops half way leaves nothing to trust)."""


def resolve_all(
    namespace: Namespace[D],
    compute: Callable[[D, Reads | None, list[Diagnostic]], R],
    memo: Memo[R] | None,
    answers: Answers,
    problems: list[Diagnostic],
) -> list[R]:
    """Each declaration's result, in name order: the kept one when it still holds,
    else `compute(decl, reads, found)`'s, which notes its lookups in `reads` and its
    diagnostics in `found`. Either way the diagnostics are added to `problems`.

    Without a memo, `compute(decl, None, problems)` resolves each directly, as a check
    without a cache does (the tests compare a re-check with that)."""
    if memo is None:
        return [compute(decl, None, problems) for decl in namespace.values()]
    if memo.basis is None:
        memo.kept.clear()
        changes: dict[str, Set[str]] = {}
    else:
        changes = answers.changed_since(memo.basis)
    memo.basis = None
    results: list[R] = []
    items, last = namespace.items, memo.kept.get  # this loop visits every declaration
    for name in sorted(items):
        decl = items[name][1]
        kept = last(name)
        if kept is None or kept.decl is not decl or (changes and kept.affected(changes)):
            reads, found = Reads(), list[Diagnostic]()
            result = compute(decl, reads, found)
            kept = Kept(decl, list(reads.names.items()), result, found)
            if reads.whole:
                memo.kept.pop(name, None)
            else:
                memo.kept[name] = kept
        if kept.problems:
            problems.extend(kept.problems)
        results.append(kept.result)
    for gone in memo.kept.keys() - namespace.items.keys():
        del memo.kept[gone]
    memo.basis = answers
    return results


@dataclass
class Checked:
    """A check across many results: the objects it read, in order, and what it found."""

    inputs: list[object] = field(default_factory=list)
    found: list[Diagnostic] = field(default_factory=list)


def check_once(
    memo: Checked | None,
    inputs: list[object],
    check: Callable[[list[Diagnostic]], None],
    problems: list[Diagnostic],
) -> None:
    """Add what `check(found)` finds to `problems`; with `memo`, reuse what it found
    last time when it would read the same objects (`inputs`) again."""
    if memo is None or not same_objects(inputs, memo.inputs):
        found: list[Diagnostic] = []
        check(found)
        if memo is None:
            problems.extend(found)
            return
        memo.inputs, memo.found = inputs, found
    problems.extend(memo.found)


def same_objects(now: Sequence[object], last: Sequence[object]) -> bool:
    """The same objects in the same order."""
    return len(now) == len(last) and all(map(operator.is_, now, last))


def keep_equal(last: dict[str, V], now: dict[str, V]) -> dict[str, V]:
    """`now`, with each value equal to the last compile's replaced by that same object,
    so that an unchanged answer is the same answer; `last` itself when all are."""
    same = list(now) == list(last)  # the same names in the same order
    if same and all(map(operator.is_, now.values(), last.values())):
        return last
    kept: dict[str, V] = {}
    for name, value in now.items():
        before = last.get(name)
        if before is not None and (before is value or before == value):
            kept[name] = before
        else:
            kept[name] = value
            same = False
    return last if same else kept


def reuse_decls(last: dict[str, list[ast.Decl]], modules: list[ast.Module]) -> None:
    """Give each module's unchanged declarations (equal, spans included) the objects
    the last compile had, so an edited file's other declarations hit the caches; then
    remember these modules for the next compile."""
    for module in modules:
        before = last.get(module.path)
        if before is not None and before != module.decls:
            same = {decl: decl for decl in before}
            module.decls = [same.get(decl, decl) for decl in module.decls]
    last.clear()
    last.update((module.path, module.decls) for module in modules)
