"""Slots: their types, initial values and mappings."""

from __future__ import annotations

from dataclasses import dataclass, field

from assistc.compiler.entities import ResolvedEntity
from assistc.compiler.symbols import SymbolTable
from assistc.compiler.types import check_value, mapping_fits, resolve_type
from assistc.dsl import ast
from assistc.dsl.diagnostics import Diagnostic
from assistc.runtime import ir


@dataclass
class ResolvedSlot:
    decl: ast.SlotDecl
    ir: ir.Slot


@dataclass
class SlotMemo:
    """Slots resolved by the last compile, reused while their declaration is the same
    object and what a slot looks up is unchanged: the entities (the same mapping, which
    `reuse.keep_equal` hands back while no entity changed) and which intents and forms
    exist. A slot with problems is not kept: a hint may weigh any name."""

    basis: tuple[dict[str, ResolvedEntity], frozenset[str], frozenset[str]] | None = None
    kept: dict[str, ResolvedSlot] = field(default_factory=dict)


def resolve_slots(
    table: SymbolTable, entities: dict[str, ResolvedEntity], memo: SlotMemo | None = None
) -> tuple[dict[str, ResolvedSlot], list[Diagnostic]]:
    memo = memo if memo is not None else SlotMemo()
    basis = (entities, frozenset(table.intents.items), frozenset(table.forms.items))
    last = memo.basis
    if last is None or last[0] is not entities or last[1:] != basis[1:]:
        memo.kept.clear()
    memo.basis = basis
    problems: list[Diagnostic] = []
    slots: dict[str, ResolvedSlot] = {}
    for decl in table.slots.values():
        kept = memo.kept.get(decl.name.text)
        if kept is None or kept.decl is not decl:
            found: list[Diagnostic] = []
            kept = _resolve(decl, table, entities, found)
            problems.extend(found)
            if found:
                memo.kept.pop(decl.name.text, None)
            else:
                memo.kept[decl.name.text] = kept
        slots[decl.name.text] = kept
    for gone in memo.kept.keys() - slots.keys():
        del memo.kept[gone]
    return slots, problems


def _resolve(
    decl: ast.SlotDecl,
    table: SymbolTable,
    entities: dict[str, ResolvedEntity],
    problems: list[Diagnostic],
) -> ResolvedSlot:
    slot_type, type_problems = resolve_type(decl.type, entities)
    problems.extend(type_problems)
    initial: ir.JsonValue = None
    if decl.initial is not None:
        initial, problem, hint = check_value(decl.initial, slot_type, entities)
        if problem:
            problems.append(
                Diagnostic(
                    "E0602",
                    f"initial value of slot `{decl.name.text}`: {problem}",
                    decl.initial.span,
                    hint=hint,
                )
            )
    mappings = [
        m
        for node in decl.mappings
        if (m := _mapping(node, decl, slot_type, table, entities, problems)) is not None
    ]
    if not decl.mappings:
        mappings = _implicit_mappings(slot_type)
    slot = ir.Slot(name=decl.name.text, type=slot_type, initial=initial, mappings=mappings)
    return ResolvedSlot(decl, slot)


def _implicit_mappings(slot_type: ir.SlotType) -> list[ir.SlotMapping]:
    """A slot typed by an entity (or a list of one) is filled by that entity."""
    base = slot_type.item if slot_type.kind == "list" and slot_type.item else slot_type
    if base.kind == "entity":
        return [ir.SlotMapping(kind="entity", entity=base.entity)]
    return []


def _mapping(
    node: ast.SlotMappingNode,
    decl: ast.SlotDecl,
    slot_type: ir.SlotType,
    table: SymbolTable,
    entities: dict[str, ResolvedEntity],
    problems: list[Diagnostic],
) -> ir.SlotMapping | None:
    if isinstance(node, ast.EntityMapping):
        entity = entities.get(node.entity.text)
        if entity is None:
            problems.append(table.undefined(table.entities, node.entity))
            return None
        role = node.role.text if node.role else None
        if node.role is not None and role not in entity.ir.roles:
            problems.append(
                Diagnostic(
                    "E0110",
                    f"entity `{entity.name}` has no role `{role}`",
                    node.role.span,
                    hint="declared roles: " + (", ".join(entity.ir.roles) or "none"),
                )
            )
        if not mapping_fits(slot_type, entity.ir):
            problems.append(
                Diagnostic(
                    "E0601",
                    f"slot `{decl.name.text}` is {slot_type}, but entity `{entity.name}` "
                    f"gives {_entity_value_kind(entity)}",
                    node.entity.span,
                    hint=f"map an entity of type {slot_type}, or change the slot's type",
                )
            )
        return ir.SlotMapping(
            kind="entity",
            entity=entity.name,
            role=role,
            form=_form(node.form, table, problems),
            asked=node.asked,
            **_intent_filter(node.filter, table, problems),
        )
    if isinstance(node, ast.IntentMapping):
        if not table.has_intent(node.intent.text):
            problems.append(table.undefined(table.intents, node.intent))
        value, problem, hint = check_value(node.value, slot_type, entities)
        if problem:
            problems.append(
                Diagnostic(
                    "E0603",
                    f"value for slot `{decl.name.text}`: {problem}",
                    node.value.span,
                    hint=hint,
                )
            )
        return ir.SlotMapping(
            kind="intent",
            intent=node.intent.text,
            value=value,
            form=_form(node.form, table, problems),
            asked=node.asked,
        )
    form = _form(node.form, table, problems)
    if slot_type.kind not in ("text", "any"):
        problems.append(
            Diagnostic(
                "E0601",
                f"`from text` gives text, but slot `{decl.name.text}` is {slot_type}",
                node.span,
                hint="make the slot `text`, or map it from an entity",
            )
        )
    return ir.SlotMapping(kind="text", form=form, **_intent_filter(node.filter, table, problems))


def _intent_filter(
    node: ast.IntentFilter | None, table: SymbolTable, problems: list[Diagnostic]
) -> dict[str, list[str]]:
    """`if intent …` / `unless intent …` as the IR's intent lists; unknown intents are
    reported."""
    if node is None:
        return {}
    for name in node.intents:
        if not table.has_intent(name.text):
            problems.append(table.undefined(table.intents, name))
    names = sorted({name.text for name in node.intents})
    return {"except_intents" if node.exclude else "only_intents": names}


def _form(name: ast.Name | None, table: SymbolTable, problems: list[Diagnostic]) -> str | None:
    """The form a mapping is limited to (`… in <form>`); an unknown one is reported."""
    if name is None:
        return None
    if name.text not in table.forms:
        problems.append(table.undefined(table.forms, name))
    return name.text


def _entity_value_kind(entity: ResolvedEntity) -> str:
    if entity.ir.builtin in ("number", "ordinal"):
        return "numbers"
    return f"values of `{entity.name}`"
