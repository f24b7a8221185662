"""Dialogue states: what the memoisation and learned policies see of a conversation.

A state is a sorted tuple of feature tokens taken before each action the policies chose:
the latest user intent (`intent:`), its entities (`entity:` with `#role`) — or, when
`texts` holds the message's `user_text_key`, that text alone (`text:`, how a story's
`user "text"` turn reads; the caller chooses which reading it wants) — the previous
action (`prev:`), and the slots (`slot:name` when set; `slot:name=value` too for bool and
enum slots). A form's inner workings are invisible: messages and actions while a form is
active, and its `on_complete` follow-ups, are not states of their own, so a story's
`FormStep` and a real form run of any length look the same afterwards.

`story_events` turns a story (or rule) into the events a conversation following it
would have, using the same slot filling as the message loop, so training and prediction
featurise conversations identically.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assistc.runtime.dialogue.domain import Domain
from assistc.runtime.dialogue.events import (
    ACTION_LISTEN,
    ACTION_SESSION_START,
    ActionExecuted,
    ActiveLoop,
    Event,
    SlotSet,
    UserUttered,
    session_start_events,
)
from assistc.runtime.dialogue.slots import fill_slots
from assistc.runtime.dialogue.tracker import REQUESTED_SLOT, Tracker
from assistc.runtime.ir import (
    BotStep,
    FormStep,
    SlotStep,
    Step,
    UserStep,
    UserTextStep,
    user_text_key,
)
from assistc.runtime.nlu.types import ExtractedEntity, IntentPrediction, ParseResult

State = tuple[str, ...]

FORM_POLICY = "form"
"""The policy name of form decisions; actions it chose are not states."""

TEXT_PREFIX = "text:"
"""Starts the token of a user turn read by its text."""

_FILLED = "\x00filled"
"""Stands in for a value a story's form collected (featurised as merely `set`)."""


def slot_tokens(name: str, value: Any, domain: Domain) -> list[str]:
    if value is None or value == [] or name == REQUESTED_SLOT:
        return []
    tokens = [f"slot:{name}"]
    slot = domain.slots.get(name)
    if slot is None:
        return tokens
    if slot.type.kind == "bool" and isinstance(value, bool):
        tokens.append(f"slot:{name}={str(value).lower()}")
    elif slot.type.kind == "entity":
        entity = domain.entities.get(str(slot.type.entity))
        if entity is not None and entity.kind == "enum" and isinstance(value, str):
            tokens.append(f"slot:{name}={value}")
    return tokens


def _visible(event: ActionExecuted, active: str | None) -> bool:
    """Whether a policy chose this action outside a form (so it is a state's target)."""
    return event.name != ACTION_SESSION_START and active is None and event.policy != FORM_POLICY


def _last_visible(applied: Sequence[Event], domain: Domain, count: int) -> set[int]:
    """Indices of the last `count` policy-visible actions (a cheap first pass)."""
    active: str | None = None
    found: list[int] = []
    for index, event in enumerate(applied):
        if isinstance(event, ActiveLoop):
            active = event.name if event.name in domain.forms else None
        elif isinstance(event, ActionExecuted) and _visible(event, active):
            found.append(index)
    return set(found[-count:]) if count > 0 else set()


