"""Running the assistant's own actions (the IR's `Action`s), behind `ActionExecutor`.

The message loop only knows the `ActionExecutor` protocol and picks an executor by the
implementation's kind (`python`, `remote`), so a remote (Rasa action-server) executor can
be added without touching the loop. `PythonActionExecutor` runs user code in-process:
the assistant folder goes on `sys.path`, `actions/orders.py` is imported as
`actions.orders`, and every module of the `actions` package is re-imported when any of
their files changes, so edits take effect on the next message.
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
import sys
import threading
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar, Protocol

from assistc.runtime.actions_api import ActionContext
from assistc.runtime.dialogue.domain import domain_of
from assistc.runtime.dialogue.events import BotUttered, Event, SlotSet
from assistc.runtime.dialogue.responses import ResponseRenderer, response_seed, text_event
from assistc.runtime.dialogue.slots import SlotValueError, coerce_value
from assistc.runtime.dialogue.tracker import Tracker
from assistc.runtime.ir import Action, Assistant, PythonImplementation

logger = logging.getLogger("assistc.runtime")

CONTRACTS_PACKAGE = "actions"
CONTRACTS_MODULE = "_contracts"
"""The generated contracts live at `<project>/actions/_contracts.py`, whichever folder
an action's own module is in."""


@dataclass
class ActionResult:
    """What running an action produced: state changes and messages, in order."""

    events: list[Event] = field(default_factory=list)
    messages: list[BotUttered] = field(default_factory=list)


class ActionError(Exception):
    """The action could not run or returned something that does not fit its outputs."""


class ActionExecutor(Protocol):
    def run(
        self, action: Action, tracker: Tracker, assistant: Assistant, responses: ResponseRenderer
    ) -> ActionResult:
        """Run `action` for the conversation; raise ActionError (or anything) on failure."""
        ...


def output_events(action: Action, result: Any, assistant: Assistant) -> list[Event]:
    """SlotSet events for an action's result, typed as its declared outputs."""
    declared = {param.slot: param.type for param in action.outputs}
    if result is None:
        if declared:
            raise ActionError(f"action {action.name!r} returned None but declares outputs")
        return []
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        values = {f.name: getattr(result, f.name) for f in dataclasses.fields(result)}
    elif isinstance(result, Mapping):
        values = dict(result)
    else:
        raise ActionError(
            f"action {action.name!r} returned {type(result).__name__}; "
            "expected its Output dataclass, a mapping, or None"
        )
    unknown = sorted(set(values) - set(declared))
    if unknown:
        raise ActionError(f"action {action.name!r} returned undeclared outputs: {unknown}")
    entities = domain_of(assistant).entities
    events: list[Event] = []
    for name in sorted(values):
        try:
            value = coerce_value(values[name], declared[name], entities)
        except SlotValueError as error:
            raise ActionError(f"action {action.name!r}, output {name!r}: {error}") from None
        events.append(SlotSet(name=name, value=value))
    return events


def module_name(path: str) -> str:
    """`actions/orders.py` → `actions.orders`; rejects paths that leave the folder."""
    pure = PurePosixPath(path.replace("\\", "/"))
    parts = pure.with_suffix("").parts
    if pure.is_absolute() or pure.suffix != ".py" or not parts or ".." in parts:
        raise ActionError(f"action file {path!r} must be a relative .py path inside the project")
    return ".".join(parts)


