"""The Rasa-compatible HTTP API as a Starlette app.

Existing Rasa clients must work unchanged, so routes and bodies follow Rasa's REST channel
and HTTP API (errors use Rasa's error shape). Bad input always gets a 4xx JSON answer: a
client can never crash the server or make it answer 500.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from assistc import __version__
from assistc.runtime.ir import IR_VERSION
from assistc.runtime.server.holder import AgentHolder, ServedMessage, ServedTracker

DEFAULT_MAX_BODY_BYTES = 64 * 1024
MAX_SENDER_ID_CHARS = 256
DEFAULT_SENDER_ID = "default"
"""The conversation a webhook request without `sender` joins (as in Rasa)."""
INCLUDE_EVENTS = ("ALL", "APPLIED", "AFTER_RESTART", "NONE")

log = logging.getLogger("assistc.runtime")

Handler = Callable[[Request], Awaitable[Response]]


class ApiError(Exception):
    """A request the API refuses; becomes a JSON error response with `status`."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message


def error_response(status: int, reason: str, message: str) -> JSONResponse:
    """Rasa's error body, so Rasa clients can show our errors."""
    body: dict[str, Any] = {
        "version": __version__,
        "status": "failure",
        "message": message,
        "reason": reason,
        "details": {},
        "help": None,
        "code": status,
    }
    return JSONResponse(body, status_code=status)


@dataclass
class _SenderLock:
    lock: asyncio.Lock
    users: int = 0


class SenderLocks:
    """One FIFO lock per conversation, dropped when nobody holds or waits for it.

    Requests for one sender run in arrival order; different senders run in parallel.
    Only touched from the event loop, so the dict needs no thread lock.
    """

    def __init__(self) -> None:
        self._locks: dict[str, _SenderLock] = {}

    @asynccontextmanager
    async def hold(self, sender_id: str) -> AsyncIterator[None]:
        entry = self._locks.setdefault(sender_id, _SenderLock(asyncio.Lock()))
        entry.users += 1
        try:
            async with entry.lock:
                yield
        finally:
            entry.users -= 1
            if entry.users == 0:
                del self._locks[sender_id]


def message_json(message: ServedMessage) -> dict[str, Any]:
    """A bot message as Rasa's REST channel sends it: no null or empty fields."""
    data = message.model_dump(mode="json", exclude_none=True)
    return {key: value for key, value in data.items() if value not in ([], {}, "")}


def tracker_json(tracker: ServedTracker, include: str) -> dict[str, Any]:
    """Rasa's tracker body with the events `include_events` asks for (Rasa's default:
    those after the latest restart)."""
    data = tracker.to_rasa_json()
    events: list[dict[str, Any]] = data["events"]
    if include == "AFTER_RESTART":
        restarts = [index for index, event in enumerate(events) if event["event"] == "restart"]
        data["events"] = events[restarts[-1] :] if restarts else events
    elif include == "APPLIED":
        data["events"] = [event.to_rasa() for event in tracker.applied_events()]
    elif include == "NONE":
        data["events"] = None
    return data


