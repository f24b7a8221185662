"""Reusing what one compile resolved in the next: the dev loop's re-check.

A declaration's result (its IR and its diagnostics) is kept under its name, keyed by
exactly what resolving it read:

- the declaration itself, compared by identity: the parse cache hands back the same
  objects for unchanged files, and `CompileCache` keeps the unchanged declarations of
  an edited file (see `reuse_decls`);
- every name it looked up, with the answer it got (the resolved slot, entity, response,
  action or form found, None when there is none, or whether an intent exists). The
  passes look names up through a `Scope` whose mappings are `Watched`: each lookup is
  noted in a `Reads`. The next compile reuses the result when every noted lookup gives
  the same answer (`Answers.agree`). Answers are compared by identity, and `keep_equal`
  keeps an unchanged slot, entity, response… the same object from compile to compile.

A resolution that read a whole namespace (a "did you mean" hint weighs every name, so
any new name could change it) is not kept: such results are errors, rare and cheap to
redo.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from assistc.compiler.symbols import Namespace
from assistc.dsl import ast
from assistc.dsl.diagnostics import Diagnostic

D = TypeVar("D")
V = TypeVar("V")
R = TypeVar("R")

Read = tuple[str, str, object]
"""(kind of name, name, the answer the lookup gave)."""


@dataclass
class Reads:
    """The lookups one declaration's resolution made."""

    log: list[Read] = field(default_factory=list)
    whole: bool = False
    """It read a whole namespace (listed or counted its names): not reusable."""


class Watched(Mapping[str, V]):
    """A read-only view of `items` that notes each lookup in `reads` as `kind`."""

    def __init__(self, kind: str, items: Mapping[str, V], reads: Reads) -> None:
        self.kind = kind
        self.items_ = items
        self.reads = reads

    def get(self, key: str, default: V | None = None) -> V | None:  # type: ignore[override]
        value = self.items_.get(key)
        self.reads.log.append((self.kind, key, value))
        return default if value is None else value

    def __getitem__(self, key: str) -> V:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def __iter__(self) -> Iterator[str]:
        self.reads.whole = True
        return iter(self.items_)

    def __len__(self) -> int:
        self.reads.whole = True
        return len(self.items_)


class Answers:
    """This compile's answer to each kind of lookup, to check a kept result's reads."""

    def __init__(self, **lookups: Callable[[str], object]) -> None:
        self.lookups = lookups

    def adding(self, **lookups: Callable[[str], object]) -> Answers:
        """These answers and more (for passes that look up what earlier ones made)."""
        return Answers(**self.lookups, **lookups)

    def agree(self, reads: list[Read]) -> bool:
        lookups = self.lookups
        return all(lookups[kind](name) is answer for kind, name, answer in reads)


@dataclass
class Kept(Generic[R]):
    """One declaration's result, with what it was computed from."""

    decl: object
    reads: list[Read]
    result: R
    problems: list[Diagnostic]


Memo = dict[str, Kept[R]]
"""Declaration name → its last result; kept by long-running callers (the dev loop)."""


def resolve_all(
    namespace: Namespace[D],
    compute: Callable[[D, Reads, list[Diagnostic]], R],
    memo: Memo[R],
    answers: Answers,
    problems: list[Diagnostic],
) -> list[R]:
    """Each declaration's result, in name order: the kept one when it still holds,
    else `compute(decl, reads, found)`'s, which notes its lookups in `reads` and its
    diagnostics in `found`. Either way the diagnostics are added to `problems`."""
    results: list[R] = []
    for name in sorted(namespace.items):
        decl = namespace.items[name][1]
        kept = memo.get(name)
        if kept is None or kept.decl is not decl or not answers.agree(kept.reads):
            reads, found = Reads(), list[Diagnostic]()
            kept = Kept(decl, reads.log, compute(decl, reads, found), found)
            if reads.whole:
                memo.pop(name, None)
            else:
                memo[name] = kept
        problems.extend(kept.problems)
        results.append(kept.result)
    for gone in memo.keys() - namespace.items.keys():
        del memo[gone]
    return results


def keep_equal(last: dict[str, V], now: dict[str, V]) -> dict[str, V]:
    """`now`, with each value equal to the last compile's replaced by that same object,
    so that lookups answering it compare equal by identity."""
    kept: dict[str, V] = {}
    for name, value in now.items():
        before = last.get(name, value)
        kept[name] = before if before is value or before == value else value
    return kept


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
