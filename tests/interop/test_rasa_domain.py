"""`rasa_domain`: the Rasa domain dictionary built from the IR (sent to action servers and
written by the export)."""

from __future__ import annotations

from assistc.runtime.dialogue.rasa_domain import rasa_domain
from assistc.runtime.ir import (
    Assistant,
    Entity,
    EnumValue,
    Form,
    FormSlot,
    Response,
    Slot,
    SlotMapping,
    SlotTest,
    SlotType,
    Variation,
)


def make() -> Assistant:
    size = Entity(name="size", kind="enum", values=[EnumValue(name="small"), EnumValue(name="big")])
    count = Entity(name="count", kind="builtin", builtin="number")
    city = Entity(name="city", kind="free", roles=["from", "to"])
    return Assistant(
        name="d",
        entities=[city, count, size],
        slots=[
            Slot(name="guests", type=SlotType(kind="int"), initial=2),
            Slot(
                name="notes",
                type=SlotType(kind="text"),
                mappings=[
                    SlotMapping(kind="text"),
                    SlotMapping(kind="entity", entity="city", asked=True, only_intents=["a"]),
                    SlotMapping(kind="text", form="order", except_intents=["b", "c"]),
                ],
            ),
            Slot(
                name="origin",
                type=SlotType(kind="text"),
                mappings=[SlotMapping(kind="entity", entity="city", role="from")],
            ),
            Slot(name="people", type=SlotType(kind="entity", entity="count")),
            Slot(
                name="size",
                type=SlotType(kind="entity", entity="size"),
                mappings=[
                    SlotMapping(kind="intent", intent="go_big", value="big", form="order"),
                ],
            ),
            Slot(name="stuff", type=SlotType(kind="any")),
        ],
        responses=[
            Response(
                name="utter_x",
                variations=[
                    Variation(text="a", condition=[SlotTest(slot="guests", op=">", value=3)]),
                    Variation(text="b", condition=[SlotTest(slot="notes", op="unset")]),
                ],
            )
        ],
        forms=[
            Form(name="order", slots=[FormSlot(slot="notes", prompt="utter_x")]),
            Form(
                name="survey",
                slots=[FormSlot(slot="notes", prompt="utter_x")],
                ignored_intents=["chitchat"],
            ),
        ],
    )


def test_slots_become_rasa_slots() -> None:
    slots = rasa_domain(make())["slots"]
    assert slots["guests"] == {
        "type": "float",
        "influence_conversation": True,
        "initial_value": 2,
        "mappings": [{"type": "custom"}],
    }
    assert slots["size"]["type"] == "categorical" and slots["size"]["values"] == ["small", "big"]
    assert slots["size"]["mappings"] == [
        {
            "type": "from_intent",
            "intent": "go_big",
            "value": "big",
            "conditions": [{"active_loop": "order"}],
        }
    ]
    assert slots["people"]["type"] == "float"
    assert slots["stuff"]["influence_conversation"] is False
    assert slots["origin"]["mappings"] == [
        {"type": "from_entity", "entity": "city", "role": "from"}
    ]
    asked = [{"active_loop": f, "requested_slot": "notes"} for f in ("order", "survey")]
    assert slots["notes"]["mappings"] == [
        *({"type": "from_text", "conditions": [condition]} for condition in asked),
        *(
            {"type": "from_entity", "entity": "city", "intent": ["a"], "conditions": [condition]}
            for condition in asked
        ),
        {"type": "from_text", "not_intent": ["b", "c"], "conditions": [asked[0]]},
    ]


def test_entities_forms_and_lossy_conditions() -> None:
    notes: list[str] = []
    domain = rasa_domain(make(), notes)
    assert domain["entities"] == [{"city": {"roles": ["from", "to"]}}, "count", "size"]
    assert domain["forms"]["order"] == {"required_slots": ["notes"]}
    assert domain["forms"]["survey"] == {
        "required_slots": ["notes"],
        "ignored_intents": ["chitchat"],
    }
    variations = domain["responses"]["utter_x"]
    assert variations[0] == {"text": "a"}
    assert variations[1] == {
        "text": "b",
        "condition": [{"type": "slot", "name": "notes", "value": None}],
    }
    assert len(notes) == 1 and "guests >" in notes[0]
