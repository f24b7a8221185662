"""The symbol table: every definition of the assistant by kind and name, across files.

All project files share one namespace per kind (as a Go package does); stdlib modules
join it when a file `use`s them. Entities and phrases share one namespace because a
`{name}` placeholder may refer to either. A name defined twice is reported with both
places.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from assistc.compiler.suggest import did_you_mean
from assistc.dsl import ast
from assistc.dsl.diagnostics import Diagnostic, Label

D = TypeVar("D")

BUILTIN_INTENTS = ("nlu_fallback",)
"""Intents the runtime produces itself: `nlu_fallback` when no intent is confident."""

KIND_CODES = {
    "intent": "E0101",
    "entity": "E0102",
    "slot": "E0103",
    "response": "E0104",
    "action": "E0105",
    "form": "E0106",
    "phrase": "E0102",
    "story": "E0109",
}


_BUILDS = itertools.count(1)


@dataclass(frozen=True)
class Revision:
    """One build of a symbol table, and which of its entries may differ from the build
    before it with the same memo (`after`): those of the names `touched`. Every other
    entry is the same (name, declaration) pair of objects, so a pass that kept its
    results per name need only look at these (`compiler.reuse`)."""

    number: int = field(default_factory=lambda: next(_BUILDS))
    after: int | None = None
    """The previous build's number; None when it is not known."""
    touched: frozenset[str] = frozenset()


@dataclass
class Namespace(Generic[D]):
    kind: str
    items: dict[str, tuple[ast.Name, D]] = field(default_factory=dict)
    revision: Revision = field(default_factory=Revision)

    def __contains__(self, name: str) -> bool:
        return name in self.items

    def get(self, name: str) -> D | None:
        entry = self.items.get(name)
        return entry[1] if entry else None

    def names(self) -> list[str]:
        return sorted(self.items)

    def values(self) -> list[D]:
        return [self.items[name][1] for name in sorted(self.items)]


@dataclass
class SymbolTable:
    intents: Namespace[ast.IntentDecl] = field(default_factory=lambda: Namespace("intent"))
    entities: Namespace[ast.EntityDecl] = field(default_factory=lambda: Namespace("entity"))
    phrases: Namespace[ast.PhraseDecl] = field(default_factory=lambda: Namespace("phrase"))
    slots: Namespace[ast.SlotDecl] = field(default_factory=lambda: Namespace("slot"))
    responses: Namespace[ast.ResponseDecl] = field(default_factory=lambda: Namespace("response"))
    forms: Namespace[ast.FormDecl] = field(default_factory=lambda: Namespace("form"))
    actions: Namespace[ast.ActionDecl] = field(default_factory=lambda: Namespace("action"))
    stories: Namespace[ast.StoryDecl] = field(default_factory=lambda: Namespace("story"))
    rules: Namespace[ast.RuleDecl] = field(default_factory=lambda: Namespace("rule"))
    tests: Namespace[ast.TestDecl] = field(default_factory=lambda: Namespace("test"))
    configs: list[ast.ConfigDecl] = field(default_factory=list)
    uses: list[ast.UseDecl] = field(default_factory=list)
    stdlib_files: set[str] = field(default_factory=set)

    def has_intent(self, name: str) -> bool:
        return name in self.intents or name in BUILTIN_INTENTS

    def undefined(self, namespace: Namespace[D], name: ast.Name) -> Diagnostic:
        """The diagnostic for a reference to a name that `namespace` lacks."""
        kind = namespace.kind
        hint = did_you_mean(name.text, namespace.names())
        if hint is None:
            hint = self._other_kind_hint(name.text, kind)
        return Diagnostic(KIND_CODES[kind], f"no {kind} named `{name.text}`", name.span, hint=hint)

    def _other_kind_hint(self, name: str, kind: str) -> str | None:
        for other in (self.responses, self.actions, self.forms, self.intents, self.slots):
            if other.kind != kind and name in other:
                return f"`{name}` is a {other.kind}, not a {kind}"
        return None


