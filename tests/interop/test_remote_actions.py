"""`RemoteActionExecutor` against scripted action servers (httpx mock transports), and
against a closed port on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from assistc.runtime.dialogue.actions import ActionError, ActionExecutor, ActionResult
from assistc.runtime.dialogue.agent import Agent
from assistc.runtime.dialogue.events import ActiveLoop, FollowupAction, SlotSet, UserUttered
from assistc.runtime.dialogue.policies import PolicyEnsemble
from assistc.runtime.dialogue.remote import RASA_VERSION, RemoteActionExecutor
from assistc.runtime.dialogue.responses import ResponseRenderer
from assistc.runtime.dialogue.stores import InMemoryTrackerStore
from assistc.runtime.dialogue.tracker import Tracker
from assistc.runtime.ir import (
    Action,
    Assistant,
    BotStep,
    Entity,
    EnumValue,
    Example,
    Form,
    FormSlot,
    Intent,
    RemoteImplementation,
    Response,
    Slot,
    SlotType,
    Story,
    UserStep,
    Variation,
)
from assistc.runtime.nlu.types import IntentPrediction, ParseResult

URL = "http://127.0.0.1:5055/webhook"

Handler = Callable[[httpx.Request], httpx.Response]


def make_assistant(url: str = URL, retries: int = 2) -> Assistant:
    action = Action(
        name="action_search",
        implementation=RemoteImplementation(url=url, timeout=1.0, retries=retries),
    )
    return Assistant(
        name="remote",
        entities=[
            Entity(
                name="size", kind="enum", values=[EnumValue(name="small"), EnumValue(name="large")]
            )
        ],
        slots=[
            Slot(name="found", type=SlotType(kind="list", item=SlotType(kind="any"))),
            Slot(name="likes", type=SlotType(kind="bool")),
            Slot(name="size", type=SlotType(kind="entity", entity="size")),
        ],
        responses=[
            Response(name="utter_found", variations=[Variation(text="Found {count} for {size}")]),
            Response(name="utter_ask_size", variations=[Variation(text="Which size?")]),
        ],
        forms=[Form(name="order", slots=[FormSlot(slot="size", prompt="utter_ask_size")])],
        actions=[action],
    )


def make_tracker() -> Tracker:
    parse = ParseResult(text="find", intent=IntentPrediction(name="search", confidence=1.0))
    return Tracker(
        "alice", [UserUttered(text="find", parse_data=parse), SlotSet(name="size", value="large")]
    )


def run(handler: Handler, sleeps: list[float] | None = None, backoff: float = 0.25) -> ActionResult:
    """Run the assistant's remote action once against `handler`; sleeps are recorded."""
    assistant = make_assistant()
    recorded = sleeps if sleeps is not None else []
    client = httpx.Client(transport=httpx.MockTransport(handler))
    executor = RemoteActionExecutor(client, sleep=recorded.append, backoff=backoff)
    return executor.run(
        assistant.actions[0], make_tracker(), assistant, ResponseRenderer(assistant)
    )


def answer(body: Any, status: int = 200) -> Handler:
    return lambda request: httpx.Response(status, json=body)


def test_request_carries_rasa_payload() -> None:
    seen: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return httpx.Response(200, json={"events": [], "responses": []})

    run(handler)
    body = seen[0]
    assert body["next_action"] == "action_search"
    assert body["sender_id"] == "alice"
    assert body["version"] == RASA_VERSION
    assert body["tracker"]["sender_id"] == "alice"
    assert body["tracker"]["slots"]["size"] == "large"
    assert body["tracker"]["latest_message"]["intent"]["name"] == "search"
    domain = body["domain"]
    assert domain["slots"]["size"]["type"] == "categorical"
    assert domain["slots"]["size"]["values"] == ["small", "large"]
    assert domain["forms"] == {"order": {"required_slots": ["size"]}}
    assert domain["actions"] == ["action_search"]
    assert domain["responses"]["utter_found"] == [{"text": "Found {count} for {size}"}]


def test_events_and_responses_are_applied() -> None:
    reply = {
        "events": [
            {"event": "slot", "name": "found", "value": [{"name": "Arena"}]},
            {"event": "slot", "name": "likes", "value": "yes"},
            {"event": "slot", "name": "nonexistent", "value": 1},
            {"event": "active_loop", "name": "order"},
        ],
        "responses": [
            {"text": "Here you go", "buttons": [{"title": "More", "payload": "/more"}]},
            {"response": "utter_found", "count": 2},
            {"image": "https://example.com/a.png"},
        ],
    }
    result = run(answer(reply))
    slots = {e.name: e.value for e in result.events if isinstance(e, SlotSet)}
    assert slots == {"found": [{"name": "Arena"}], "likes": True}
    assert ActiveLoop(name="order").name in [
        e.name for e in result.events if isinstance(e, ActiveLoop)
    ]
    texts = [m.text for m in result.messages]
    assert texts == ["Here you go", "Found 2 for large", None]
    assert result.messages[0].data["buttons"] == [{"title": "More", "payload": "/more"}]
    assert result.messages[2].data == {"image": "https://example.com/a.png"}


