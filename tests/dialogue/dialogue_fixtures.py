"""A small pizza-and-mood assistant built directly as IR, and a fake NLU for it.

The dialogue engine is tested on its own: the fake NLU looks texts up in a table, so
every test controls exactly which intent and entities a message has.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from assistc.runtime.dialogue.agent import Agent
from assistc.runtime.dialogue.responses import BotMessage
from assistc.runtime.ir import (
    Action,
    ActionParam,
    Assistant,
    BotStep,
    Button,
    Constraint,
    Entity,
    EnumValue,
    Example,
    Form,
    FormSlot,
    FormStep,
    Intent,
    PythonImplementation,
    Response,
    Rule,
    Slot,
    SlotMapping,
    SlotTest,
    SlotType,
    Story,
    UserStep,
    Variation,
)
from assistc.runtime.nlu.types import ExtractedEntity, IntentPrediction, ParseResult

AgentFactory = Callable[..., Agent]
"""What the `make_agent` fixture (conftest.py) returns."""

Value = str | int | float | bool
Ent = tuple[str, Value] | tuple[str, Value, str]


class FakeNLU:
    """`text → (intent, [(entity, value[, role])])`; unknown texts are `nlu_fallback`."""

    def __init__(self, table: dict[str, tuple[str, list[Ent]]]) -> None:
        self.table = table

    def parse(self, text: str) -> ParseResult:
        intent, entities = self.table.get(text, ("nlu_fallback", []))
        confidence = 0.95 if text in self.table else 0.2
        found = [
            ExtractedEntity(
                entity=e[0],
                value=e[1],
                role=e[2] if len(e) == 3 else None,
                start=0,
                end=len(text),
                extractor="fake",
                text=text,
            )
            for e in entities
        ]
        prediction = IntentPrediction(name=intent, confidence=confidence)
        return ParseResult(
            text=text, intent=prediction, entities=found, intent_ranking=[prediction]
        )


NLU_TABLE: dict[str, tuple[str, list[Ent]]] = {
    "hi": ("greet", []),
    "bye": ("goodbye", []),
    "great": ("mood_great", []),
    "sad": ("mood_unhappy", []),
    "yes": ("affirm", []),
    "no": ("deny", []),
    "are you a bot?": ("bot_challenge", []),
    "I want pizza": ("order_pizza", []),
    "I want a big pizza": ("order_pizza", [("size", "large")]),
    "large": ("inform", [("size", "large")]),
    "small": ("inform", [("size", "small")]),
    "2": ("inform", [("number", 2)]),
    "50": ("inform", [("number", 50)]),
    "stop": ("stop", []),
    "with olives": ("inform", [("topping", "olives")]),
    "and ham": ("inform", [("topping", "ham")]),
    "from Paris to Rome": ("travel", [("city", "Paris", "from"), ("city", "Rome", "to")]),
    "I am vip": ("claim_vip", []),
    "what's up": ("chitchat", []),
    "restart": ("restart", []),
    "check": ("check_order", []),
    "crash": ("crash", []),
}


def response(name: str, *texts: str) -> Response:
    return Response(name=name, variations=[Variation(text=t) for t in texts])


def make_assistant(**overrides: object) -> Assistant:
    intents = sorted({intent for intent, _ in NLU_TABLE.values()})
    data: dict[str, object] = dict(
        name="pizzabot",
        intents=[Intent(name=i, examples=[Example(text=i, intent=i)]) for i in intents],
        entities=[
            Entity(
                name="size",
                kind="enum",
                values=[
                    EnumValue(name="small"),
                    EnumValue(name="medium"),
                    EnumValue(name="large", synonyms=["big"]),
                ],
            ),
            Entity(name="number", kind="builtin", builtin="number"),
            Entity(
                name="topping",
                kind="lookup",
                values=[EnumValue(name="olives"), EnumValue(name="ham")],
            ),
            Entity(name="city", kind="free", roles=["from", "to"]),
        ],
        slots=[
            Slot(
                name="count",
                type=SlotType(kind="int"),
                mappings=[SlotMapping(kind="entity", entity="number", form="pizza_form")],
            ),
            Slot(
                name="destination",
                type=SlotType(kind="text"),
                mappings=[SlotMapping(kind="entity", entity="city", role="to")],
            ),
            Slot(
                name="name",
                type=SlotType(kind="text"),
                mappings=[SlotMapping(kind="text", form="pizza_form")],
            ),
            Slot(
                name="origin",
                type=SlotType(kind="text"),
                mappings=[SlotMapping(kind="entity", entity="city", role="from")],
            ),
            Slot(
                name="size",
                type=SlotType(kind="entity", entity="size"),
                mappings=[SlotMapping(kind="entity", entity="size")],
            ),
            Slot(name="in_stock", type=SlotType(kind="bool")),
            Slot(
                name="toppings",
                type=SlotType(kind="list", item=SlotType(kind="entity", entity="topping")),
                mappings=[SlotMapping(kind="entity", entity="topping")],
            ),
            Slot(
                name="vip",
                type=SlotType(kind="bool"),
                initial=False,
                mappings=[SlotMapping(kind="intent", intent="claim_vip", value=True)],
            ),
        ],
        responses=[
            response("utter_greet", "Hey! How are you?"),
            response("utter_happy", "Great, carry on!"),
            response("utter_cheer_up", "Here is something to cheer you up."),
            response("utter_did_that_help", "Did that help you?"),
            response("utter_goodbye", "Bye"),
            response("utter_iamabot", "I am a bot, powered by assistc."),
            response("utter_ask_size", "What size?"),
            response("utter_ask_count", "How many?"),
            response("utter_ask_name", "What name is the order under?"),
            response("utter_invalid_count", "We make 1 to 10 pizzas at a time."),
            response("utter_summary", "{count} {size} pizza(s) for {name}."),
            response("utter_stopped", "OK, order cancelled."),
            response("utter_chitchat", "Just making pizzas."),
            response("utter_anything_else", "Anything else?"),
            response("utter_ok", "Noted."),
            Response(
                name="utter_status",
                variations=[
                    Variation(
                        text="Welcome back, VIP!",
                        condition=[SlotTest(slot="vip", op="==", value=True)],
                    ),
                    Variation(
                        text="Hello there.", buttons=[Button(title="Order", payload="/order_pizza")]
                    ),
                ],
            ),
        ],
        forms=[
            Form(
                name="pizza_form",
                slots=[
                    FormSlot(
                        slot="size",
                        prompt="utter_ask_size",
                        constraint=Constraint(one_of=["small", "large"]),
                    ),
                    FormSlot(
                        slot="count",
                        prompt="utter_ask_count",
                        constraint=Constraint(minimum=1, maximum=10),
                        invalid_response="utter_invalid_count",
                    ),
                    FormSlot(slot="name", prompt="utter_ask_name"),
                ],
                on_complete=["utter_summary"],
            )
        ],
        stories=[
            Story(
                name="happy",
                steps=[
                    UserStep(intent="greet"),
                    BotStep(action="utter_greet"),
                    UserStep(intent="mood_great"),
                    BotStep(action="utter_happy"),
                ],
            ),
            Story(
                name="sad",
                steps=[
                    UserStep(intent="greet"),
                    BotStep(action="utter_greet"),
                    UserStep(intent="mood_unhappy"),
                    BotStep(action="utter_cheer_up"),
                    BotStep(action="utter_did_that_help"),
                    UserStep(intent="affirm"),
                    BotStep(action="utter_happy"),
                ],
            ),
            Story(
                name="sad_no_help",
                steps=[
                    UserStep(intent="greet"),
                    BotStep(action="utter_greet"),
                    UserStep(intent="mood_unhappy"),
                    BotStep(action="utter_cheer_up"),
                    BotStep(action="utter_did_that_help"),
                    UserStep(intent="deny"),
                    BotStep(action="utter_goodbye"),
                ],
            ),
            Story(
                name="order",
                steps=[
                    UserStep(intent="order_pizza"),
                    FormStep(form="pizza_form"),
                    BotStep(action="utter_anything_else"),
                    UserStep(intent="deny"),
                    BotStep(action="utter_goodbye"),
                ],
            ),
        ],
        rules=[
            Rule(
                name="bot",
                steps=[UserStep(intent="bot_challenge"), BotStep(action="utter_iamabot")],
            ),
            Rule(name="bye", steps=[UserStep(intent="goodbye"), BotStep(action="utter_goodbye")]),
            Rule(
                name="stop form",
                active_form="pizza_form",
                steps=[
                    UserStep(intent="stop"),
                    BotStep(action="utter_stopped"),
                    BotStep(action="action_deactivate_loop"),
                ],
            ),
            Rule(
                name="chitchat",
                steps=[UserStep(intent="chitchat"), BotStep(action="utter_chitchat")],
            ),
            Rule(name="travel", steps=[UserStep(intent="travel"), BotStep(action="utter_ok")]),
            Rule(name="vip", steps=[UserStep(intent="claim_vip"), BotStep(action="utter_status")]),
            Rule(name="inform", steps=[UserStep(intent="inform"), BotStep(action="utter_ok")]),
            Rule(
                name="check",
                steps=[UserStep(intent="check_order"), BotStep(action="action_check_order")],
            ),
            Rule(
                name="crash",
                steps=[
                    UserStep(intent="crash"),
                    BotStep(action="action_crash"),
                    BotStep(action="utter_anything_else"),
                ],
            ),
        ],
        actions=[
            Action(
                name="action_check_order",
                inputs=[
                    ActionParam(slot="size", type=SlotType(kind="entity", entity="size")),
                    ActionParam(slot="count", type=SlotType(kind="int")),
                ],
                outputs=[ActionParam(slot="in_stock", type=SlotType(kind="bool"))],
                implementation=PythonImplementation(path="actions/orders.py", function="check"),
            ),
            Action(
                name="action_crash",
                implementation=PythonImplementation(path="actions/orders.py", function="crash"),
            ),
        ],
    )
    data.update(overrides)
    return Assistant.model_validate(data)


def texts(messages: Sequence[BotMessage]) -> list[str | None]:
    return [message.text for message in messages]
