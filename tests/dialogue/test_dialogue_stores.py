"""Tracker stores: round trips, durability across a killed writer, errors, threads."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from assistc.runtime.dialogue.events import ActionExecuted, SlotSet
from assistc.runtime.dialogue.stores import (
    InMemoryTrackerStore,
    SQLiteTrackerStore,
    TrackerStore,
    TrackerStoreError,
)
from assistc.runtime.dialogue.tracker import Tracker


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> TrackerStore:
    if request.param == "memory":
        return InMemoryTrackerStore()
    return SQLiteTrackerStore(tmp_path / "trackers.db")


def test_unknown_sender_has_no_tracker(store: TrackerStore) -> None:
    assert store.load("nobody") is None
    assert store.sender_ids() == []


def test_append_then_load_returns_the_events_in_order(store: TrackerStore) -> None:
    store.append("b", [SlotSet(name="x", value=1)])
    store.append("a", [ActionExecuted(name="one"), SlotSet(name="x", value=[1, "two"])])
    store.append("a", [ActionExecuted(name="two")])
    tracker = store.load("a")
    assert tracker is not None
    assert [getattr(e, "name", None) for e in tracker.events] == ["one", "x", "two"]
    assert tracker.get_slot("x") == [1, "two"]
    assert store.sender_ids() == ["a", "b"]


def test_save_replaces_the_history(store: TrackerStore) -> None:
    store.append("a", [ActionExecuted(name="old")])
    store.save(Tracker("a", [ActionExecuted(name="new")]))
    tracker = store.load("a")
    assert tracker is not None
    assert [e.name for e in tracker.events if isinstance(e, ActionExecuted)] == ["new"]


def test_concurrent_appends_are_all_kept(store: TrackerStore) -> None:
    def write(sender: str) -> None:
        for index in range(20):
            store.append(sender, [SlotSet(name="i", value=index)])
            store.append("shared", [SlotSet(name="s", value=sender)])

    threads = [threading.Thread(target=write, args=(f"t{n}",)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for n in range(6):
        tracker = store.load(f"t{n}")
        assert tracker is not None
        assert [e.value for e in tracker.events if isinstance(e, SlotSet)] == list(range(20))
    shared = store.load("shared")
    assert shared is not None and len(shared.events) == 120


WRITER = """
import sys, time
from assistc.runtime.dialogue.events import ActionExecuted
from assistc.runtime.dialogue.stores import SQLiteTrackerStore
store = SQLiteTrackerStore(sys.argv[1])
store.append("u", [ActionExecuted(name="answered")])
print("appended", flush=True)
time.sleep(60)
"""


def test_sqlite_events_survive_a_killed_writer(tmp_path: Path) -> None:
    path = tmp_path / "trackers.db"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "appended"
    finally:
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
    tracker = SQLiteTrackerStore(path).load("u")
    assert tracker is not None
    assert [e.name for e in tracker.events if isinstance(e, ActionExecuted)] == ["answered"]


def test_sqlite_reopens_with_history(tmp_path: Path) -> None:
    first = SQLiteTrackerStore(tmp_path / "t.db")
    first.append("u", [SlotSet(name="x", value="y")])
    first.close()
    tracker = SQLiteTrackerStore(tmp_path / "t.db").load("u")
    assert tracker is not None and tracker.get_slot("x") == "y"


def test_corrupt_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    path.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(TrackerStoreError, match="cannot open the tracker store"):
        SQLiteTrackerStore(path)


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    SQLiteTrackerStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(TrackerStoreError, match="schema version 99"):
        SQLiteTrackerStore(path)


def test_unreadable_event_row_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    SQLiteTrackerStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO events (sender_id, data) VALUES ('u', ?)", ('{"event": "no"}',))
    with pytest.raises(TrackerStoreError, match="unreadable"):
        SQLiteTrackerStore(path).load("u")


def test_sqlite_readers_see_what_other_writers_did(tmp_path: Path) -> None:
    """A store remembers conversations it read; other writers must still be seen."""
    reader = SQLiteTrackerStore(tmp_path / "t.db")
    writer = SQLiteTrackerStore(tmp_path / "t.db")
    writer.append("u", [SlotSet(name="n", value=1)])
    first = reader.load("u")
    assert first is not None and first.get_slot("n") == 1
    writer.append("u", [SlotSet(name="n", value=2)])
    second = reader.load("u")
    assert second is not None and len(second.events) == 2 and second.get_slot("n") == 2
    writer.save(Tracker("u", [SlotSet(name="n", value=3)]))
    third = reader.load("u")
    assert third is not None and [e.value for e in third.events if isinstance(e, SlotSet)] == [3]
