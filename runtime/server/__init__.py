"""The HTTP API: a Rasa-compatible Starlette app over a swappable agent."""

from assistc.runtime.server.app import DEFAULT_MAX_BODY_BYTES, create_app
from assistc.runtime.server.holder import AgentHolder, ServedAgent, Snapshot
from assistc.runtime.server.run import DEFAULT_HOST, DEFAULT_PORT, ServerError, ServerThread, serve

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_PORT",
    "AgentHolder",
    "ServedAgent",
    "ServerError",
    "ServerThread",
    "Snapshot",
    "create_app",
    "serve",
]
