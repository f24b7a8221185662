"""The agent: one user message in, the bot's messages out.

A turn: parse the text (NLU, or a button payload), record it, fill slots from its
entities and intent, then let the policies choose actions one after another until they
choose `action_listen` (at most `config.max_actions_per_turn`). Every event of the turn is
appended to the tracker store before the messages are returned, so an answered turn is
never lost. Different senders may be handled concurrently; turns of the same sender are
serialised (the server does so too, across hot-swapped agents).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import logging
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from assistc.runtime.dialogue.actions import (
    ActionError,
    ActionExecutor,
    ActionResult,
    PythonActionExecutor,
)
from assistc.runtime.dialogue.domain import (
    ACTION_BACK,
    ACTION_DEACTIVATE_LOOP,
    ACTION_DEFAULT_FALLBACK,
    ACTION_RESTART,
    RESTART_INTENT,
    domain_of,
)
from assistc.runtime.dialogue.events import (
    ACTION_LISTEN,
    ACTION_SESSION_START,
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
    session_start_events,
)
from assistc.runtime.dialogue.forms import ACTION_FAILED, run_form
from assistc.runtime.dialogue.payloads import parse_payload
from assistc.runtime.dialogue.policies import PolicyDecision, PolicyEnsemble
from assistc.runtime.dialogue.remote import RemoteActionExecutor
from assistc.runtime.dialogue.responses import (
    BotMessage,
    ResponseRenderer,
    response_seed,
    text_event,
    to_bot_message,
)
from assistc.runtime.dialogue.slots import fill_slots, satisfies, value_fits
from assistc.runtime.dialogue.states import FORM_POLICY
from assistc.runtime.dialogue.stores import TrackerStore
from assistc.runtime.dialogue.tracker import REQUESTED_SLOT, Tracker
from assistc.runtime.ir import Assistant, JsonValue, PythonImplementation
from assistc.runtime.nlu.types import NLU_FALLBACK_INTENT, IntentPrediction, ParseResult

logger = logging.getLogger("assistc.runtime")

DEFAULT_FALLBACK_TEXT = "Sorry, I didn't get that. Could you rephrase?"
DEFAULT_FALLBACK_RESPONSE = "utter_default"
SENDER_LOCKS = 64
CACHED_TRACKERS = 256
_ENDS_TURN = (Restarted, UserUtteranceReverted, SessionStarted)
"""Events after which the bot waits for the user (the history just changed under it)."""

_BUILTINS: dict[str, tuple[str, Callable[[], list[Event]]]] = {
    ACTION_RESTART: ("utter_restart", lambda: [Restarted()]),
    ACTION_BACK: ("utter_back", lambda: [UserUtteranceReverted(), UserUtteranceReverted()]),
    ACTION_SESSION_START: ("", lambda: [SessionStarted()]),
    ACTION_DEACTIVATE_LOOP: ("", lambda: [ActiveLoop(name=None), SlotSet(name=REQUESTED_SLOT)]),
}
"""Built-in actions other than listen and fallback: the response they send if the
assistant has one (as in Rasa), and their events."""


class MessageParser(Protocol):
    """What the agent needs of the NLU."""

    def parse(self, text: str) -> ParseResult: ...


class Agent:
    """Runs conversations for one trained assistant over a tracker store."""

    def __init__(
        self,
        assistant: Assistant,
        nlu: MessageParser,
        policies: PolicyEnsemble,
        store: TrackerStore,
        *,
        project_dir: Path | None = None,
        model_id: str = "",
        executors: dict[str, ActionExecutor] | None = None,
    ) -> None:
        """`executors` maps an implementation kind (`python`, `remote`) to its executor;
        by default Python actions run in-process and remote ones over HTTP."""
        self.assistant = assistant
        self.nlu = nlu
        self.policies = policies
        self.store = store
        self.project_dir = project_dir
        self.model_id = model_id
        self._domain = domain_of(assistant)
        self._tracker_domain = dataclasses.replace(
            self._domain.tracker_domain, accepts=functools.partial(value_fits, self._domain)
        )
        self._responses = ResponseRenderer(assistant)
        self._python = PythonActionExecutor(project_dir)
        self._executors: dict[str, ActionExecutor] = {"python": self._python, **(executors or {})}
        self._own_remote: RemoteActionExecutor | None = None
        """The HTTP client this agent opened itself (not one a caller passed), to close."""
        remote = any(a.implementation.kind == "remote" for a in assistant.actions)
        if remote and "remote" not in self._executors:
            self._own_remote = RemoteActionExecutor()
            self._executors["remote"] = self._own_remote
        self._payload_intents = self._domain.intents | {RESTART_INTENT, NLU_FALLBACK_INTENT}
        self._decisions: dict[str, list[PolicyDecision]] = {}
        self._noticed: set[str] = set()
        self._lock = threading.Lock()
        self._trackers: OrderedDict[str, Tracker] = OrderedDict()
        """The latest turn's tracker per sender (state already derived), for the next turn."""
        self._sender_locks = [threading.Lock() for _ in range(SENDER_LOCKS)]
        """Turns of one sender never overlap, even if a caller forgets to serialise them."""

    # ------------------------------------------------------------------ public API

    def close(self) -> None:
        """Close the action-server client this agent opened; the store is the caller's."""
        if self._own_remote is not None:
            self._own_remote.close()

    def parse(self, text: str) -> ParseResult:
        """The NLU's reading of `text` (a button payload is taken literally). Should the
        NLU fail, the error is logged and the message reads as `nlu_fallback`, so the
        conversation goes on."""
        payload = parse_payload(text, self._payload_intents)
        if payload is not None:
            return payload
        try:
            return self.nlu.parse(text)
        except Exception:
            logger.exception("the NLU failed on %r; treating it as %s", text, NLU_FALLBACK_INTENT)
            unknown = IntentPrediction(name=NLU_FALLBACK_INTENT, confidence=0.0)
            return ParseResult(text=text, intent=unknown, intent_ranking=[unknown])

    def tracker(self, sender_id: str) -> Tracker | None:
        """The conversation as this assistant sees it, or None if it never began (a copy:
        later turns do not change it)."""
        stored = self.store.load(sender_id)
        if stored is None:
            return None
        with self._lock:
            known = self._trackers.get(sender_id)
        count = len(known.events) if known is not None else 0
        if known is not None and stored.events[count - 1 : count] == known.events[-1:]:
            tracker = known.copy()  # reuse the derived state; add what others appended
            tracker.extend(stored.events[count:])
        else:
            tracker = stored.with_domain(self._tracker_domain)
        slots, form = tracker.dropped_names()
        if (slots or form) and sender_id not in self._noticed:
            with self._lock:
                self._noticed.add(sender_id)
            gone = [f"slot {name!r}" for name in slots] + ([f"form {form!r}"] if form else [])
            logger.info(
                "conversation %r: %s no longer fit the assistant; ignoring them",
                sender_id,
                ", ".join(gone),
            )
        return tracker

    def last_decisions(self, sender_id: str) -> list[PolicyDecision]:
        """The policy decisions of the sender's latest turn (for a debug view)."""
        with self._lock:
            return list(self._decisions.get(sender_id, []))

    def reload_actions(self) -> None:
        """Re-import the assistant's Python actions on their next use."""
        self._python.reload()

    def preload_actions(self) -> None:
        """Import every Python action's module now. The dev loop does this after each
        swap, so that if a later save breaks a module, its last good version is there
        to fall back to; a module that fails to import is logged, not raised."""
        for action in self.assistant.actions:
            if isinstance(action.implementation, PythonImplementation):
                self._python.preload(action.implementation)

    def handle_message(
        self,
        sender_id: str,
        text: str,
        *,
        input_channel: str = "rest",
        reading: ParseResult | None = None,
    ) -> list[BotMessage]:
        """Run one turn and return what the bot says. `reading`, when given, is taken as
        the message's parse instead of asking the NLU: a conversation test's `meaning`,
        as `rasa test` takes a test story's intent."""
        with self._sender_locks[zlib.crc32(sender_id.encode()) % len(self._sender_locks)]:
            return self._handle(sender_id, text, input_channel, reading)

    def complete_form(
        self, sender_id: str, form: str, values: dict[str, JsonValue]
    ) -> list[BotMessage]:
        """Complete the active form `form` as though the user had answered its remaining
        questions with `values` (slots not given keep theirs), then go on as after any
        completion: the form's `then` steps, then what the policies choose. Conversation
        tests use it for answers a script leaves out (`form F completes`), as Rasa's test
        stories do with `active_loop: null`; the form's validation action is not called.
        Raises ValueError if `form` is not active or a value is one the form's constraints
        reject."""
        with self._sender_locks[zlib.crc32(sender_id.encode()) % len(self._sender_locks)]:
            return self._turn(sender_id, functools.partial(self._completion, form, values))

    def _completion(
        self, name: str, values: dict[str, JsonValue], tracker: Tracker, record: _Recorder
    ) -> None:
        if tracker.active_form != name:
            active = f"form {tracker.active_form!r} is" if tracker.active_form else "no form is"
            raise ValueError(f"form {name!r} is not active ({active})")
        asked = {form_slot.slot: form_slot for form_slot in self._domain.forms[name].slots}
        for slot, value in values.items():
            form_slot = asked.get(slot)
            if form_slot is None or not (
                value_fits(self._domain, slot, value) and satisfies(value, form_slot.constraint)
            ):
                raise ValueError(f"form {name!r} does not accept {value!r} for {slot!r}")
        # what the form's own run records when the last answer arrives (`run_form`)
        events: list[Event] = [ActionExecuted(name=name, policy=FORM_POLICY, confidence=1.0)]
        events += [SlotSet(name=slot, value=value) for slot, value in values.items()]
        record([*events, SlotSet(name=REQUESTED_SLOT), ActiveLoop(name=None)])

    def _handle(
        self, sender_id: str, text: str, input_channel: str, reading: ParseResult | None
    ) -> list[BotMessage]:
        def begin(tracker: Tracker, record: _Recorder) -> None:
            turn = f"{sender_id}\x00{tracker.turn}"
            message_id = hashlib.sha256(turn.encode()).hexdigest()[:32]
            parse = self.parse(text) if reading is None else reading
            record(
                [
                    UserUttered(
                        text=text,
                        parse_data=parse,
                        input_channel=input_channel,
                        message_id=message_id,
                    )
                ]
            )
            record(list(fill_slots(tracker, self._domain)))

        return self._turn(sender_id, begin)

    def _turn(
        self, sender_id: str, begin: Callable[[Tracker, _Recorder], None]
    ) -> list[BotMessage]:
        """`begin` records what starts the turn; then the policies act until they listen.
        Nothing is stored if `begin` raises."""
        tracker = self.tracker(sender_id)
        new_events: list[Event] = []
        if tracker is None:
            tracker = Tracker(sender_id, domain=self._tracker_domain)
            new_events.extend(session_start_events())
            tracker.extend(new_events)

        def record(events: list[Event]) -> None:
            tracker.extend(events)
            new_events.extend(events)

        begin(tracker, record)
        decisions = self._predict_and_run(tracker, record)
        with self._lock:
            self._decisions[sender_id] = decisions
        self.store.append(sender_id, new_events)
        with self._lock:
            self._trackers[sender_id] = tracker
            self._trackers.move_to_end(sender_id)
            while len(self._trackers) > CACHED_TRACKERS:
                self._trackers.popitem(last=False)
        return [
            to_bot_message(event, sender_id)
            for event in new_events
            if isinstance(event, BotUttered)
        ]

    # ------------------------------------------------------------------ the loop

    def _predict_and_run(self, tracker: Tracker, record: _Recorder) -> list[PolicyDecision]:
        decisions: list[PolicyDecision] = []
        for _ in range(self.assistant.config.max_actions_per_turn):
            decision = self.policies.predict(tracker, self.assistant)
            decisions.append(decision)
            executed = ActionExecuted(
                name=decision.action, policy=decision.policy, confidence=decision.confidence
            )
            if decision.action == ACTION_LISTEN:
                record([executed])
                return decisions
            result = self._run(decision.action, tracker)
            record([executed, *result.messages, *result.events])
            if any(isinstance(e, _ENDS_TURN) for e in result.events):
                break
        else:
            logger.warning(
                "conversation %r: stopped after %d actions in one turn (max_actions_per_turn);"
                " the policies may be looping: %s",
                tracker.sender_id,
                len(decisions),
                " → ".join(d.action for d in decisions),
            )
        record([ActionExecuted(name=ACTION_LISTEN, policy="agent", confidence=1.0)])
        return decisions

    def _run(self, name: str, tracker: Tracker) -> ActionResult:
        """Run any action by name: built-in, form, response or the assistant's own."""
        domain = self._domain
        seed = response_seed(tracker)
        fallback = name in (ACTION_DEFAULT_FALLBACK, self.assistant.config.fallback_action)
        if name in _BUILTINS:
            response, make_events = _BUILTINS[name]
            messages = (
                self._responses.render(response, tracker.slots, seed)
                if response in self._responses
                else []
            )
            return ActionResult(events=make_events(), messages=messages)
        if name in domain.forms:
            form = domain.forms[name]
            result = run_form(form, tracker, domain, self._responses, self._run_custom)
        elif name in self._responses:
            result = ActionResult(messages=self._responses.render(name, tracker.slots, seed))
        elif name in domain.actions:
            result = self._run_custom(name, tracker)
        elif fallback:
            result = ActionResult(messages=self._default_fallback(tracker, seed))
        else:
            logger.error("the policies chose %r, which is not an action of the assistant", name)
            result = self._error_result(name)
        if fallback:
            result.events.append(UserUtteranceReverted())
        return result

    def _default_fallback(self, tracker: Tracker, seed: str) -> list[BotUttered]:
        if DEFAULT_FALLBACK_RESPONSE in self._responses:
            return self._responses.render(DEFAULT_FALLBACK_RESPONSE, tracker.slots, seed)
        return [text_event(DEFAULT_FALLBACK_TEXT, ACTION_DEFAULT_FALLBACK)]

    def _run_custom(self, name: str, tracker: Tracker) -> ActionResult:
        action = self._domain.actions[name]
        executor = self._executors.get(action.implementation.kind)
        try:
            if executor is None:
                raise ActionError(
                    f"no executor for {action.implementation.kind} actions is configured"
                )
            return executor.run(action, tracker, self.assistant, self._responses)
        except ActionError as error:
            logger.error("action %r failed: %s", name, error)
        except Exception:
            logger.exception("action %r raised an exception", name)
        return self._error_result(name)

    def _error_result(self, name: str) -> ActionResult:
        message = text_event(self.assistant.config.action_error_response, name)
        message.metadata[ACTION_FAILED] = True  # a form's remaining `then` steps are skipped
        return ActionResult(messages=[message])


class _Recorder(Protocol):
    def __call__(self, events: list[Event], /) -> None: ...
