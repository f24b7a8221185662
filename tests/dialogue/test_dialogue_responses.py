"""Response rendering: safe templates, conditional variations, seeded choice, messages."""

from __future__ import annotations

from dialogue_fixtures import AgentFactory, make_assistant

from assistc.runtime.dialogue.responses import (
    BotMessage,
    ResponseRenderer,
    choose_variation,
    render_template,
)
from assistc.runtime.ir import BotStep, Response, Rule, SlotTest, UserStep, Variation


def test_slots_are_substituted() -> None:
    values = {"count": 2, "size": "large", "toppings": ["ham", "olives"], "name": None}
    assert render_template("{count} {size}", values) == "2 large"
    assert render_template("with {toppings}", values) == "with ham, olives"
    assert render_template("for [{name}]", values) == "for []"
    assert render_template("{{count}} is {{{count}}}", values) == "{count} is {2}"


def test_templates_cannot_reach_attributes_or_code() -> None:
    values = {"size": "large", "count": 2}
    for text in ("{__class__}", "{size.__class__}", "{size[0]}", "{count!r}", "{count:>9}"):
        assert render_template(text, values) == text
    assert render_template("{__class__.__init__.__globals__}", values).startswith("{__class__")


def test_conditional_variation_wins_when_it_holds() -> None:
    response = next(r for r in make_assistant().responses if r.name == "utter_status")
    vip = choose_variation(response.variations, {"vip": True}, "seed")
    other = choose_variation(response.variations, {"vip": False}, "seed")
    assert vip is not None and vip.text == "Welcome back, VIP!"
    assert other is not None and other.text == "Hello there."


def test_no_variation_when_no_condition_holds() -> None:
    only = [Variation(text="x", condition=[SlotTest(slot="n", op=">", value=3)])]
    assert choose_variation(only, {"n": 2}, "s") is None
    assert choose_variation(only, {"n": "4"}, "s") is None  # unlike types never compare
    chosen = choose_variation(only, {"n": 4}, "s")
    assert chosen is not None and chosen.text == "x"


def test_choice_is_seeded() -> None:
    variations = [Variation(text=str(n)) for n in range(5)]
    picks = [choose_variation(variations, {}, f"u:{turn}") for turn in range(40)]
    assert picks == [choose_variation(variations, {}, f"u:{turn}") for turn in range(40)]
    assert len({pick.text for pick in picks if pick is not None}) > 1


def test_bot_message_serialises_like_rasa() -> None:
    plain = BotMessage(recipient_id="u", text="hi")
    assert plain.model_dump() == {"recipient_id": "u", "text": "hi"}
    rich = BotMessage(recipient_id="u", text="pick", buttons=[{"title": "A", "payload": "/a"}])
    assert rich.model_dump_json() == (
        '{"recipient_id":"u","text":"pick","buttons":[{"title":"A","payload":"/a"}]}'
    )


def test_image_goes_in_its_own_message_after_the_text() -> None:
    assistant = make_assistant(
        responses=[Response(name="r", variations=[Variation(text="look", image="http://x/i.png")])]
    )
    events = ResponseRenderer(assistant).render("r", {}, "seed")
    assert [(e.text, e.data.get("image")) for e in events] == [
        ("look", None),
        (None, "http://x/i.png"),
    ]


def test_buttons_reach_the_user(make_agent: AgentFactory) -> None:
    assistant = make_assistant(
        rules=[Rule(name="s", steps=[UserStep(intent="greet"), BotStep(action="utter_status")])]
    )
    agent = make_agent(assistant_=assistant)
    [message] = agent.handle_message("u", "hi")
    assert message.text == "Hello there."
    assert message.buttons == [{"title": "Order", "payload": "/order_pizza"}]
