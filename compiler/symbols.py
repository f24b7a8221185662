"""The symbol table: every definition of the assistant by kind and name, across files.

All project files share one namespace per kind (as a Go package does); stdlib modules
join it when a file `use`s them. Entities and phrases share one namespace because a
`{name}` placeholder may refer to either. A name defined twice is reported with both
places.
"""

from __future__ import annotations

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


@dataclass
class Namespace(Generic[D]):
    kind: str
    items: dict[str, tuple[ast.Name, D]] = field(default_factory=dict)

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


def build_symbols(
    modules: Iterable[ast.Module], stdlib_files: set[str]
) -> tuple[SymbolTable, list[Diagnostic]]:
    table = SymbolTable(stdlib_files=stdlib_files)
    diagnostics: list[Diagnostic] = []
    template_names: dict[str, ast.Name] = {}

    def define(namespace: Namespace[D], name: ast.Name, decl: D) -> None:
        previous = namespace.items.get(name.text)
        if previous is None and namespace.kind in ("entity", "phrase"):
            other = template_names.get(name.text)
            if other is not None:
                diagnostics.append(_duplicate(name, other, "entity or phrase"))
                return
        if previous is not None:
            diagnostics.append(_duplicate(name, previous[0], namespace.kind))
            return
        namespace.items[name.text] = (name, decl)
        if namespace.kind in ("entity", "phrase"):
            template_names[name.text] = name

    namespaces: dict[type, Namespace[Any]] = {
        ast.IntentDecl: table.intents,
        ast.EntityDecl: table.entities,
        ast.PhraseDecl: table.phrases,
        ast.SlotDecl: table.slots,
        ast.ResponseDecl: table.responses,
        ast.FormDecl: table.forms,
        ast.ActionDecl: table.actions,
        ast.StoryDecl: table.stories,
        ast.RuleDecl: table.rules,
        ast.TestDecl: table.tests,
    }
    for module in modules:
        for decl in module.decls:
            if isinstance(decl, ast.ConfigDecl):
                table.configs.append(decl)
            elif isinstance(decl, ast.UseDecl):
                table.uses.append(decl)
            else:
                name = (
                    decl.title
                    if isinstance(decl, ast.StoryDecl | ast.RuleDecl | ast.TestDecl)
                    else decl.name
                )
                define(namespaces[type(decl)], name, decl)
    return table, diagnostics


def _duplicate(name: ast.Name, first: ast.Name, kind: str) -> Diagnostic:
    return Diagnostic(
        "E0201",
        f"{kind} `{name.text}` is defined more than once",
        name.span,
        labels=(Label(first.span, "first defined here"),),
        hint="rename one of them, or delete the copy",
    )
