"""`assistc run`: a trained bundle served over Rasa's HTTP API on 127.0.0.1, talked to
over real HTTP; and a server killed mid-conversation that restarts over its SQLite store."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from e2e_helpers import (
    Server,
    Trained,
    cli_many,
    copy_example,
    copy_project,
    events,
    trained_model,
)

from assistc import __version__
from assistc.runtime.ir import IR_VERSION

TOKEN = "e2e-s3cret"
GREETINGS = {
    "Welcome to Pizzeria assistc! What can I get you?",
    "Hi! Hungry? I can take your order, track it, or answer questions.",
}
ORDER = [
    ("hi", None),
    (
        "i'd like a large pizza with mushrooms please",
        "Which crust: thin, classic, stuffed or gluten free?",
    ),
    ("thin crust", "What number can we call you on?"),
    ("+44 20 7946 0958", "What's the delivery address?"),
]
"""A pizza order up to the last question: (user text, the bot's answer; None: a greeting)."""
PLACED = re.compile(r"\bOrder PZ\d{4}\b.* large thin pizza with mushrooms\b")
"""Either variation of utter_order_placed, once place_order has set the order id."""


def answers_to(server: Server, sender: str, turns: list[tuple[str, str | None]]) -> list[str]:
    """Play the turns, checking each answer; all the bot's texts, in order."""
    said = []
    for text, expected in turns:
        answer = server.say(sender, text)
        if expected is None:
            assert len(answer) == 1 and answer[0] in GREETINGS, answer
        else:
            assert answer == [expected], (text, answer)
        said.extend(answer)
    return said


@pytest.fixture(scope="module")
def project(trained_pizzeria: Trained, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(trained_pizzeria.project, tmp_path_factory.mktemp("served"))


@pytest.fixture(scope="module")
def served(
    project: Path, trained_pizzeria: Trained, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """`assistc run <one bundle>`, started from another folder, with the default store."""
    _, _, model = trained_model(trained_pizzeria.first_train)
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    server = Server(["run", project / ".assistc" / "models" / model], elsewhere, cwd=elsewhere)
    yield server
    server.stop()


def test_a_full_order_round_trip_with_a_python_action(served: Server, project: Path) -> None:
    """The bundle's project is found from the bundle's path: its Python action runs and
    its conversations are stored in it, not in the working folder."""
    said = answers_to(served, "ana", ORDER)
    placed = served.say("ana", "my address is 12 high street")
    assert len(placed) == 1 and PLACED.search(placed[0]), placed  # place_order ran

    tracker = served.tracker("ana")
    assert tracker["sender_id"] == "ana"
    assert events(tracker, "user") == [text for text, _ in ORDER] + ["my address is 12 high street"]
    assert events(tracker, "bot") == [*said, *placed]
    slots = tracker["slots"]
    assert slots["size"] == "large" and slots["crust"] == "thin"
    assert slots["toppings"] == ["mushrooms"]
    assert re.fullmatch(r"PZ\d{4}", slots["order_id"])
    assert slots["order_id"] in placed[0]
    assert (project / ".assistc" / "tracker.sqlite").is_file()
    assert not (served.stdout_path.parent / ".assistc").exists()


def test_an_order_that_never_mentioned_vegan_is_not_confirmed_as_vegan(served: Server) -> None:
    answers_to(served, "noah", ORDER)
    placed = served.say("noah", "my address is 12 high street")
    assert served.tracker("noah")["slots"]["vegan"] is False
    assert len(placed) == 1 and PLACED.search(placed[0]), placed
    assert "vegan" not in placed[0]


def test_parse_status_health_and_version(served: Server, trained_pizzeria: Trained) -> None:
    text = "where is order AB1234"
    reply = served.http.post("/model/parse", json={"text": text})
    assert reply.status_code == 200, reply.text
    parsed = reply.json()
    assert parsed["intent"]["name"] == "check_status"
    [entity] = [e for e in parsed["entities"] if e["entity"] == "order_id"]
    assert entity["value"] == "AB1234" == text[entity["start"] : entity["end"]]

    _, _, model = trained_model(trained_pizzeria.first_train)
    status = served.get("/status")
    assert status["model_id"] == model and status["assistant"] == "pizzeria"
    assert served.get("/health") == {"status": "ok"}
    version = served.get("/version")
    assert version["version"] == __version__ and version["ir_version"] == IR_VERSION


@pytest.mark.parametrize(
    "body",
    [b'{"sender": "bo", "message": ', b"[1, 2]", b"", b'{"sender": 7, "message": "hi"}'],
    ids=["truncated", "not-an-object", "empty", "wrong-type"],
)
def test_bad_requests_get_a_4xx_json_answer(served: Server, body: bytes) -> None:
    reply = served.http.post(
        "/webhooks/rest/webhook", content=body, headers={"Content-Type": "application/json"}
    )
    assert 400 <= reply.status_code < 500
    answer = reply.json()
    assert answer["status"] == "failure" and answer["code"] == reply.status_code
    assert answer["message"]


def test_unknown_conversations_and_routes_get_a_404_json_answer(served: Server) -> None:
    for path in ("/conversations/nobody-yet/tracker", "/no/such/route"):
        reply = served.http.get(path)
        assert reply.status_code == 404, path
        assert reply.json()["status"] == "failure"


def test_the_server_log_has_no_traceback_after_bad_requests(served: Server) -> None:
    served.http.post("/webhooks/rest/webhook", content=b"{", timeout=30)
    assert served.say("log-check", "what are your opening hours") == [
        "We're open every day from 11:00 to 23:00."
    ]
    assert "Traceback" not in served.log


def test_asking_for_an_orders_status_does_not_say_it_is_cancelled(served: Server) -> None:
    answer = served.say("cid", "where is order AB1234")
    assert answer and answer[0].startswith("Order AB1234: ")
    assert not any("cancelled" in text for text in answer), answer


def test_run_without_a_model_is_a_clear_usage_error(tmp_path: Path) -> None:
    untrained = copy_example("greeting", tmp_path)
    missing, never_trained = cli_many([["run", tmp_path / "nowhere"], ["run", untrained]])
    assert missing.code == 2 and "nowhere: no such file or folder" in missing.stderr
    assert never_trained.code == 2 and "no trained model" in never_trained.stderr
    for ran in (missing, never_trained):
        assert "Traceback" not in ran.output and "serving" not in ran.output


def test_run_on_a_taken_port_is_a_clear_usage_error(served: Server, project: Path) -> None:
    [ran] = cli_many([["run", project, "--memory", "--port", str(served.port)]])
    assert ran.code == 2, ran.describe()
    assert f"cannot listen on 127.0.0.1:{served.port}" in ran.stderr
    assert "Traceback" not in ran.output
    assert served.get("/health") == {"status": "ok"}  # the server on that port is unharmed


# ---------------------------------------------------------------- token


@pytest.fixture(scope="module")
def guarded(project: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server given its token through the environment (ASSISTC_TOKEN)."""
    folder = tmp_path_factory.mktemp("guarded")
    server = Server(["run", project, "--memory"], folder, token=TOKEN, ASSISTC_TOKEN=TOKEN)
    yield server
    server.stop()


def test_the_token_from_the_environment_guards_all_but_health(guarded: Server) -> None:
    http = guarded.http
    for wrong in ({}, {"Authorization": "Bearer nope"}, {"Authorization": TOKEN}):
        reply = http.get("/status", headers=wrong)
        assert reply.status_code == 401, wrong
        assert reply.json()["status"] == "failure"
        refused = http.post(
            "/webhooks/rest/webhook", json={"sender": "x", "message": "hi"}, headers=wrong
        )
        assert refused.status_code == 401, wrong
    assert http.get("/health").status_code == 200
    assert guarded.get("/status")["assistant"] == "pizzeria"  # with the right token
    assert guarded.say("x", "what are your opening hours") == [
        "We're open every day from 11:00 to 23:00."
    ]


# ---------------------------------------------------------------- crash recovery


def test_a_killed_server_restarts_with_every_answered_turn(project: Path, tmp_path: Path) -> None:
    """SIGKILL mid-order, then `run` again over the same `--store`: the conversation and
    its half-filled form carry on where they were."""
    store = tmp_path / "conversations.sqlite"
    command: list[str | Path] = ["run", project, "--store", store, "--token", TOKEN]
    first = Server(command, tmp_path / "first", token=TOKEN)
    try:
        said = answers_to(first, "kim", ORDER)
        first.kill()
    finally:
        first.stop()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{first.url}/health", timeout=5, trust_env=False)

    second = Server(command, tmp_path / "second", token=TOKEN)
    try:
        assert second.http.get("/conversations/kim/tracker").status_code == 401  # --token
        tracker = second.tracker("kim")
        assert events(tracker, "user") == [text for text, _ in ORDER]
        assert events(tracker, "bot") == said
        assert tracker["slots"]["crust"] == "thin"
        assert tracker["slots"]["requested_slot"] == "address"
        placed = second.say("kim", "my address is 12 high street")
        assert len(placed) == 1 and PLACED.search(placed[0]), placed
    finally:
        second.stop()
