"""Running the API on uvicorn: in the foreground (`serve`) or in a thread (`ServerThread`).

The dev loop and the tests need the server alongside other work, so besides the blocking
`serve` there is a thread that reports the port it actually bound (port 0 picks a free one).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

import uvicorn
from starlette.applications import Starlette

from assistc.runtime.bundle import load_bundle
from assistc.runtime.dialogue.stores import InMemoryTrackerStore, SQLiteTrackerStore
from assistc.runtime.server.app import DEFAULT_MAX_BODY_BYTES, create_app
from assistc.runtime.server.holder import AgentHolder

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5005


class ServerError(Exception):
    """The server could not start (for example, the port is taken)."""


def serve(
    holder: AgentHolder,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    token: str | None = None,
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    cors_origins: Sequence[str] = (),
    log_level: str = "info",
) -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM)."""
    server = _server(create_app(holder, token, max_body_bytes, cors_origins), log_level)
    server.run(sockets=[_bind(host, port)])


class ServerThread:
    """The API served from a background thread; use as a context manager.

    `start()` returns once the server accepts connections; `port` is the bound port.
    """

    def __init__(
        self,
        holder: AgentHolder,
        host: str = DEFAULT_HOST,
        port: int = 0,
        token: str | None = None,
        *,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        cors_origins: Sequence[str] = (),
        log_level: str = "warning",
    ) -> None:
        app = create_app(holder, token, max_body_bytes, cors_origins)
        self._server = _server(app, log_level)
        self._socket = _bind(host, port)
        self.host, self.port = self._socket.getsockname()[:2]
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> ServerThread:
        deadline = time.monotonic() + timeout
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise ServerError(f"the server on {self.url} stopped while starting")
            if time.monotonic() > deadline:
                raise ServerError(f"the server on {self.url} did not start in time")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join()
        self._socket.close()

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def serve_bundle(
    model: Path,
    *,
    store: Path | None,
    project_dir: Path | None = None,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    token: str | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    cors_origins: Sequence[str] = (),
    log_level: str = "info",
) -> None:
    """Serve a trained bundle (`model`: see `bundle.resolve`) until interrupted.

    Conversations go to the SQLite file `store` (None keeps them in memory); Python
    actions are imported from `project_dir`. Raises `BundleError`, `TrackerStoreError` or
    `ServerError` with a message for the user.
    """
    loaded = load_bundle(model)
    tracker_store = InMemoryTrackerStore() if store is None else SQLiteTrackerStore(store)
    agent = loaded.agent(tracker_store, project_dir=project_dir)
    try:
        serve(
            AgentHolder(agent),
            host,
            port,
            token,
            max_body_bytes=max_body_bytes,
            cors_origins=cors_origins,
            log_level=log_level,
        )
    finally:
        agent.close()
        tracker_store.close()


def _server(app: Starlette, log_level: str) -> uvicorn.Server:
    return uvicorn.Server(uvicorn.Config(app, log_level=log_level, lifespan="off"))


def _bind(host: str, port: int) -> socket.socket:
    """Bind before uvicorn starts so a taken port is a clear error, and port 0 is known."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise ServerError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    return sock
