"""Small synthetic NLU data for the tests: a few intents, an enum, a lookup table, a regex
entity, a builtin entity, and a free entity with roles, generated from templates."""

from __future__ import annotations

import random

from assistc.runtime.ir import Entity, EntityAnnotation, EnumValue, Example

CITIES = [
    "paris", "london", "berlin", "madrid", "rome", "vienna", "prague", "lisbon", "dublin",
    "oslo", "athens", "warsaw", "budapest", "zurich", "geneva", "milan", "munich", "hamburg",
]  # fmt: skip

GREETINGS = ["hello", "hi there", "good morning", "hey", "hello bot", "hi", "hey there"]
GOODBYES = ["bye", "goodbye", "see you later", "bye bye", "see you", "good night", "farewell"]

SIZE = Entity(
    name="size",
    kind="enum",
    values=[
        EnumValue(name="small", synonyms=["little", "tiny"]),
        EnumValue(name="large", synonyms=["big", "extra large"]),
    ],
)
TOPPING = Entity(
    name="topping",
    kind="lookup",
    values=[
        EnumValue(name="jalapeño"),
        EnumValue(name="mushroom", synonyms=["mushrooms"]),
        EnumValue(name="green pepper"),
        EnumValue(name="pepper"),
    ],
)
ORDER_ID = Entity(name="order_id", kind="regex", pattern=r"\bORD-\d{4}\b")
COUNT = Entity(name="count", kind="builtin", builtin="number")
CITY = Entity(name="city", kind="free", roles=["from", "to"])
ENTITIES = [CITY, COUNT, ORDER_ID, SIZE, TOPPING]


def annotated(intent: str, template: str, **values: tuple[str, str, str | None]) -> Example:
    """`template` with `{field}`s, each filled with (surface text, entity, role)."""
    text = ""
    entities: list[EntityAnnotation] = []
    rest = template
    while "{" in rest:
        before, _, after = rest.partition("{")
        field, _, rest = after.partition("}")
        text += before
        surface, entity, role = values[field]
        end = len(text) + len(surface)
        entities.append(
            EntityAnnotation(start=len(text), end=end, entity=entity, value=surface, role=role)
        )
        text += surface
    return Example(text=text + rest, intent=intent, entities=entities)


def flight_examples(n: int, seed: int = 0) -> list[Example]:
    """`book_flight` examples with `city` annotated with a from/to role."""
    rng = random.Random(seed)
    templates = [
        "fly from {a} to {b}",
        "i want a flight from {a} to {b}",
        "book me a ticket to {b} from {a}",
        "please find flights from {a} to {b} tomorrow",
        "get me to {b} leaving from {a}",
        "is there a plane to {b} from {a}",
    ]
    out = []
    for _ in range(n):
        a, b = rng.sample(CITIES, 2)
        out.append(
            annotated(
                "book_flight", rng.choice(templates), a=(a, "city", "from"), b=(b, "city", "to")
            )
        )
    return out


def chit_chat_examples() -> list[Example]:
    return [Example(text=t, intent="greet") for t in GREETINGS] + [
        Example(text=t, intent="goodbye") for t in GOODBYES
    ]


def pizza_examples() -> list[Example]:
    texts = [
        "i want a large pizza",
        "a small pizza with mushrooms please",
        "order a big pizza with pepper",
        "can i get a tiny pizza",
        "one pizza with green pepper",
        "pizza with jalapeño and mushroom",
        "i would like to order a pizza",
    ]
    return [Example(text=t, intent="order_pizza") for t in texts]
