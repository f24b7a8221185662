"""End-to-end turns through the Agent with the fake NLU."""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from dialogue_fixtures import NLU_TABLE, AgentFactory, FakeNLU, make_assistant, texts

from assistc.runtime.dialogue.agent import Agent
from assistc.runtime.dialogue.policies import PolicyEnsemble
from assistc.runtime.dialogue.states import given_parse
from assistc.runtime.dialogue.stores import InMemoryTrackerStore, SQLiteTrackerStore
from assistc.runtime.dialogue.tracker import Tracker
from assistc.runtime.ir import Assistant, BotStep, Config, Rule, SlotType, StepEntity, UserStep
from assistc.runtime.nlu.types import ParseResult


def test_story_is_followed_turn_by_turn(make_agent: AgentFactory) -> None:
    agent = make_agent()
    assert texts(agent.handle_message("u", "hi")) == ["Hey! How are you?"]
    assert texts(agent.handle_message("u", "sad")) == [
        "Here is something to cheer you up.",
        "Did that help you?",
    ]
    assert texts(agent.handle_message("u", "yes")) == ["Great, carry on!"]
    assert [d.policy for d in agent.last_decisions("u")] == ["memoization", "memoization"]


def test_messages_carry_the_recipient(make_agent: AgentFactory) -> None:
    agent = make_agent()
    [message] = agent.handle_message("alice", "hi")
    assert message.model_dump() == {"recipient_id": "alice", "text": "Hey! How are you?"}


def test_hot_swap_drops_removed_slots_and_forms_with_a_notice(
    make_agent: AgentFactory, assistant: Assistant, caplog: pytest.LogCaptureFixture
) -> None:
    store = InMemoryTrackerStore()
    old = make_agent(store=store)
    old.handle_message("u", "I am vip")
    old.handle_message("u", "I want pizza")
    before = store.load("u")
    assert before is not None
    edited = make_assistant(
        slots=[s for s in assistant.slots if s.name != "vip"],
        forms=[],
        stories=assistant.stories[:3],
        rules=[r for r in assistant.rules if r.active_form is None],
    )
    new = make_agent(store=store, assistant_=edited)
    with caplog.at_level(logging.INFO, logger="assistc.runtime"):
        tracker = new.tracker("u")
    assert tracker is not None
    assert "vip" not in tracker.slots and tracker.active_form is None
    assert "slot 'vip'" in caplog.text and "form 'pizza_form'" in caplog.text
    after = store.load("u")
    assert after is not None and len(after.events) == len(before.events)  # nothing appended
    assert texts(new.handle_message("u", "hi")) == ["Hey! How are you?"]


def test_conversation_continues_in_a_new_agent_over_the_same_sqlite_store(
    make_agent: AgentFactory, tmp_path: Path
) -> None:
    make_agent(store=SQLiteTrackerStore(tmp_path / "t.db")).handle_message("u", "hi")
    agent = make_agent(store=SQLiteTrackerStore(tmp_path / "t.db"))
    assert texts(agent.handle_message("u", "sad"))[0] == "Here is something to cheer you up."
    assert agent.last_decisions("u")[0].policy == "memoization"


def test_button_payload_skips_the_nlu(make_agent: AgentFactory) -> None:
    agent = make_agent()
    parse = agent.parse('/travel{"city": ["Oslo"], "bad": {"x": 1}}')
    assert parse.intent.name == "travel" and parse.intent.confidence == 1.0
    assert [(e.entity, e.value) for e in parse.entities] == [("city", "Oslo")]
    assert agent.parse("/not_an_intent").intent.name == "nlu_fallback"  # left to the NLU
    assert agent.parse("/greet{oops").intent.name == "nlu_fallback"


def test_restart_forgets_everything(make_agent: AgentFactory) -> None:
    agent = make_agent()
    agent.handle_message("u", "I am vip")
    agent.handle_message("u", "I want pizza")
    assert texts(agent.handle_message("u", "/restart")) == []
    tracker = agent.tracker("u")
    assert tracker is not None
    assert (tracker.get_slot("vip"), tracker.active_form) == (False, None)
    assert texts(agent.handle_message("u", "hi")) == ["Hey! How are you?"]
    assert agent.last_decisions("u")[0].policy == "memoization"  # a fresh story start


def test_actions_per_turn_are_capped(
    make_agent: AgentFactory, caplog: pytest.LogCaptureFixture
) -> None:
    capped = make_assistant(config=Config(max_actions_per_turn=1))
    agent = make_agent(assistant_=capped)
    agent.handle_message("u", "hi")
    with caplog.at_level(logging.WARNING, logger="assistc.runtime"):
        replies = texts(agent.handle_message("u", "sad"))
    assert replies == ["Here is something to cheer you up."]
    assert "max_actions_per_turn" in caplog.text
    tracker = agent.tracker("u")
    assert tracker is not None and tracker.latest_action_name == "action_listen"


