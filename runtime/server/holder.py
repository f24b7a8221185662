"""The swappable reference to the agent that answers requests.

The dev loop trains a new assistant while the old one keeps serving; swapping must be one
reference assignment so that every request sees either the old or the new agent, never a
mix. A request takes one `Snapshot` at its start and uses only that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from assistc.runtime.ir import Assistant
from assistc.runtime.nlu.types import ParseResult


class ServedMessage(Protocol):
    """A bot message as the HTTP layer needs it (the dialogue engine's `BotMessage`)."""

    def model_dump(self, *, mode: str = ..., exclude_none: bool = ...) -> dict[str, Any]: ...


class ServedEvent(Protocol):
    def to_rasa(self) -> dict[str, Any]: ...


class ServedTracker(Protocol):
    def to_rasa_json(self) -> dict[str, Any]: ...

    def applied_events(self) -> Sequence[ServedEvent]: ...


class ServedAgent(Protocol):
    """What the server needs from an agent; the dialogue engine's `Agent` provides it."""

    @property
    def assistant(self) -> Assistant: ...

    @property
    def model_id(self) -> str: ...

    def handle_message(self, sender_id: str, text: str) -> Sequence[ServedMessage]: ...

    def parse(self, text: str) -> ParseResult: ...

    def tracker(self, sender_id: str) -> ServedTracker | None: ...


@dataclass(frozen=True)
class Snapshot:
    """One served agent with the facts `/status` reports about it."""

    agent: ServedAgent
    model_id: str
    fingerprint: str
    loaded_at: datetime


class AgentHolder:
    """Holds the current agent; `swap` replaces it atomically."""

    def __init__(self, agent: ServedAgent) -> None:
        self._snapshot = _snapshot(agent)

    @property
    def current(self) -> Snapshot:
        return self._snapshot

    def swap(self, agent: ServedAgent) -> Snapshot:
        """Serve `agent` from now on; requests already running finish on the old one."""
        snapshot = _snapshot(agent)
        self._snapshot = snapshot  # one reference assignment: atomic
        return snapshot


def _snapshot(agent: ServedAgent) -> Snapshot:
    return Snapshot(
        agent=agent,
        model_id=agent.model_id,
        fingerprint=agent.assistant.fingerprint,
        loaded_at=datetime.now(UTC),
    )
