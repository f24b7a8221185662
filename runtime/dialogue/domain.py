"""Lookup tables over an assistant's IR that every part of the dialogue engine needs.

Built once per `Assistant` object (the IR is frozen) and cached, so the message loop does
not rescan lists on every decision.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from assistc.runtime.dialogue.events import ACTION_LISTEN, ACTION_SESSION_START
from assistc.runtime.dialogue.tracker import TrackerDomain
from assistc.runtime.ir import Action, Assistant, Entity, Form, Slot, UserStep

ACTION_RESTART = "action_restart"
ACTION_DEFAULT_FALLBACK = "action_default_fallback"
ACTION_DEACTIVATE_LOOP = "action_deactivate_loop"
ACTION_BACK = "action_back"
RESTART_INTENT = "restart"
BUILTIN_ACTIONS = frozenset(
    {
        ACTION_LISTEN,
        ACTION_SESSION_START,
        ACTION_RESTART,
        ACTION_DEFAULT_FALLBACK,
        ACTION_DEACTIVATE_LOOP,
        ACTION_BACK,
    }
)


@dataclass(frozen=True)
class Domain:
    assistant: Assistant
    slots: dict[str, Slot]
    entities: dict[str, Entity]
    forms: dict[str, Form]
    actions: dict[str, Action]
    responses: frozenset[str]
    intents: frozenset[str]
    form_of_slot: dict[str, list[str]]
    """slot → the forms that ask for it, in IR order."""
    interruptions: dict[str, frozenset[str]]
    """form → intents that open a rule scoped to that form; their text never fills a slot."""
    tracker_domain: TrackerDomain

    def knows_action(self, name: str) -> bool:
        """Whether the agent can run an action of this name."""
        return (
            name in BUILTIN_ACTIONS
            or name in self.responses
            or name in self.actions
            or name in self.forms
            or name == self.assistant.config.fallback_action
        )

    @classmethod
    def build(cls, assistant: Assistant) -> Domain:
        form_of_slot: dict[str, list[str]] = {}
        for form in assistant.forms:
            for form_slot in form.slots:
                form_of_slot.setdefault(form_slot.slot, []).append(form.name)
        interruptions: dict[str, set[str]] = {}
        for rule in assistant.rules:
            first = next((s for s in rule.steps if isinstance(s, UserStep)), None)
            if rule.active_form and first is not None:
                interruptions.setdefault(rule.active_form, set()).add(first.intent)
        return cls(
            assistant=assistant,
            slots={slot.name: slot for slot in assistant.slots},
            entities={entity.name: entity for entity in assistant.entities},
            forms={form.name: form for form in assistant.forms},
            actions={action.name: action for action in assistant.actions},
            responses=frozenset(response.name for response in assistant.responses),
            intents=frozenset(intent.name for intent in assistant.intents),
            form_of_slot=form_of_slot,
            interruptions={form: frozenset(i) for form, i in interruptions.items()},
            tracker_domain=TrackerDomain.of(assistant),
        )


_cache: list[Domain] = []
_cache_lock = threading.Lock()
_CACHE_SIZE = 8


def domain_of(assistant: Assistant) -> Domain:
    """The (cached) lookup tables of this assistant object."""
    with _cache_lock:
        for domain in _cache:
            if domain.assistant is assistant:
                return domain
        domain = Domain.build(assistant)
        _cache.insert(0, domain)
        del _cache[_CACHE_SIZE:]
        return domain
