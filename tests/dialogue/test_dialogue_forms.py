"""Forms: asking, validating, re-asking, interruptions, completion."""

from __future__ import annotations

import pytest
from dialogue_fixtures import AgentFactory, texts

from assistc.runtime.dialogue.agent import Agent
from assistc.runtime.dialogue.domain import domain_of
from assistc.runtime.dialogue.states import dialogue_states
from assistc.runtime.dialogue.tracker import Tracker
from assistc.runtime.ir import Assistant


def _tracker(agent: Agent, sender: str) -> Tracker:
    tracker = agent.tracker(sender)
    assert tracker is not None
    return tracker


def _slots(agent: Agent, sender: str = "u") -> dict[str, object]:
    return _tracker(agent, sender).slots


def test_happy_path_fills_every_slot_then_runs_on_complete(make_agent: AgentFactory) -> None:
    agent = make_agent()
    assert texts(agent.handle_message("u", "I want pizza")) == ["What size?"]
    assert texts(agent.handle_message("u", "large")) == ["How many?"]
    assert texts(agent.handle_message("u", "2")) == ["What name is the order under?"]
    assert texts(agent.handle_message("u", "Zorblax")) == [
        "2 large pizza(s) for Zorblax.",
        "Anything else?",
    ]
    policies = [(d.action, d.policy) for d in agent.last_decisions("u")]
    assert policies[:2] == [("pizza_form", "form"), ("utter_summary", "form")]
    slots = _slots(agent)
    assert (slots["size"], slots["count"], slots["name"]) == ("large", 2, "Zorblax")
    tracker = agent.tracker("u")
    assert tracker is not None and tracker.active_form is None
    assert slots["requested_slot"] is None
    assert texts(agent.handle_message("u", "no")) == ["Bye"]


def test_invalid_value_gets_its_response_and_the_question_again(make_agent: AgentFactory) -> None:
    agent = make_agent()
    agent.handle_message("u", "I want pizza")
    agent.handle_message("u", "small")
    assert texts(agent.handle_message("u", "50")) == [
        "We make 1 to 10 pizzas at a time.",
        "How many?",
    ]
    assert _slots(agent)["count"] is None
    assert texts(agent.handle_message("u", "2")) == ["What name is the order under?"]


def test_constraint_without_invalid_response_just_asks_again(make_agent: AgentFactory) -> None:
    agent = make_agent(table={"medium": ("inform", [("size", "medium")])})
    agent.handle_message("u", "I want pizza")
    assert texts(agent.handle_message("u", "medium")) == ["What size?"]
    assert _slots(agent)["size"] is None


def test_value_given_up_front_is_not_asked_for(make_agent: AgentFactory) -> None:
    agent = make_agent()
    assert texts(agent.handle_message("u", "I want a big pizza")) == ["How many?"]
    assert _slots(agent)["size"] == "large"


def test_form_scoped_rule_interrupts_and_deactivates(make_agent: AgentFactory) -> None:
    agent = make_agent()
    agent.handle_message("u", "I want pizza")
    agent.handle_message("u", "large")
    agent.handle_message("u", "2")
    assert texts(agent.handle_message("u", "stop")) == ["OK, order cancelled."]
    tracker = agent.tracker("u")
    assert tracker is not None and tracker.active_form is None
    assert tracker.get_slot("name") is None  # "stop" was not taken as the name


def test_generic_rule_answers_then_the_form_asks_again(make_agent: AgentFactory) -> None:
    agent = make_agent()
    agent.handle_message("u", "I want pizza")
    assert texts(agent.handle_message("u", "what's up")) == ["Just making pizzas.", "What size?"]
    assert _slots(agent)["size"] is None


def test_free_text_fills_only_the_slot_being_asked(make_agent: AgentFactory) -> None:
    agent = make_agent()
    agent.handle_message("u", "I want pizza")
    agent.handle_message("u", "Zorblax")  # size is asked: text cannot fill it
    assert _slots(agent)["name"] is None
    agent.handle_message("u", "large")
    agent.handle_message("u", "2")
    agent.handle_message("u", "Mrs Zorblax")
    assert _slots(agent)["name"] == "Mrs Zorblax"


def test_complete_form_stands_in_for_the_answers_then_the_bot_goes_on(
    make_agent: AgentFactory,
) -> None:
    agent = make_agent()
    for text in ("I want pizza", "large", "2", "Zorblax"):
        live = agent.handle_message("live", text)
    agent.handle_message("u", "I want pizza")
    sent = agent.complete_form("u", "pizza_form", {"size": "large", "count": 2, "name": "Zorblax"})
    # the form's `then` step, then what the policies choose: as after the live answers
    assert texts(sent) == texts(live) == ["2 large pizza(s) for Zorblax.", "Anything else?"]
    decisions = [(d.action, d.policy) for d in agent.last_decisions("u")]
    assert decisions == [(d.action, d.policy) for d in agent.last_decisions("live")][1:]
    assert decisions[:2] == [("utter_summary", "form"), ("utter_anything_else", "learned")]
    assert _slots(agent) == _slots(agent, "live")
    domain = domain_of(agent.assistant)
    states = [dialogue_states(_tracker(agent, s).applied_events(), domain) for s in ("u", "live")]
    assert states[0] == states[1]  # the policies cannot tell the two conversations apart
    assert texts(agent.handle_message("u", "no")) == ["Bye"]


def test_slots_a_completion_does_not_give_stay_unset(make_agent: AgentFactory) -> None:
    agent = make_agent()
    agent.handle_message("u", "I want a big pizza")
    sent = agent.complete_form("u", "pizza_form", {})
    assert texts(sent)[0] == " large pizza(s) for ."
    assert (_slots(agent)["size"], _slots(agent)["count"]) == ("large", None)


def test_complete_form_refuses_an_inactive_form_or_a_value_it_would_reject(
    make_agent: AgentFactory,
) -> None:
    agent = make_agent()
    with pytest.raises(ValueError, match="'pizza_form' is not active \\(no form is\\)"):
        agent.complete_form("u", "pizza_form", {})
    assert agent.tracker("u") is None  # nothing was stored
    agent.handle_message("u", "I want pizza")
    for values in ({"count": 50}, {"size": "medium"}, {"vip": True}, {"count": "two"}):
        with pytest.raises(ValueError, match="does not accept"):
            agent.complete_form("u", "pizza_form", values)
    tracker = agent.tracker("u")
    assert tracker is not None and tracker.active_form == "pizza_form"
    assert _slots(agent)["count"] is None


@pytest.mark.parametrize(("ignored", "name"), [([], "what's up"), (["chitchat"], None)])
def test_an_ignored_intent_fills_no_slot_while_the_form_asks(
    make_agent: AgentFactory, assistant: Assistant, ignored: list[str], name: str | None
) -> None:
    forms = [form.model_copy(update={"ignored_intents": ignored}) for form in assistant.forms]
    agent = make_agent(assistant_=assistant.model_copy(update={"forms": forms}))
    for text in ("I want pizza", "large", "2"):
        agent.handle_message("u", text)
    sent = texts(agent.handle_message("u", "what's up"))
    assert _slots(agent)["name"] == name
    if name is None:  # the rule answers, then the form asks again
        assert sent == ["Just making pizzas.", "What name is the order under?"]
