"""Cache folders of per-file entries: one entry per file, the folder listed once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistc.dsl import entries
from assistc.dsl.entries import EntryFolder


def test_a_file_keeps_one_entry_and_the_folder_is_listed_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "cache"
    EntryFolder(folder).write("a.assist", "1" * 64, b"old a")
    EntryFolder(folder).write("b.assist", "2" * 64, b"b")
    listed = []
    listdir = os.listdir

    def counting(path: Path) -> list[str]:
        listed.append(path)
        return listdir(path)

    monkeypatch.setattr(entries.os, "listdir", counting)
    writing = EntryFolder(folder)
    writing.write("a.assist", "3" * 64, b"new a")
    writing.write("c.assist", "4" * 64, b"c")
    assert listed == [folder]
    assert sorted(path.read_bytes() for path in folder.iterdir()) == [b"b", b"c", b"new a"]
    assert writing.read("a.assist", "3" * 64) == b"new a"
    assert writing.read("a.assist", "1" * 64) is None


def test_an_unwritable_folder_is_left_alone(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    folder = EntryFolder(blocked / "cache")
    folder.write("a.assist", "1" * 64, b"a")  # no error: the cache only costs speed
    assert folder.read("a.assist", "1" * 64) is None