@dataclass
class ModuleSymbols:
    """The definitions of one module, by namespace (the `SymbolTable` field's name)."""

    decls: list[ast.Decl]
    """What they were read from: the module's declarations."""
    names: dict[str, dict[str, tuple[ast.Name, Any]]]
    configs: list[ast.ConfigDecl]
    uses: list[ast.UseDecl]
    alone: bool
    """No name is defined twice in the module (entities and phrases count as one)."""

    def defined(self) -> Iterable[str]:
        """Every name the module defines, of any kind."""
        return itertools.chain.from_iterable(self.names.values())


@dataclass
class SymbolsMemo:
    """What `build_symbols` keeps between builds for long-running callers (the dev loop)."""

    modules: dict[str, ModuleSymbols] = field(default_factory=dict)
    """Module path → its symbols, in the order the modules were given."""
    revision: int | None = None
    """The last table's `Revision.number`."""
    table: SymbolTable | None = None
    """The last table, if it had no duplicates (none of its entries was left out)."""


NAMESPACES: dict[type, str] = {
    ast.IntentDecl: "intents",
    ast.EntityDecl: "entities",
    ast.PhraseDecl: "phrases",
    ast.SlotDecl: "slots",
    ast.ResponseDecl: "responses",
    ast.FormDecl: "forms",
    ast.ActionDecl: "actions",
    ast.StoryDecl: "stories",
    ast.RuleDecl: "rules",
    ast.TestDecl: "tests",
}
"""Declaration type → the `SymbolTable` field holding it."""
TEMPLATE_NAMESPACES = ("entities", "phrases")
"""One namespace: a `{name}` placeholder may refer to either."""


def build_symbols(
    modules: Iterable[ast.Module], stdlib_files: set[str], memo: SymbolsMemo | None = None
) -> tuple[SymbolTable, list[Diagnostic]]:
    """The table of all modules' definitions and the duplicates among them. A module's
    symbols are kept in `memo` while its declarations are the same objects.

    With a memo, the table's `Revision` names what the modules that changed, came or
    went define or defined: the first definition of a name wins, so no other entry can
    differ while the unchanged modules keep their order. When the last table had no
    duplicates and the modules that changed add none, this one is that table with their
    names taken out and put back (a re-check then costs what the edit changed)."""
    kept = memo.modules if memo is not None else {}
    now: dict[str, ModuleSymbols] = {}
    before: list[ModuleSymbols] = []  # of the modules that changed or went, as they were
    changed: list[ModuleSymbols] = []
    for module in modules:
        symbols = kept.get(module.path)
        if symbols is None or symbols.decls != module.decls:
            if symbols is not None:
                before.append(symbols)
            symbols = _module_symbols(module)
            changed.append(symbols)
        now[module.path] = symbols
    if memo is None:
        return _joined(now.values(), stdlib_files)
    before.extend(kept[path] for path in kept.keys() - now.keys())
    touched = {name for symbols in [*before, *changed] for name in symbols.defined()}
    same = [path for path, symbols in now.items() if kept.get(path) is symbols]
    in_order = same == [path for path in kept if now.get(path) is kept[path]]
    table = None
    if memo.table is not None and in_order:
        table = _updated(memo.table, stdlib_files, now.values(), before, changed)
    diagnostics: list[Diagnostic] = []
    if table is None:
        table, diagnostics = _joined(now.values(), stdlib_files)
    revision = Revision(after=memo.revision if in_order else None, touched=frozenset(touched))
    for namespace in NAMESPACES.values():
        getattr(table, namespace).revision = revision
    memo.modules, memo.revision = now, revision.number
    memo.table = None if diagnostics else table
    return table, diagnostics


def _joined(
    modules: Iterable[ModuleSymbols], stdlib_files: set[str]
) -> tuple[SymbolTable, list[Diagnostic]]:
    """The table of `modules`, in order. A module that repeats no name, its own or an
    earlier module's, joins it in one step per namespace; others are added one
    definition at a time, reporting each duplicate."""
    table = SymbolTable(stdlib_files=stdlib_files)
    diagnostics: list[Diagnostic] = []
    template_names: dict[str, ast.Name] = {}
    for symbols in modules:
        table.configs.extend(symbols.configs)
        table.uses.extend(symbols.uses)
        if symbols.alone and not any(
            _overlap(table, template_names, field, names) for field, names in symbols.names.items()
        ):
            for field, names in symbols.names.items():
                getattr(table, field).items.update(names)
                if field in TEMPLATE_NAMESPACES:
                    template_names.update((name, node) for name, (node, _) in names.items())
            continue
        for decl in symbols.decls:
            if not isinstance(decl, ast.ConfigDecl | ast.UseDecl):
                field = NAMESPACES[type(decl)]
                _define(table, template_names, field, _name(decl), decl, diagnostics)
    return table, diagnostics


