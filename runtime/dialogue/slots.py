"""Slot values: typing them, checking form constraints, and filling them from messages.

Values arrive loosely typed (entity values are strings or numbers, action outputs are
whatever user code returned); `coerce_value` turns them into the slot's declared type or
says why it cannot. Filling follows the IR's `SlotMapping`s: an entity (with its role),
a fixed value for an intent, or the whole text while a form asks for that slot.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Mapping
from typing import Any

from assistc.runtime.dialogue.domain import Domain
from assistc.runtime.dialogue.events import SlotSet
from assistc.runtime.dialogue.tracker import Tracker
from assistc.runtime.ir import Constraint, Entity, Slot, SlotMapping, SlotType
from assistc.runtime.nlu.types import ParseResult

_TRUE = frozenset({"true", "yes", "y", "1", "on"})
_FALSE = frozenset({"false", "no", "n", "0", "off"})


class SlotValueError(ValueError):
    """A value that does not fit a slot's type."""


def _number(value: Any) -> float:
    number = math.nan
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        with contextlib.suppress(ValueError):
            number = float(value.strip().replace(",", ""))
    if not math.isfinite(number):
        raise SlotValueError(f"{value!r} is not a number")
    return number


def _enum_member(value: Any, entity: Entity) -> str:
    wanted = str(value).strip().casefold()
    for member in entity.values:
        if wanted == member.name.casefold() or wanted in (s.casefold() for s in member.synonyms):
            return member.name
    names = ", ".join(member.name for member in entity.values)
    raise SlotValueError(f"{value!r} is not one of {entity.name}'s values ({names})")


NUMERIC_BUILTINS = {"number": "float", "ordinal": "int"}
"""Built-in entities whose values are numbers (the contracts type them float and int)."""


def coerce_value(value: Any, slot_type: SlotType, entities: Mapping[str, Entity]) -> Any:
    """`value` as the declared type (None stays None); raises SlotValueError."""
    if value is None or slot_type.kind == "any":
        return value
    kind = slot_type.kind
    if kind == "list":
        assert slot_type.item is not None
        items = value if isinstance(value, list | tuple) else [value]
        return [coerce_value(item, slot_type.item, entities) for item in items]
    if isinstance(value, list | tuple | dict):
        raise SlotValueError(f"{value!r} is not a single {slot_type}")
    if kind == "bool":
        if isinstance(value, bool):
            return value
        word = str(value).strip().casefold()
        if word in _TRUE or word in _FALSE:
            return word in _TRUE
        raise SlotValueError(f"{value!r} is not true or false")
    if kind == "int":
        number = _number(value)
        if not number.is_integer():
            raise SlotValueError(f"{value!r} is not a whole number")
        return int(number)
    if kind == "float":
        return _number(value)
    if isinstance(value, bool):
        raise SlotValueError(f"{value!r} is not {slot_type}")
    if kind == "entity":
        entity = entities.get(str(slot_type.entity))
        if entity is not None and entity.kind == "enum":
            return _enum_member(value, entity)
        if entity is not None and entity.builtin in NUMERIC_BUILTINS:
            # Numbers stay numbers, as the generated contracts type them.
            return coerce_value(value, SlotType(kind=NUMERIC_BUILTINS[entity.builtin]), entities)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def value_fits(domain: Domain, name: str, value: Any) -> bool:
    """Whether a stored value is already of its slot's declared type."""
    slot = domain.slots.get(name)
    if slot is None:
        return True
    try:
        return bool(coerce_value(value, slot.type, domain.entities) == value)
    except SlotValueError:
        return False


def satisfies(value: Any, constraint: Constraint) -> bool:
    """Whether a (typed) value meets a form slot's constraint; lists check every item."""
    if isinstance(value, list):
        return all(satisfies(item, constraint) for item in value)
    if constraint.one_of is not None and value not in constraint.one_of:
        return False
    if constraint.minimum is not None or constraint.maximum is not None:
        try:
            number = _number(value)
        except SlotValueError:
            return False
        if constraint.minimum is not None and number < constraint.minimum:
            return False
        if constraint.maximum is not None and number > constraint.maximum:
            return False
    return constraint.pattern is None or re.fullmatch(constraint.pattern, str(value)) is not None


def _mapping_values(
    mapping: SlotMapping, parse: ParseResult, active_form: str | None, asked: bool, text: bool
) -> list[Any]:
    """The raw values one mapping takes from a message (empty when it does not apply)."""
    if mapping.form is not None and mapping.form != active_form:
        return []
    if mapping.asked and not asked:
        return []
    intent = parse.intent.name
    if (mapping.only_intents and intent not in mapping.only_intents) or (
        intent in mapping.except_intents
    ):
        return []
    if mapping.kind == "entity":
        return [
            entity.value
            for entity in parse.entities
            if entity.entity == mapping.entity
            and entity.role == mapping.role
            and entity.value is not None
        ]
    if mapping.kind == "intent":
        return [mapping.value] if intent == mapping.intent else []
    return [parse.text] if text else []


def slot_candidates(
    slot: Slot,
    parse: ParseResult,
    domain: Domain,
    *,
    active_form: str | None,
    requested_slot: str | None,
) -> list[Any]:
    """Raw values for `slot` in this message, from every mapping, in mapping order.

    `when asked` mappings apply only while a form asks for this slot. Text mappings
    too, and not when the intent is one a rule scoped to that form handles (so "stop"
    is not taken as a name). No mapping applies to a message of an intent the active
    form ignores.
    """
    form = domain.forms.get(active_form) if active_form is not None else None
    if form is not None and parse.intent.name in form.ignored_intents:
        return []
    asked = active_form is not None and requested_slot == slot.name
    text = asked and (
        parse.intent.name not in domain.interruptions.get(active_form or "", frozenset())
    )
    values: list[Any] = []
    for mapping in slot.mappings:
        values.extend(_mapping_values(mapping, parse, active_form, asked, text))
    return values


def typed_value(slot: Slot, raw: list[Any], current: Any, domain: Domain) -> Any:
    """The new slot value from raw candidates: the first one, or for lists, the current
    items plus every new one (no duplicates). Raises SlotValueError."""
    if slot.type.kind != "list":
        return coerce_value(raw[0], slot.type, domain.entities)
    items = list(current) if isinstance(current, list) else []
    for item in coerce_value(raw, slot.type, domain.entities):
        if item not in items:
            items.append(item)
    return items


def fill_slots(tracker: Tracker, domain: Domain) -> list[SlotSet]:
    """Slot changes from the latest message's entity and intent mappings.

    The active form's own slots are left to the form's action, which validates them;
    values that do not fit a slot's type are ignored.
    """
    parse = tracker.latest_message
    if parse is None:
        return []
    active = tracker.active_form
    skip = {fs.slot for fs in domain.forms[active].slots} if active in domain.forms else set()
    events: list[SlotSet] = []
    for slot in domain.slots.values():
        if slot.name in skip:
            continue
        raw = slot_candidates(slot, parse, domain, active_form=active, requested_slot=None)
        if not raw:
            continue
        current = tracker.get_slot(slot.name)
        try:
            value = typed_value(slot, raw, current, domain)
        except SlotValueError:
            continue
        if value != current:
            events.append(SlotSet(name=slot.name, value=value))
    return events
