"""Spelling Rasa data as source text of the language: names, strings, values, titles.

Rasa identifiers may hold characters our NAME rejects (`-`, `/` in retrieval intents,
dots, spaces); `NameMap` renames them deterministically (per kind, first come first
served, collisions get `_2`, `_3`…) and remembers every rename for the report.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from assistc.dsl.formatter import quote as canonical_quote
from assistc.dsl.templates import SPECIAL

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
RESERVED_VALUES = frozenset({"true", "false", "null"})


def is_name(text: str) -> bool:
    return bool(_NAME.match(text)) and text not in RESERVED_VALUES


def sanitize(raw: str) -> str:
    """A valid NAME for `raw`: `/` becomes `__`, other invalid characters `_`."""
    text = raw.replace("/", "__")
    text = re.sub(r"[^A-Za-z0-9_]", "_", text)
    if not text or not (text[0].isalpha() or text[0] == "_"):
        text = "_" + text
    if text in RESERVED_VALUES:
        text += "_"
    return text


@dataclass
class NameMap:
    """Raw Rasa name → NAME, per kind (intent, entity, slot, response, form, action…)."""

    renames: dict[tuple[str, str], str] = field(default_factory=dict)
    _taken: dict[str, set[str]] = field(default_factory=dict)
    _map: dict[tuple[str, str], str] = field(default_factory=dict)

    def reserve(self, kind: str, raws: list[str]) -> None:
        """Name a kind's declared names: valid ones first, so that they keep their
        name and only the invalid ones move aside on a collision."""
        for raw in sorted(raws, key=lambda text: not is_name(text)):
            self(kind, raw)

    def __call__(self, kind: str, raw: object) -> str:
        text = str(raw)
        key = (kind, text)
        found = self._map.get(key)
        if found is not None:
            return found
        taken = self._taken.setdefault(kind, set())
        name = text if is_name(text) else sanitize(text)
        base, counter = name, 2
        while name in taken:
            name, counter = f"{base}_{counter}", counter + 1
        taken.add(name)
        self._map[key] = name
        if name != text:
            self.renames[key] = name
        return name


LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
"""What `str.splitlines` breaks lines at besides `\n`: written as `\n` (source files
are read line by line, so these may not appear raw inside a string)."""


def quote(text: str) -> str:
    """A string literal whose value is `text` (other line breaks become `\n`), written as
    the formatter writes it."""
    return canonical_quote(LINE_BREAKS.sub("\n", text))


def escape_template(text: str) -> str:
    """Literal text inside an example template: the template's special characters get a
    backslash so they stay literal."""
    return "".join("\\" + char if char in SPECIAL else char for char in text)


def escape_interpolation(text: str) -> str:
    """A Rasa response text as a response string: `{slot}` stays, any other brace is
    doubled so it stays a literal brace."""
    out: list[str] = []
    index = 0
    while index < len(text):
        match = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}").match(text, index)
        if match:
            out.append(match.group(0))
            index = match.end()
            continue
        char = text[index]
        out.append(char * 2 if char in "{}" else char)
        index += 1
    return "".join(out)


def value_text(value: object, members: frozenset[str] = frozenset()) -> str | None:
    """A value literal, or None when the language has no literal for it (mappings,
    dates…). Strings that are members of the slot's enum are written bare."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else None
    if isinstance(value, str):
        return value if value in members and is_name(value) else quote(value)
    if isinstance(value, list):
        items = [value_text(item, members) for item in value]
        if any(item is None for item in items):
            return None
        return "[" + ", ".join(str(item) for item in items) + "]"
    return None


def title(raw: object, taken: set[str]) -> str:
    """A story/rule/test title: no `:` or `#`, starts with a letter or digit, unique."""
    text = re.sub(r"[:#\r\n]", "-", str(raw)).strip()
    text = re.sub(r"\s+", " ", text)
    if not text or not (text[0].isalnum() or text[0] == "_"):
        text = ("untitled " + text).strip()
    base, counter = text, 2
    while text.lower() in taken:
        text, counter = f"{base} {counter}", counter + 1
    taken.add(text.lower())
    return text


def comment(text: str) -> str:
    """A `# rasa: …` comment line keeping what has no equivalent, on one line."""
    flat = " ".join(str(text).split())
    if len(flat) > 400:
        flat = flat[:397] + "..."
    return f"# rasa: {flat}"
