"""Slot types: resolving type expressions, and checking literal values against a type."""

from __future__ import annotations

from collections.abc import Mapping

from assistc.compiler.entities import NUMERIC_BUILTINS, ResolvedEntity
from assistc.compiler.suggest import did_you_mean
from assistc.dsl import ast
from assistc.dsl.diagnostics import Diagnostic
from assistc.runtime import ir
from assistc.runtime.ir import JsonValue, SlotType

PRIMITIVES = ("any", "bool", "float", "int", "text")

ANY = SlotType(kind="any")


def resolve_type(
    expr: ast.TypeExpr, entities: Mapping[str, ResolvedEntity]
) -> tuple[SlotType, list[Diagnostic]]:
    """The IR type for a type expression; unknown names become `any` plus a diagnostic,
    so one typo is reported once and not again at every use."""
    name = expr.name.text
    if name == "list":
        if expr.arg is None:
            return ANY, [
                Diagnostic(
                    "E0111",
                    "`list` needs an item type",
                    expr.span,
                    hint="write list[text] or list[<entity>]",
                )
            ]
        item, problems = resolve_type(expr.arg, entities)
        return SlotType(kind="list", item=item), problems
    if expr.arg is not None:
        return ANY, [Diagnostic("E0111", f"`{name}` takes no item type", expr.span)]
    if name in PRIMITIVES:
        return SlotType(kind=name), []
    if name in entities:
        return SlotType(kind="entity", entity=name), []
    candidates = [*PRIMITIVES, "list", *entities]
    return ANY, [
        Diagnostic(
            "E0111",
            f"no type named `{name}`",
            expr.name.span,
            hint=did_you_mean(name, candidates)
            or "types are text, bool, int, float, any, list[T] and entity names",
        )
    ]


def describe_value(value: ast.Value) -> str:
    return {
        "string": "a string",
        "int": "a whole number",
        "float": "a number",
        "bool": "a boolean",
        "null": "null",
        "name": f"`{value.data}`",
        "list": "a list",
    }[value.kind]


def to_json(value: ast.Value) -> JsonValue:
    """The literal as plain JSON data (names become strings)."""
    if value.kind == "list":
        assert isinstance(value.data, tuple)
        return [to_json(item) for item in value.data]
    data = value.data
    assert not isinstance(data, tuple)
    return data


def check_value(
    value: ast.Value, slot_type: SlotType, entities: Mapping[str, ResolvedEntity]
) -> tuple[JsonValue, str | None, str | None]:
    """(the value as JSON, a problem message or None, a hint or None).

    `null` fits every type (it means unset). Enum values must be members; a synonym is
    reported with its member as the hint."""
    kind = slot_type.kind
    if value.kind == "null" or kind == "any":
        return to_json(value), None, None
    if kind == "list":
        assert slot_type.item is not None
        items = value.data if value.kind == "list" else (value,)
        assert isinstance(items, tuple)
        out: list[JsonValue] = []
        for item in items:
            converted, problem, hint = check_value(item, slot_type.item, entities)
            if problem:
                return None, problem, hint
            out.append(converted)
        return out, None, None
    if kind == "text":
        if value.kind == "string":
            return value.data, None, None  # type: ignore[return-value]
        hint = f'quote it: "{value.data}"' if value.kind == "name" else None
        return None, f"expected text, found {describe_value(value)}", hint
    if kind == "bool":
        if value.kind == "bool":
            return value.data, None, None  # type: ignore[return-value]
        return None, f"expected true or false, found {describe_value(value)}", None
    if kind == "int":
        if value.kind == "int":
            return value.data, None, None  # type: ignore[return-value]
        return None, f"expected a whole number, found {describe_value(value)}", None
    if kind == "float":
        if value.kind in ("int", "float"):
            return float(value.data), None, None  # type: ignore[arg-type]
        return None, f"expected a number, found {describe_value(value)}", None
    assert slot_type.entity is not None
    entity = entities.get(slot_type.entity)
    if entity is None:
        return to_json(value), None, None
    return _check_entity_value(value, entity)


def _check_entity_value(
    value: ast.Value, entity: ResolvedEntity
) -> tuple[JsonValue, str | None, str | None]:
    name = entity.name
    numeric = NUMERIC_BUILTINS.get(entity.ir.builtin or "")
    if numeric is not None:
        if value.kind == "int" or (value.kind == "float" and numeric == "float"):
            return value.data, None, None  # type: ignore[return-value]
        return None, f"expected a number for `{name}`, found {describe_value(value)}", None
    if value.kind not in ("string", "name"):
        return None, f"expected a value of `{name}`, found {describe_value(value)}", None
    text = str(value.data)
    if entity.ir.kind == "enum":
        members = [v.name for v in entity.ir.values]
        if text in members:
            return text, None, None
        canonical = entity.canonical.get(text.lower())
        if canonical is not None:
            return (
                None,
                f"`{text}` is a synonym, not a member of enum `{name}`",
                f"write `{canonical}`",
            )
        return (
            None,
            f"`{text}` is not a member of enum `{name}`",
            did_you_mean(text, members) or "members: " + ", ".join(members),
        )
    if entity.pattern is not None and not entity.pattern.fullmatch(text):
        return None, f'"{text}" does not match the pattern of `{name}`', None
    return text, None, None


def mapping_fits(slot_type: SlotType, entity: ir.Entity) -> bool:
    """Can a value extracted as `entity` fill a slot of `slot_type`?"""
    kind = slot_type.kind
    if kind in ("any", "text"):
        return True
    if kind == "list":
        assert slot_type.item is not None
        return mapping_fits(slot_type.item, entity)
    if kind == "entity":
        return slot_type.entity == entity.name
    numeric = NUMERIC_BUILTINS.get(entity.builtin or "")
    if kind == "float":
        return numeric is not None
    if kind == "int":
        return numeric == "int" or entity.builtin == "number"
    return False
