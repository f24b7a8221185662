"""Resolving the small constructs several definitions share: slot conditions and user
turns (an intent with entity values), as written in responses, rules and stories."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TypeVar

from assistc.compiler.entities import ResolvedEntity
from assistc.compiler.reuse import Reads, Watched
from assistc.compiler.slots import ResolvedSlot
from assistc.compiler.symbols import Namespace, SymbolTable
from assistc.compiler.types import check_value
from assistc.dsl import ast
from assistc.dsl.diagnostics import Diagnostic
from assistc.runtime import ir

NUMERIC_OPS = ("<", "<=", ">", ">=")

D = TypeVar("D")


@dataclass
class Scope:
    """What references resolve against; filled in as the passes go. A scope made by
    `watching` notes every lookup, so that the result can be reused (`compiler.reuse`)."""

    table: SymbolTable
    entities: Mapping[str, ResolvedEntity]
    slots: Mapping[str, ResolvedSlot]
    problems: list[Diagnostic]
    reads: Reads | None = None

    def watching(self, reads: Reads, problems: list[Diagnostic]) -> Scope:
        """A scope for resolving one declaration: its lookups go to `reads`, its
        diagnostics to `problems`."""
        return replace(
            self,
            entities=Watched("entity", self.entities, reads),
            slots=Watched("slot", self.slots, reads),
            problems=problems,
            reads=reads,
        )

    def has_intent(self, name: str) -> bool:
        found = self.table.has_intent(name)
        if self.reads is not None:
            self.reads.note("intent", name)
        return found

    def payload_only(self, name: str) -> bool:
        """Whether intent `name` is declared `payload only` (so the NLU never predicts it)."""
        decl = self.table.intents.get(name)
        if self.reads is not None:
            self.reads.note("payload_only", name)
        return decl is not None and decl.payload_only

    def undefined(self, namespace: Namespace[D], name: ast.Name) -> Diagnostic:
        """`SymbolTable.undefined`, whose hint weighs every name of the table."""
        if self.reads is not None:
            self.reads.whole = True
        return self.table.undefined(namespace, name)

    def slot(self, name: ast.Name) -> ResolvedSlot | None:
        slot = self.slots.get(name.text)
        if slot is None:
            self.problems.append(self.undefined(self.table.slots, name))
        return slot

    def condition(self, terms: tuple[ast.CondTerm, ...]) -> list[ir.SlotTest]:
        tests: list[ir.SlotTest] = []
        for term in terms:
            slot = self.slot(term.slot)
            if slot is not None and term.op == "set" and slot.ir.initial is not None:
                self.problems.append(
                    Diagnostic(
                        "W1104",
                        f"slot `{slot.ir.name}` starts as {slot.ir.initial!r}, so it is always "
                        "set and this condition always holds",
                        term.span,
                        hint=f"compare its value: `{slot.ir.name} == …`",
                    )
                )
            value: ir.JsonValue = None
            if term.value is not None and slot is not None:
                numeric = slot.ir.type.kind in ("int", "float", "any") or (
                    slot.ir.type.kind == "entity"
                    and self.entities.get(slot.ir.type.entity or "") is not None
                    and self.entities[slot.ir.type.entity or ""].ir.builtin in ("number", "ordinal")
                )
                if term.op in NUMERIC_OPS and not numeric:
                    self.problems.append(
                        Diagnostic(
                            "E0603",
                            f"`{term.op}` compares numbers, but slot `{slot.ir.name}` is "
                            f"{slot.ir.type}",
                            term.span,
                            hint="use == or != for this slot",
                        )
                    )
                value = self.value_for_slot(slot, term.value)
            tests.append(ir.SlotTest(slot=term.slot.text, op=term.op, value=value))
        return tests

    def value_for_slot(self, slot: ResolvedSlot, value: ast.Value) -> ir.JsonValue:
        converted, problem, hint = check_value(value, slot.ir.type, self.entities)
        if problem:
            self.problems.append(
                Diagnostic(
                    "E0603",
                    f"slot `{slot.ir.name}` is {slot.ir.type}: {problem}",
                    value.span,
                    hint=hint,
                )
            )
        return converted

    def user_intent(self, node: ast.UserIntent) -> tuple[str, list[ir.StepEntity]]:
        if not self.has_intent(node.intent.text):
            self.problems.append(self.undefined(self.table.intents, node.intent))
        entities: list[ir.StepEntity] = []
        for arg in node.args:
            entity = self.entities.get(arg.entity.text)
            if entity is None:
                self.problems.append(self.undefined(self.table.entities, arg.entity))
                continue
            role = arg.role.text if arg.role else None
            if arg.role is not None and role not in entity.ir.roles:
                self.problems.append(
                    Diagnostic(
                        "E0110",
                        f"entity `{entity.name}` has no role `{role}`",
                        arg.role.span,
                        hint="declared roles: " + (", ".join(entity.ir.roles) or "none"),
                    )
                )
            entity_type = ir.SlotType(kind="entity", entity=entity.name)
            value, problem, hint = check_value(arg.value, entity_type, self.entities)
            if problem:
                code = "E0302" if entity.ir.kind == "enum" else "E0603"
                self.problems.append(Diagnostic(code, problem, arg.value.span, hint=hint))
            entities.append(ir.StepEntity(entity=entity.name, value=value, role=role))
        return node.intent.text, entities


def button_payload(intent: str, entities: list[ir.StepEntity]) -> str:
    """Rasa's button payload syntax: `/intent` or `/intent{"entity": "value"}`."""
    if not entities:
        return f"/{intent}"
    values = {e.entity: e.value for e in entities}
    return f"/{intent}{json.dumps(values, sort_keys=True, ensure_ascii=False)}"
