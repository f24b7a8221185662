"""Tracker stores: where conversations live between messages.

`TrackerStore` is the small protocol the agent needs; `InMemoryTrackerStore` serves tests
and throwaway shells, `SQLiteTrackerStore` is the default for real use. The SQLite store
keeps one row per event and commits before `append` returns, so a process killed right
after answering has not lost that turn. It runs in WAL mode with `synchronous=NORMAL`,
which survives any crash of the process; `power_safe=True` (`synchronous=FULL`) also
survives a crash of the machine, at the price of an fsync (often ~10 ms) per turn.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from pydantic import ValidationError

from assistc.runtime.dialogue.events import Event, event_from_json, event_to_json
from assistc.runtime.dialogue.tracker import Tracker

SCHEMA_VERSION = 1
CACHED_CONVERSATIONS = 256


class TrackerStoreError(Exception):
    """The store cannot be opened or read (corrupt file, newer schema, bad rows)."""


class TrackerStore(Protocol):
    def load(self, sender_id: str) -> Tracker | None:
        """The conversation's tracker (no domain attached), or None if it never began."""
        ...

    def save(self, tracker: Tracker) -> None:
        """Replace the stored history with the tracker's events."""
        ...

    def append(self, sender_id: str, events: Sequence[Event]) -> None:
        """Add events to a conversation; they are durable when this returns."""
        ...

    def sender_ids(self) -> list[str]:
        """Every conversation's id, sorted."""
        ...

    def close(self) -> None:
        """Release the store's file handles; called once, when serving ends."""
        ...


class InMemoryTrackerStore:
    """Conversations in a dict; lost when the process ends."""

    def __init__(self) -> None:
        self._events: dict[str, list[Event]] = {}
        self._lock = threading.Lock()

    def load(self, sender_id: str) -> Tracker | None:
        with self._lock:
            events = self._events.get(sender_id)
            return None if events is None else Tracker(sender_id, list(events))

    def save(self, tracker: Tracker) -> None:
        with self._lock:
            self._events[tracker.sender_id] = list(tracker.events)

    def append(self, sender_id: str, events: Sequence[Event]) -> None:
        with self._lock:
            self._events.setdefault(sender_id, []).extend(events)

    def sender_ids(self) -> list[str]:
        with self._lock:
            return sorted(self._events)

    def close(self) -> None:
        """Nothing to release: the conversations simply go with the process."""


class SQLiteTrackerStore:
    """Conversations in an SQLite file, one row per event; safe to share between threads."""

    def __init__(self, path: Path | str, *, power_safe: bool = False) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, tuple[int, list[Event]]] = OrderedDict()
        """Recently read conversations, so a turn parses only the events added since."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={'FULL' if power_safe else 'NORMAL'}")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._migrate()
        except (sqlite3.DatabaseError, OSError) as error:
            raise TrackerStoreError(
                f"cannot open the tracker store {self.path}: {error}. "
                "If the file is damaged, move it away and a new one will be created."
            ) from error

    def _migrate(self) -> None:
        with self._transaction():
            self._db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = self._db.execute("SELECT version FROM schema_version").fetchone()
            if row is None:
                self._db.execute(
                    "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY AUTOINCREMENT,"
                    " sender_id TEXT NOT NULL, data TEXT NOT NULL)"
                )
                self._db.execute(
                    "CREATE INDEX IF NOT EXISTS events_sender ON events (sender_id, id)"
                )
                self._db.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))
            elif row[0] != SCHEMA_VERSION:
                raise TrackerStoreError(
                    f"the tracker store {self.path} has schema version {row[0]}, "
                    f"this version of assistc reads version {SCHEMA_VERSION}"
                )

    def _run(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.DatabaseError as error:
            raise TrackerStoreError(f"tracker store {self.path}: {error}") from error

    def load(self, sender_id: str) -> Tracker | None:
        with self._lock:
            last_id, events = self._cached(sender_id)
            rows = self._run(
                "SELECT id, data FROM events WHERE sender_id = ? AND id > ? ORDER BY id",
                (sender_id, last_id),
            )
        try:
            events = events + [event_from_json(str(row[1])) for row in rows]
        except ValidationError as error:
            raise TrackerStoreError(
                f"tracker store {self.path}: a stored event of {sender_id!r} is unreadable: "
                f"{error.errors()[0]['msg']}"
            ) from error
        if not events:
            return None
        with self._lock:
            self._cache[sender_id] = (int(str(rows[-1][0])) if rows else last_id, events)
            self._cache.move_to_end(sender_id)
            while len(self._cache) > CACHED_CONVERSATIONS:
                self._cache.popitem(last=False)
        return Tracker(sender_id, events)

    def _cached(self, sender_id: str) -> tuple[int, list[Event]]:
        """(last row id, events) already read for this sender, if still a prefix of what
        is stored (another process may have replaced the conversation); else (0, [])."""
        cached = self._cache.get(sender_id)
        if cached is None:
            return 0, []
        last_id, events = cached
        [(count,)] = self._run(
            "SELECT COUNT(*) FROM events WHERE sender_id = ? AND id <= ?", (sender_id, last_id)
        )
        return cached if count == len(events) else (0, [])

    def save(self, tracker: Tracker) -> None:
        rows = [(tracker.sender_id, event_to_json(event)) for event in tracker.events]
        with self._lock, self._transaction():
            self._cache.pop(tracker.sender_id, None)
            self._db.execute("DELETE FROM events WHERE sender_id = ?", (tracker.sender_id,))
            self._db.executemany("INSERT INTO events (sender_id, data) VALUES (?, ?)", rows)

    def append(self, sender_id: str, events: Sequence[Event]) -> None:
        rows = [(sender_id, event_to_json(event)) for event in events]
        with self._lock, self._transaction():
            self._db.executemany("INSERT INTO events (sender_id, data) VALUES (?, ?)", rows)

    def sender_ids(self) -> list[str]:
        with self._lock:
            rows = self._run("SELECT DISTINCT sender_id FROM events ORDER BY sender_id")
        return [str(row[0]) for row in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """`BEGIN IMMEDIATE` … `COMMIT`, rolled back on error; SQLite errors become ours."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.rollback()
                raise
            self._db.execute("COMMIT")
        except sqlite3.DatabaseError as error:
            raise TrackerStoreError(f"tracker store {self.path}: {error}") from error
