"""End-to-end turns through the Agent with the fake NLU."""

from __future__ import annotations

from conftest import AgentFactory
from dialogue_fixtures import texts


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
