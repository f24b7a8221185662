"""The tracker: one conversation's events, and the state derived from them.

A tracker never stores slots or the active form beside its events: they are recomputed
from the *applied* events (after restarts and rewinds), so a stored history is the whole
truth. A `TrackerDomain` says which slots and forms exist; anything the events mention
that the domain does not know (an assistant that was edited and hot-swapped) is ignored
when deriving state, and the history itself is left untouched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from assistc.runtime.dialogue.events import (
    ActionExecuted,
    ActiveLoop,
    Event,
    Restarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from assistc.runtime.ir import Assistant
from assistc.runtime.nlu.types import ParseResult

REQUESTED_SLOT = "requested_slot"
"""The form-internal slot naming the slot a form is asking for (as in Rasa)."""


@dataclass(frozen=True)
class TrackerDomain:
    """The slots (with initial values) and forms an assistant declares."""

    initial_slots: Mapping[str, Any] = field(default_factory=dict)
    forms: frozenset[str] = frozenset()

    @classmethod
    def of(cls, assistant: Assistant) -> TrackerDomain:
        return cls(
            initial_slots={slot.name: slot.initial for slot in assistant.slots},
            forms=frozenset(form.name for form in assistant.forms),
        )


@dataclass
class _Derived:
    applied: list[Event]
    slots: dict[str, Any]
    active_form: str | None
    latest_message: ParseResult | None
    latest_action_name: str | None
    unknown_slots: list[str]
    unknown_form: str | None


def applied_events(events: Iterable[Event]) -> list[Event]:
    """The events still in force: nothing before the last restart, no rewound turns."""
    applied: list[Event] = []
    for event in events:
        if isinstance(event, Restarted):
            applied = []
        elif isinstance(event, UserUtteranceReverted):
            for index in range(len(applied) - 1, -1, -1):
                if isinstance(applied[index], UserUttered):
                    del applied[index:]
                    break
        else:
            applied.append(event)
    return applied


class Tracker:
    """One conversation. `domain=None` derives every slot the events mention."""

    def __init__(
        self,
        sender_id: str,
        events: Iterable[Event] = (),
        *,
        domain: TrackerDomain | None = None,
    ) -> None:
        self.sender_id = sender_id
        self.events: list[Event] = list(events)
        self.domain = domain
        self._derived: _Derived | None = None

    # ------------------------------------------------------------------ mutation

    def append(self, event: Event) -> None:
        self.events.append(event)
        self._derived = None

    def extend(self, events: Iterable[Event]) -> None:
        for event in events:
            self.append(event)

    def with_domain(self, domain: TrackerDomain | None) -> Tracker:
        """The same history seen through another assistant's slots and forms."""
        return Tracker(self.sender_id, self.events, domain=domain)

    # ------------------------------------------------------------------ derived state

    def _state(self) -> _Derived:
        if self._derived is None:
            self._derived = self._derive()
        return self._derived

    def _derive(self) -> _Derived:
        applied = applied_events(self.events)
        known = None if self.domain is None else self.domain.initial_slots
        slots: dict[str, Any] = dict(known or {})
        slots.setdefault(REQUESTED_SLOT, None)
        unknown_slots: set[str] = set()
        active_form: str | None = None
        latest_message: ParseResult | None = None
        latest_action: str | None = None
        for event in applied:
            if isinstance(event, SlotSet):
                if known is None or event.name in known or event.name == REQUESTED_SLOT:
                    slots[event.name] = event.value
                else:
                    unknown_slots.add(event.name)
            elif isinstance(event, ActiveLoop):
                active_form = event.name
            elif isinstance(event, UserUttered):
                latest_message = event.parse_data
            elif isinstance(event, ActionExecuted):
                latest_action = event.name
        unknown_form = None
        if self.domain is not None and active_form not in self.domain.forms:
            unknown_form, active_form = active_form, None
        if active_form is None:
            slots[REQUESTED_SLOT] = None
        return _Derived(
            applied=applied,
            slots=slots,
            active_form=active_form,
            latest_message=latest_message,
            latest_action_name=latest_action,
            unknown_slots=sorted(unknown_slots),
            unknown_form=unknown_form,
        )

    def applied_events(self) -> list[Event]:
        return list(self._state().applied)

    @property
    def slots(self) -> dict[str, Any]:
        """Slot values (declared slots plus `requested_slot`), initial values applied."""
        return dict(self._state().slots)

    def get_slot(self, name: str) -> Any:
        return self._state().slots.get(name)

    @property
    def active_form(self) -> str | None:
        return self._state().active_form

    @property
    def latest_message(self) -> ParseResult | None:
        return self._state().latest_message

    @property
    def latest_action_name(self) -> str | None:
        return self._state().latest_action_name

    @property
    def turn(self) -> int:
        """How many user messages the conversation has had (rewound ones included)."""
        return sum(isinstance(event, UserUttered) for event in self.events)

    def dropped_names(self) -> tuple[list[str], str | None]:
        """Slots and the active form the events set but the domain does not declare."""
        state = self._state()
        return state.unknown_slots, state.unknown_form

    # ------------------------------------------------------------------ export

    def to_rasa_json(self) -> dict[str, Any]:
        """The body of Rasa's `GET /conversations/{id}/tracker`."""
        state = self._state()
        latest_user = next((e for e in reversed(state.applied) if isinstance(e, UserUttered)), None)
        latest_message: dict[str, Any] = (
            latest_user.to_rasa()["parse_data"]
            if latest_user is not None
            else {"intent": {}, "entities": [], "text": None, "message_id": None}
        )
        latest_message.setdefault("metadata", {})
        latest_action = state.latest_action_name
        return {
            "sender_id": self.sender_id,
            "slots": {name: value for name, value in sorted(state.slots.items())},
            "latest_message": latest_message,
            "latest_event_time": self.events[-1].timestamp if self.events else None,
            "followup_action": None,
            "paused": False,
            "stack": [],
            "events": [event.to_rasa() for event in self.events],
            "latest_input_channel": latest_user.input_channel if latest_user else None,
            "active_loop": {"name": state.active_form} if state.active_form else {},
            "latest_action": {"action_name": latest_action} if latest_action else {},
            "latest_action_name": latest_action,
        }

    def __repr__(self) -> str:
        return f"Tracker({self.sender_id!r}, {len(self.events)} events)"
