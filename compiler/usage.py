"""Definitions nothing uses (warnings): usually a typo elsewhere, or dead weight."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from assistc.compiler.reuse import same_objects
from assistc.compiler.symbols import Namespace, SymbolTable
from assistc.dsl import templates as tpl
from assistc.dsl.diagnostics import Diagnostic
from assistc.runtime import ir

Used = dict[str, set[str]]
"""Kind → names used; kind "bot" is a response or an action."""


class UsedNames:
    """The names the assistant's IR objects use, collected per IR list (its stories,
    rules…). A re-check collects again only from the lists that changed: an unchanged
    declaration's IR is the same object (see `compiler.reuse`)."""

    def __init__(self) -> None:
        self.lists: dict[str, list[object]] = {}
        """List name → its objects when last collected."""
        self.used: dict[str, Used] = {}
        """List name → what its objects use."""

    def collect(self, assistant: ir.Assistant) -> Used:
        for name, collect in COLLECTORS.items():
            items: Sequence[Any] = getattr(assistant, name)
            if name not in self.used or not same_objects(items, self.lists[name]):
                self.used[name] = _empty()
                collect(items, self.used[name])
                self.lists[name] = list(items)
        used = {kind: set().union(*(u[kind] for u in self.used.values())) for kind in KINDS}
        used["bot"].add(assistant.config.fallback_action)
        used["response"] = used["action"] = used["bot"]
        return used


def unused_definitions(
    table: SymbolTable, assistant: ir.Assistant, used_phrases: set[str], names: UsedNames
) -> list[Diagnostic]:
    used = names.collect(assistant)
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


KINDS = ("intent", "bot", "form", "entity", "slot")


def _empty() -> Used:
    return {kind: set() for kind in KINDS}


def _steps(steps: Iterable[ir.Step], used: Used) -> None:
    for step in steps:
        if isinstance(step, ir.UserStep):
            used["intent"].add(step.intent)
            used["entity"].update(e.entity for e in step.entities)
        elif isinstance(step, ir.UserTextStep):
            continue  # names nothing
        elif isinstance(step, ir.BotStep):
            used["bot"].add(step.action)
        elif isinstance(step, ir.FormStep):
            used["form"].add(step.form)
        else:
            used["slot"].add(step.slot)


def _stories(stories: list[ir.Story], used: Used) -> None:
    for story in stories:
        _steps(story.steps, used)


def _rules(rules: list[ir.Rule], used: Used) -> None:
    for rule in rules:
        _steps(rule.steps, used)
        if rule.active_form:
            used["form"].add(rule.active_form)
        used["slot"].update(t.slot for t in rule.conditions)


def _tests(tests: list[ir.ConversationTest], used: Used) -> None:
    for test in tests:
        for step in test.steps:
            if isinstance(step, ir.TestUser):
                if step.intent:
                    used["intent"].add(step.intent)
                if step.meaning:
                    _steps([step.meaning], used)
            elif isinstance(step, ir.TestBot):
                used["bot"].update(n for n in (step.response, step.action) if n)
            elif isinstance(step, ir.TestSlot):
                used["slot"].add(step.slot)
            elif isinstance(step, ir.TestForm):
                used["form"].add(step.form)
                used["slot"].update(step.values)


def _forms(forms: list[ir.Form], used: Used) -> None:
    for form in forms:
        used["bot"].update(form.on_complete)
        if form.validation:
            used["bot"].add(form.validation)
        used["intent"].update(form.ignored_intents)
        for form_slot in form.slots:
            used["slot"].add(form_slot.slot)
            used["bot"].add(form_slot.prompt)
            if form_slot.invalid_response:
                used["bot"].add(form_slot.invalid_response)


def _responses(responses: list[ir.Response], used: Used) -> None:
    for response in responses:
        for variation in response.variations:
            used["slot"].update(t.slot for t in variation.condition)
            with contextlib.suppress(tpl.TemplateError):  # reported by the response check
                used["slot"].update(i.name for i in tpl.interpolations(variation.text))
            for button in variation.buttons:
                used["intent"].add(button.payload[1:].split("{", 1)[0])


def _actions(actions: list[ir.Action], used: Used) -> None:
    for action in actions:
        used["slot"].update(p.slot for p in (*action.inputs, *action.outputs))


def _slots(slots: list[ir.Slot], used: Used) -> None:
    for slot in slots:
        if slot.mappings:
            used["slot"].add(slot.name)  # filled from messages; the policy sees it
        if slot.type.entity:
            used["entity"].add(slot.type.entity)
        if slot.type.item and slot.type.item.entity:
            used["entity"].add(slot.type.item.entity)
        for mapping in slot.mappings:
            if mapping.entity:
                used["entity"].add(mapping.entity)
            if mapping.intent:
                used["intent"].add(mapping.intent)
            used["intent"].update(mapping.only_intents, mapping.except_intents)
            if mapping.form:
                used["form"].add(mapping.form)


def _intents(intents: list[ir.Intent], used: Used) -> None:
    for intent in intents:
        for example in intent.examples:
            used["entity"].update(e.entity for e in example.entities)


COLLECTORS: dict[str, Callable[[Any, Used], None]] = {
    "stories": _stories,
    "rules": _rules,
    "tests": _tests,
    "forms": _forms,
    "responses": _responses,
    "actions": _actions,
    "slots": _slots,
    "intents": _intents,
}
"""`ir.Assistant` list → what collects the names its objects use."""
