"""A chat REPL over an agent, with a debug view of what the assistant understood and did.

The shell reads lines from any text stream and writes to any text stream, so a scripted
session is a test. Lines starting with one of the commands below are the shell's; every
other line (including Rasa-style payloads like `/greet`) goes to the assistant. A number
picks a button of the bot's last message.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from collections.abc import Sequence
from typing import Any, Protocol, TextIO

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from assistc.runtime.dialogue.tracker import Tracker
from assistc.runtime.ir import Assistant

log = logging.getLogger("assistc.runtime")

RESTART_PAYLOAD = "/restart"
"""Sent for `/restart`: the engine's restart intent runs `action_restart` (as in Rasa)."""

PROMPT = "[bold]you>[/bold] "

HELP = """commands:
  /debug    show or hide what the assistant understood and why it acted
  /restart  start the conversation over
  /tracker  print the conversation's tracker (JSON)
  /quit     leave (also Ctrl-D)
  /help     this text"""


class ShellMessage(Protocol):
    @property
    def text(self) -> str | None: ...

    @property
    def buttons(self) -> list[dict[str, str]]: ...

    @property
    def image(self) -> str | None: ...

    @property
    def custom(self) -> dict[str, Any] | None: ...


class ShellDecision(Protocol):
    @property
    def action(self) -> str: ...

    @property
    def confidence(self) -> float: ...

    @property
    def policy(self) -> str: ...


class ShellAgent(Protocol):
    """What the shell needs from an agent (the dialogue engine's `Agent` provides it)."""

    @property
    def assistant(self) -> Assistant: ...

    def handle_message(self, sender_id: str, text: str) -> Sequence[ShellMessage]: ...

    def tracker(self, sender_id: str) -> Tracker | None: ...

    def last_decisions(self, sender_id: str) -> Sequence[ShellDecision]: ...


class Shell:
    """One terminal conversation; `run` loops until `/quit` or end of input."""

    def __init__(
        self,
        agent: ShellAgent,
        *,
        output: TextIO | None = None,
        sender_id: str = "shell",
        debug: bool = False,
    ) -> None:
        self.agent = agent
        self.sender_id = sender_id
        self.debug = debug
        self.console = Console(file=output or sys.stdout, highlight=False, soft_wrap=True)
        self._buttons: list[dict[str, str]] = []

    def run(self, lines: TextIO | None = None) -> None:
        """Chat reading `lines`, or the terminal (with line editing) when None."""
        self.console.print(
            f"Chatting with {escape(self.agent.assistant.name)}. /help for commands."
        )
        if lines is None:
            _enable_line_editing()
        try:
            while (line := self._read(lines)) is not None and self.handle_line(line.strip()):
                pass
        except KeyboardInterrupt:
            self.console.print()

    def _read(self, lines: TextIO | None) -> str | None:
        """The next line, or None at end of input."""
        if lines is None:
            try:
                return self.console.input(PROMPT)
            except EOFError:
                self.console.print()
                return None
        self.console.print(PROMPT, end="")
        line = lines.readline()
        return line or None

    def handle_line(self, line: str) -> bool:
        """Act on one input line; False when the user asked to quit."""
        command = line.lower()
        if command in ("/quit", "/exit"):
            return False
        if command == "/help":
            self.console.print(HELP, markup=False)
        elif command == "/debug":
            self.debug = not self.debug
            self.console.print(f"debug view {'on' if self.debug else 'off'}")
        elif command == "/tracker":
            self._print_tracker()
        elif command == "/restart":
            self._send(RESTART_PAYLOAD)
            self.console.print("conversation restarted")
        elif line:
            self._send(self._button_payload(line) or line)
        return True

    def _button_payload(self, line: str) -> str | None:
        if line.isdigit() and 1 <= int(line) <= len(self._buttons):
            return self._buttons[int(line) - 1].get("payload")
        return None

    def _send(self, text: str) -> None:
        try:
            messages = self.agent.handle_message(self.sender_id, text)
        except Exception as error:  # an engine bug must not end the user's session
            log.exception("the assistant failed on %r", text)
            self.console.print(f"[red]error:[/red] {escape(str(error))} (details in the log)")
            return
        if self.debug:
            self._print_debug()
        self._buttons = []
        for message in messages:
            self._print_message(message)

    def _print_message(self, message: ShellMessage) -> None:
        if message.text:
            self.console.print(f"[bold cyan]bot>[/bold cyan] {escape(message.text)}")
        if message.image:
            self.console.print(f"[bold cyan]bot>[/bold cyan] image: {escape(message.image)}")
        if message.custom:
            self.console.print(f"[bold cyan]bot>[/bold cyan] {escape(json.dumps(message.custom))}")
        for button in message.buttons:
            self._buttons.append(button)
            title, payload = button.get("title", ""), button.get("payload", "")
            self.console.print(f"      {len(self._buttons)}: {escape(title)} ({escape(payload)})")

    def _print_tracker(self) -> None:
        tracker = self.agent.tracker(self.sender_id)
        if tracker is None:
            self.console.print("no conversation yet")
            return
        self.console.print_json(json.dumps(tracker.to_rasa_json(), default=str))

    def _print_debug(self) -> None:
        tracker = self.agent.tracker(self.sender_id)
        parsed = tracker.latest_message if tracker is not None else None
        if parsed is not None:
            ranking = ", ".join(
                f"{escape(p.name)} {p.confidence:.2f}" for p in parsed.intent_ranking[:5]
            )
            self.console.print(f"  intent: {ranking or escape(parsed.intent.name)}")
            for entity in parsed.entities:
                self.console.print(
                    f"  entity: {escape(entity.entity)} = {escape(repr(entity.value))} "
                    f"({escape(entity.extractor)}, {entity.confidence:.2f})"
                )
        if tracker is not None:
            slots = {name: value for name, value in tracker.slots.items() if value is not None}
            self.console.print(f"  slots: {escape(json.dumps(slots, default=str))}")
            self.console.print(f"  active form: {escape(tracker.active_form or '-')}")
        table = Table("action", "policy", "confidence", box=None, padding=(0, 2, 0, 2))
        for decision in self.agent.last_decisions(self.sender_id):
            table.add_row(
                escape(decision.action), escape(decision.policy), f"{decision.confidence:.2f}"
            )
        self.console.print(table)


def _enable_line_editing() -> None:
    """Arrow keys and history for `input()`, where the platform has readline."""
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401


def run_shell(
    agent: ShellAgent,
    *,
    lines: TextIO | None = None,
    output: TextIO | None = None,
    sender_id: str = "shell",
    debug: bool = False,
) -> None:
    """Chat with `agent` reading `lines` (default: the terminal), writing `output` (stdout)."""
    Shell(agent, output=output, sender_id=sender_id, debug=debug).run(lines)
