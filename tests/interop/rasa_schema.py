"""A structure validator for Rasa 3.x projects: keys, types and cross-references as in
the format reference (/work/shared/research/features.md §2). `validate(folder)` returns
every problem found as text, so a test can show them all at once."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

DOMAIN_KEYS = {
    "version",
    "intents",
    "entities",
    "slots",
    "responses",
    "actions",
    "forms",
    "session_config",
    "config",
}
SLOT_TYPES = {"text", "bool", "categorical", "float", "list", "any"}
MAPPING_TYPES = {"from_entity", "from_text", "from_intent", "from_trigger_intent", "custom"}
VARIATION_KEYS = {"text", "buttons", "image", "condition", "channel", "custom", "quick_replies"}
STEP_KEYS = {"intent", "entities", "user", "action", "active_loop", "slot_was_set", "bot", "or"}
STEP_KEYS |= {"checkpoint"}
RULE_KEYS = {"rule", "steps", "condition", "conversation_start", "wait_for_user_input"}
BUILTIN_ACTIONS = {
    "action_listen",
    "action_restart",
    "action_default_fallback",
    "action_deactivate_loop",
    "action_session_start",
    "action_two_stage_fallback",
    "action_back",
}
DEFAULT_INTENTS = {"nlu_fallback", "restart", "back", "out_of_scope", "session_start"}
"""Intents Rasa adds to every domain."""
ANNOTATION = re.compile(
    r"\[(?P<text>[^\]]+?)\](?:\((?P<entity>[^:)]+?)(?::[^)]+)?\)|\{(?P<d>[^}]+?)\})"
)


def _load(path: Path, problems: list[str]) -> dict[str, Any]:
    if not path.is_file():
        problems.append(f"{path.name}: missing")
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        problems.append(f"{path.name}: not a mapping")
        return {}
    return data


def _names(items: Any, what: str, problems: list[str]) -> set[str]:
    names: set[str] = set()
    if not isinstance(items, list):
        problems.append(f"domain: `{what}` is not a list")
        return names
    for item in items:
        if isinstance(item, str):
            names.add(item)
        elif isinstance(item, dict) and len(item) == 1:
            names.add(next(iter(item)))
        else:
            problems.append(f"domain: bad {what} entry {item!r}")
    return names


def validate(folder: Path) -> list[str]:
    problems: list[str] = []
    domain = _load(folder / "domain.yml", problems)
    for key in set(domain) - DOMAIN_KEYS:
        problems.append(f"domain: unknown key {key}")
    intents = _names(domain.get("intents", []), "intents", problems) | DEFAULT_INTENTS
    entities = _names(domain.get("entities", []), "entities", problems)
    slots = domain.get("slots", {})
    responses = domain.get("responses", {})
    forms = domain.get("forms", {})
    actions = _names(domain.get("actions", []), "actions", problems)
    for name, slot in slots.items():
        _check_slot(name, slot, entities, intents, problems)
    for name, variations in responses.items():
        _check_response(name, variations, problems)
    for name, form in forms.items():
        required = form.get("required_slots") if isinstance(form, dict) else None
        if not isinstance(required, list) or not all(s in slots for s in required):
            problems.append(f"form {name}: required_slots must list declared slots")
    known_actions = set(responses) | set(forms) | actions | BUILTIN_ACTIONS
    context = (intents, entities, set(slots) | {"requested_slot"}, known_actions, set(forms))
    nlu = _load(folder / "data" / "nlu.yml", problems)
    _check_nlu(nlu.get("nlu", []), intents, entities, problems)
    stories = _load(folder / "data" / "stories.yml", problems)
    for story in stories.get("stories", []):
        _check_steps(f"story {story.get('story')}", story.get("steps"), context, problems)
    rules = _load(folder / "data" / "rules.yml", problems)
    for rule in rules.get("rules", []):
        for key in set(rule) - RULE_KEYS:
            problems.append(f"rule {rule.get('rule')}: unknown key {key}")
        for condition in rule.get("condition", []):
            if not (
                isinstance(condition, dict) and set(condition) <= {"active_loop", "slot_was_set"}
            ):
                problems.append(f"rule {rule.get('rule')}: bad condition {condition!r}")
        _check_steps(f"rule {rule.get('rule')}", rule.get("steps"), context, problems)
    tests = _load(folder / "tests" / "test_stories.yml", problems)
    for story in tests.get("stories", []):
        _check_steps(f"test {story.get('story')}", story.get("steps"), context, problems)
    config = _load(folder / "config.yml", problems)
    for key in ("pipeline", "policies"):
        if not all(isinstance(c, dict) and "name" in c for c in config.get(key, [None])):
            problems.append(f"config: every {key} item needs a name")
    endpoints = _load(folder / "endpoints.yml", problems)
    if not isinstance(endpoints.get("action_endpoint", {}).get("url"), str):
        problems.append("endpoints: action_endpoint.url missing")
    return problems


def _check_slot(
    name: str, slot: Any, entities: set[str], intents: set[str], problems: list[str]
) -> None:
    if not isinstance(slot, dict) or slot.get("type") not in SLOT_TYPES:
        problems.append(f"slot {name}: bad type")
        return
    if slot["type"] == "categorical" and not isinstance(slot.get("values"), list):
        problems.append(f"slot {name}: categorical without values")
    if slot["type"] == "any" and slot.get("influence_conversation"):
        problems.append(f"slot {name}: any slots may not influence the conversation")
    mappings = slot.get("mappings")
    if not isinstance(mappings, list) or not mappings:
        problems.append(f"slot {name}: mappings must be a non-empty list")
        return
    for mapping in mappings:
        kind = mapping.get("type") if isinstance(mapping, dict) else None
        if kind not in MAPPING_TYPES:
            problems.append(f"slot {name}: bad mapping {mapping!r}")
        elif kind == "from_entity" and mapping.get("entity") not in entities:
            problems.append(f"slot {name}: from_entity of undeclared {mapping.get('entity')}")
        elif kind == "from_intent" and (
            "value" not in mapping or mapping.get("intent") not in intents
        ):
            problems.append(f"slot {name}: from_intent needs a declared intent and a value")


def _check_response(name: str, variations: Any, problems: list[str]) -> None:
    if not isinstance(variations, list) or not variations:
        problems.append(f"response {name}: needs a list of variations")
        return
    for variation in variations:
        if not isinstance(variation, dict) or set(variation) - VARIATION_KEYS:
            problems.append(f"response {name}: bad variation {variation!r}")
            continue
        if "text" in variation and not isinstance(variation["text"], str):
            problems.append(f"response {name}: text must be a string")
        for button in variation.get("buttons", []):
            if not (isinstance(button, dict) and {"title", "payload"} <= set(button)):
                problems.append(f"response {name}: bad button {button!r}")
        for condition in variation.get("condition", []):
            if not (isinstance(condition, dict) and condition.get("type") == "slot"):
                problems.append(f"response {name}: bad condition {condition!r}")


def _check_nlu(items: Any, intents: set[str], entities: set[str], problems: list[str]) -> None:
    for item in items:
        kinds = {"intent", "synonym", "regex", "lookup"} & set(item)
        if len(kinds) != 1 or not isinstance(item.get("examples"), str):
            problems.append(f"nlu: bad item {item!r}")
            continue
        lines = item["examples"].splitlines()
        if not all(line.startswith("- ") for line in lines):
            problems.append(f"nlu: examples of {item} must be `- ` lines")
        if "intent" in item and item["intent"] not in intents:
            problems.append(f"nlu: intent {item['intent']} is not in the domain")
        for line in lines if "intent" in item else []:
            for match in ANNOTATION.finditer(line):
                label = json.loads("{" + match.group("d") + "}") if match.group("d") else None
                entity = label["entity"] if label else match.group("entity")
                if entity not in entities:
                    problems.append(f"nlu: {line!r} annotates undeclared entity {entity}")


def _check_steps(
    where: str, steps: Any, context: tuple[set[str], ...], problems: list[str]
) -> None:
    intents, entities, slots, actions, forms = context
    if not isinstance(steps, list):
        problems.append(f"{where}: steps must be a list")
        return
    for step in steps:
        if not isinstance(step, dict) or set(step) - STEP_KEYS:
            problems.append(f"{where}: bad step {step!r}")
            continue
        if "intent" in step and step["intent"] not in intents:
            problems.append(f"{where}: undeclared intent {step['intent']}")
        for entity in step.get("entities", []):
            name = entity.get("entity") if "entity" in entity else next(iter(entity))
            if name not in entities:
                problems.append(f"{where}: undeclared entity {name}")
        if "action" in step and step["action"] not in actions:
            problems.append(f"{where}: undeclared action {step['action']}")
        if step.get("active_loop") not in forms | {None}:
            problems.append(f"{where}: active_loop of undeclared form {step['active_loop']}")
        for entry in step.get("slot_was_set", []):
            name = entry if isinstance(entry, str) else next(iter(entry))
            if name not in slots:
                problems.append(f"{where}: slot_was_set of undeclared slot {name}")
