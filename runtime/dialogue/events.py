"""Tracker events: the append-only history a conversation is made of.

The names and JSON shapes follow Rasa's events (`user`, `bot`, `action`, `slot`,
`active_loop`, `restart`, `rewind`, `session_started`) so that trackers we store and
serve look like the ones Rasa clients already read. Everything a tracker knows (slots,
active form, latest message) is derived from these events; nothing is stored beside them.
"""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from assistc.runtime.nlu.types import ParseResult

ACTION_LISTEN = "action_listen"
ACTION_SESSION_START = "action_session_start"


def _now() -> float:
    return time.time()


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    timestamp: float = Field(default_factory=_now)

    def to_rasa(self) -> dict[str, Any]:
        """This event in Rasa's tracker-JSON format."""
        return self.model_dump(mode="json")


class UserUttered(_Event):
    event: Literal["user"] = "user"
    text: str
    parse_data: ParseResult
    input_channel: str | None = None
    message_id: str | None = None

    def to_rasa(self) -> dict[str, Any]:
        data = super().to_rasa()
        data["parse_data"] = {**data["parse_data"], "message_id": self.message_id}
        data["metadata"] = {}
        return data


class BotUttered(_Event):
    """A message the bot sent; `metadata.utter_action` names the response it came from."""

    event: Literal["bot"] = "bot"
    text: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    """`buttons`, `image`, `custom` as in Rasa (absent keys mean none)."""
    metadata: dict[str, Any] = Field(default_factory=dict)

    def to_rasa(self) -> dict[str, Any]:
        data = super().to_rasa()
        keys = ("elements", "quick_replies", "buttons", "attachment", "image", "custom")
        data["data"] = {key: self.data.get(key) for key in keys}
        return data


class ActionExecuted(_Event):
    event: Literal["action"] = "action"
    name: str
    policy: str | None = None
    confidence: float | None = None

    def to_rasa(self) -> dict[str, Any]:
        return {**super().to_rasa(), "action_text": None, "hide_rule_turn": False}


class SlotSet(_Event):
    event: Literal["slot"] = "slot"
    name: str
    value: Any = None


class ActiveLoop(_Event):
    """A form became active (`name`) or stopped being active (`None`)."""

    event: Literal["active_loop"] = "active_loop"
    name: str | None = None


class FollowupAction(_Event):
    """The named action runs next, before the policies are asked (an action server's
    `followup` event)."""

    event: Literal["followup"] = "followup"
    name: str


class Restarted(_Event):
    """Everything before this event is forgotten (slots, form, history)."""

    event: Literal["restart"] = "restart"


class UserUtteranceReverted(_Event):
    """Undo the latest user message and everything after it (Rasa's `rewind`)."""

    event: Literal["rewind"] = "rewind"


class SessionStarted(_Event):
    event: Literal["session_started"] = "session_started"


Event = Annotated[
    UserUttered
    | BotUttered
    | ActionExecuted
    | SlotSet
    | ActiveLoop
    | FollowupAction
    | Restarted
    | UserUtteranceReverted
    | SessionStarted,
    Field(discriminator="event"),
]

EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


def event_from_json(text: str | bytes) -> Event:
    """Parse one stored event; raises `pydantic.ValidationError` on bad data."""
    return EVENT_ADAPTER.validate_json(text)


def event_to_json(event: Event) -> str:
    return event.model_dump_json()


def session_start_events() -> list[Event]:
    """What a new conversation begins with (as Rasa's `action_session_start` writes)."""
    return [
        ActionExecuted(name=ACTION_SESSION_START),
        SessionStarted(),
        ActionExecuted(name=ACTION_LISTEN),
    ]
