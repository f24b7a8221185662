"""The runtime pieces together with real models: train a bundle, load it, and drive the
real agent through the test runner, the shell and the HTTP server (with a hot swap)."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import httpx
import pytest
from runtime_assistant import make_assistant

from assistc.runtime import ir
from assistc.runtime.bundle import LoadedBundle, load_bundle
from assistc.runtime.dialogue.stores import InMemoryTrackerStore, SQLiteTrackerStore
from assistc.runtime.server import AgentHolder, ServerThread
from assistc.runtime.shell import run_shell
from assistc.runtime.testing import render_text, run_tests
from assistc.runtime.training import train


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> LoadedBundle:
    folder = tmp_path_factory.mktemp("models")
    train(make_assistant(), folder)
    return load_bundle(folder)


def test_the_assistants_own_tests_pass(loaded: LoadedBundle) -> None:
    report = run_tests(loaded.agent(InMemoryTrackerStore()))
    assert report.passed, render_text(report)
    assert [result.name for result in report.results] == ["asks_weather"]


def test_a_wrong_expectation_fails_with_the_actual_turn(loaded: LoadedBundle) -> None:
    wrong = ir.ConversationTest(
        name="wrong",
        steps=[ir.TestUser(text="hello", intent="goodbye"), ir.TestBot(response="utter_bye")],
    )
    report = run_tests(loaded.agent(InMemoryTrackerStore()), [wrong])
    [result] = report.results
    assert [(step.passed, step.actual) for step in result.steps] == [
        (False, result.steps[0].actual),
        (False, 'utter_greet: "Hello! Ask me."'),
    ]
    assert result.steps[0].actual.startswith("intent greet")


def test_shell_session_with_the_real_agent(loaded: LoadedBundle) -> None:
    agent = loaded.agent(InMemoryTrackerStore())
    output = io.StringIO()
    script = "hello\n/debug\nwhat is the weather in Paris\n/restart\n/quit\n"
    run_shell(agent, lines=io.StringIO(script), output=output)
    out = output.getvalue()
    assert "bot> Hello! Ask me." in out
    assert "bot> Sunny in Paris." in out
    assert '"city": "Paris"' in out
    assert "memoization" in out or "rule" in out
    tracker = agent.tracker("shell")
    assert tracker is not None and tracker.slots["city"] is None  # restarted


def test_server_with_the_real_agent_and_a_hot_swap(loaded: LoadedBundle, tmp_path: Path) -> None:
    store = SQLiteTrackerStore(tmp_path / "trackers.db")
    holder = AgentHolder(loaded.agent(store))
    with ServerThread(holder) as server, httpx.Client(base_url=server.url) as http:
        hello = {"sender": "u1", "message": "hello"}
        reply = http.post("/webhooks/rest/webhook", json=hello)
        assert reply.json() == [{"recipient_id": "u1", "text": "Hello! Ask me."}]
        parsed = http.post("/model/parse", json={"text": "weather in Berlin"}).json()
        assert parsed["intent"]["name"] == "weather"
        assert [(e["entity"], e["value"]) for e in parsed["entities"]] == [("city", "Berlin")]

        # hot swap: a retrained assistant (new response text) over the same store
        edited = make_assistant(
            responses=[
                r.model_copy(update={"variations": [ir.Variation(text="Warm in {city}.")]})
                if r.name == "utter_weather"
                else r
                for r in make_assistant().responses
            ]
        )
        models = shutil.copytree(loaded.path.parent, tmp_path / "models")
        result = train(edited, models)
        assert result.trained == []
        holder.swap(load_bundle(result.path).agent(store))
        assert http.get("/status").json()["model_id"] == result.model_id
        ask = {"sender": "u1", "message": "what is the weather in Paris"}
        reply = http.post("/webhooks/rest/webhook", json=ask)
        assert reply.json() == [{"recipient_id": "u1", "text": "Warm in Paris."}]
        events = http.get("/conversations/u1/tracker").json()["events"]
        assert [e["text"] for e in events if e["event"] == "user"] == [
            "hello",
            "what is the weather in Paris",
        ]


def test_tracker_include_events(loaded: LoadedBundle) -> None:
    holder = AgentHolder(loaded.agent(InMemoryTrackerStore()))
    with ServerThread(holder) as server, httpx.Client(base_url=server.url) as http:
        for text in ["hello", "/restart", "bye"]:
            http.post("/webhooks/rest/webhook", json={"sender": "r", "message": text})

        def user_texts(include: str | None) -> list[str]:
            params = {} if include is None else {"include_events": include}
            events = http.get("/conversations/r/tracker", params=params).json()["events"]
            return [event["text"] for event in events if event["event"] == "user"]

        assert user_texts("ALL") == ["hello", "/restart", "bye"]
        assert user_texts(None) == user_texts("after_restart") == ["bye"]
        assert user_texts("APPLIED") == ["bye"]
        after_restart = http.get("/conversations/r/tracker").json()["events"]
        assert after_restart[0]["event"] == "restart"
        none = http.get("/conversations/r/tracker", params={"include_events": "NONE"})
        assert none.json()["events"] is None
        bad = http.get("/conversations/r/tracker", params={"include_events": "SOME"})
        assert bad.status_code == 400
        assert "ALL, APPLIED, AFTER_RESTART, NONE" in bad.json()["message"]
