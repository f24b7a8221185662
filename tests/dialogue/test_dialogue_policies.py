"""Policy priorities, memoisation, the learned policy, fallback, and save/load."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from dialogue_fixtures import NLU_TABLE, AgentFactory, FakeNLU, make_assistant, texts

from assistc.runtime.dialogue.agent import Agent
from assistc.runtime.dialogue.policies import PolicyEnsemble, PolicyLoadError
from assistc.runtime.dialogue.stores import InMemoryTrackerStore
from assistc.runtime.ir import (
    Assistant,
    BotStep,
    Config,
    Response,
    Rule,
    SlotTest,
    Story,
    UserStep,
    UserTextStep,
    Variation,
)

CONVERSATIONS = [
    ["hi", "sad", "yes", "bye"],
    ["hi", "great", "sad", "no"],
    ["I want pizza", "large", "what's up", "50", "2", "Zorblax", "no"],
    ["are you a bot?", "hi", "sad", "Zorblax", "restart", "hi"],
    ["great", "I am vip", "from Paris to Rome", "stop"],
]


def _decisions(agent: Agent) -> list[tuple[str, str, float]]:
    trace = []
    for number, conversation in enumerate(CONVERSATIONS):
        for text in conversation:
            agent.handle_message(f"c{number}", text)
            trace += [
                (d.action, d.policy, round(d.confidence, 9))
                for d in agent.last_decisions(f"c{number}")
            ]
    return trace


def _agent(assistant: Assistant, policies: PolicyEnsemble) -> Agent:
    return Agent(assistant, FakeNLU(NLU_TABLE), policies, InMemoryTrackerStore())


def _after_hi_and(text: str, assistant: Assistant) -> list[tuple[str, str]]:
    agent = _agent(assistant, PolicyEnsemble.train(assistant))
    agent.handle_message("u", "hi")
    agent.handle_message("u", text)
    return [(d.action, d.policy) for d in agent.last_decisions("u")]


def test_a_story_text_turn_decides_over_the_intent_of_the_same_message() -> None:
    plain = make_assistant()
    # "great" is mood_great to the NLU, and the story "happy" answers that with utter_happy.
    assert _after_hi_and("great", plain)[0] == ("utter_happy", "memoization")
    ironic = Story(
        name="ironic",
        steps=[
            UserStep(intent="greet"),
            BotStep(action="utter_greet"),
            UserTextStep(text="  GREAT "),  # matched case and spaces aside
            BotStep(action="utter_cheer_up"),
        ],
    )
    assistant = make_assistant(stories=[*plain.stories, ironic])
    assert _after_hi_and("great", assistant)[0] == ("utter_cheer_up", "memoization")
    # Another message of the same intent is read by its intent, as before.
    table = {**NLU_TABLE, "wonderful": NLU_TABLE["great"]}
    agent = Agent(
        assistant, FakeNLU(table), PolicyEnsemble.train(assistant), InMemoryTrackerStore()
    )
    agent.handle_message("u", "hi")
    agent.handle_message("u", "wonderful")
    assert agent.last_decisions("u")[0].action == "utter_happy"
    learned = PolicyEnsemble.train(assistant).learned
    assert learned is not None and not any("text:" in t for t in learned.vocabulary)


def test_memoisation_follows_a_story(make_agent: AgentFactory) -> None:
    agent = make_agent()
    agent.handle_message("u", "hi")
    agent.handle_message("u", "sad")
    decisions = [(d.action, d.policy) for d in agent.last_decisions("u")]
    assert decisions == [
        ("utter_cheer_up", "memoization"),
        ("utter_did_that_help", "memoization"),
        ("action_listen", "memoization"),
    ]


def test_rules_beat_memoisation(make_agent: AgentFactory, assistant: Assistant) -> None:
    greet_rule = Rule(name="g", steps=[UserStep(intent="greet"), BotStep(action="utter_iamabot")])
    agent = make_agent(assistant_=make_assistant(rules=[*assistant.rules, greet_rule]))
    assert texts(agent.handle_message("u", "hi")) == ["I am a bot, powered by assistc."]
    assert agent.last_decisions("u")[0].policy == "rule"


def test_learned_policy_handles_a_history_no_story_has(make_agent: AgentFactory) -> None:
    agent = make_agent()
    agent.handle_message("u", "hi")
    agent.handle_message("u", "great")
    # greet → great → sad is in no story: memoisation cannot answer.
    assert texts(agent.handle_message("u", "sad")) == [
        "Here is something to cheer you up.",
        "Did that help you?",
    ]
    first = agent.last_decisions("u")[0]
    assert first.policy == "learned"
    assert first.confidence >= 0.3


def test_low_confidence_falls_back_and_reverts_the_turn(make_agent: AgentFactory) -> None:
    strict = make_assistant(config=Config(core_fallback_threshold=0.999))
    agent = make_agent(assistant_=strict)
    agent.handle_message("u", "hi")
    agent.handle_message("u", "great")
    assert texts(agent.handle_message("u", "sad")) == [
        "Sorry, I didn't get that. Could you rephrase?"
    ]
    decision = agent.last_decisions("u")[0]
    assert (decision.action, decision.policy) == ("action_default_fallback", "fallback")
    assert decision.confidence < 0.999
    tracker = agent.tracker("u")
    assert tracker is not None and tracker.latest_message is not None
    assert tracker.latest_message.intent.name == "mood_great"  # the "sad" turn is undone


def test_nlu_fallback_intent_runs_the_fallback(make_agent: AgentFactory) -> None:
    agent = make_agent()
    assert texts(agent.handle_message("u", "gibberish")) == [
        "Sorry, I didn't get that. Could you rephrase?"
    ]
    assert agent.last_decisions("u")[0].action == "action_default_fallback"


def test_fallback_uses_the_response_named_like_the_fallback_action(
    make_agent: AgentFactory, assistant: Assistant
) -> None:
    custom = Response(name="utter_default", variations=[Variation(text="Say again?")])
    agent = make_agent(assistant_=make_assistant(responses=[*assistant.responses, custom]))
    assert texts(agent.handle_message("u", "gibberish")) == ["Say again?"]


def test_save_and_load_give_identical_decisions(
    tmp_path: Path, assistant: Assistant, policies: PolicyEnsemble
) -> None:
    policies.save(tmp_path / "dialogue")
    loaded = PolicyEnsemble.load(tmp_path / "dialogue")
    assert sorted(p.name for p in (tmp_path / "dialogue").iterdir()) == [
        "learned.npz",
        "policies.json",
    ]
    assert loaded.trained_on == policies.trained_on != ""
    assert _decisions(_agent(assistant, loaded)) == _decisions(_agent(assistant, policies))


def test_training_is_deterministic(assistant: Assistant, policies: PolicyEnsemble) -> None:
    again = PolicyEnsemble.train(assistant)
    assert again.memo == policies.memo
    assert again.learned is not None and policies.learned is not None
    assert again.learned.vocabulary == policies.learned.vocabulary
    assert np.array_equal(again.learned.coef, policies.learned.coef)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: (d / "policies.json").unlink(), "cannot read"),
        (lambda d: (d / "policies.json").write_text("{not json"), "not valid JSON"),
        (lambda d: (d / "policies.json").write_text('{"format": "x"}'), "not an assistc"),
        (lambda d: (d / "learned.npz").write_bytes(b"garbage"), "policy weights"),
    ],
)
def test_damaged_policies_give_a_clear_error(
    tmp_path: Path, policies: PolicyEnsemble, damage: object, message: str
) -> None:
    policies.save(tmp_path)
    damage(tmp_path)  # type: ignore[operator]
    with pytest.raises(PolicyLoadError, match=message):
        PolicyEnsemble.load(tmp_path)


def test_other_format_version_and_wrong_shapes_are_refused(
    tmp_path: Path, policies: PolicyEnsemble
) -> None:
    policies.save(tmp_path)
    path = tmp_path / "policies.json"
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "version": 99}))
    with pytest.raises(PolicyLoadError, match="format version 99"):
        PolicyEnsemble.load(tmp_path)
    data["learned"]["classes"] = data["learned"]["classes"][:-1]
    path.write_text(json.dumps(data))
    with pytest.raises(PolicyLoadError, match="shape"):
        PolicyEnsemble.load(tmp_path)


def test_no_stories_still_answers_rules_and_falls_back_otherwise() -> None:
    bare = make_assistant(stories=[])
    agent = _agent(bare, PolicyEnsemble.train(bare))
    assert texts(agent.handle_message("u", "are you a bot?")) == ["I am a bot, powered by assistc."]
    assert texts(agent.handle_message("u", "sad")) == [
        "Sorry, I didn't get that. Could you rephrase?"
    ]


SAVED_FILES = ["policies.json", "learned.npz"]
HASH_SAVED = """
import hashlib, sys, tempfile
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from dialogue_fixtures import make_assistant
from assistc.runtime.dialogue.policies import PolicyEnsemble
with tempfile.TemporaryDirectory() as folder:
    PolicyEnsemble.train(make_assistant()).save(Path(folder))
    for name in ["policies.json", "learned.npz"]:
        print(hashlib.sha256((Path(folder) / name).read_bytes()).hexdigest())
