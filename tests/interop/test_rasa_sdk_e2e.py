"""End to end with a real Rasa action server: concertbot is imported from its Rasa files,
checked, lowered to IR and run by the dialogue engine, while its custom actions (written
here after the example's README and domain) run in `rasa_sdk` in a separate virtualenv.

The virtualenv is created once and cached under ~/.cache/assistc-test/ (keyed by the
rasa-sdk version); the test skips, saying why, only when it cannot be created.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from interop_helpers import example_dir

from assistc.compiler.compile import compile_project
from assistc.compiler.rasa_import import import_rasa
from assistc.runtime.dialogue.agent import Agent
from assistc.runtime.dialogue.policies import PolicyEnsemble
from assistc.runtime.dialogue.remote import RemoteActionExecutor
from assistc.runtime.dialogue.stores import InMemoryTrackerStore
from assistc.runtime.ir import Assistant
from assistc.runtime.nlu.types import IntentPrediction, ParseResult

RASA_SDK_VERSION = "3.21.1"
VENV = Path.home() / ".cache" / "assistc-test" / f"rasa-sdk-venv-{RASA_SDK_VERSION}"

ACTIONS = """
from rasa_sdk import Action, FormValidationAction
from rasa_sdk.events import SlotSet


class ActionSearchConcerts(Action):
    def name(self):
        return "action_search_concerts"

    def run(self, dispatcher, tracker, domain):
        concerts = [
            {"artist": "Foo Fighters", "reviews": 4.5},
            {"artist": "Katy Perry", "reviews": 5.0},
        ]
        description = ", ".join(c["artist"] for c in concerts)
        dispatcher.utter_message(text=description)
        return [SlotSet("concerts", concerts)]


class ActionSearchVenues(Action):
    def name(self):
        return "action_search_venues"

    def run(self, dispatcher, tracker, domain):
        venues = [{"name": "Big Arena", "reviews": 4.5}, {"name": "Rock Cellar", "reviews": 5.0}]
        dispatcher.utter_message(text="here are some venues I found")
        dispatcher.utter_message(text=", ".join(v["name"] for v in venues))
        return [SlotSet("venues", venues)]


class ActionShowConcertReviews(Action):
    def name(self):
        return "action_show_concert_reviews"

    def run(self, dispatcher, tracker, domain):
        best = max(tracker.get_slot("concerts") or [], key=lambda c: c["reviews"])
        dispatcher.utter_message(text=f"{best['artist']} has the best reviews")
        return []


class ActionShowVenueReviews(Action):
    def name(self):
        return "action_show_venue_reviews"

    def run(self, dispatcher, tracker, domain):
        dispatcher.utter_message(text="Venues are highly rated")
        return []


# formbot's validation: known cuisines only (in lower case), a positive number of
# people, seating "outside"/"inside" or yes/no.
class ValidateRestaurantForm(FormValidationAction):
    def name(self):
        return "validate_restaurant_form"

    def validate_cuisine(self, value, dispatcher, tracker, domain):
        if value.lower() in ("greek", "italian", "chinese", "afghan"):
            return {"cuisine": value.lower()}
        dispatcher.utter_message(response="utter_wrong_cuisine")
        return {"cuisine": None}

    def validate_num_people(self, value, dispatcher, tracker, domain):
        if float(value) > 0:
            return {"num_people": value}
        dispatcher.utter_message(response="utter_wrong_num_people")
        return {"num_people": None}

    def validate_outdoor_seating(self, value, dispatcher, tracker, domain):
        if isinstance(value, str):
            return {"outdoor_seating": "out" in value}
        return {"outdoor_seating": value}


class ActionAskFeedback(Action):
    def name(self):
        return "action_ask_feedback"

    def run(self, dispatcher, tracker, domain):
        people = tracker.get_slot("num_people")
        dispatcher.utter_message(text=f"How was it so far, table for {people:g}?")
        return []


