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

import bisect
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
    """Declaration name → its last result; kept by long-running callers (the dev loop).

    Indexed so that a re-check visits only the declarations it may have to resolve
    again: those the symbol table's `Revision` says may differ, those that looked up a
    name whose answer changed (`readers`), and those not kept (`unkept`)."""

    kept: dict[str, Kept[R]] = field(default_factory=dict)
    basis: Answers | None = None
    """The answers every kept result was last checked against; None while a compile is
    checking them (so one that stops half way leaves nothing to trust)."""
    revision: int | None = None
    """The `Revision.number` of the namespace the results are of."""
    names: list[str] = field(default_factory=list)
    """Every declaration's name, sorted; `results` are theirs, in that order."""
    results: list[R] = field(default_factory=list)
    problems: dict[str, list[Diagnostic]] = field(default_factory=dict)
    """Name → its diagnostics, for the declarations that have some."""
    readers: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    """Kind → name looked up → the kept declarations that looked it up."""
    unkept: set[str] = field(default_factory=set)
    """The declarations resolved every time: they read more than they noted."""
    version: object = field(default_factory=object)
    """A new object whenever a result or declaration changes: while it is the same, so
    are `results` and the declarations they are of (for `check_once`)."""

    def clear(self) -> None:
        self.version = object()
        self.kept.clear()
        self.names.clear()
        self.results.clear()
        self.problems.clear()
        self.readers.clear()
        self.unkept.clear()

    def readers_of(self, changes: dict[str, Set[str]]) -> set[str]:
        """The kept declarations that looked up a name in `changes`."""
        found: set[str] = set()
        for kind, names in changes.items():
            readers = self.readers.get(kind)
            if readers:
                for name in names & readers.keys():
                    found |= readers[name]
        return found

    def store(self, name: str, kept: Kept[R], keep: bool) -> None:
        """`kept` is the declaration's result now; it is reused later only if `keep`."""
        self.version = object()
        self._unindex(name)
        if keep:
            self.kept[name] = kept
            for kind, names in kept.reads:
                readers = self.readers.setdefault(kind, {})
                for looked_up in names:
                    readers.setdefault(looked_up, set()).add(name)
        else:
            self.unkept.add(name)
        if kept.problems:
            self.problems[name] = kept.problems
        else:
            self.problems.pop(name, None)
        index = bisect.bisect_left(self.names, name)
        if index < len(self.names) and self.names[index] == name:
            self.results[index] = kept.result
        else:
            self.names.insert(index, name)
            self.results.insert(index, kept.result)

    def forget(self, name: str) -> None:
        """The declaration is gone (or never was: `touched` names any kind's)."""
        index = bisect.bisect_left(self.names, name)
        if index < len(self.names) and self.names[index] == name:
            self.version = object()
            self._unindex(name)
            self.problems.pop(name, None)
            del self.names[index]
            del self.results[index]

    def _unindex(self, name: str) -> None:
        self.unkept.discard(name)
        kept = self.kept.pop(name, None)
        if kept is None:
            return
        for kind, names in kept.reads:
            readers = self.readers[kind]
            for looked_up in names:
                readers[looked_up].discard(name)
                if not readers[looked_up]:
                    del readers[looked_up]


def resolve_all(
    namespace: Namespace[D],
    compute: Callable[[D, Reads | None, list[Diagnostic]], R],
    memo: Memo[R] | None,
    answers: Answers,
    problems: list[Diagnostic],
) -> list[R]:
    """Each declaration's result, in name order: the kept one when it still holds,
    else `compute(decl, reads, found)`'s, which notes its lookups in `reads` and its
    diagnostics in `found`. Either way the diagnostics are added to `problems`, in name
    order.

    Without a memo, `compute(decl, None, problems)` resolves each directly, as a check
    without a cache does (the tests compare a re-check with that)."""
    if memo is None:
        return [compute(decl, None, problems) for decl in namespace.values()]
    revision = namespace.revision
    if memo.basis is None:
        memo.clear()
        changes: dict[str, Set[str]] = {}
    else:
        changes = answers.changed_since(memo.basis)
    if memo.basis is not None and revision.after is not None and revision.after == memo.revision:
        visit: Set[str] = revision.touched | memo.unkept | memo.readers_of(changes)
    else:  # not known what changed since the results were kept: look at every one
        visit = namespace.items.keys() | memo.names
    memo.basis = None
    items = namespace.items
    for name in sorted(visit):  # in name order, as a check without a cache resolves them
        entry = items.get(name)
        if entry is None:
            memo.forget(name)
            continue
        decl = entry[1]
        kept = memo.kept.get(name)
        if kept is None or kept.decl is not decl or (changes and kept.affected(changes)):
            reads, found = Reads(), list[Diagnostic]()
            result = compute(decl, reads, found)
            memo.store(name, Kept(decl, list(reads.names.items()), result, found), not reads.whole)
    for name in sorted(memo.problems):
        problems.extend(memo.problems[name])
    memo.basis, memo.revision = answers, revision.number
    return list(memo.results)


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
