"""Per-file entries on disk for what the compiler derives from a file's intents, so a
fresh `assistc check` of unchanged files skips template parsing and expansion.

An entry's key hashes the file's path and text, an environment fingerprint the caller
gives (the entities, phrases and config the intents depend on) and the code that
computes the entries, so a change to any of them misses. Spans in an entry name
positions in that file only, which the text in the key pins down. Entries are pickles of
our own objects in the project's own cache folder (`dsl.entries`); one that cannot be
read is ignored, and a folder that cannot be written only costs speed. Each file keeps
one entry.
"""

from __future__ import annotations

import functools
import hashlib
import pickle
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pydantic

from assistc.dsl.entries import EntryFolder
from assistc.dsl.parser import gc_paused

FORMAT_VERSION = "1"
"""Bump when an entry's layout changes without a change to the fingerprinted code."""
_PACKAGE = Path(__file__).resolve().parent.parent
CODE_FILES = (
    "compiler/examples.py",
    "compiler/intent_cache.py",
    "compiler/entities.py",
    "compiler/symbols.py",
    "compiler/suggest.py",
    "dsl/templates.py",
    "dsl/ast.py",
    "dsl/diagnostics.py",
    "runtime/ir.py",
)
"""The code an intent's outcome comes from: editing any of it invalidates every entry."""


@functools.cache
def code_fingerprint() -> str:
    """Changes with the code above, and with the Python and pydantic versions that
    pickle the entries' IR objects."""
    digest = hashlib.sha256(f"{FORMAT_VERSION} {sys.version} {pydantic.VERSION}".encode())
    for name in CODE_FILES:
        digest.update(name.encode() + b"\0" + (_PACKAGE / name).read_bytes())
    return digest.hexdigest()


class FileEntries:
    """The entries of one compile: `load` and `store` by a file's display path; the
    texts are those the compile read, so an entry always matches what is checked."""

    def __init__(self, folder: Path, texts: Mapping[str, str]) -> None:
        self.folder = folder
        self.texts = texts
        self._entries = EntryFolder(folder)

    def _key(self, display: str, environment: str) -> str | None:
        text = self.texts.get(display)
        if text is None:
            return None
        digest = hashlib.sha256(code_fingerprint().encode())
        digest.update(environment.encode() + b"\0")
        digest.update(display.encode("utf-8", "surrogatepass") + b"\0")
        digest.update(text.encode("utf-8", "surrogatepass"))
        return digest.hexdigest()

    def load(self, display: str, environment: str) -> Any | None:
        """The entry stored for this file's text in this environment, or None."""
        key = self._key(display, environment)
        blob = None if key is None else self._entries.read(display, key)
        if blob is None:
            return None
        try:
            with gc_paused():
                stored_key, payload = pickle.loads(blob)
        except Exception:  # a corrupt or outdated entry is rebuilt, never fatal
            return None
        return payload if stored_key == key else None

    def store(self, display: str, environment: str, payload: Any) -> None:
        """Keep `payload` as this file's entry in this environment (`EntryFolder.write`)."""
        key = self._key(display, environment)
        if key is not None:
            blob = pickle.dumps((key, payload), protocol=pickle.HIGHEST_PROTOCOL)
            self._entries.write(display, key, blob)
