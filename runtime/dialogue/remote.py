"""Remote actions: calling a Rasa action server (rasa-sdk) with Rasa's webhook protocol.

`RemoteActionExecutor` is the `ActionExecutor` for actions whose IR implementation is
`remote`. It POSTs `{"next_action", "sender_id", "tracker", "domain", "version"}` to the
action's URL and turns the reply's `events` (slots, forms, restart, rewind, bot messages)
and `responses` (text, buttons, image, custom, or a response by name) into our events and
messages. A server that is down or times out is retried with exponential backoff (the
request has not been processed, or processing it again is what Rasa would do too); a 4xx
answer is final. When the server cannot be reached the executor logs one clear line and
raises `ActionError`, and the agent sends `config.action_error_response`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from assistc.runtime.dialogue.actions import ActionError, ActionResult
from assistc.runtime.dialogue.domain import Domain, domain_of
from assistc.runtime.dialogue.events import (
    ActiveLoop,
    BotUttered,
    Event,
    FollowupAction,
    Restarted,
    SlotSet,
    UserUtteranceReverted,
)
from assistc.runtime.dialogue.rasa_domain import rasa_domain
from assistc.runtime.dialogue.responses import ResponseRenderer, response_seed
from assistc.runtime.dialogue.slots import SlotValueError, coerce_value
from assistc.runtime.dialogue.tracker import REQUESTED_SLOT, Tracker
from assistc.runtime.ir import Action, Assistant, RemoteImplementation

logger = logging.getLogger("assistc.runtime")

RASA_VERSION = "3.6.21"
"""The Rasa version we announce to action servers (rasa-sdk checks major compatibility)."""
RETRY_STATUS = frozenset({502, 503, 504})
"""Gateway answers that mean the action never ran, so asking again is safe."""
MESSAGE_KEYS = ("buttons", "image", "custom", "attachment", "elements", "quick_replies")


class RemoteActionExecutor:
    """Runs `remote` actions against Rasa action servers; one HTTP client, thread-safe."""

    def __init__(
        self,
        client: httpx.Client | None = None,
        *,
        backoff: float = 0.25,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client or httpx.Client()
        self._backoff = backoff
        self._sleep = sleep
        self._domain: tuple[Assistant, dict[str, Any]] | None = None

    def close(self) -> None:
        self._client.close()

    def domain(self, assistant: Assistant) -> dict[str, Any]:
        """The Rasa domain sent with every call, built once per assistant."""
        cached = self._domain
        if cached is None or cached[0] is not assistant:
            cached = (assistant, rasa_domain(assistant))
            self._domain = cached
        return cached[1]

    def run(
        self, action: Action, tracker: Tracker, assistant: Assistant, responses: ResponseRenderer
    ) -> ActionResult:
        implementation = action.implementation
        if not isinstance(implementation, RemoteImplementation):
            raise ActionError(f"action {action.name!r} is not a remote action")
        payload = {
            "next_action": action.name,
            "sender_id": tracker.sender_id,
            "tracker": tracker.to_rasa_json(),
            "domain": self.domain(assistant),
            "version": RASA_VERSION,
        }
        reply = self._post(action.name, implementation, payload)
        events = self._events(action.name, reply.get("events", []), assistant)
        seed = response_seed(tracker)
        messages = [
            message
            for data in _list_of_dicts(action.name, "responses", reply.get("responses", []))
            for message in _messages(action.name, data, tracker.slots, seed, responses)
        ]
        messages.extend(e for e in events if isinstance(e, BotUttered))
        return ActionResult(
            events=[e for e in events if not isinstance(e, BotUttered)], messages=messages
        )

    # ------------------------------------------------------------------ HTTP

    def _post(
        self, name: str, implementation: RemoteImplementation, payload: dict[str, Any]
    ) -> dict[str, Any]:
        url = implementation.url
        attempts = implementation.retries + 1
        for attempt in range(1, attempts + 1):
            try:
                response = self._client.post(url, json=payload, timeout=implementation.timeout)
            except (httpx.ConnectError, httpx.TimeoutException, httpx.RemoteProtocolError) as error:
                problem = f"{type(error).__name__}: {error}"
            else:
                if response.status_code not in RETRY_STATUS:
                    return _reply(name, url, response)
                problem = f"HTTP {response.status_code}"
            if attempt < attempts:
                delay = self._backoff * 2 ** (attempt - 1)
                logger.warning(
                    "action server %s: %s (attempt %d of %d); retrying in %.2fs",
                    url,
                    problem,
                    attempt,
                    attempts,
                    delay,
                )
                self._sleep(delay)
        logger.error(
            "action server %s is unreachable for action %r after %d attempts (%s); "
            "is it running? (rasa run actions)",
            url,
            name,
            attempts,
            problem,
        )
        raise ActionError(f"action server {url} is unreachable: {problem}")

    # ------------------------------------------------------------------ events

    def _events(self, name: str, raw: Any, assistant: Assistant) -> list[Event]:
        domain = domain_of(assistant)
        events: list[Event] = []
        for data in _list_of_dicts(name, "events", raw):
            kind = data.get("event")
            if kind == "slot":
                slot_name = str(data.get("name"))
                event = _slot_event(name, slot_name, data.get("value"), domain)
                if event is not None:
                    events.append(event)
            elif kind == "reset_slots":
                events.extend(SlotSet(name=s.name, value=s.initial) for s in assistant.slots)
            elif kind in ("active_loop", "form"):
                form = data.get("name")
                if form is not None and form not in domain.forms:
                    logger.warning("action %r activated unknown form %r; ignored", name, form)
                    continue
                events.append(ActiveLoop(name=form))
            elif kind == "followup":
                followup = str(data.get("name"))
                if not domain.knows_action(followup):
                    logger.warning(
                        "action %r asked to follow up with unknown action %r; ignored",
                        name,
                        followup,
                    )
                    continue
                events.append(FollowupAction(name=followup))
            elif kind == "restart":
                events.append(Restarted())
            elif kind == "rewind":
                events.append(UserUtteranceReverted())
            elif kind == "bot":
                payload = data.get("data")
                kept = (
                    {k: v for k, v in payload.items() if k in MESSAGE_KEYS and v}
                    if isinstance(payload, dict)
                    else {}
                )
                metadata = {"utter_action": name}
                events.append(BotUttered(text=data.get("text"), data=kept, metadata=metadata))
            else:
                logger.warning(
                    "action %r returned a %r event, which this runtime does not apply",
                    name,
                    kind,
                )
        return events


def _reply(name: str, url: str, response: httpx.Response) -> dict[str, Any]:
    """The JSON body of a final answer; errors become ActionError with the server's words."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code >= 400:
        detail = body.get("error") if isinstance(body, dict) else None
        reason = detail or response.reason_phrase or "error"
        if response.status_code == 404:
            reason = f"the action server does not know action {name!r} ({reason})"
        raise ActionError(f"action server {url} answered {response.status_code}: {reason}")
    if not isinstance(body, dict):
        raise ActionError(f"action server {url} answered with something that is not JSON")
    return body


