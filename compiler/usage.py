"""Definitions nothing uses (warnings): usually a typo elsewhere, or dead weight."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

from assistc.compiler.symbols import Namespace, SymbolTable
from assistc.dsl import templates as tpl
from assistc.dsl.diagnostics import Diagnostic
from assistc.runtime import ir


def unused_definitions(
    table: SymbolTable, assistant: ir.Assistant, used_phrases: set[str]
) -> list[Diagnostic]:
    used = _used_names(assistant)
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
        for name, (name_node, _) in sorted(namespace.items.items()):
            if name in used[namespace.kind] or name_node.span.file in table.stdlib_files:
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


def _used_names(assistant: ir.Assistant) -> dict[str, set[str]]:
    used: dict[str, set[str]] = {
        kind: set() for kind in ("intent", "response", "action", "form", "entity", "slot")
    }
    bot_actions: set[str] = {assistant.config.fallback_action}

    def steps(items: Iterable[ir.Step]) -> None:
        for step in items:
            if isinstance(step, ir.UserStep):
                used["intent"].add(step.intent)
                used["entity"].update(e.entity for e in step.entities)
            elif isinstance(step, ir.BotStep):
                bot_actions.add(step.action)
            elif isinstance(step, ir.FormStep):
                used["form"].add(step.form)
            else:
                used["slot"].add(step.slot)

    for story in assistant.stories:
        steps(story.steps)
    for rule in assistant.rules:
        steps(rule.steps)
        if rule.active_form:
            used["form"].add(rule.active_form)
        used["slot"].update(t.slot for t in rule.conditions)
    for test in assistant.tests:
        for test_step in test.steps:
            if isinstance(test_step, ir.TestUser) and test_step.intent:
                used["intent"].add(test_step.intent)
            elif isinstance(test_step, ir.TestBot):
                bot_actions.update(n for n in (test_step.response, test_step.action) if n)
            elif isinstance(test_step, ir.TestSlot):
                used["slot"].add(test_step.slot)
            elif isinstance(test_step, ir.TestForm):
                used["form"].add(test_step.form)
                used["slot"].update(test_step.values)
    for form in assistant.forms:
        bot_actions.update(form.on_complete)
        if form.validation:
            bot_actions.add(form.validation)
        for form_slot in form.slots:
            used["slot"].add(form_slot.slot)
            bot_actions.add(form_slot.prompt)
            if form_slot.invalid_response:
                bot_actions.add(form_slot.invalid_response)
    for response in assistant.responses:
        for variation in response.variations:
            used["slot"].update(t.slot for t in variation.condition)
            with contextlib.suppress(tpl.TemplateError):  # reported by the response check
                used["slot"].update(i.name for i in tpl.interpolations(variation.text))
            for button in variation.buttons:
                used["intent"].add(button.payload[1:].split("{", 1)[0])
    for action in assistant.actions:
        used["slot"].update(p.slot for p in (*action.inputs, *action.outputs))
    for slot in assistant.slots:
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
            if mapping.form:
                used["form"].add(mapping.form)
    for intent in assistant.intents:
        for example in intent.examples:
            used["entity"].update(e.entity for e in example.entities)
    used["response"] = bot_actions
    used["action"] = bot_actions
    return used
