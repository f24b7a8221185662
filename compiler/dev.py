"""`assistc dev`: serve the assistant and swap in a new one a moment after each save.

A watchdog observer reports file changes; a debounce timer turns an editor's burst of
writes into one rebuild. A rebuild re-parses only changed files (the parse cache),
retrains only changed components (the trainer's fingerprints) and swaps the new agent
in atomically over the same tracker store, so conversations carry on. When the new
sources have errors, the diagnostics are printed and the last good assistant keeps
serving.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import ObservedWatch

from assistc.compiler.build import BuildError
from assistc.compiler.compile import CompileCache
from assistc.compiler.pipeline import PipelineResult, compile_build_train
from assistc.compiler.reporting import render_seen_from_working_folder, summary_line
from assistc.compiler.stubs import CONTRACTS_PATH, StubError
from assistc.runtime.bundle import BundleError, LoadedBundle, load_bundle
from assistc.runtime.dialogue.remote import RemoteActionExecutor
from assistc.runtime.dialogue.stores import TrackerStore
from assistc.runtime.server.holder import AgentHolder
from assistc.runtime.training import TrainingError

DEBOUNCE_SECONDS = 0.02
IGNORED_PARTS = {".assistc", "__pycache__", ".git", ".venv", ".mypy_cache", ".ruff_cache"}
IGNORED_SUFFIXES = (".pyc", ".swp", ".swx", "~", ".tmp")
CHANGE_EVENTS = {"created", "modified", "deleted", "moved"}

Echo = Callable[[str], None]


def is_relevant(path: Path, root: Path) -> bool:
    """Sources, lookup/data files and action modules; not build output, caches,
    editor swap files, or the generated contracts module."""
    try:
        relative = path.relative_to(root)
    except ValueError:
        return False
    if any(part in IGNORED_PARTS or part.startswith(".#") for part in relative.parts):
        return False
    if relative.as_posix() == CONTRACTS_PATH:
        return False
    return not path.name.endswith(IGNORED_SUFFIXES)


@dataclass
class Reload:
    """One rebuild after a save: what changed and what came of it."""

    changed_files: list[str]
    ok: bool
    line: str


class DevSession:
    """Owns the current assistant: rebuilds it and swaps it into the holder."""

    def __init__(
        self,
        project: Path,
        store: TrackerStore,
        echo: Echo,
        *,
        seed: int | None = None,
    ) -> None:
        self.project = project
        self.root = project if project.is_dir() else project.parent
        self.store = store
        self.echo = echo
        self.seed = seed
        self.cache = CompileCache()
        self.holder: AgentHolder | None = None
        self.current: LoadedBundle | None = None
        self.remote_actions = RemoteActionExecutor()
        """One HTTP client to action servers for every assistant the session serves."""
        self.parts: dict[str, str] = {}
        """Fingerprints of the current assistant's parts, to say what a save changed."""
        self.serving = threading.Event()
        """Set once an assistant is loaded and its line printed: the server may start."""
        self._lock = threading.Lock()

    def first_build(self) -> bool:
        """Build and load the assistant; False (having printed why) when it cannot."""
        return self.rebuild([]).ok

    def rebuild(self, changed: list[str]) -> Reload:
        with self._lock:
            outcome = self._rebuild(changed)
        self.echo(outcome.line)
        if outcome.ok:
            self.serving.set()
        return outcome

    def _rebuild(self, changed: list[str]) -> Reload:
        started = time.perf_counter()
        what = ", ".join(changed) if changed else "start"
        try:
            result = compile_build_train(
                self.project,
                seed=self.seed,
                cache=self.cache,
                write_build_folder=False,
                quick=self.current is not None,
            )
        except (BuildError, StubError, TrainingError) as error:
            return Reload(changed, False, f"{what}: {error}{self._kept()}")
        if result.trained is None:
            return Reload(changed, False, self._diagnostics(result, what))
        try:
            loaded = load_bundle(
                result.trained.path, assistant=result.compiled.assistant, previous=self.current
            )
        except BundleError as error:
            return Reload(changed, False, f"{what}: {error}{self._kept()}")
        parts = self._changed_parts(loaded)
        agent = loaded.agent(
            self.store, project_dir=self.root, executors={"remote": self.remote_actions}
        )
        agent.preload_actions()
        if self.holder is None:
            self.holder = AgentHolder(agent)
        else:
            self.holder.swap(agent)
        self.current = loaded
        gc.collect()
        gc.freeze()  # the cached ASTs and models live on: keep them out of future GC passes
        elapsed = time.perf_counter() - started
        trained = result.trained
        retrained = ", ".join(trained.trained) if trained.trained else "nothing"
        line = (
            f"{what}: {parts}; retrained {retrained}; {elapsed * 1000:.0f} ms; "
            f"model {trained.model_id}"
        )
        if result.created_stubs:
            line += f"; created {', '.join(result.created_stubs)} (yours to edit)"
        return Reload(changed, True, line)

    def _changed_parts(self, loaded: LoadedBundle) -> str:
        if self.current is None:
            self.parts = loaded.assistant.part_fingerprints()
            return f"{len(self.parts)} parts"
        before = self.parts
        after = self.parts = loaded.assistant.part_fingerprints()
        changed = sorted(
            name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
        )
        if not changed:
            return "no change to the assistant"
        shown = ", ".join(changed[:4]) + (
            f" and {len(changed) - 4} more" if len(changed) > 4 else ""
        )
        return f"changed {shown}"

    def _diagnostics(self, result: PipelineResult, what: str) -> str:
        compiled = result.compiled
        text = render_seen_from_working_folder(compiled.errors, compiled.sources)
        summary = summary_line(compiled.errors, len(compiled.sources.project_files))
        return f"{text}\n{what}: {summary}{self._kept()}"

    def _kept(self) -> str:
        """How a failed rebuild ends: the last good assistant serves on (if there is one)."""
        return " — still serving the last good model" if self.current is not None else ""