def create_app(
    holder: AgentHolder,
    token: str | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    cors_origins: Sequence[str] = (),
) -> Starlette:
    """The API over whichever agent `holder` serves at the time of each request.

    `cors_origins` lets browser clients on those origins (`*` for any) call the API, as
    Rasa's `--cors` does for web chat widgets.
    """
    locks = SenderLocks()

    def protected(handler: Handler) -> Handler:
        async def checked(request: Request) -> Response:
            if token is not None and not _token_matches(request, token):
                raise ApiError(401, "NotAuthenticated", "missing or wrong authentication token")
            return await _guarded(handler, request)

        return checked

    async def webhook(request: Request) -> Response:
        body = await _json_object(request, max_body_bytes)
        # Rasa's REST channel talks to conversation "default" when no sender is given.
        body.setdefault("sender", DEFAULT_SENDER_ID)
        sender_id = _string_field(body, "sender", max_chars=MAX_SENDER_ID_CHARS)
        if not sender_id:
            raise ApiError(400, "BadRequest", "field 'sender' must not be empty")
        text = _string_field(body, "message", max_chars=max_body_bytes)
        async with locks.hold(sender_id):
            agent = holder.current.agent
            messages = await run_in_threadpool(agent.handle_message, sender_id, text)
        return JSONResponse([message_json(message) for message in messages])

    async def parse(request: Request) -> Response:
        body = await _json_object(request, max_body_bytes)
        text = _string_field(body, "text", max_chars=max_body_bytes)
        result = await run_in_threadpool(holder.current.agent.parse, text)
        return JSONResponse(result.model_dump(mode="json"))

    async def tracker(request: Request) -> Response:
        sender_id = request.path_params["sender_id"]
        include = request.query_params.get("include_events", "AFTER_RESTART").upper()
        if include not in INCLUDE_EVENTS:
            choices = ", ".join(INCLUDE_EVENTS)
            raise ApiError(400, "BadRequest", f"include_events must be one of {choices}")
        async with locks.hold(sender_id):
            found = await run_in_threadpool(holder.current.agent.tracker, sender_id)
        if found is None:
            raise ApiError(404, "NotFound", f"no conversation with id '{sender_id}'")
        return JSONResponse(tracker_json(found, include))

    async def status(request: Request) -> Response:
        current = holder.current
        return JSONResponse(
            {
                "model_id": current.model_id,
                "fingerprint": current.fingerprint,
                "loaded_at": current.loaded_at.isoformat(),
                "assistant": current.agent.assistant.name,
                "num_active_training_jobs": 0,
            }
        )

    async def version(request: Request) -> Response:
        return JSONResponse(
            {
                "version": __version__,
                "minimum_compatible_version": __version__,
                "ir_version": IR_VERSION,
            }
        )

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    routes = [
        Route("/webhooks/rest/webhook", protected(webhook), methods=["POST"]),
        Route("/model/parse", protected(parse), methods=["POST"]),
        Route("/conversations/{sender_id}/tracker", protected(tracker), methods=["GET"]),
        Route("/status", protected(status), methods=["GET"]),
        Route("/version", protected(version), methods=["GET"]),
        Route("/health", health, methods=["GET"]),
    ]
    cors = Middleware(
        CORSMiddleware,
        allow_origins=list(cors_origins),
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type"],
    )
    return Starlette(
        routes=routes,
        middleware=[cors] if cors_origins else [],
        exception_handlers={
            ApiError: _api_error,
            HTTPException: _http_error,
        },
    )


def _token_matches(request: Request, token: str) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer":
        given = request.query_params.get("token", "")
    return hmac.compare_digest(given.strip().encode(), token.encode())


async def _json_object(request: Request, limit: int) -> dict[str, Any]:
    """The body as a JSON object, refusing it early when it is larger than `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise _too_large(limit)
    if not body:
        raise ApiError(400, "BadRequest", "the request body is empty; expected a JSON object")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise ApiError(400, "BadRequest", f"the request body is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise ApiError(400, "BadRequest", "the request body must be a JSON object")
    return data


def _too_large(limit: int) -> ApiError:
    return ApiError(413, "PayloadTooLarge", f"the request body is larger than {limit} bytes")


def _string_field(body: dict[str, Any], name: str, *, max_chars: int) -> str:
    if name not in body:
        raise ApiError(400, "BadRequest", f"missing field '{name}'")
    value = body[name]
    if not isinstance(value, str):
        raise ApiError(
            400, "BadRequest", f"field '{name}' must be a string, not {_json_type(value)}"
        )
    if len(value) > max_chars:
        raise ApiError(400, "BadRequest", f"field '{name}' is longer than {max_chars} characters")
    return value


def _json_type(value: object) -> str:
    names = {bool: "a boolean", int: "a number", float: "a number", list: "an array"}
    if value is None:
        return "null"
    return names.get(type(value), "an object")


async def _api_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, ApiError)
    return error_response(error.status, error.reason, error.message)


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    return error_response(error.status_code, "HTTPError", str(error.detail))


async def _guarded(handler: Handler, request: Request) -> Response:
    """Answer an engine failure with a JSON 500 here, so the connection stays usable."""
    try:
        return await handler(request)
    except (ApiError, HTTPException):
        raise
    except Exception:
        log.exception("internal error answering %s %s", request.method, request.url.path)
        return error_response(500, "InternalError", "internal server error; see the server log")
