"""Responses: choosing a variation and rendering it into bot messages.

The template language is deliberately tiny so that a response can never run code: `{name}`
is replaced by the slot's value (lists joined with ", ", unset slots by nothing), `{{` and
`}}` are literal braces, and anything else (`{a.b}`, `{a[0]}`, a name that is not a slot)
is left as written. The variation is picked with a random generator seeded by the
conversation and turn, so a conversation replays identically.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, model_serializer

from assistc.runtime.dialogue.events import BotUttered
from assistc.runtime.dialogue.tracker import Tracker
from assistc.runtime.ir import Assistant, SlotTest, Variation

logger = logging.getLogger("assistc.runtime")

_TOKEN = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")


class BotMessage(BaseModel):
    """One message to the user, serialised exactly like Rasa's REST channel output."""

    recipient_id: str
    text: str | None = None
    buttons: list[dict[str, str]] = []
    image: str | None = None
    custom: dict[str, Any] | None = None

    @model_serializer(mode="plain")
    def _rasa_shape(self) -> dict[str, Any]:
        data: dict[str, Any] = {"recipient_id": self.recipient_id}
        for key in ("text", "buttons", "image", "custom"):
            value = getattr(self, key)
            if value:
                data[key] = value
        return data


def format_value(value: Any) -> str:
    """How a slot value reads inside a sentence."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ", ".join(format_value(item) for item in value)
    return str(value)


def render_template(text: str, values: Mapping[str, Any]) -> str:
    """Substitute `{name}` for names in `values`; see the module docstring for the rules."""

    def substitute(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        name = match.group(1)
        return format_value(values[name]) if name in values else token

    return _TOKEN.sub(substitute, text)


def _compare(left: Any, op: str, right: Any) -> bool:
    if op == "==":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (left, right))
    strings = isinstance(left, str) and isinstance(right, str)
    if not (numbers or strings):
        return False
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    if op == ">":
        return bool(left > right)
    return bool(left >= right)


def condition_holds(test: SlotTest, slots: Mapping[str, Any]) -> bool:
    """Whether one slot test holds; comparisons between unlike types are false."""
    value = slots.get(test.slot)
    if test.op == "set":
        return value is not None and value != []
    if test.op == "unset":
        return value is None or value == []
    return _compare(value, test.op, test.value)


def response_seed(tracker: Tracker) -> str:
    """Seeds the choice of variations: the same conversation and turn, the same choice."""
    return f"{tracker.sender_id}:{tracker.turn}"


def choose_variation(
    variations: list[Variation], slots: Mapping[str, Any], seed: str
) -> Variation | None:
    """A variation whose conditions hold; conditional ones win over unconditional ones."""
    matching = [v for v in variations if all(condition_holds(t, slots) for t in v.condition)]
    conditional = [v for v in matching if v.condition]
    candidates = conditional or matching
    if not candidates:
        return None
    return random.Random(seed).choice(candidates)


class ResponseRenderer:
    """Renders an assistant's responses by name into `BotUttered` events."""

    def __init__(self, assistant: Assistant) -> None:
        self._responses = {response.name: response for response in assistant.responses}

    def __contains__(self, name: str) -> bool:
        return name in self._responses

    def render(
        self,
        name: str,
        slots: Mapping[str, Any],
        seed: str,
        extra: Mapping[str, Any] | None = None,
    ) -> list[BotUttered]:
        """The events for response `name`: its text (with buttons), then its image."""
        response = self._responses.get(name)
        if response is None:
            logger.error("there is no response named %r", name)
            return []
        variation = choose_variation(response.variations, slots, f"{seed}:{name}")
        if variation is None:
            logger.warning("no variation of response %r has conditions that hold", name)
            return []
        values = {**slots, **(extra or {})}
        metadata = {"utter_action": name}
        events: list[BotUttered] = []
        if variation.text or variation.buttons:
            buttons = [button.model_dump() for button in variation.buttons]
            events.append(
                BotUttered(
                    text=render_template(variation.text, values),
                    data={"buttons": buttons} if buttons else {},
                    metadata=metadata,
                )
            )
        if variation.image:
            events.append(BotUttered(data={"image": variation.image}, metadata=metadata))
        return events


def text_event(text: str, source: str) -> BotUttered:
    """A plain message not taken from a response (built-in defaults, `ctx.send`)."""
    return BotUttered(text=text, metadata={"utter_action": source})


def to_bot_message(event: BotUttered, recipient_id: str) -> BotMessage:
    return BotMessage(
        recipient_id=recipient_id,
        text=event.text,
        buttons=event.data.get("buttons") or [],
        image=event.data.get("image"),
        custom=event.data.get("custom"),
    )
