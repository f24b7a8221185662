"""The shell, driven by a scripted session over text streams."""

from __future__ import annotations

import io
import json

import pytest
from runtime_fakes import FakeMessage, ScriptedAgent

from assistc.runtime.ir import Assistant, Slot, SlotType
from assistc.runtime.shell import run_shell

SCRIPT = {
    "hi": ("greet", [("utter_greet", [("utter_greet", "Hello!")])], {}),
    "I am Ann": (
        "tell_name",
        [("action_welcome", [("utter_welcome", "Welcome, Ann")])],
        {"name": "Ann"},
    ),
    "/restart": ("restart", [("action_restart", [])], {}),
    '/pick{"n": 2}': ("pick", [("utter_ok", [("utter_ok", "Picked two")])], {}),
}


def make_agent() -> ScriptedAgent:
    slots = [Slot(name="name", type=SlotType(kind="text"))]
    return ScriptedAgent(Assistant(name="demo", slots=slots), SCRIPT)


def chat(agent: ScriptedAgent, *lines: str) -> str:
    output = io.StringIO()
    run_shell(agent, lines=io.StringIO("".join(f"{line}\n" for line in lines)), output=output)
    return output.getvalue()


def test_scripted_session_with_debug_tracker_restart_and_quit() -> None:
    agent = make_agent()
    out = chat(agent, "hi", "/debug", "I am Ann", "/tracker", "/restart", "/quit", "never sent")
    assert out.startswith("Chatting with demo.")
    assert "bot> Hello!" in out
    assert "debug view on" in out
    after_debug = out.split("debug view on", 1)[1]
    assert "intent: tell_name 0.80" in after_debug
    assert 'slots: {"name": "Ann"}' in after_debug
    assert "active form: -" in after_debug
    row = next(line for line in after_debug.splitlines() if "action_welcome" in line)
    assert row.split() == ["action_welcome", "scripted", "1.00"]
    assert "bot> Welcome, Ann" in after_debug
    start = out.index("{", out.index("bot> Welcome, Ann"))
    tracker = json.loads(out[start : out.index("you>", start)])
    assert tracker["sender_id"] == "shell"
    assert "conversation restarted" in out
    texts = [event.text for event in agent.trackers["shell"].events if event.event == "user"]
    assert texts == ["hi", "I am Ann", "/restart"]  # nothing after /quit was sent


def test_debug_off_by_default_and_toggles_back() -> None:
    out = chat(make_agent(), "hi", "/debug", "/debug", "I am Ann")
    assert "intent:" not in out
    assert "debug view off" in out
    assert "bot> Welcome, Ann" in out


def test_end_of_input_ends_the_session_and_help_lists_commands() -> None:
    out = chat(make_agent(), "/help")
    for command in ["/debug", "/restart", "/tracker", "/quit"]:
        assert command in out


def test_tracker_before_any_message() -> None:
    assert "no conversation yet" in chat(make_agent(), "/tracker")


def test_a_number_picks_a_button() -> None:
    agent = make_agent()
    buttons = [
        {"title": "One", "payload": '/pick{"n": 1}'},
        {"title": "Two", "payload": '/pick{"n": 2}'},
    ]
    scripted = agent.handle_message

    def with_buttons(sender_id: str, text: str) -> list[FakeMessage]:
        messages = scripted(sender_id, text)
        if text == "hi":
            messages.append(FakeMessage(recipient_id=sender_id, text="Pick", buttons=buttons))
        return messages

    agent.handle_message = with_buttons  # type: ignore[method-assign]
    out = chat(agent, "hi", "2")
    assert '2: Two (/pick{"n": 2})' in out
    assert "bot> Picked two" in out


def test_an_engine_failure_is_reported_and_the_session_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    out = chat(make_agent(), "not in the script", "hi")
    assert "error: 'not in the script' (details in the log)" in out
    assert "bot> Hello!" in out
    assert "the assistant failed" in caplog.text
