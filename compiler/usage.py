"""Definitions nothing uses (warnings): usually a typo elsewhere, or dead weight."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Collection

from assistc.compiler.reuse import same_objects
from assistc.compiler.symbols import Namespace, SymbolTable
from assistc.dsl import templates as tpl
from assistc.dsl.diagnostics import Diagnostic
from assistc.runtime import ir

Use = tuple[str, str]
"""(kind, name) of a name an IR object uses; kind "bot" is a response or an action."""
Item = (
    ir.Story
    | ir.Rule
    | ir.ConversationTest
    | ir.Form
    | ir.Response
    | ir.Action
    | ir.Slot
    | ir.Intent
)


CATEGORIES = ("stories", "rules", "tests", "forms", "responses", "actions", "slots", "intents")
"""The `ir.Assistant` lists whose objects use names."""


class UsageCounts:
    """How many of the assistant's IR objects use each name. Objects are counted once
    and kept with their uses: a re-check recounts only the lists that changed, and in
    them only the objects that are new (an unchanged declaration's IR is the same
    object, see `compiler.reuse`) or gone."""

    def __init__(self) -> None:
        self.lists: dict[str, list[object]] = {}
        """Category → the objects last counted, in order."""
        self.items: dict[str, dict[int, tuple[Item, list[Use]]]] = {c: {} for c in CATEGORIES}
        """Category → id → (the object, its uses); keeping the object keeps its id unique."""
        self.counts: dict[str, Counter[str]] = {
            kind: Counter() for kind in ("intent", "bot", "form", "entity", "slot")
        }

    def used(self, assistant: ir.Assistant) -> dict[str, Collection[str]]:
        """Kind → the names of that kind that some object of `assistant` uses."""
        for category in CATEGORIES:
            items: list[Item] = getattr(assistant, category)
            if not same_objects(items, self.lists.get(category, [])):
                self._recount(self.items[category], items)
                self.lists[category] = list(items)
        used: dict[str, Collection[str]] = {kind: c.keys() for kind, c in self.counts.items()}
        bot = {assistant.config.fallback_action, *used["bot"]}
        used["response"] = used["action"] = bot
        return used

    def _recount(self, counted: dict[int, tuple[Item, list[Use]]], items: list[Item]) -> None:
        now = {id(item): item for item in items}
        for gone in counted.keys() - now.keys():
            self._add(counted.pop(gone)[1], -1)
        for new in now.keys() - counted.keys():
            uses = _uses(now[new])
            counted[new] = (now[new], uses)
            self._add(uses, 1)

    def _add(self, uses: list[Use], step: int) -> None:
        for kind, name in uses:
            counter = self.counts[kind]
            counter[name] += step
            if not counter[name]:
                del counter[name]


def unused_definitions(
    table: SymbolTable, assistant: ir.Assistant, used_phrases: set[str], counts: UsageCounts
) -> list[Diagnostic]:
    used = counts.used(assistant)
    used["phrase"] = used_phrases
    problems: list[Diagnostic] = []
    namespaces: list[tuple[Namespace[object], str]] = [
        (table.intents, "no story, rule or test reacts to it"),  # type: ignore[list-item]
        (table.responses, "no story, rule, form or test sends it"),  # type: ignore[list-item]
        (table.actions, "no story, rule, form or test runs it"),  # type: ignore[list-item]
        (table.forms, "no story or rule activates it"),  # type: ignore[list-item]
        (table.entities, "no example, slot or story mentions it"),  # type: ignore[list-item]
        (table.phrases, "no example template uses it"),  # type: ignore[list-item]
        (table.slots, "nothing reads or sets it"),  # type: ignore[list-item]
    ]
    for namespace, why in namespaces:
        for name in sorted(namespace.items.keys() - used[namespace.kind]):
            name_node = namespace.items[name][0]
            if name_node.span.file in table.stdlib_files:
                continue
            if namespace.kind == "response" and name.startswith("utter_ask_"):
                continue  # asked for by forms by naming convention
            problems.append(
                Diagnostic(
                    "W1102",
                    f"{namespace.kind} `{name}` is never used: {why}",
                    name_node.span,
                    hint="use it, or delete it",
                )
            )
    return problems


def _uses(item: Item) -> list[Use]:
    """The names one IR object uses."""
    if isinstance(item, ir.Story):
        return _step_uses(item.steps)
    if isinstance(item, ir.Rule):
        uses = _step_uses(item.steps)
        if item.active_form:
            uses.append(("form", item.active_form))
        uses.extend(("slot", t.slot) for t in item.conditions)
        return uses
    if isinstance(item, ir.ConversationTest):
        return _test_uses(item)
    if isinstance(item, ir.Form):
        uses = [("bot", name) for name in item.on_complete]
        for form_slot in item.slots:
            uses += [("slot", form_slot.slot), ("bot", form_slot.prompt)]
            if form_slot.invalid_response:
                uses.append(("bot", form_slot.invalid_response))
        return uses
    if isinstance(item, ir.Response):
        return _response_uses(item)
    if isinstance(item, ir.Action):
        return [("slot", p.slot) for p in (*item.inputs, *item.outputs)]
    if isinstance(item, ir.Slot):
        return _slot_uses(item)
    return [("entity", e.entity) for example in item.examples for e in example.entities]


def _step_uses(steps: list[ir.Step]) -> list[Use]:
    uses: list[Use] = []
    for step in steps:
        if isinstance(step, ir.UserStep):
            uses.append(("intent", step.intent))
            uses.extend(("entity", e.entity) for e in step.entities)
        elif isinstance(step, ir.BotStep):
            uses.append(("bot", step.action))
        elif isinstance(step, ir.FormStep):
            uses.append(("form", step.form))
        else:
            uses.append(("slot", step.slot))
    return uses


def _test_uses(test: ir.ConversationTest) -> list[Use]:
    uses: list[Use] = []
    for step in test.steps:
        if isinstance(step, ir.TestUser) and step.intent:
            uses.append(("intent", step.intent))
        elif isinstance(step, ir.TestBot):
            uses.extend(("bot", n) for n in (step.response, step.action) if n)
        elif isinstance(step, ir.TestSlot):
            uses.append(("slot", step.slot))
    return uses


def _response_uses(response: ir.Response) -> list[Use]:
    uses: list[Use] = []
    for variation in response.variations:
        uses.extend(("slot", t.slot) for t in variation.condition)
        with contextlib.suppress(tpl.TemplateError):  # reported by the response check
            uses.extend(("slot", i.name) for i in tpl.interpolations(variation.text))
        for button in variation.buttons:
            uses.append(("intent", button.payload[1:].split("{", 1)[0]))
    return uses


def _slot_uses(slot: ir.Slot) -> list[Use]:
    uses: list[Use] = []
    if slot.mappings:
        uses.append(("slot", slot.name))  # filled from messages; the policy sees it
    if slot.type.entity:
        uses.append(("entity", slot.type.entity))
    if slot.type.item and slot.type.item.entity:
        uses.append(("entity", slot.type.item.entity))
    for mapping in slot.mappings:
        if mapping.entity:
            uses.append(("entity", mapping.entity))
        if mapping.intent:
            uses.append(("intent", mapping.intent))
        if mapping.form:
            uses.append(("form", mapping.form))
    return uses
