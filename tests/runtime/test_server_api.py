"""The HTTP API on a real uvicorn server bound to 127.0.0.1 (a free port per server)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from runtime_fakes import FakeAgent

from assistc import __version__
from assistc.runtime.server import AgentHolder, ServerError, ServerThread

TOKEN = "s3cret"


@pytest.fixture(scope="module")
def holder() -> AgentHolder:
    return AgentHolder(FakeAgent("unused"))


@pytest.fixture(scope="module")
def server(holder: AgentHolder) -> Iterator[ServerThread]:
    with ServerThread(holder, max_body_bytes=1024) as running:
        yield running


@pytest.fixture
def agent(holder: AgentHolder) -> FakeAgent:
    """A fresh agent per test, swapped into the one server of this module."""
    fresh = FakeAgent("m1")
    holder.swap(fresh)
    return fresh


@pytest.fixture
def client(server: ServerThread, agent: FakeAgent) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as http:
        yield http


def test_binds_loopback_by_default(server: ServerThread) -> None:
    assert server.host == "127.0.0.1"
    assert server.port > 0


def test_webhook_round_trip(client: httpx.Client, agent: FakeAgent) -> None:
    reply = client.post("/webhooks/rest/webhook", json={"sender": "ann", "message": "hi"})
    assert reply.status_code == 200
    assert reply.json() == [
        {"recipient_id": "ann", "text": "m1:hi"},
        {"recipient_id": "ann", "text": "m1:done"},
    ]
    assert agent.trackers["ann"].texts == ["hi"]


def test_webhook_without_a_sender_talks_to_the_default_conversation(
    client: httpx.Client, agent: FakeAgent
) -> None:
    """As Rasa's REST channel does."""
    reply = client.post("/webhooks/rest/webhook", json={"message": "hi"})
    assert reply.status_code == 200
    assert reply.json()[0]["recipient_id"] == "default"
    assert agent.trackers["default"].texts == ["hi"]


def test_parse_returns_parse_result_json(client: httpx.Client) -> None:
    reply = client.post("/model/parse", json={"text": "hello there"})
    assert reply.status_code == 200
    body = reply.json()
    assert body["text"] == "hello there"
    assert body["intent"] == {"name": "greet", "confidence": 0.9}
    assert body["entities"] == []
    assert body["intent_ranking"][0]["name"] == "greet"


def test_tracker_of_known_and_unknown_conversation(client: httpx.Client) -> None:
    client.post("/webhooks/rest/webhook", json={"sender": "bo", "message": "one"})
    client.post("/webhooks/rest/webhook", json={"sender": "bo", "message": "two"})
    reply = client.get("/conversations/bo/tracker")
    assert reply.status_code == 200
    assert [event["text"] for event in reply.json()["events"]] == ["one", "two"]
    missing = client.get("/conversations/nobody/tracker")
    assert missing.status_code == 404
    assert "nobody" in missing.json()["message"]


def test_status_health_version(client: httpx.Client, agent: FakeAgent) -> None:
    status = client.get("/status").json()
    assert status["model_id"] == "m1"
    assert status["fingerprint"] == agent.assistant.fingerprint
    assert status["loaded_at"].startswith("20")
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/version").json()["version"] == __version__


@pytest.mark.parametrize(
    ("path", "content", "status", "phrase"),
    [
        ("/webhooks/rest/webhook", b"{not json", 400, "not valid JSON"),
        ("/webhooks/rest/webhook", b"", 400, "empty"),
        ("/webhooks/rest/webhook", b"\xff\xfe", 400, "not valid JSON"),
        ("/webhooks/rest/webhook", b"[1, 2]", 400, "JSON object"),
        ("/webhooks/rest/webhook", b'{"sender": "a"}', 400, "'message'"),
        ("/webhooks/rest/webhook", b'{"sender": 7, "message": "hi"}', 400, "a number"),
        ("/webhooks/rest/webhook", b'{"sender": "a", "message": null}', 400, "null"),
        ("/webhooks/rest/webhook", b'{"sender": "a", "message": ["x"]}', 400, "an array"),
        ("/webhooks/rest/webhook", b'{"sender": "", "message": "hi"}', 400, "empty"),
        ("/webhooks/rest/webhook", b'{"sender": "' + b"s" * 300 + b'", "message": ""}', 400, "256"),
        ("/model/parse", b'{"text": {"a": 1}}', 400, "an object"),
        ("/model/parse", b"{}", 400, "'text'"),
        ("/model/parse", b"x" * 2000, 413, "larger than 1024"),
    ],
)
def test_malformed_input_gets_4xx_json(
    client: httpx.Client, path: str, content: bytes, status: int, phrase: str
) -> None:
    reply = client.post(path, content=content, headers={"content-type": "application/json"})
    assert reply.status_code == status
    body = reply.json()
    assert body["status"] == "failure"
    assert body["code"] == status
    assert phrase in body["message"]
    assert client.get("/health").status_code == 200  # still alive


