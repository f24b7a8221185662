"""Forms: the built-in action that collects a form's slots, and what the policies ask of it.

Running a form's action (named like the form) activates it if needed, takes values for
the form's slots from the user's message since it last ran (validated against each
`FormSlot.constraint`; a bad value gets the slot's `invalid_response` and is asked again),
then either asks for the next unfilled slot or, when all are filled, deactivates the
form. The form's `on_complete` actions then run one by one (`completion_followup`).

As in Rasa, a form whose assistant has an action `validate_<form>` (`Form.validation`) runs
it on each turn with the values just taken appended to the tracker as slot events (what
rasa-sdk's `FormValidationAction` reads): the slots it sets replace those values (None
rejects one), its messages are sent, and it may choose the next slot to ask (or none, to
end the form). A prompt may be an action (`action_ask_<slot>`), run to ask.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from assistc.runtime.dialogue.actions import ActionResult
from assistc.runtime.dialogue.domain import Domain
from assistc.runtime.dialogue.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Event,
    SlotSet,
    UserUttered,
)
from assistc.runtime.dialogue.responses import ResponseRenderer, response_seed
from assistc.runtime.dialogue.slots import SlotValueError, satisfies, slot_candidates, typed_value
from assistc.runtime.dialogue.tracker import REQUESTED_SLOT, Tracker
from assistc.runtime.ir import Form, FormSlot

_INVALID = object()


def _filled(value: Any) -> bool:
    return value is not None and value != []


def message_since_last_run(tracker: Tracker, form: str) -> bool:
    """Whether the user said something since the form's action last ran."""
    for event in reversed(tracker.applied_events()):
        if isinstance(event, UserUttered):
            return True
        if isinstance(event, ActionExecuted) and event.name == form:
            return False
    return False


def message_used_by_form(tracker: Tracker, domain: Domain) -> bool:
    """Whether the active form will take a value from the latest, not yet handled message."""
    form_name = tracker.active_form
    parse = tracker.latest_message
    if form_name is None or parse is None or not message_since_last_run(tracker, form_name):
        return False
    requested = tracker.get_slot(REQUESTED_SLOT)
    for form_slot in domain.forms[form_name].slots:
        slot = domain.slots.get(form_slot.slot)
        if slot is not None and slot_candidates(
            slot, parse, domain, active_form=form_name, requested_slot=requested
        ):
            return True
    return False


Act = Callable[[str, Tracker], ActionResult]
"""Runs one of the assistant's own actions on a tracker (the agent's executors)."""


def run_form(
    form: Form,
    tracker: Tracker,
    domain: Domain,
    responses: ResponseRenderer,
    act: Act | None = None,
) -> ActionResult:
    """One run of the form's action (see the module docstring); `act` runs the form's
    validation action and prompt actions (without it, they are skipped)."""
    result = ActionResult()
    slots = tracker.slots
    seed = response_seed(tracker)
    activating = tracker.active_form != form.name
    if activating:
        result.events.append(ActiveLoop(name=form.name))
    parse = tracker.latest_message if message_since_last_run(tracker, form.name) else None
    requested = None if activating else slots.get(REQUESTED_SLOT)
    taken: dict[str, Any] = {}
    for form_slot in form.slots:
        slot = domain.slots.get(form_slot.slot)
        if slot is None:
            continue
        raw = (
            slot_candidates(slot, parse, domain, active_form=form.name, requested_slot=requested)
            if parse is not None
            else []
        )
        current = slots.get(slot.name)
        if raw:
            try:
                value = typed_value(slot, raw, current, domain)
            except SlotValueError:
                value = _INVALID
        elif activating and _filled(current):
            value = current  # filled before the form started: validate it now
        else:
            continue
        if value is _INVALID or not satisfies(value, form_slot.constraint):
            if form_slot.invalid_response:
                result.messages.extend(responses.render(form_slot.invalid_response, slots, seed))
            if activating and _filled(current):
                slots[slot.name] = None
                result.events.append(SlotSet(name=slot.name, value=None))
        else:
            taken[slot.name] = value
    missing: FormSlot | None = None
    chosen = False
    if form.validation is not None and act is not None and (taken or not activating):
        scratch = _scratch(tracker, [SlotSet(name=REQUESTED_SLOT, value=requested)])
        scratch.extend([ActionExecuted(name=form.name), *_slot_events(taken)])
        checked = act(form.validation, scratch)
        result.messages.extend(checked.messages)
        if any(m.metadata.get(ACTION_FAILED) for m in checked.messages):
            taken = {}  # unvalidated values are not kept
        for event in checked.events:
            if isinstance(event, SlotSet) and event.name == REQUESTED_SLOT:
                missing = next((fs for fs in form.slots if fs.slot == event.value), None)
                chosen = chosen or event.value is None or missing is not None
            elif isinstance(event, SlotSet) and event.name in taken:
                taken[event.name] = event.value
            else:
                result.events.append(event)
    for name, value in taken.items():
        if value != slots.get(name):
            slots[name] = value
            result.events.append(SlotSet(name=name, value=value))
    if not chosen:
        missing = next((fs for fs in form.slots if not _filled(slots.get(fs.slot))), None)
    if missing is None:
        result.events += [SlotSet(name=REQUESTED_SLOT, value=None), ActiveLoop(name=None)]
        return result
    result.events.append(SlotSet(name=REQUESTED_SLOT, value=missing.slot))
    if missing.prompt in domain.actions:
        if act is not None:
            asked = act(missing.prompt, _scratch(tracker, result.events))
            result.messages.extend(asked.messages)
            result.events.extend(asked.events)
    else:
        result.messages.extend(responses.render(missing.prompt, slots, seed))
    return result


def _scratch(tracker: Tracker, events: list[Event]) -> Tracker:
    """The conversation as an action run inside the form sees it (nothing is stored)."""
    scratch = tracker.copy()
    scratch.extend(events)
    return scratch


def _slot_events(values: dict[str, Any]) -> list[Event]:
    return [SlotSet(name=name, value=value) for name, value in values.items()]


ACTION_FAILED = "action_failed"
"""Metadata flag on the error message of a failed action."""


def completion_followup(tracker: Tracker, domain: Domain) -> str | None:
    """The next `on_complete` action of a form that has just completed, if one is due.
    None after a step failed: a confirmation must not follow a failed booking."""
    done: list[str] = []
    applied = tracker.applied_events()
    for index in range(len(applied) - 1, -1, -1):
        event = applied[index]
        if isinstance(event, UserUttered):
            return None
        if isinstance(event, BotUttered) and event.metadata.get(ACTION_FAILED):
            return None
        if isinstance(event, ActiveLoop):
            if event.name is not None:
                return None
            form_name = next(
                (
                    e.name
                    for e in (applied[i] for i in range(index - 1, -1, -1))
                    if isinstance(e, ActionExecuted)
                ),
                None,
            )
            form = domain.forms.get(form_name or "")
            if form is None:
                return None  # deactivated by action_deactivate_loop, not completed
            done.reverse()
            steps = form.on_complete
            if len(done) < len(steps) and steps[: len(done)] == done:
                return steps[len(done)]
            return None
        if isinstance(event, ActionExecuted):
            done.append(event.name)
    return None