def _updated(
    last: SymbolTable,
    stdlib_files: set[str],
    modules: Iterable[ModuleSymbols],
    before: list[ModuleSymbols],
    changed: list[ModuleSymbols],
) -> SymbolTable | None:
    """`last` (a table without duplicates) without the definitions of `before` and with
    those of `changed`: the table of `modules`, unless `changed` brings a duplicate (then
    None, and `_joined` reports it). Only the order of a namespace's names may differ."""
    table = SymbolTable(stdlib_files=stdlib_files)
    for namespace in NAMESPACES.values():
        getattr(table, namespace).items = getattr(last, namespace).items.copy()
    for symbols in before:
        for namespace, names in symbols.names.items():
            items = getattr(table, namespace).items
            for name in names:
                del items[name]
    for symbols in changed:
        if not symbols.alone:
            return None
        for namespace, names in symbols.names.items():
            shared = TEMPLATE_NAMESPACES if namespace in TEMPLATE_NAMESPACES else (namespace,)
            if any(not getattr(table, n).items.keys().isdisjoint(names) for n in shared):
                return None
            getattr(table, namespace).items.update(names)
    for symbols in modules:
        table.configs.extend(symbols.configs)
        table.uses.extend(symbols.uses)
    return table


def _overlap(
    table: SymbolTable,
    template_names: dict[str, ast.Name],
    field: str,
    names: dict[str, tuple[ast.Name, Any]],
) -> bool:
    taken = template_names if field in TEMPLATE_NAMESPACES else getattr(table, field).items
    return not taken.keys().isdisjoint(names)


def _define(
    table: SymbolTable,
    template_names: dict[str, ast.Name],
    field: str,
    name: ast.Name,
    decl: Any,
    diagnostics: list[Diagnostic],
) -> None:
    namespace: Namespace[Any] = getattr(table, field)
    previous = namespace.items.get(name.text)
    if previous is None and field in TEMPLATE_NAMESPACES:
        other = template_names.get(name.text)
        if other is not None:
            diagnostics.append(_duplicate(name, other, "entity or phrase"))
            return
    if previous is not None:
        diagnostics.append(_duplicate(name, previous[0], namespace.kind))
        return
    namespace.items[name.text] = (name, decl)
    if field in TEMPLATE_NAMESPACES:
        template_names[name.text] = name


def _module_symbols(module: ast.Module) -> ModuleSymbols:
    symbols = ModuleSymbols(list(module.decls), {}, [], [], alone=True)
    template_names: set[str] = set()
    for decl in module.decls:
        if isinstance(decl, ast.ConfigDecl):
            symbols.configs.append(decl)
            continue
        if isinstance(decl, ast.UseDecl):
            symbols.uses.append(decl)
            continue
        name = _name(decl)
        field = NAMESPACES[type(decl)]
        names = symbols.names.setdefault(field, {})
        if field in TEMPLATE_NAMESPACES:
            symbols.alone = symbols.alone and name.text not in template_names
            template_names.add(name.text)
        symbols.alone = symbols.alone and name.text not in names
        names.setdefault(name.text, (name, decl))
    return symbols


def _name(decl: ast.Decl) -> ast.Name:
    if isinstance(decl, ast.StoryDecl | ast.RuleDecl | ast.TestDecl):
        return decl.title
    assert not isinstance(decl, ast.ConfigDecl | ast.UseDecl)
    return decl.name


def _duplicate(name: ast.Name, first: ast.Name, kind: str) -> Diagnostic:
    return Diagnostic(
        "E0201",
        f"{kind} `{name.text}` is defined more than once",
        name.span,
        labels=(Label(first.span, "first defined here"),),
        hint="rename one of them, or delete the copy",
    )
