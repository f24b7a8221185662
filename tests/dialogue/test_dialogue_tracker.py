"""Events, the derived tracker state, and the Rasa-shaped tracker JSON."""

from __future__ import annotations

from dialogue_fixtures import AgentFactory

from assistc.runtime.dialogue.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Event,
    FollowupAction,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
    event_from_json,
    event_to_json,
)
from assistc.runtime.dialogue.tracker import Tracker, TrackerDomain
from assistc.runtime.nlu.types import IntentPrediction, ParseResult


def _user(intent: str) -> UserUttered:
    parse = ParseResult(text=intent, intent=IntentPrediction(name=intent, confidence=1.0))
    return UserUttered(text=intent, parse_data=parse)


def test_every_event_round_trips_through_json() -> None:
    events: list[Event] = [
        _user("greet"),
        BotUttered(text="hi", data={"buttons": [{"title": "a", "payload": "/a"}]}),
        ActionExecuted(name="utter_greet", policy="rule", confidence=1.0),
        SlotSet(name="size", value=["a", 1]),
        ActiveLoop(name="pizza_form"),
        FollowupAction(name="utter_greet"),
        Restarted(),
        UserUtteranceReverted(),
        SessionStarted(),
    ]
    for event in events:
        assert event_from_json(event_to_json(event)) == event


def test_a_followup_is_pending_until_an_action_runs() -> None:
    tracker = Tracker("u", [_user("greet"), FollowupAction(name="utter_greet")])
    assert tracker.followup_action == "utter_greet"
    assert tracker.to_rasa_json()["followup_action"] == "utter_greet"
    assert tracker.to_rasa_json()["events"][-1] == {
        "event": "followup",
        "name": "utter_greet",
        "timestamp": tracker.events[-1].timestamp,
    }
    tracker.append(ActionExecuted(name="utter_greet"))
    assert tracker.followup_action is None


def test_slots_start_from_initial_values_and_follow_slot_events() -> None:
    domain = TrackerDomain(initial_slots={"vip": False, "size": None})
    tracker = Tracker("u", [SlotSet(name="size", value="large")], domain=domain)
    assert tracker.slots == {"vip": False, "size": "large", "requested_slot": None}
    tracker.append(SlotSet(name="vip", value=True))
    assert tracker.get_slot("vip") is True


def test_rewind_undoes_the_latest_user_turn_and_its_slots() -> None:
    domain = TrackerDomain(initial_slots={"size": None})
    tracker = Tracker("u", [_user("greet"), SlotSet(name="size", value="small")], domain=domain)
    tracker.extend([_user("inform"), SlotSet(name="size", value="large"), UserUtteranceReverted()])
    assert tracker.get_slot("size") == "small"
    assert tracker.latest_message is not None
    assert tracker.latest_message.intent.name == "greet"
    assert len(tracker.events) == 5  # the history itself is append-only


def test_restart_forgets_slots_form_and_messages() -> None:
    domain = TrackerDomain(initial_slots={"vip": False}, forms=frozenset({"f"}))
    tracker = Tracker("u", [_user("x"), SlotSet(name="vip", value=True), ActiveLoop(name="f")])
    tracker = tracker.with_domain(domain)
    before = (tracker.get_slot("vip"), tracker.active_form, tracker.latest_message)
    tracker.append(Restarted())
    after = (tracker.get_slot("vip"), tracker.active_form, tracker.latest_message)
    assert before == (True, "f", _user("x").parse_data)
    assert after == (False, None, None)


def test_tracker_json_has_rasas_shape(make_agent: AgentFactory) -> None:
    agent = make_agent()
    agent.handle_message("u", "I want pizza")
    tracker = agent.tracker("u")
    assert tracker is not None
    data = tracker.to_rasa_json()
    assert set(data) >= {
        "sender_id",
        "slots",
        "latest_message",
        "latest_event_time",
        "followup_action",
        "paused",
        "events",
        "latest_input_channel",
        "active_loop",
        "latest_action_name",
    }
    assert data["sender_id"] == "u"
    assert data["active_loop"] == {"name": "pizza_form"}
    assert data["slots"]["requested_slot"] == "size"
    assert data["latest_message"]["intent"]["name"] == "order_pizza"
    assert data["latest_input_channel"] == "rest"
    assert data["latest_action_name"] == "action_listen"
    assert data["latest_event_time"] == data["events"][-1]["timestamp"]
    kinds = [event["event"] for event in data["events"]]
    assert kinds[:3] == ["action", "session_started", "action"]
    assert {"user", "bot", "slot", "active_loop"} <= set(kinds)
    bot = next(event for event in data["events"] if event["event"] == "bot")
    assert bot["text"] == "What size?"
    assert bot["metadata"] == {"utter_action": "utter_ask_size"}
    assert set(bot["data"]) >= {"buttons", "image", "custom"}
    action = next(e for e in data["events"] if e["event"] == "action" and e["name"] == "pizza_form")
    assert (action["policy"], action["confidence"]) == ("memoization", 1.0)  # story "order"


def test_active_form_at_reports_the_form_in_force_before_each_event() -> None:
    domain = TrackerDomain(forms=frozenset({"f"}))
    events: list[Event] = [
        _user("a"),
        ActiveLoop(name="f"),
        _user("b"),
        ActiveLoop(name=None),
        _user("c"),
        ActiveLoop(name="gone"),  # a form the domain no longer has
        _user("d"),
    ]
    tracker = Tracker("u", events, domain=domain)
    assert [tracker.active_form_at(i) for i in range(len(events))] == [
        None,
        None,
        "f",
        "f",
        None,
        None,
        None,
    ]
    assert tracker.dropped_names() == ([], "gone")


def test_state_updated_event_by_event_equals_state_derived_at_once() -> None:
    domain = TrackerDomain(initial_slots={"size": None, "vip": False}, forms=frozenset({"f"}))
    events: list[Event] = [
        _user("a"),
        SlotSet(name="size", value="small"),
        ActiveLoop(name="f"),
        SlotSet(name="requested_slot", value="size"),
        _user("b"),
        SlotSet(name="vip", value=True),
        UserUtteranceReverted(),
        ActionExecuted(name="x"),
        Restarted(),
        SlotSet(name="size", value="large"),
    ]
    growing = Tracker("u", domain=domain)
    for count, event in enumerate(events, start=1):
        _ = growing.slots  # derived now, so the append below updates the state in place
        growing.append(event)
        at_once = Tracker("u", events[:count], domain=domain)
        assert (growing.slots, growing.active_form, growing.latest_action_name) == (
            at_once.slots,
            at_once.active_form,
            at_once.latest_action_name,
        )
        assert growing.turn == at_once.turn
