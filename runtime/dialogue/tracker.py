"""The tracker: one conversation's events, and the state derived from them.

A tracker never stores slots or the active form beside its events: they are derived
from the *applied* events (after restarts and rewinds; kept up to date event by event), so
a stored history is the whole truth. A `TrackerDomain` says which slots and forms exist;
anything the events mention that the domain does not know (an assistant that was edited
and hot-swapped) is ignored when deriving state, and the history itself is left untouched.
"""

from __future__ import annotations

import bisect
import copy
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistc.runtime.dialogue.events import (
    ActionExecuted,
    ActiveLoop,
    Event,
    FollowupAction,
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
    accepts: Callable[[str, Any], bool] | None = None
    """Whether a stored value still fits its slot's (possibly edited) type."""

    @classmethod
    def of(cls, assistant: Assistant) -> TrackerDomain:
        return cls(
            initial_slots={slot.name: slot.initial for slot in assistant.slots},
            forms=frozenset(form.name for form in assistant.forms),
        )


class _Derived:
    """State derived from the applied events, updated event by event as they arrive."""

    def __init__(self, domain: TrackerDomain | None) -> None:
        self.known = None if domain is None else domain.initial_slots
        self.accepts = None if domain is None else domain.accepts
        self.forms = None if domain is None else domain.forms
        self.applied: list[Event] = []
        self.slots: dict[str, Any] = {**(self.known or {}), REQUESTED_SLOT: None}
        self.raw_form: str | None = None
        self.form_changes: list[tuple[int, str | None]] = []
        """(index in `applied`, form) for every ActiveLoop event, in order."""
        self.latest_message: ParseResult | None = None
        self.latest_action_name: str | None = None
        self.followup_action: str | None = None
        self.unknown_slots: set[str] = set()

    def apply(self, event: Event) -> None:
        """Take one applied event into account (not `Restarted` or a rewind)."""
        if isinstance(event, SlotSet):
            name, value = event.name, event.value
            fits = value is None or self.accepts is None or self.accepts(name, value)
            if name == REQUESTED_SLOT or ((self.known is None or name in self.known) and fits):
                self.slots[name] = value
            else:
                self.unknown_slots.add(name)
        elif isinstance(event, ActiveLoop):
            self.raw_form = event.name
            self.form_changes.append((len(self.applied), event.name))
        elif isinstance(event, UserUttered):
            self.latest_message = event.parse_data
        elif isinstance(event, ActionExecuted):
            self.latest_action_name = event.name
            self.followup_action = None
        elif isinstance(event, FollowupAction):
            self.followup_action = event.name
        self.applied.append(event)

    def copy(self) -> _Derived:
        twin = copy.copy(self)
        twin.applied = list(self.applied)
        twin.slots = dict(self.slots)
        twin.form_changes = list(self.form_changes)
        twin.unknown_slots = set(self.unknown_slots)
        return twin

    def known_form(self, name: str | None) -> str | None:
        return name if self.forms is None or name in self.forms else None


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


_RESETS = (Restarted, UserUtteranceReverted)


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
        self._turn: int | None = None

    # ------------------------------------------------------------------ mutation

    def append(self, event: Event) -> None:
        self.events.append(event)
        if self._turn is not None:
            self._turn += isinstance(event, UserUttered)
        if isinstance(event, _RESETS):
            self._derived = None
        elif self._derived is not None:
            self._derived.apply(event)

    def extend(self, events: Iterable[Event]) -> None:
        for event in events:
            self.append(event)

    def copy(self) -> Tracker:
        """An independent tracker with the same events and (already derived) state."""
        twin = Tracker(self.sender_id, self.events, domain=self.domain)
        twin._turn = self._turn
        if self._derived is not None:
            twin._derived = self._derived.copy()
        return twin

    def with_domain(self, domain: TrackerDomain | None) -> Tracker:
        """The same history seen through another assistant's slots and forms."""
        return Tracker(self.sender_id, self.events, domain=domain)

    # ------------------------------------------------------------------ derived state

    def _state(self) -> _Derived:
        if self._derived is None:
            derived = _Derived(self.domain)
            for event in applied_events(self.events):
                derived.apply(event)
            self._derived = derived
        return self._derived

    def applied_events(self) -> Sequence[Event]:
        """The events in force (read-only: a view, not a copy)."""
        return self._state().applied

    @property
    def slots(self) -> dict[str, Any]:
        """Slot values (declared slots plus `requested_slot`), initial values applied."""
        state = self._state()
        slots = dict(state.slots)
        if self.active_form is None:
            slots[REQUESTED_SLOT] = None
        return slots

    def get_slot(self, name: str) -> Any:
        if name == REQUESTED_SLOT and self.active_form is None:
            return None
        return self._state().slots.get(name)

    @property
    def active_form(self) -> str | None:
        state = self._state()
        return state.known_form(state.raw_form)

    def active_form_at(self, index: int) -> str | None:
        """The form that was active just before applied event number `index`."""
        state = self._state()
        position = bisect.bisect_left(state.form_changes, index, key=lambda change: change[0])
        return state.known_form(state.form_changes[position - 1][1] if position else None)

    @property
    def latest_message(self) -> ParseResult | None:
        return self._state().latest_message

    @property
    def latest_action_name(self) -> str | None:
        return self._state().latest_action_name

    @property
    def followup_action(self) -> str | None:
        """The action a `FollowupAction` asked for, until an action runs."""
        return self._state().followup_action

    @property
    def turn(self) -> int:
        """How many user messages the conversation has had (rewound ones included)."""
        if self._turn is None:
            self._turn = sum(isinstance(event, UserUttered) for event in self.events)
        return self._turn

    def dropped_names(self) -> tuple[list[str], str | None]:
        """Slots and the active form the events set but the domain does not declare (or
        whose values no longer fit the slot's type)."""
        state = self._state()
        form = state.raw_form if state.known_form(state.raw_form) is None else None
        return sorted(state.unknown_slots), form

    # ------------------------------------------------------------------ export

    def to_rasa_json(self) -> dict[str, Any]:
        """The body of Rasa's `GET /conversations/{id}/tracker`."""
        state = self._state()
        slots = self.slots
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
            "slots": dict(sorted(slots.items())),
            "latest_message": latest_message,
            "latest_event_time": self.events[-1].timestamp if self.events else None,
            "followup_action": state.followup_action,
            "paused": False,
            "stack": [],
            "events": [event.to_rasa() for event in self.events],
            "latest_input_channel": latest_user.input_channel if latest_user else None,
            "active_loop": {"name": self.active_form} if self.active_form else {},
            "latest_action": {"action_name": latest_action} if latest_action else {},
            "latest_action_name": latest_action,
        }

    def __repr__(self) -> str:
        return f"Tracker({self.sender_id!r}, {len(self.events)} events)"
