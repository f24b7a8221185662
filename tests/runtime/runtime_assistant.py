"""A small but complete assistant IR (intents with entities, slots, responses, stories,
rules, tests) for runtime tests that train real models."""

from __future__ import annotations

from assistc.runtime import ir


def _example(intent: str, text: str, city: str | None = None) -> ir.Example:
    if city is None:
        return ir.Example(text=text, intent=intent)
    start = text.index(city)
    span = ir.EntityAnnotation(start=start, end=start + len(city), entity="city", value=city)
    return ir.Example(text=text, intent=intent, entities=[span])


GREET = ["hi", "hello", "hey there", "good morning", "hello bot", "hi there"]
GOODBYE = ["bye", "goodbye", "see you later", "bye bye", "see you", "good night"]
WEATHER = [
    ("what is the weather in Paris", "Paris"),
    ("weather in Berlin please", "Berlin"),
    ("is it raining in London", "London"),
    ("how warm is it in Rome", "Rome"),
    ("forecast for Madrid", "Madrid"),
    ("will it be sunny in Paris tomorrow", "Paris"),
]


def make_assistant(**changes: object) -> ir.Assistant:
    """The assistant; keyword arguments replace top-level fields."""
    assistant = ir.Assistant(
        name="weather",
        intents=[
            ir.Intent(name="goodbye", examples=[_example("goodbye", t) for t in GOODBYE]),
            ir.Intent(name="greet", examples=[_example("greet", t) for t in GREET]),
            ir.Intent(
                name="weather", examples=[_example("weather", t, city) for t, city in WEATHER]
            ),
        ],
        entities=[
            ir.Entity(
                name="city",
                kind="lookup",
                values=[ir.EnumValue(name=c) for c in ["Berlin", "London", "Madrid", "Paris"]],
            )
        ],
        slots=[
            ir.Slot(
                name="city",
                type=ir.SlotType(kind="entity", entity="city"),
                mappings=[ir.SlotMapping(kind="entity", entity="city")],
            )
        ],
        responses=[
            ir.Response(name="utter_bye", variations=[ir.Variation(text="Bye!")]),
            ir.Response(name="utter_greet", variations=[ir.Variation(text="Hello! Ask me.")]),
            ir.Response(name="utter_weather", variations=[ir.Variation(text="Sunny in {city}.")]),
        ],
        stories=[
            ir.Story(
                name="weather",
                steps=[
                    ir.UserStep(intent="greet"),
                    ir.BotStep(action="utter_greet"),
                    ir.UserStep(intent="weather", entities=[ir.StepEntity(entity="city")]),
                    ir.SlotStep(slot="city", value="Paris"),
                    ir.BotStep(action="utter_weather"),
                ],
            )
        ],
        rules=[
            ir.Rule(
                name="bye", steps=[ir.UserStep(intent="goodbye"), ir.BotStep(action="utter_bye")]
            ),
            ir.Rule(
                name="hi", steps=[ir.UserStep(intent="greet"), ir.BotStep(action="utter_greet")]
            ),
        ],
        tests=[
            ir.ConversationTest(
                name="asks_weather",
                steps=[
                    ir.TestUser(text="hello", intent="greet"),
                    ir.TestBot(response="utter_greet"),
                    ir.TestUser(text="what is the weather in Paris", intent="weather"),
                    ir.TestSlot(slot="city", value="Paris"),
                    ir.TestBot(text="Sunny in Paris."),
                    ir.TestUser(text="bye"),
                    ir.TestBot(response="utter_bye"),
                ],
            )
        ],
    )
    return assistant.model_copy(update=changes)
