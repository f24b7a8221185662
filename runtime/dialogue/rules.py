"""The rule policy: deterministic "when the conversation ends like this, do that".

A rule's steps are matched against the end of the conversation (user intents with their
entities, bot actions; `action_listen` is not a step). If the conversation's tail equals
the rule's steps up to one of its bot steps, that bot step is the next action; after its
last step, the bot listens. `conversation_start` rules must match from the start of the
session; `conditions` and slot steps are tests of the current slot values; `active_form`
rules apply only if that form was active where the matched steps begin. Rules without
`active_form` apply during a form only to a message the form cannot use (and then the
form asks again rather than the rule's final listen). The longest matching rule wins;
ties go to the rule listed first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assistc.runtime.dialogue.domain import Domain
from assistc.runtime.dialogue.events import (
    ACTION_LISTEN,
    ACTION_SESSION_START,
    ActionExecuted,
    Event,
    SessionStarted,
    UserUttered,
)
from assistc.runtime.dialogue.forms import message_since_last_run, message_used_by_form
from assistc.runtime.dialogue.responses import condition_holds
from assistc.runtime.dialogue.tracker import Tracker
from assistc.runtime.ir import BotStep, FormStep, Rule, SlotStep, SlotTest, UserStep

Item = tuple[str, str, frozenset[str]]
"""("user", intent, entities) or ("bot", action, ∅): one step of a conversation."""


def _item(event: Event) -> Item | None:
    if isinstance(event, UserUttered):
        entities = frozenset(
            e.entity + (f"#{e.role}" if e.role else "") for e in event.parse_data.entities
        )
        return ("user", event.parse_data.intent.name, entities)
    if isinstance(event, ActionExecuted) and event.name not in (
        ACTION_LISTEN,
        ACTION_SESSION_START,
    ):
        return ("bot", event.name, frozenset())
    return None


def conversation_items(tracker: Tracker, limit: int) -> tuple[list[Item], list[str | None], bool]:
    """The session's last `limit` user messages and bot actions (oldest first), the form
    that was active when each happened, and whether they are the whole session."""
    applied = tracker.applied_events()
    items: list[Item] = []
    forms: list[str | None] = []
    whole = True
    for index in range(len(applied) - 1, -1, -1):
        event = applied[index]
        if isinstance(event, SessionStarted):
            break
        item = _item(event)
        if item is None:
            continue
        if len(items) == limit:
            whole = False
            break
        items.append(item)
        forms.append(tracker.active_form_at(index))
    return items[::-1], forms[::-1], whole


@dataclass(frozen=True)
class CompiledRule:
    rule: Rule
    pattern: tuple[Item, ...]
    """The rule's user and bot steps (entities are the ones the step requires)."""
    tests: tuple[SlotTest, ...]

    @classmethod
    def of(cls, rule: Rule) -> CompiledRule:
        pattern: list[Item] = []
        tests = list(rule.conditions)
        for step in rule.steps:
            if isinstance(step, UserStep):
                entities = frozenset(
                    e.entity + (f"#{e.role}" if e.role else "") for e in step.entities
                )
                pattern.append(("user", step.intent, entities))
            elif isinstance(step, BotStep):
                pattern.append(("bot", step.action, frozenset()))
            elif isinstance(step, FormStep):
                pattern.append(("bot", step.form, frozenset()))
            elif isinstance(step, SlotStep):
                tests.append(SlotTest(slot=step.slot, op="==", value=step.value))
        return cls(rule=rule, pattern=tuple(pattern), tests=tuple(tests))

    def next_action(self, items: Sequence[Item], whole: bool) -> tuple[int, str] | None:
        """(length of the matched prefix, next action) if the tail matches a prefix;
        `whole` says whether `items` is the whole session (for `conversation_start`)."""
        pattern = self.pattern
        for k in range(len(pattern), 0, -1):
            if k == len(pattern):
                if pattern[-1][0] != "bot":
                    continue
                action = ACTION_LISTEN
            elif pattern[k][0] == "bot":
                action = pattern[k][1]
            else:
                continue
            prefix = pattern[:k]
            if len(items) < k or (self.rule.conversation_start and not (whole and len(items) == k)):
                continue
            if all(_matches(item, want) for item, want in zip(items[-k:], prefix, strict=True)):
                return k, action
        return None


def _matches(item: Item, want: Item) -> bool:
    return item[0] == want[0] and item[1] == want[1] and want[2] <= item[2]


class RulePolicy:
    """Applies an assistant's rules (see the module docstring)."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self._rules = [CompiledRule.of(rule) for rule in rules]
        self._longest = max((len(c.pattern) for c in self._rules), default=0)

    def predict(self, tracker: Tracker, domain: Domain) -> str | None:
        items, forms, whole = conversation_items(tracker, self._longest)
        form = tracker.active_form
        generic_allowed = form is None or (
            message_since_last_run(tracker, form) and not message_used_by_form(tracker, domain)
        )
        slots = tracker.slots
        best: tuple[int, str] | None = None
        for compiled in self._rules:
            rule = compiled.rule
            generic = rule.active_form is None
            if generic and not generic_allowed:
                continue
            if not all(condition_holds(test, slots) for test in compiled.tests):
                continue
            found = compiled.next_action(items, whole)
            if found is None or (not generic and forms[-found[0]] != rule.active_form):
                continue  # a form-scoped rule needs its form active where the match begins
            if generic and form is not None and found[1] == ACTION_LISTEN:
                continue  # the form asks its question again instead
            if best is None or found[0] > best[0]:
                best = found
        return None if best is None else best[1]
