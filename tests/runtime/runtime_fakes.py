"""Small stand-ins for the dialogue engine's Agent, used where the real one would only add
noise (HTTP edge cases, concurrency) — they implement the agreed Agent interface."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from assistc.runtime.dialogue.events import (
    ACTION_LISTEN,
    ActionExecuted,
    BotUttered,
    SlotSet,
    UserUttered,
)
from assistc.runtime.dialogue.tracker import Tracker, TrackerDomain
from assistc.runtime.ir import Assistant, JsonValue
from assistc.runtime.nlu.types import IntentPrediction, ParseResult


class FakeMessage(BaseModel):
    recipient_id: str
    text: str | None = None
    buttons: list[dict[str, str]] = []
    image: str | None = None
    custom: dict[str, Any] | None = None


class FakeTracker:
    def __init__(self, sender_id: str) -> None:
        self.sender_id = sender_id
        self.texts: list[str] = []

    def to_rasa_json(self) -> dict[str, Any]:
        events = [{"event": "user", "text": text} for text in self.texts]
        return {"sender_id": self.sender_id, "events": events}


class FakeAgent:
    """Echoes each message; `delay` seconds of work per message make overlaps observable.

    Records, per sender, the texts in the order they were handled and whether two calls
    for one sender ever overlapped.
    """

    def __init__(self, model_id: str = "m1", *, delay: float = 0.0) -> None:
        self.assistant = Assistant(name=f"fake-{model_id}")
        self.model_id = model_id
        self.delay = delay
        self.trackers: dict[str, FakeTracker] = {}
        self.overlaps: list[str] = []
        self.barrier: threading.Barrier | None = None
        self.gate: threading.Event | None = None
        self.entered = threading.Event()
        self._busy: set[str] = set()
        self._lock = threading.Lock()

    def handle_message(self, sender_id: str, text: str) -> list[FakeMessage]:
        with self._lock:
            if sender_id in self._busy:
                self.overlaps.append(sender_id)
            self._busy.add(sender_id)
            tracker = self.trackers.setdefault(sender_id, FakeTracker(sender_id))
        try:
            self.entered.set()
            if self.gate is not None:
                self.gate.wait(10)
            if self.barrier is not None:
                self.barrier.wait()
            first = FakeMessage(recipient_id=sender_id, text=f"{self.model_id}:{text}")
            time.sleep(self.delay)
            tracker.texts.append(text)
            second = FakeMessage(recipient_id=sender_id, text=f"{self.model_id}:done")
            return [first, second]
        finally:
            with self._lock:
                self._busy.discard(sender_id)

    def parse(self, text: str) -> ParseResult:
        intent = IntentPrediction(name="greet", confidence=0.9)
        return ParseResult(text=text, intent=intent, intent_ranking=[intent])

    def tracker(self, sender_id: str) -> FakeTracker | None:
        return self.trackers.get(sender_id)


Reply = tuple[str, list[tuple[str | None, str]]]
"""An action the scripted agent runs, with the (response name, text) messages it sends."""


class ScriptedAgent:
    """Answers each text from a script, recording real tracker events as the engine does."""

    def __init__(
        self,
        assistant: Assistant,
        script: dict[str, tuple[str, list[Reply], dict[str, Any]]],
    ) -> None:
        """`script`: text → (intent, actions run, slots set)."""
        self.assistant = assistant
        self.model_id = "scripted"
        self.script = script
        self.trackers: dict[str, Tracker] = {}

    def handle_message(
        self, sender_id: str, text: str, *, reading: ParseResult | None = None
    ) -> list[FakeMessage]:
        intent, replies, slots = self.script[text]
        tracker = self.trackers.setdefault(
            sender_id, Tracker(sender_id, domain=TrackerDomain.of(self.assistant))
        )
        prediction = IntentPrediction(name=intent, confidence=0.8)
        parse = reading or ParseResult(text=text, intent=prediction, intent_ranking=[prediction])
        tracker.append(UserUttered(text=text, parse_data=parse))
        messages = []
        for name, value in slots.items():
            tracker.append(SlotSet(name=name, value=value))
        for action, sent in replies:
            tracker.append(ActionExecuted(name=action, policy="scripted", confidence=1.0))
            for response, reply_text in sent:
                metadata = {"utter_action": response} if response else {}
                tracker.append(BotUttered(text=reply_text, metadata=metadata))
                messages.append(FakeMessage(recipient_id=sender_id, text=reply_text))
        tracker.append(ActionExecuted(name=ACTION_LISTEN))
        return messages

    def complete_form(
        self, sender_id: str, form: str, values: dict[str, JsonValue]
    ) -> list[FakeMessage]:
        raise ValueError(f"form {form!r} is not active (the scripted agent has no forms)")

    def parse(self, text: str) -> ParseResult:
        intent = IntentPrediction(name=self.script[text][0], confidence=0.8)
        return ParseResult(text=text, intent=intent, intent_ranking=[intent])

    def tracker(self, sender_id: str) -> Tracker | None:
        return self.trackers.get(sender_id)

    def last_decisions(self, sender_id: str) -> list[FakeDecision]:
        tracker = self.trackers.get(sender_id)
        if tracker is None:
            return []
        decisions: list[FakeDecision] = []
        for event in reversed(tracker.events):
            if isinstance(event, UserUttered):
                break
            if isinstance(event, ActionExecuted):
                decisions.append(FakeDecision(event.name, event.confidence or 1.0, "scripted"))
        return decisions[::-1]


@dataclass(frozen=True)
class FakeDecision:
    action: str
    confidence: float
    policy: str