def test_oversized_body_without_content_length_is_refused(client: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b'{"text": "' + b"y" * 200

    reply = client.post("/model/parse", content=chunks())
    assert reply.status_code == 413


def test_unknown_route_and_wrong_method_get_json(client: httpx.Client) -> None:
    missing = client.get("/nope")
    assert missing.status_code == 404
    assert missing.json()["status"] == "failure"
    wrong = client.get("/webhooks/rest/webhook")
    assert wrong.status_code == 405
    assert wrong.json()["code"] == 405


def test_agent_failure_is_a_json_500_and_server_survives(
    client: httpx.Client, agent: FakeAgent, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(sender_id: str, text: str) -> list[object]:
        raise RuntimeError("bug in the engine")

    monkeypatch.setattr(agent, "handle_message", broken)
    reply = client.post("/webhooks/rest/webhook", json={"sender": "a", "message": "hi"})
    assert reply.status_code == 500
    assert reply.json()["reason"] == "InternalError"
    assert "bug in the engine" not in reply.text
    assert client.get("/health").status_code == 200


def test_token_protects_everything_but_health(holder: AgentHolder) -> None:
    with ServerThread(holder, token=TOKEN) as server, httpx.Client(base_url=server.url) as http:
        assert http.get("/health").status_code == 200
        for path in ["/status", "/version", "/conversations/x/tracker"]:
            reply = http.get(path)
            assert reply.status_code == 401, path
            assert reply.json()["reason"] == "NotAuthenticated"
        wrong = http.get("/status", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        assert http.post("/model/parse", json={"text": "hi"}).status_code == 401
        bearer = http.get("/status", headers={"Authorization": f"Bearer {TOKEN}"})
        assert bearer.status_code == 200
        query = http.post("/model/parse", params={"token": TOKEN}, json={"text": "hi"})
        assert query.status_code == 200


def test_taken_port_is_a_clear_error(server: ServerThread, holder: AgentHolder) -> None:
    with pytest.raises(ServerError, match="cannot listen"):
        ServerThread(holder, port=server.port)


def test_same_sender_in_order_different_senders_in_parallel(
    client: httpx.Client, agent: FakeAgent
) -> None:
    agent.delay = 0.02
    agent.gate = threading.Event()
    texts = [str(number) for number in range(6)]

    def send(text: str) -> int:
        body = {"sender": "same", "message": text}
        return client.post("/webhooks/rest/webhook", json=body).status_code

    with ThreadPoolExecutor(max_workers=len(texts)) as pool:
        first = pool.submit(send, texts[0])
        assert agent.entered.wait(5)
        rest = []
        for text in texts[1:]:
            rest.append(pool.submit(send, text))
            time.sleep(0.25)  # let the server receive each request before the next one
        agent.gate.set()
        assert [future.result() for future in [first, *rest]] == [200] * len(texts)
    assert agent.trackers["same"].texts == texts
    assert agent.overlaps == []

    # Two different senders must be inside handle_message at the same time to pass the
    # barrier; a server that serialised all requests would break it (BrokenBarrierError).
    agent.gate = None
    agent.barrier = threading.Barrier(2, timeout=5)
    with ThreadPoolExecutor(max_workers=2) as pool:
        bodies = [{"sender": name, "message": "x"} for name in ["p", "q"]]
        futures = [pool.submit(client.post, "/webhooks/rest/webhook", json=b) for b in bodies]
        assert [future.result().status_code for future in futures] == [200, 200]


def test_swap_is_atomic_per_request(client: httpx.Client, holder: AgentHolder) -> None:
    old, new = FakeAgent("old", delay=0.05), FakeAgent("new", delay=0.05)
    holder.swap(old)

    def send(number: int) -> list[str]:
        body = {"sender": f"s{number}", "message": "hi"}
        reply = client.post("/webhooks/rest/webhook", json=body)
        return [message["text"].split(":")[0] for message in reply.json()]

    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(send, number) for number in range(16)]
        assert old.entered.wait(5)
        holder.swap(new)
        answers = [future.result() for future in futures]
    assert all(answer in (["old", "old"], ["new", "new"]) for answer in answers)
    assert ["old", "old"] in answers
    assert send(99) == ["new", "new"]
    assert client.get("/status").json()["model_id"] == "new"


def test_cors_only_when_asked_for(holder: AgentHolder, client: httpx.Client) -> None:
    origin = {"Origin": "http://chat.example"}
    assert "access-control-allow-origin" not in client.get("/health", headers=origin).headers
    with (
        ServerThread(holder, cors_origins=["http://chat.example"], token=TOKEN) as server,
        httpx.Client(base_url=server.url) as http,
    ):
        preflight = http.options(
            "/webhooks/rest/webhook",
            headers={
                **origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "http://chat.example"
        reply = http.post(
            "/webhooks/rest/webhook",
            json={"sender": "w", "message": "hi"},
            headers={**origin, "Authorization": f"Bearer {TOKEN}"},
        )
        assert reply.status_code == 200
        assert reply.headers["access-control-allow-origin"] == "http://chat.example"
        other = http.get("/health", headers={"Origin": "http://evil.example"})
        assert "access-control-allow-origin" not in other.headers
