"""An assistant's IR as Rasa's domain dictionary (the shape of `domain.yml`).

Rasa action servers receive the domain with every call, and `assistc export rasa`
writes it as `domain.yml`, so both build it here, in the runtime, which the compiler may
import but not the other way round. What Rasa cannot express (a `!=` response condition,
form constraints) is left out and described in `notes`.
"""

from __future__ import annotations

from typing import Any

from assistc.runtime.ir import Assistant, Entity, Slot, SlotMapping, SlotType, Variation

RASA_FORMAT_VERSION = "3.1"
NUMERIC_BUILTINS = frozenset({"number", "ordinal", "money"})


def rasa_domain(assistant: Assistant, notes: list[str] | None = None) -> dict[str, Any]:
    """The domain dictionary; lossy conversions are appended to `notes` when given."""
    lost: list[str] = notes if notes is not None else []
    entities = {entity.name: entity for entity in assistant.entities}
    return {
        "version": RASA_FORMAT_VERSION,
        "intents": [intent.name for intent in assistant.intents],
        "entities": [_entity(entity) for entity in assistant.entities],
        "slots": {slot.name: _slot(slot, assistant, entities) for slot in assistant.slots},
        "responses": {
            response.name: [_variation(response.name, v, lost) for v in response.variations]
            for response in assistant.responses
        },
        "actions": [action.name for action in assistant.actions],
        "forms": {
            form.name: {
                "required_slots": [form_slot.slot for form_slot in form.slots],
                **({"ignored_intents": form.ignored_intents} if form.ignored_intents else {}),
            }
            for form in assistant.forms
        },
        "session_config": {
            "session_expiration_time": 60,
            "carry_over_slots_to_new_session": True,
        },
        "config": {"store_entities_as_slots": False},
    }


def _entity(entity: Entity) -> str | dict[str, Any]:
    if entity.roles:
        return {entity.name: {"roles": list(entity.roles)}}
    return entity.name


def rasa_slot_type(slot_type: SlotType, entities: dict[str, Entity]) -> dict[str, Any]:
    """Rasa's `type` (and `values` for categorical slots) for one of our slot types."""
    kind = slot_type.kind
    if kind in ("text", "bool", "any"):
        return {"type": kind}
    if kind in ("int", "float"):
        return {"type": "float"}
    if kind == "list":
        return {"type": "list"}
    entity = entities.get(str(slot_type.entity))
    if entity is not None and entity.kind == "enum":
        return {"type": "categorical", "values": [value.name for value in entity.values]}
    if entity is not None and entity.builtin in NUMERIC_BUILTINS:
        return {"type": "float"}
    return {"type": "text"}


def _slot(slot: Slot, assistant: Assistant, entities: dict[str, Entity]) -> dict[str, Any]:
    data = rasa_slot_type(slot.type, entities)
    data["influence_conversation"] = data["type"] != "any"
    if slot.initial is not None:
        data["initial_value"] = slot.initial
    asking = [form.name for form in assistant.forms if any(s.slot == slot.name for s in form.slots)]
    mappings = [m for mapping in slot.mappings for m in _mappings(slot.name, mapping, asking)]
    data["mappings"] = mappings or [{"type": "custom"}]
    return data


def _mappings(slot: str, mapping: SlotMapping, asking: list[str]) -> list[dict[str, Any]]:
    if mapping.kind == "entity":
        data: dict[str, Any] = {"type": "from_entity", "entity": mapping.entity}
        if mapping.role:
            data["role"] = mapping.role
    elif mapping.kind == "intent":
        data = {"type": "from_intent", "intent": mapping.intent, "value": mapping.value}
    else:
        data = {"type": "from_text"}
    if mapping.only_intents:
        data["intent"] = list(mapping.only_intents)
    if mapping.except_intents:
        data["not_intent"] = list(mapping.except_intents)
    if mapping.kind == "text" or mapping.asked:  # one mapping per form that asks for it
        forms = [mapping.form] if mapping.form else asking
        return [
            {**data, "conditions": [{"active_loop": form, "requested_slot": slot}]}
            for form in forms
        ]
    if mapping.form:
        data["conditions"] = [{"active_loop": mapping.form}]
    return [data]


def _variation(name: str, variation: Variation, notes: list[str]) -> dict[str, Any]:
    data: dict[str, Any] = {"text": variation.text}
    conditions: list[dict[str, Any]] = []
    for test in variation.condition:
        if test.op in ("==", "unset"):
            value = test.value if test.op == "==" else None
            conditions.append({"type": "slot", "name": test.slot, "value": value})
        else:
            notes.append(
                f"response {name}: condition `{test.slot} {test.op}` has no Rasa equivalent; "
                "the variation is kept without it"
            )
    if conditions:
        data["condition"] = conditions
    if variation.buttons:
        data["buttons"] = [{"title": b.title, "payload": b.payload} for b in variation.buttons]
    if variation.image:
        data["image"] = variation.image
    return data