def dialogue_states(
    applied: Sequence[Event],
    domain: Domain,
    *,
    last: int | None = None,
    texts: frozenset[str] = frozenset(),
) -> tuple[list[tuple[State, str]], State]:
    """(state, action chosen) for each policy-visible action of the applied events (only
    the `last` ones when given, which saves work on long conversations), and the current
    state. User messages whose text is in `texts` are read by their text."""
    wanted = None if last is None else _last_visible(applied, domain, last)
    slots = {
        name: slot_tokens(name, value, domain)
        for name, value in domain.tracker_domain.initial_slots.items()
    }
    user: list[str] = []
    prev: str | None = None
    active: str | None = None
    pairs: list[tuple[State, str]] = []

    def state() -> State:
        tokens = list(user)
        if prev is not None:
            tokens.append(f"prev:{prev}")
        for slot in slots.values():
            tokens.extend(slot)
        return tuple(sorted(tokens))

    for index, event in enumerate(applied):
        if isinstance(event, UserUttered) and active is None:
            key = user_text_key(event.text) if texts else ""
            if key in texts:
                user = [f"{TEXT_PREFIX}{key}"]
                continue
            parse = event.parse_data
            entities = {
                f"entity:{e.entity}" + (f"#{e.role}" if e.role else "") for e in parse.entities
            }
            user = [f"intent:{parse.intent.name}", *sorted(entities)]
        elif isinstance(event, SlotSet) and event.name in slots:
            slots[event.name] = slot_tokens(event.name, event.value, domain)
        elif isinstance(event, ActiveLoop):
            active = event.name if event.name in domain.forms else None
        elif isinstance(event, ActionExecuted) and event.name != ACTION_SESSION_START:
            if _visible(event, active) and (wanted is None or index in wanted):
                pairs.append((state(), event.name))
            prev = event.name
    return pairs, state()


def windows(states: Sequence[State], max_history: int) -> list[tuple[State, ...]]:
    """For each position, the states up to it (at most `max_history`), oldest first."""
    return [tuple(states[max(0, i + 1 - max_history) : i + 1]) for i in range(len(states))]


def given_parse(step: UserStep, text: str, extractor: str) -> ParseResult:
    """The reading a step gives a message (its intent, certain, and its entities): a
    story's user turn, or a test's `meaning`, where no NLU is asked."""
    entities = [
        ExtractedEntity(
            entity=e.entity,
            start=0,
            end=0,
            value=e.value if not isinstance(e.value, list) else ", ".join(map(str, e.value)),
            role=e.role,
            extractor=extractor,
        )
        for e in step.entities
    ]
    intent = IntentPrediction(name=step.intent, confidence=1.0)
    return ParseResult(text=text, intent=intent, entities=entities)


def _user_event(step: UserStep) -> UserUttered:
    parse = given_parse(step, f"/{step.intent}", "story")
    return UserUttered(text=parse.text, parse_data=parse, timestamp=0.0)


def _user_text_event(step: UserTextStep) -> UserUttered:
    """The message of a `user "text"` turn: no intent (the story does not say one), so
    only a `texts` reading of the states tells it apart."""
    parse = ParseResult(text=step.text, intent=IntentPrediction(name="", confidence=0.0))
    return UserUttered(text=step.text, parse_data=parse, timestamp=0.0)


def story_events(steps: Sequence[Step], domain: Domain) -> list[Event]:
    """The events of a conversation that follows `steps`, ending with `action_listen`."""
    tracker = Tracker("story", session_start_events(), domain=domain.tracker_domain)
    last_action = ACTION_LISTEN  # kept here: asking the tracker would re-derive it each step

    def act(name: str, policy: str = "story") -> None:
        nonlocal last_action
        tracker.append(ActionExecuted(name=name, policy=policy, timestamp=0.0))
        last_action = name

    for step in steps:
        if isinstance(step, UserStep | UserTextStep):
            if last_action != ACTION_LISTEN:
                act(ACTION_LISTEN)
            user = _user_event(step) if isinstance(step, UserStep) else _user_text_event(step)
            tracker.append(user)
            tracker.extend(fill_slots(tracker, domain))
        elif isinstance(step, BotStep):
            act(step.action)
        elif isinstance(step, SlotStep):
            tracker.append(SlotSet(name=step.slot, value=step.value, timestamp=0.0))
        elif isinstance(step, FormStep) and step.form in domain.forms:
            form = domain.forms[step.form]
            act(form.name)
            tracker.append(ActiveLoop(name=form.name, timestamp=0.0))
            slots = tracker.slots
            for form_slot in form.slots:
                if slots.get(form_slot.slot) in (None, []):
                    tracker.append(SlotSet(name=form_slot.slot, value=_FILLED, timestamp=0.0))
            act(form.name, FORM_POLICY)
            tracker.append(ActiveLoop(name=None, timestamp=0.0))
            for name in form.on_complete:
                act(name, FORM_POLICY)
    if last_action != ACTION_LISTEN:
        act(ACTION_LISTEN)
    return tracker.events