"""


def test_saved_policies_are_byte_identical_across_hash_seeds(
    tmp_path: Path, policies: PolicyEnsemble
) -> None:
    """This process has its own (usually random) hash seed; the subprocess a fixed one."""
    policies.save(tmp_path)
    here = [hashlib.sha256((tmp_path / n).read_bytes()).hexdigest() for n in SAVED_FILES]
    there = subprocess.run(
        [sys.executable, "-c", HASH_SAVED, str(Path(__file__).parent)],
        env={**os.environ, "PYTHONHASHSEED": "12345"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert there == here


def test_saving_without_a_learned_policy_leaves_no_stale_weights(
    tmp_path: Path, policies: PolicyEnsemble
) -> None:
    policies.save(tmp_path)
    bare = PolicyEnsemble.train(make_assistant(stories=[], rules=[]))
    assert bare.learned is None
    bare.save(tmp_path)
    assert not (tmp_path / "learned.npz").exists()
    assert PolicyEnsemble.load(tmp_path).learned is None


def test_conversation_start_rule_only_fires_first(
    make_agent: AgentFactory, assistant: Assistant
) -> None:
    welcome = Rule(
        name="welcome",
        conversation_start=True,
        steps=[UserStep(intent="greet"), BotStep(action="utter_status")],
    )
    agent = make_agent(assistant_=make_assistant(rules=[*assistant.rules, welcome]))
    assert texts(agent.handle_message("u", "hi")) == ["Hello there."]
    assert texts(agent.handle_message("u", "hi")) == ["Hey! How are you?"]
    agent.handle_message("u", "/restart")
    assert texts(agent.handle_message("u", "hi")) == ["Hello there."]


def test_rule_conditions_test_slot_values(make_agent: AgentFactory, assistant: Assistant) -> None:
    vip_greeting = Rule(
        name="vip greeting",
        conditions=[SlotTest(slot="vip", op="==", value=True)],
        steps=[UserStep(intent="greet"), BotStep(action="utter_iamabot")],
    )
    agent = make_agent(assistant_=make_assistant(rules=[*assistant.rules, vip_greeting]))
    assert texts(agent.handle_message("u", "hi")) == ["Hey! How are you?"]
    agent.handle_message("u", "I am vip")
    assert texts(agent.handle_message("u", "hi")) == ["I am a bot, powered by assistc."]
