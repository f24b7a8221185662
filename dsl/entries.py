"""A cache folder of entries, one per source file, named `<hash of the file's path>-<key>`
(`.pickle`): the prefix finds a file's older entries, dropped when a new one is written.
The parse cache and the intent cache keep their entries so."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


class EntryFolder:
    """One compile's (or one process's) view of a folder: it is listed once, at the first
    write, rather than searched for each file's older entries (a cold check writes
    hundreds). A folder that cannot be written (read-only checkout, full disk) is noted
    once and then left alone: it only costs speed."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._listing: dict[str, list[str]] | None = None
        self._writable = True

    @staticmethod
    def _owner(display: str) -> str:
        return hashlib.sha256(display.encode("utf-8", "surrogatepass")).hexdigest()[:16]

    def path(self, display: str, key: str) -> Path:
        return self.folder / f"{self._owner(display)}-{key[:32]}.pickle"

    def read(self, display: str, key: str) -> bytes | None:
        try:
            return self.path(display, key).read_bytes()
        except OSError:
            return None

    def write(self, display: str, key: str, blob: bytes) -> None:
        """Write atomically, and drop the file's older entries."""
        if not self._writable:
            return
        entry = self.path(display, key)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            for old in self._older(display, entry.name):
                (self.folder / old).unlink(missing_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        except OSError:
            self._writable = False
            return
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(blob)
            os.replace(temporary, entry)
        except OSError:
            self._writable = False
            Path(temporary).unlink(missing_ok=True)

    def _older(self, display: str, keep: str) -> list[str]:
        if self._listing is None:
            self._listing = {}
            for name in os.listdir(self.folder):
                if name.endswith(".pickle"):
                    self._listing.setdefault(name.split("-", 1)[0], []).append(name)
        return [name for name in self._listing.pop(self._owner(display), []) if name != keep]