def test_a_value_that_does_not_fit_the_slot_is_an_action_error() -> None:
    reply = {"events": [{"event": "slot", "name": "size", "value": "gigantic"}]}
    with pytest.raises(ActionError, match="size"):
        run(answer(reply))


def test_connection_failures_are_retried_with_backoff(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[int] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        raise httpx.ConnectError("connection refused", request=request)

    sleeps: list[float] = []
    with caplog.at_level(logging.ERROR, "assistc.runtime"), pytest.raises(ActionError):
        run(refuse, sleeps, backoff=0.1)
    assert len(calls) == 3  # retries=2
    assert sleeps == [0.1, 0.2]
    assert "unreachable" in caplog.text and URL in caplog.text


def test_backoff_doubles_between_attempts() -> None:
    attempts: list[int] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        attempts.append(1)
        if len(attempts) < 3:
            return httpx.Response(503)
        return httpx.Response(200, json={"events": [], "responses": [{"text": "ok"}]})

    sleeps: list[float] = []
    result = run(flaky, sleeps, backoff=0.1)
    assert [m.text for m in result.messages] == ["ok"]
    assert sleeps == [0.1, 0.2]


@pytest.mark.parametrize("status", [400, 404, 500])
def test_client_and_server_errors_are_not_retried(status: int) -> None:
    calls: list[int] = []

    def reject(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(status, json={"error": "nope", "action_name": "action_search"})

    with pytest.raises(ActionError, match=str(status)):
        run(reject)
    assert calls == [1]


@pytest.mark.parametrize("body", [["not", "a", "map"], {"events": "nope"}, {"responses": [1, 2]}])
def test_malformed_answers_are_action_errors(body: Any) -> None:
    with pytest.raises(ActionError):
        run(answer(body))


def test_closed_port_on_loopback_fails_cleanly() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assistant = make_assistant(f"http://127.0.0.1:{port}/webhook", retries=1)
    executor = RemoteActionExecutor(backoff=0.0)
    with pytest.raises(ActionError, match="unreachable"):
        executor.run(assistant.actions[0], make_tracker(), assistant, ResponseRenderer(assistant))
    executor.close()


def test_a_followup_event_names_the_next_action(caplog: pytest.LogCaptureFixture) -> None:
    reply = {
        "events": [
            {"event": "followup", "name": "utter_found"},
            {"event": "followup", "name": "action_nope"},
        ]
    }
    with caplog.at_level(logging.WARNING, logger="assistc.runtime"):
        result = run(answer(reply))
    assert [(type(e), getattr(e, "name", None)) for e in result.events] == [
        (FollowupAction, "utter_found")
    ]
    assert "follow up with unknown action 'action_nope'" in caplog.text


def test_the_agent_runs_the_followup_before_asking_the_policies() -> None:
    """As Rasa's processor does: the action server's `followup` decides the next action
    (the story shows it, as a Rasa story would), then the policies go on."""
    assistant = make_assistant().model_copy(
        update={
            "intents": [Intent(name="search", examples=[Example(text="find", intent="search")])],
            "stories": [
                Story(
                    name="s",
                    steps=[
                        UserStep(intent="search"),
                        BotStep(action="action_search"),
                        BotStep(action="utter_found"),
                    ],
                )
            ],
        }
    )
    followup = {"events": [{"event": "followup", "name": "utter_found"}], "responses": []}
    client = httpx.Client(transport=httpx.MockTransport(answer(followup)))
    agent = payload_agent(assistant, RemoteActionExecutor(client))
    sent = agent.handle_message("alice", "/search")
    assert [message.text for message in sent] == ["Found {count} for "]
    decisions = [(d.action, d.policy) for d in agent.last_decisions("alice")]
    assert decisions == [
        ("action_search", "memoization"),
        ("utter_found", "followup"),
        ("action_listen", "memoization"),
    ]
    tracker = agent.tracker("alice")
    assert tracker is not None and tracker.followup_action is None
    assert tracker.to_rasa_json()["followup_action"] is None


class NoNLU:
    """The test sends intent payloads only."""

    def parse(self, text: str) -> ParseResult:
        raise AssertionError(f"the NLU was asked to parse {text!r}")


def payload_agent(assistant: Assistant, remote: RemoteActionExecutor | None = None) -> Agent:
    """An agent for intent payloads; its remote actions go to `remote` if given, else to
    a client of its own."""
    executors: dict[str, ActionExecutor] = {"remote": remote} if remote else {}
    return Agent(
        assistant,
        NoNLU(),
        PolicyEnsemble.train(assistant),
        InMemoryTrackerStore(),
        executors=executors,
    )


def test_the_agent_closes_only_the_client_it_opened(monkeypatch: pytest.MonkeyPatch) -> None:
    """Serving ends with `Agent.close()`: the agent's own action-server client is closed,
    a client the caller passed in stays the caller's to close."""
    opened: list[httpx.Client] = []

    class RecordingClient(httpx.Client):
        def __init__(self) -> None:
            super().__init__()
            opened.append(self)

    monkeypatch.setattr(httpx, "Client", RecordingClient)
    assistant = make_assistant()
    own = payload_agent(assistant)
    passed = RecordingClient()
    given = payload_agent(assistant, RemoteActionExecutor(passed))
    own.close()
    given.close()
    assert [client.is_closed for client in opened] == [True, False]
    passed.close()