class _Debouncer(FileSystemEventHandler):
    """Collects changed paths and rebuilds once the writes have settled."""

    def __init__(
        self,
        session: DevSession,
        on_folder: Callable[[Path], bool],
        delay: float = DEBOUNCE_SECONDS,
    ) -> None:
        self.session = session
        self.on_folder = on_folder
        """Called with a folder made, renamed or deleted; True when it is newly watched."""
        self.delay = delay
        self.pending: set[str] = set()
        self.created: set[str] = set()
        """Paths created in this batch: one gone again by the rebuild was an editor's
        temporary file (written, then renamed over the real one), not a change."""
        self.timer: threading.Timer | None = None
        self.lock = threading.Lock()

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type not in CHANGE_EVENTS:
            return  # opened / closed without writing: reads, including our own
        paths = [_path(event.src_path), _path(getattr(event, "dest_path", ""))]
        if event.is_directory:
            if event.event_type == "modified":
                return
            for folder in paths:  # made, renamed or deleted: match the watches to it
                if folder is not None and self.on_folder(folder) and any(folder.rglob("*")):
                    self._add(folder, created=False)  # files written before the watch
            if event.event_type == "created":
                return  # a folder gone or renamed is a change: its files' events may be lost
        for path in paths:
            if path is not None and is_relevant(path, self.session.root):
                self._add(path, created=event.event_type == "created")

    def _add(self, path: Path, *, created: bool) -> None:
        name = path.relative_to(self.session.root).as_posix()
        with self.lock:
            self.pending.add(name)
            if created:
                self.created.add(name)
            self._arm()

    def _arm(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.timer = threading.Timer(self.delay, self._fire)
        self.timer.daemon = True
        self.timer.start()

    def _fire(self) -> None:
        root = self.session.root
        with self.lock:
            changed = sorted(
                name for name in self.pending if name not in self.created or (root / name).exists()
            )
            self.pending.clear()
            self.created.clear()
            self.timer = None
        if not changed:
            return
        try:
            self.session.rebuild(changed)
        except Exception as error:  # a bug must not stop the loop: keep serving
            self.session.echo(
                f"{', '.join(changed)}: internal error ({type(error).__name__}: {error}) — "
                "still serving the last good model; please report this"
            )


class Watcher:
    """Watches the project and rebuilds the session on changes. Ignored top-level folders
    (`.assistc` above all, which every rebuild writes to) are not watched at all: watches
    on its short-lived folders would only cost and make noise."""

    def __init__(self, session: DevSession) -> None:
        self.root = session.root
        self.observer = Observer()
        self.handler = _Debouncer(session, self.watch_folder)
        self.folders: dict[Path, ObservedWatch] = {}
        self.lock = threading.Lock()
        self.observer.schedule(self.handler, str(self.root), recursive=False)
        for child in sorted(self.root.iterdir()):
            self.watch_folder(child)

    def watch_folder(self, folder: Path) -> bool:
        """Match the watch on a top-level folder to the disk: everything below it is
        watched while it exists and is not ignored. True when it got a new watch."""
        if folder.parent != self.root:
            return False
        with self.lock:
            old = self.folders.pop(folder, None)
            if old is not None:
                self.observer.unschedule(old)
            if not folder.is_dir() or not is_relevant(folder, self.root):
                return False
            self.folders[folder] = self.observer.schedule(self.handler, str(folder), recursive=True)
        return True

    def start(self) -> None:
        self.observer.start()

    def stop(self) -> None:
        self.observer.stop()
        self.observer.join(timeout=5)


def _path(raw: str | bytes) -> Path | None:
    if not raw:
        return None
    return Path(raw if isinstance(raw, str) else raw.decode())