class ActionSetMusicPreference(Action):
    def name(self):
        return "action_set_music_preference"

    def run(self, dispatcher, tracker, domain):
        intent = tracker.latest_message["intent"].get("name")
        return [SlotSet("likes_music", intent == "affirm")]
"""

BOT_CHALLENGE_EXAMPLES = """
  - intent: bot_challenge
    examples: |
      - are you a bot?
      - are you a human?
      - am I talking to a bot?
      - am I talking to a human?
      - is this a computer?
"""


def _sdk_python() -> Path:
    """The rasa-sdk virtualenv's Python, creating the virtualenv on first use (under a
    file lock, so parallel test runs do not build it twice)."""
    python = VENV / "bin" / "python"
    marker = VENV / ".complete"
    VENV.parent.mkdir(parents=True, exist_ok=True)
    with (VENV.parent / f"{VENV.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not marker.is_file():
            _create_venv(python)
            marker.write_text(RASA_SDK_VERSION, encoding="utf-8")
    return python


def _create_venv(python: Path) -> None:
    shutil.rmtree(VENV, ignore_errors=True)
    try:
        subprocess.run(
            [sys.executable, "-m", "venv", str(VENV)], check=True, capture_output=True, timeout=300
        )
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", f"rasa-sdk=={RASA_SDK_VERSION}"],
            check=True,
            capture_output=True,
            timeout=900,
        )
    except (subprocess.SubprocessError, OSError) as error:
        shutil.rmtree(VENV, ignore_errors=True)
        detail = getattr(error, "stderr", b"") or b""
        pytest.skip(
            f"cannot create a virtualenv with rasa-sdk=={RASA_SDK_VERSION} (no network?): "
            f"{error} {detail.decode(errors='replace')[-300:]}"
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def action_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """rasa_sdk serving the concertbot actions on 127.0.0.1; yields the webhook URL."""
    python = _sdk_python()
    folder = tmp_path_factory.mktemp("action_server")
    (folder / "actions").mkdir()
    (folder / "actions" / "__init__.py").write_text("", encoding="utf-8")
    (folder / "actions" / "actions.py").write_text(ACTIONS, encoding="utf-8")
    port = _free_port()
    env = {**os.environ, "SANIC_HOST": "127.0.0.1"}
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen(
        [str(python), "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
        cwd=folder,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"rasa_sdk exited: {(folder / 'server.log').read_text()[-2000:]}")
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"rasa_sdk did not start: {(folder / 'server.log').read_text()}")
            time.sleep(0.2)
        yield f"{base}/webhook"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


class ExampleNLU:
    """Reads a message as the intent of the training example it equals (enough to drive
    a conversation with the example's own phrases)."""

    def __init__(self, assistant: Assistant) -> None:
        self.table = {e.text.lower(): i.name for i in assistant.intents for e in i.examples}

    def parse(self, text: str) -> ParseResult:
        name = self.table.get(text.lower(), "nlu_fallback")
        prediction = IntentPrediction(name=name, confidence=1.0 if name != "nlu_fallback" else 0.1)
        return ParseResult(text=text, intent=prediction, intent_ranking=[prediction])


def imported_concertbot(tmp_path: Path, url: str) -> Assistant:
    """Concertbot imported with its action endpoint at `url`, after fixing the problem
    `assistc check` reports (bot_challenge has no examples in the Rasa project)."""

    def add_examples(rasa: Path) -> None:
        with (rasa / "data" / "nlu.yml").open("a", encoding="utf-8") as nlu:
            nlu.write(BOT_CHALLENGE_EXAMPLES)

    return imported("concertbot", tmp_path, url, add_examples)


def imported(name: str, tmp_path: Path, url: str, change: Callable[[Path], None]) -> Assistant:
    """A copy of example `name`, changed by `change`, with its action endpoint at `url`,
    imported and compiled."""
    rasa = tmp_path / name
    shutil.copytree(example_dir(name), rasa)
    (rasa / "endpoints.yml").write_text(f"action_endpoint:\n  url: {url}\n", encoding="utf-8")
    change(rasa)
    report = import_rasa(rasa, tmp_path / "assistant")
    assert report.ok, report.summary()
    result = compile_project(tmp_path / "assistant")
    assert result.assistant is not None, [(d.code, d.message) for d in result.errors]
    return result.assistant


def make_agent(assistant: Assistant) -> Agent:
    return Agent(
        assistant,
        ExampleNLU(assistant),
        PolicyEnsemble.train(assistant),
        InMemoryTrackerStore(),
        executors={"remote": RemoteActionExecutor(backoff=0.05)},
    )


def texts(agent: Agent, sender: str, message: str) -> list[str | None]:
    return [m.text for m in agent.handle_message(sender, message)]


def test_concertbot_actions_run_in_rasa_sdk(action_server: str, tmp_path: Path) -> None:
    assistant = imported_concertbot(tmp_path, action_server)
    agent = make_agent(assistant)
    assert texts(agent, "fan", "Show me concerts") == ["Foo Fighters, Katy Perry"]
    tracker = agent.tracker("fan")
    assert tracker is not None
    assert [c["artist"] for c in tracker.get_slot("concerts")] == ["Foo Fighters", "Katy Perry"]
    assert texts(agent, "fan", "compare reviews") == ["Katy Perry has the best reviews"]

    assert texts(agent, "venues", "Show me venues") == [
        "here are some venues I found",
        "Big Arena, Rock Cellar",
    ]
    assert texts(agent, "venues", "compare reviews") == ["Venues are highly rated"]

    assert texts(agent, "other", "how do I get started") == [
        "I can help you find concerts and venues. Do you like music?"
    ]
    replies = texts(agent, "other", "yes")
    assert replies[-1] is not None and replies[-1].startswith("Awesome!")
    other = agent.tracker("other")
    assert other is not None and other.get_slot("likes_music") is True


def test_formbot_validates_in_rasa_sdk_and_asks_by_action(
    action_server: str, tmp_path: Path
) -> None:
    """formbot with its validation action declared (the example has it commented out)
    and an `action_ask_feedback`: both are called, as Rasa calls them."""

    def declare_actions(rasa: Path) -> None:
        domain = (rasa / "domain.yml").read_text(encoding="utf-8")
        declared = "actions:\n- validate_restaurant_form\n- action_ask_feedback\n"
        commented = "# actions:\n# - validate_restaurant_form\n"
        (rasa / "domain.yml").write_text(domain.replace(commented, declared), encoding="utf-8")

    assistant = imported("formbot", tmp_path, action_server, declare_actions)
    [form] = assistant.forms
    assert form.validation == "validate_restaurant_form"
    agent = make_agent(assistant)
    assert texts(agent, "u", "im looking for a restaurant") == ["What cuisine?"]
    assert texts(agent, "u", '/inform{"cuisine": "klingon"}') == [
        "Cuisine type is not in the database, please try again",
        "What cuisine?",
    ]
    assert texts(agent, "u", '/inform{"cuisine": "Greek"}') == ["How many people?"]
    assert texts(agent, "u", '/inform{"number": -2}') == [
        "Number of people should be a positive integer, please try again",
        "How many people?",
    ]
    assert texts(agent, "u", '/inform{"number": 4}') == ["Do you want to sit outside?"]
    assert texts(agent, "u", '/inform{"seating": "outside"}') == [
        "Please provide additional preferences"
    ]
    tracker = agent.tracker("u")
    assert tracker is not None
    slots = tracker.slots  # as the validation action normalised them
    assert (slots["cuisine"], slots["num_people"], slots["outdoor_seating"]) == ("greek", 4, True)
    assert texts(agent, "u", "/deny") == ["How was it so far, table for 4?"]


def test_action_server_down_sends_the_error_response(tmp_path: Path) -> None:
    assistant = imported_concertbot(tmp_path, f"http://127.0.0.1:{_free_port()}/webhook")
    agent = make_agent(assistant)
    assert texts(agent, "fan", "search concerts") == [assistant.config.action_error_response]