def test_senders_are_independent_and_can_run_concurrently(make_agent: AgentFactory) -> None:
    agent = make_agent(store=InMemoryTrackerStore())
    script = ["hi", "sad", "yes"]

    def chat(sender: str) -> list[str | None]:
        return [text for line in script for text in texts(agent.handle_message(sender, line))]

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(chat, [f"s{n}" for n in range(8)]))
    assert all(result == results[0] for result in results)
    assert results[0][-1] == "Great, carry on!"
    assert agent.store.sender_ids() == sorted(f"s{n}" for n in range(8))


def test_action_back_undoes_the_previous_turn(
    make_agent: AgentFactory, assistant: Assistant
) -> None:
    back = Rule(name="back", steps=[UserStep(intent="go_back"), BotStep(action="action_back")])
    agent = make_agent(
        assistant_=make_assistant(rules=[*assistant.rules, back]),
        table={"back": ("go_back", [])},
    )
    agent.handle_message("u", "hi")
    agent.handle_message("u", "I am vip")
    assert texts(agent.handle_message("u", "back")) == []
    tracker = agent.tracker("u")
    assert tracker is not None and tracker.latest_message is not None
    assert tracker.latest_message.intent.name == "greet"
    assert tracker.get_slot("vip") is False


def test_hot_swap_ignores_values_that_no_longer_fit_their_slot(
    make_agent: AgentFactory, assistant: Assistant, caplog: pytest.LogCaptureFixture
) -> None:
    store = InMemoryTrackerStore()
    make_agent(store=store).handle_message("u", "from Paris to Rome")
    retyped = [
        s.model_copy(update={"type": SlotType(kind="int")}) if s.name == "origin" else s
        for s in assistant.slots
    ]
    new = make_agent(store=store, assistant_=make_assistant(slots=retyped))
    with caplog.at_level(logging.INFO, logger="assistc.runtime"):
        tracker = new.tracker("u")
    assert tracker is not None
    assert (tracker.get_slot("origin"), tracker.get_slot("destination")) == (None, "Rome")
    assert "slot 'origin'" in caplog.text


class BrokenNLU:
    def parse(self, text: str) -> ParseResult:
        raise RuntimeError("model exploded")


def test_a_failing_nlu_reads_as_nlu_fallback(
    assistant: Assistant, policies: PolicyEnsemble, caplog: pytest.LogCaptureFixture
) -> None:
    agent = Agent(assistant, BrokenNLU(), policies, InMemoryTrackerStore())
    with caplog.at_level(logging.ERROR, logger="assistc.runtime"):
        replies = texts(agent.handle_message("u", "hello"))
    assert replies == ["Sorry, I didn't get that. Could you rephrase?"]
    assert "model exploded" in caplog.text
    assert agent.parse("/greet").intent.name == "greet"  # payloads still work


class SlowNLU(FakeNLU):
    """Parsing takes a while, so concurrent turns would overlap without serialisation."""

    def parse(self, text: str) -> ParseResult:
        time.sleep(0.01)
        return super().parse(text)


def test_concurrent_turns_of_one_sender_do_not_interleave(
    assistant: Assistant, policies: PolicyEnsemble
) -> None:
    agent = Agent(assistant, SlowNLU(NLU_TABLE), policies, InMemoryTrackerStore())
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda _: agent.handle_message("same", "are you a bot?"), range(12)))
    tracker = agent.tracker("same")
    assert tracker is not None
    kinds = [type(e).__name__ for e in tracker.events]
    turn = ["UserUttered", "ActionExecuted", "BotUttered", "ActionExecuted"]
    assert kinds == ["ActionExecuted", "SessionStarted", "ActionExecuted", *turn * 12]


def test_agent_sees_turns_another_agent_added_to_the_store(make_agent: AgentFactory) -> None:
    store = InMemoryTrackerStore()
    first, second = make_agent(store=store), make_agent(store=store)
    first.handle_message("u", "hi")
    second.handle_message("u", "I am vip")
    tracker = first.tracker("u")
    assert tracker is not None and tracker.get_slot("vip") is True
    assert tracker.turn == 2
    store.save(Tracker("u", []))  # someone replaced the conversation
    replaced = first.tracker("u")
    assert replaced is not None and replaced.get_slot("vip") is False and replaced.turn == 0


def test_returned_trackers_do_not_change_with_later_turns(make_agent: AgentFactory) -> None:
    agent = make_agent()
    agent.handle_message("u", "hi")
    before = agent.tracker("u")
    assert before is not None
    count = len(before.events)
    agent.handle_message("u", "I am vip")
    assert len(before.events) == count and before.get_slot("vip") is False


def test_a_given_reading_is_taken_instead_of_the_nlu(make_agent: AgentFactory) -> None:
    """A conversation test's `meaning`: the text is recorded, the intent and entities are
    the given ones (the fake NLU reads this text as nlu_fallback), and slots fill from them."""
    agent = make_agent()
    step = UserStep(intent="order_pizza", entities=[StepEntity(entity="size", value="large")])
    agent.handle_message("u", "a whopper", reading=given_parse(step, "a whopper", "test"))
    tracker = agent.tracker("u")
    assert tracker is not None and tracker.latest_message is not None
    assert tracker.latest_message.text == "a whopper"
    assert tracker.latest_message.intent.name == "order_pizza"
    assert tracker.slots["size"] == "large"
