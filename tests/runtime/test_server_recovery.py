"""A server process killed mid-conversation (SIGKILL) loses no turn it answered: after a
restart over the same SQLite store, the conversation goes on where it was."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from runtime_assistant import make_assistant

from assistc.runtime.bundle import load_bundle
from assistc.runtime.dialogue.stores import SQLiteTrackerStore
from assistc.runtime.server import AgentHolder, ServerThread
from assistc.runtime.server.__main__ import main as server_main
from assistc.runtime.training import train

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ServerProcess:
    def __init__(self, models: Path, store: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "assistc.runtime.server", str(models)]
        command += ["--store", str(store), "--port", str(self.port), "--log-level", "warning"]
        self.process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited: {self.process.stderr.read()}")  # type: ignore[union-attr]
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        raise AssertionError("server did not start")

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        assert self.process.stderr is not None
        self.process.stderr.close()


@pytest.fixture
def models(tmp_path: Path) -> Path:
    folder = tmp_path / "models"
    train(make_assistant(), folder)
    return folder


@pytest.fixture
def started() -> Iterator[list[ServerProcess]]:
    """Servers a test starts; killed at the end whatever happened."""
    servers: list[ServerProcess] = []
    yield servers
    for server in servers:
        if server.process.poll() is None:
            server.kill()


def test_sigkill_mid_conversation_loses_no_answered_turn(
    models: Path, tmp_path: Path, started: list[ServerProcess]
) -> None:
    store = tmp_path / "trackers.db"
    first = ServerProcess(models, store)
    started.append(first)
    answered: list[str] = []
    stop = threading.Event()

    def chat() -> None:
        with httpx.Client(base_url=first.url, timeout=5) as client:
            for number in range(10_000):
                text = "hello" if number % 2 == 0 else "bye"
                message = f"{text} {number}"
                try:
                    reply = client.post(
                        "/webhooks/rest/webhook", json={"sender": "kim", "message": message}
                    )
                except httpx.TransportError:
                    return
                if reply.status_code == 200 and reply.json():
                    answered.append(message)
                if stop.is_set():
                    return

    talker = threading.Thread(target=chat)
    talker.start()
    deadline = time.monotonic() + 30
    while len(answered) < 5 and talker.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(answered) >= 5, "the conversation did not get going"
    first.kill()  # mid-conversation: the talker is sending the next message
    stop.set()
    talker.join(10)

    # The restarted server runs in this process (a second subprocess would only add its
    # start-up time): what matters is what the killed one left in the SQLite file.
    agent = load_bundle(models).agent(SQLiteTrackerStore(store))
    with ServerThread(AgentHolder(agent)) as second, httpx.Client(base_url=second.url) as http:
        tracker = http.get("/conversations/kim/tracker").json()
        user_texts = [e["text"] for e in tracker["events"] if e["event"] == "user"]
        assert user_texts[: len(answered)] == answered
        assert len(user_texts) <= len(answered) + 1  # at most the unanswered one in flight
        bot_texts = [e["text"] for e in tracker["events"] if e["event"] == "bot"]
        expected = ["Hello! Ask me." if m.startswith("hello") else "Bye!" for m in answered]
        assert bot_texts[: len(answered)] == expected

        reply = http.post("/webhooks/rest/webhook", json={"sender": "kim", "message": "bye"})
        assert reply.json() == [{"recipient_id": "kim", "text": "Bye!"}]


def test_serving_a_missing_model_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert server_main([str(tmp_path / "nowhere"), "--port", str(free_port())]) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: ")
    assert "no trained model here" in error