def _list_of_dicts(name: str, key: str, raw: Any) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise ActionError(f"action {name!r}: `{key}` in the server's answer is not a list of maps")
    return raw


def _slot_event(action: str, slot: str, value: Any, domain: Domain) -> SlotSet | None:
    """A slot event with the value coerced to the slot's declared type."""
    if slot == REQUESTED_SLOT:
        return SlotSet(name=slot, value=value)
    declared = domain.slots.get(slot)
    if declared is None:
        logger.warning("action %r set unknown slot %r; ignored", action, slot)
        return None
    try:
        typed = coerce_value(value, declared.type, domain.entities)
    except SlotValueError as error:
        raise ActionError(f"action {action!r} set slot {slot!r}: {error}") from None
    return SlotSet(name=slot, value=typed)


def _messages(
    action: str,
    data: dict[str, Any],
    slots: Mapping[str, Any],
    seed: str,
    responses: ResponseRenderer,
) -> list[BotUttered]:
    """One dispatcher message: a named response (rendered here, with the message's extra
    keys as template values) or literal text with buttons, image or custom payload."""
    name = data.get("response") or data.get("template")
    if name:
        extra = {k: v for k, v in data.items() if k not in ("response", "template", *MESSAGE_KEYS)}
        extra.pop("text", None)
        return responses.render(str(name), slots, seed, extra)
    kept = {key: data[key] for key in MESSAGE_KEYS if data.get(key)}
    text = data.get("text")
    if text is None and not kept:
        return []
    return [BotUttered(text=text, data=kept, metadata={"utter_action": action})]