class PythonActionExecutor:
    """Runs Python actions in-process, reloading them when their files change."""

    _import_lock = threading.Lock()
    """One import at a time in the process: `sys.modules` and `sys.path` are global."""
    _roots: ClassVar[set[str]] = set()
    """Project folders any executor has put on `sys.path`."""
    _good: ClassVar[dict[tuple[str, str], tuple[types.ModuleType, types.ModuleType | None]]] = {}
    """(project folder, module) → the last modules that imported cleanly, kept while an
    edit does not import. Process-wide: every hot swap makes a new executor."""

    def __init__(self, project_dir: Path | None) -> None:
        self.project_dir = project_dir.resolve() if project_dir is not None else None
        self._stamps: dict[str, tuple[int, int]] = {}
        self._packages: set[str] = {"actions"}
        """Top-level modules of the project that actions were imported from."""

    def reload(self) -> None:
        """Forget loaded modules so the next call imports them afresh."""
        with self._import_lock:
            self._stamps.clear()
            self._purge()

    def _purge(self) -> None:
        for top in self._packages:
            for name in [n for n in sys.modules if n == top or n.startswith(top + ".")]:
                del sys.modules[name]
        importlib.invalidate_caches()

    def _file_stamps(self) -> dict[str, tuple[int, int]]:
        """(mtime, size) of every Python file of the project's action packages."""
        assert self.project_dir is not None
        stamps: dict[str, tuple[int, int]] = {}
        for top in sorted(self._packages):
            folder = self.project_dir / top
            files = sorted(folder.rglob("*.py")) if folder.is_dir() else []
            single = self.project_dir / f"{top}.py"
            for file in [*files, single] if single.is_file() else files:
                stat = file.stat()
                stamps[str(file)] = (stat.st_mtime_ns, stat.st_size)
        return stamps

    def _load(self, dotted: str) -> tuple[types.ModuleType, types.ModuleType | None]:
        """The action module and the contracts module (None when absent)."""
        assert self.project_dir is not None
        root = str(self.project_dir)
        top = dotted.split(".")[0]
        with self._import_lock:
            self._packages.update((top, CONTRACTS_PACKAGE))
            stamps = self._file_stamps()
            loaded = sys.modules.get(top)
            foreign = loaded is not None and not all(
                Path(p).resolve().parent == self.project_dir
                for p in getattr(loaded, "__path__", [getattr(loaded, "__file__", None) or "."])
            )
            if stamps != self._stamps or foreign:
                self._purge()
                self._stamps = stamps
            # Only this project's folder may provide `actions`: drop other projects' roots.
            sys.path[:] = [root] + [p for p in sys.path if p not in self._roots and p != root]
            self._roots.add(root)
            contracts_file = self.project_dir / CONTRACTS_PACKAGE / f"{CONTRACTS_MODULE}.py"
            try:
                module = importlib.import_module(dotted)
                contracts = (
                    importlib.import_module(f"{CONTRACTS_PACKAGE}.{CONTRACTS_MODULE}")
                    if contracts_file.is_file()
                    else None
                )
            except Exception as error:
                last_good = self._good.get((root, dotted))
                if last_good is None:
                    raise
                # A save that does not import (a syntax error mid-edit) must not break
                # the assistant: keep running the last version that did.
                logger.warning(
                    "%s does not import (%s: %s); still running its last good version",
                    dotted,
                    type(error).__name__,
                    error,
                )
                return last_good
            self._good[(root, dotted)] = (module, contracts)
            return module, contracts

    def preload(self, implementation: PythonImplementation) -> None:
        """Import an action's module ahead of its first use (errors are logged)."""
        if self.project_dir is None:
            return
        try:
            self._load(module_name(implementation.path))
        except Exception as error:  # user code: anything can go wrong on import
            logger.warning(
                "cannot import %s: %s: %s", implementation.path, type(error).__name__, error
            )

    def run(
        self, action: Action, tracker: Tracker, assistant: Assistant, responses: ResponseRenderer
    ) -> ActionResult:
        implementation = action.implementation
        if not isinstance(implementation, PythonImplementation):
            raise ActionError(f"action {action.name!r} is not a Python action")
        if self.project_dir is None:
            raise ActionError(f"action {action.name!r} needs the assistant's folder to run")
        try:
            module, contracts = self._load(module_name(implementation.path))
        except ModuleNotFoundError as error:
            raise ActionError(f"cannot import {implementation.path}: {error}") from error
        function = getattr(module, implementation.function, None)
        if not callable(function):
            raise ActionError(f"{implementation.path} has no function {implementation.function!r}")
        slots = tracker.slots
        values = {param.slot: slots.get(param.slot) for param in action.inputs}
        input_types: Mapping[str, Callable[..., Any]] = getattr(contracts, "INPUT_TYPES", {})
        factory = input_types.get(action.name)
        inputs = factory(**values) if factory is not None else types.SimpleNamespace(**values)
        messages: list[BotUttered] = []
        seed = response_seed(tracker)

        def utter(name: str, extra: dict[str, Any]) -> None:
            messages.extend(responses.render(name, slots, seed, extra))

        def send(text: str) -> None:
            messages.append(text_event(text, action.name))

        ctx = ActionContext(tracker.sender_id, tracker.latest_message, slots, utter, send)
        result = function(inputs, ctx)
        return ActionResult(events=output_events(action, result, assistant), messages=messages)
