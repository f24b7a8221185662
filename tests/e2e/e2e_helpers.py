"""Running the real `assistc` command line and its HTTP server from end-to-end tests.

Every command runs in a subprocess (`python -m assistc.compiler`), the way a user runs it;
servers listen on a free port on 127.0.0.1 and are stopped (or killed) by the tests.
Timeouts only guard against hangs: the machine may be loaded, so they are generous.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
EXAMPLE_NAMES = ("greeting", "booking", "pizzeria")
COMMAND_TIMEOUT = 300.0
"""Seconds a command may take (training under load included) before the test fails."""
SERVER_START_TIMEOUT = 300.0
WAIT_TIMEOUT = 90.0
"""Seconds to wait for something the server should do soon (a hot swap, a log line)."""

TRAINED = re.compile(
    r"^trained (?P<trained>.+?); reused (?P<reused>.+?); .*model (?P<model>\S+) at "
)
UNCHANGED = re.compile(r"^nothing changed: model (?P<model>\S+) is up to date")


@dataclass
class Ran:
    """A finished command: exit code and what it printed."""

    args: list[str]
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def describe(self) -> str:
        return f"assistc {' '.join(self.args)} → {self.code}\n{self.output}"


@dataclass(frozen=True)
class Trained:
    """A copy of examples/pizzeria after `assistc train`; tests copy it before changing it."""

    project: Path
    first_train: Ran


def cli_command(args: Sequence[str | Path]) -> list[str]:
    return [sys.executable, "-m", "assistc.compiler", *map(str, args)]


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a child: unbuffered, no inherited token, wide help screens."""
    env = {key: value for key, value in os.environ.items() if key != "ASSISTC_TOKEN"}
    env.update(PYTHONUNBUFFERED="1", COLUMNS="200", NO_COLOR="1", TERM="dumb")
    env.update(extra)
    return env


def cli(*args: str | Path, cwd: Path | None = None) -> Ran:
    """Run one command to its end."""
    done = subprocess.run(
        cli_command(args),
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        cwd=cwd,
        env=child_env(),
        check=False,
    )
    return Ran([str(a) for a in args], done.returncode, done.stdout, done.stderr)


def cli_many(commands: Sequence[Sequence[str | Path]], cwd: Path | None = None) -> list[Ran]:
    """Run independent commands side by side (each still a separate process)."""
    processes = [
        subprocess.Popen(
            cli_command(args),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=cwd,
            env=child_env(),
        )
        for args in commands
    ]
    results = []
    for args, process in zip(commands, processes, strict=True):
        try:
            stdout, stderr = process.communicate(timeout=COMMAND_TIMEOUT)
        except subprocess.TimeoutExpired:
            for other in processes:
                other.kill()
            raise
        results.append(Ran([str(a) for a in args], process.returncode, stdout, stderr))
    return results


def copy_example(name: str, parent: Path) -> Path:
    """A copy of an example under `parent` (same folder name, so the same assistant name),
    without build output or caches."""
    target = parent / name
    shutil.copytree(
        EXAMPLES / name,
        target,
        ignore=shutil.ignore_patterns(".assistc", "__pycache__", ".mypy_cache", ".ruff_cache"),
    )
    return target


def copy_project(project: Path, parent: Path) -> Path:
    """A copy of a (trained) project, build output and models included."""
    target = parent / project.name
    shutil.copytree(project, target, ignore=shutil.ignore_patterns("tracker.sqlite*"))
    return target


def trained_model(ran: Ran) -> tuple[list[str], list[str], str]:
    """The components `train` trained and reused, and the model id, from its output."""
    for line in ran.stdout.splitlines():
        found = TRAINED.match(line)
        if found:
            names = [found["trained"], found["reused"]]
            trained, reused = ([] if n == "nothing" else n.split(", ") for n in names)
            return trained, reused, found["model"]
    raise AssertionError(f"no 'trained …; reused …' line:\n{ran.describe()}")


def unchanged_model(ran: Ran) -> str:
    found = UNCHANGED.search(ran.stdout)
    assert found, f"no 'nothing changed' line:\n{ran.describe()}"
    return found["model"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(what: str, condition: Callable[[], bool], timeout: float = WAIT_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


class Server:
    """`assistc run …` or `assistc dev …` in a child process; stdout and stderr go to
    files so the test can read what it printed."""

    def __init__(
        self,
        args: Sequence[str | Path],
        logs: Path,
        token: str | None = None,
        cwd: Path | None = None,
        wait: bool = True,
        **env: str,
    ) -> None:
        """Start the server; unless `wait` is False, return once it answers /health."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = token
        logs.mkdir(parents=True, exist_ok=True)
        self.stdout_path = logs / f"{self.port}.out"
        self.stderr_path = logs / f"{self.port}.err"
        command = cli_command([*args, "--port", str(self.port)])
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.process = subprocess.Popen(
                command, stdout=out, stderr=err, cwd=cwd, env=child_env(**env)
            )
        self.http = httpx.Client(base_url=self.url, timeout=60, trust_env=False)
        if wait:
            self.wait_until_healthy()

    def wait_until_healthy(self) -> None:
        try:
            wait_for(f"{self.url}/health", self._healthy, SERVER_START_TIMEOUT)
        except BaseException:
            self.stop()
            raise

    def _healthy(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"the server exited with {self.process.returncode}:\n{self.log}")
        try:
            return self.http.get("/health", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text(encoding="utf-8", errors="replace")

    @property
    def log(self) -> str:
        return self.stdout + self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def say(self, sender: str, text: str) -> list[str]:
        """Send a user message; the texts of the bot's answers."""
        reply = self.http.post(
            "/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            headers=self.headers(),
        )
        assert reply.status_code == 200, reply.text
        return [message["text"] for message in reply.json() if "text" in message]

    def get(self, path: str) -> Any:
        reply = self.http.get(path, headers=self.headers())
        assert reply.status_code == 200, f"GET {path} → {reply.status_code}: {reply.text}"
        return reply.json()

    def model_id(self) -> str:
        model: str = self.get("/status")["model_id"]
        return model

    def tracker(self, sender: str) -> dict[str, Any]:
        found: dict[str, Any] = self.get(f"/conversations/{sender}/tracker")
        return found

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a crash."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.http.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)
        self.http.close()


def events(tracker: dict[str, Any], kind: str) -> list[str]:
    """The texts of a tracker's `user` or `bot` events, in order."""
    return [event["text"] for event in tracker["events"] if event["event"] == kind]


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]
