"""Slot typing, constraints, and filling slots from messages."""

from __future__ import annotations

from typing import Any

import pytest
from dialogue_fixtures import AgentFactory, make_assistant
from hypothesis import given
from hypothesis import strategies as st

from assistc.runtime.dialogue.domain import Domain
from assistc.runtime.dialogue.slots import (
    SlotValueError,
    coerce_value,
    satisfies,
    slot_candidates,
)
from assistc.runtime.ir import Constraint, Entity, EnumValue, Slot, SlotMapping, SlotType
from assistc.runtime.nlu.types import ExtractedEntity, IntentPrediction, ParseResult

ENTITIES = {
    "size": Entity(
        name="size",
        kind="enum",
        values=[EnumValue(name="small"), EnumValue(name="large", synonyms=["big", "XL"])],
    ),
    "city": Entity(name="city", kind="free"),
}
INT = SlotType(kind="int")
FLOAT = SlotType(kind="float")
BOOL = SlotType(kind="bool")
TEXT = SlotType(kind="text")
SIZE = SlotType(kind="entity", entity="size")
CITY = SlotType(kind="entity", entity="city")


@pytest.mark.parametrize(
    ("value", "slot_type", "expected"),
    [
        ("3", INT, 3),
        (4.0, INT, 4),
        ("1,200", INT, 1200),
        (2, FLOAT, 2.0),
        ("2.5", FLOAT, 2.5),
        ("yes", BOOL, True),
        ("False", BOOL, False),
        (True, BOOL, True),
        (12, TEXT, "12"),
        ("big", SIZE, "large"),
        ("xl", SIZE, "large"),
        ("Small", SIZE, "small"),
        ("Paris", CITY, "Paris"),
        ("big", SlotType(kind="list", item=SIZE), ["large"]),
        (["1", 2], SlotType(kind="list", item=INT), [1, 2]),
        (None, INT, None),
        ({"a": 1}, SlotType(kind="any"), {"a": 1}),
    ],
)
def test_values_are_coerced_to_the_slot_type(
    value: Any, slot_type: SlotType, expected: Any
) -> None:
    assert coerce_value(value, slot_type, ENTITIES) == expected


@pytest.mark.parametrize(
    ("value", "slot_type"),
    [
        ("2.5", INT),
        (True, INT),
        ("many", FLOAT),
        ("maybe", BOOL),
        ("medium", SIZE),
        (["a"], TEXT),
        (float("nan"), FLOAT),
        (["x", "3"], SlotType(kind="list", item=INT)),
    ],
)
def test_values_that_do_not_fit_are_rejected(value: Any, slot_type: SlotType) -> None:
    with pytest.raises(SlotValueError):
        coerce_value(value, slot_type, ENTITIES)


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_any_integer_survives_int_coercion_as_text(number: int) -> None:
    assert coerce_value(str(number), INT, ENTITIES) == number


def test_constraints() -> None:
    between = Constraint(minimum=1, maximum=10)
    assert satisfies(1, between) and satisfies(10, between)
    assert not satisfies(0, between) and not satisfies(11, between)
    assert not satisfies("abc", between)
    assert satisfies("AB-12", Constraint(pattern=r"[A-Z]{2}-\d+"))
    assert not satisfies("AB-12x", Constraint(pattern=r"[A-Z]{2}-\d+"))
    assert satisfies("small", Constraint(one_of=["small", "large"]))
    assert not satisfies("medium", Constraint(one_of=["small", "large"]))
    assert satisfies([2, 3], between) and not satisfies([2, 30], between)


def test_entity_roles_fill_different_slots(make_agent: AgentFactory) -> None:
    agent = make_agent()
    agent.handle_message("u", "from Paris to Rome")
    tracker = agent.tracker("u")
    assert tracker is not None
    assert (tracker.get_slot("origin"), tracker.get_slot("destination")) == ("Paris", "Rome")


def test_intent_mapping_sets_its_value(make_agent: AgentFactory) -> None:
    agent = make_agent()
    tracker = agent.tracker("u")
    assert tracker is None
    agent.handle_message("u", "I am vip")
    tracker = agent.tracker("u")
    assert tracker is not None and tracker.get_slot("vip") is True


def test_list_slots_accumulate_without_duplicates(make_agent: AgentFactory) -> None:
    agent = make_agent()
    for text in ("with olives", "and ham", "with olives"):
        agent.handle_message("u", text)
    tracker = agent.tracker("u")
    assert tracker is not None and tracker.get_slot("toppings") == ["olives", "ham"]


def test_form_scoped_mapping_does_not_fill_outside_the_form(make_agent: AgentFactory) -> None:
    agent = make_agent()
    agent.handle_message("u", "2")
    tracker = agent.tracker("u")
    assert tracker is not None and tracker.get_slot("count") is None


def test_enum_entity_synonym_in_payload_becomes_the_member(make_agent: AgentFactory) -> None:
    agent = make_agent()
    agent.handle_message("u", '/inform{"size": "big"}')
    tracker = agent.tracker("u")
    assert tracker is not None and tracker.get_slot("size") == "large"


CONDITIONED = Slot(
    name="count",
    type=INT,
    mappings=[
        SlotMapping(kind="entity", entity="number", asked=True, only_intents=["inform"]),
        SlotMapping(kind="intent", intent="deny", value=0, form="pizza_form", asked=True),
        SlotMapping(kind="entity", entity="size_number", except_intents=["stop"]),
    ],
)


def _message(intent: str, *entities: tuple[str, int]) -> ParseResult:
    return ParseResult(
        text="x",
        intent=IntentPrediction(name=intent, confidence=1.0),
        entities=[
            ExtractedEntity(entity=name, start=0, end=1, value=value, extractor="test")
            for name, value in entities
        ],
    )


@pytest.mark.parametrize(
    ("message", "active_form", "requested", "expected"),
    [
        # `when asked if intent inform`: only while asked, only for `inform`
        (_message("inform", ("number", 3)), "pizza_form", "count", [3]),
        (_message("inform", ("number", 3)), "pizza_form", "name", []),
        (_message("inform", ("number", 3)), None, None, []),
        (_message("greet", ("number", 3)), "pizza_form", "count", []),
        # `in pizza_form when asked`: only that form, asking for this slot
        (_message("deny"), "pizza_form", "count", [0]),
        (_message("deny"), "other_form", "count", []),
        (_message("deny"), "pizza_form", "size", []),
        # `unless intent stop`: any time, except for `stop`
        (_message("greet", ("size_number", 5)), None, None, [5]),
        (_message("stop", ("size_number", 5)), None, None, []),
    ],
)
def test_mapping_conditions_decide_which_mappings_apply(
    message: ParseResult, active_form: str | None, requested: str | None, expected: list[Any]
) -> None:
    domain = Domain.build(make_assistant())
    found = slot_candidates(
        CONDITIONED, message, domain, active_form=active_form, requested_slot=requested
    )
    assert found == expected
