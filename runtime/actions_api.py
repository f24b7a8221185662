"""What a Python action receives as `ctx`: read-only conversation state and ways to talk.

User code imports this module (`from assistc.runtime.actions_api import ActionContext`)
for type hints; the runtime builds the object. It deliberately exposes no tracker and no
way to set slots: an action changes slots only through its typed outputs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from assistc.runtime.nlu.types import ParseResult


class ActionContext:
    """The conversation as an action sees it."""

    def __init__(
        self,
        sender_id: str,
        latest_message: ParseResult | None,
        slots: Mapping[str, Any],
        utter: Callable[[str, dict[str, Any]], None],
        send: Callable[[str], None],
    ) -> None:
        self.sender_id = sender_id
        self.latest_message = latest_message
        self.slots: Mapping[str, Any] = MappingProxyType(dict(slots))
        self._utter = utter
        self._send = send

    def utter(self, response_name: str, **values: Any) -> None:
        """Send a response of the assistant; `values` fill `{name}`s beside the slots."""
        self._utter(response_name, values)

    def send(self, text: str) -> None:
        """Send a literal text message."""
        self._send(str(text))
