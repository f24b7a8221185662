"""The importer's shared state: what every part of a Rasa conversion looks up (the
project, the name map, slot types, forms…), how it reports, and small helpers for data
of unknown shape. `rasa_import` (domain and NLU) and `rasa_dialogue` (stories, rules,
tests) build on `ConverterBase`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from assistc.compiler.rasa_project import RasaProject, file_start
from assistc.compiler.rasa_text import NameMap, comment
from assistc.compiler.rasa_yaml import YMap, span_of
from assistc.dsl.ast import Span
from assistc.dsl.diagnostics import Diagnostic

ENTITY_REGEX = re.compile(
    r"\[(?P<text>[^\]]+?)\]"
    r"(?:\((?P<entity>[^:)]+?)(?::(?P<value>[^)]+))?\)"
    r"|\{(?P<dict>[^}]+?)\}"
    r"|\[(?P<dicts>.*?)\])"
)
"""Rasa's entity annotation syntax (`entities_parser.ENTITY_REGEX`)."""


@dataclass
class SlotInfo:
    """A slot as imported: its name in the language, its type as written, and the
    members of its enum type (empty when it is not an enum)."""

    name: str
    type_text: str
    members: frozenset[str] = frozenset()

    def fits(self, value: Any) -> bool:
        return fits_type(self.type_text, self.members, value)


def fits_type(type_text: str, members: frozenset[str], value: Any) -> bool:
    """Whether a Rasa value can be written as a literal of this imported type."""
    if value is None or type_text == "any":
        return True
    if type_text.startswith("list["):
        item = type_text[5:-1]
        items = value if isinstance(value, list) else [value]
        return all(fits_type(item, members, v) for v in items)
    if type_text == "text":
        return isinstance(value, str)
    if type_text == "bool":
        return isinstance(value, bool)
    if type_text == "float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, str) and (not members or value in members)


def number(value: Any) -> float | None:
    """A YAML number as float; None for anything else (booleans included)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def as_list(value: Any) -> list[Any]:
    """YAML where a list is expected: None is empty, a single item becomes a list."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def single_key(item: Any) -> tuple[str, Any] | None:
    """The `(key, value)` of a one-key mapping such as `- slot: value`, else None."""
    if isinstance(item, dict) and len(item) == 1:
        key, value = next(iter(item.items()))
        return str(key), value
    return None


@dataclass
class Block:
    """One definition's lines (first line at column 0, body lines already indented)."""

    lines: list[str]

    def arranged(self) -> list[str]:
        """A body of nothing but comments goes above the head, where the formatter keeps
        it attached to this definition."""
        head, *body = self.lines
        is_definition = not head.startswith("#")
        if is_definition and body and all(line.lstrip().startswith("#") for line in body):
            return [line.lstrip() for line in body] + [head]
        return self.lines


class ConverterBase:
    """State and reporting shared by every conversion step."""

    def __init__(self, project: RasaProject, diagnostics: list[Diagnostic]) -> None:
        self.project = project
        self.diagnostics = diagnostics
        self.names = NameMap()
        domain = project.domain
        self.responses: dict[str, Any] = dict(domain.get("responses") or {})
        self.forms: dict[str, Any] = dict(domain.get("forms") or {})
        self.slot_defs: dict[str, Any] = dict(domain.get("slots") or {})
        self.slots: dict[str, SlotInfo] = {}
        self.slot_notes: dict[str, list[str]] = {}
        self.synonyms: dict[str, str] = {}
        self.synonym_forms: dict[str, list[str]] = {}
        self.regexes: dict[str, list[str]] = {}
        self.lookups: dict[str, list[str]] = {}
        self.annotated: dict[str, set[str]] = {}
        self.roles: dict[str, set[str]] = {}
        self.actions: list[str] = []
        self.form_then: dict[str, list[str]] = {}
        self.completion_rules: dict[int, str] = {}
        self.fallback_rules: set[int] = set()
        self.action_outputs: dict[str, list[str]] = {}
        self.enum_entities: dict[str, list[str]] = {}
        self.outputs: dict[str, str] = {}

    # ------------------------------------------------------------------ reporting

    def note(self, code: str, message: str, where: object, fallback: str = "") -> None:
        default = file_start(fallback or "domain.yml")
        span = where if isinstance(where, Span) else span_of(where, default)
        self.diagnostics.append(Diagnostic(code, message, span))

    def unsupported(self, message: str, where: object, out: list[str], indent: str = "") -> None:
        """W1302 plus a `# rasa:` comment in the output at this place."""
        self.note("W1302", message, where)
        out.append(indent + comment(message))

    def unknown_keys(self, item: Any, known: frozenset[str], what: str) -> None:
        """W1305 for every key of `item` Rasa does not define (a typo, usually)."""
        if not isinstance(item, YMap):
            return
        for key in sorted(set(item) - known):
            self.note("W1305", f"unknown key `{key}` in {what} ignored", item.key_spans[key])

    def _annotation(self, match: re.Match[str], where: object) -> tuple[str, str, str] | None:
        """(entity, role, value) of one Rasa annotation; names are Rasa's raw names."""
        if match.group("entity"):
            return match.group("entity").strip(), "", (match.group("value") or "").strip()
        raw = match.group("dict") or match.group("dicts")
        text = "{" + raw + "}" if match.group("dict") else "[" + raw + "]"
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            self.note("W1304", f"annotation {text} is not valid JSON; kept as text", where)
            return None
        if isinstance(data, list):
            if len(data) > 1:
                self.note("W1302", "several labels on one span: only the first is kept", where)
            data = data[0] if data else None
        if not isinstance(data, dict) or "entity" not in data:
            self.note("W1304", f"annotation {text} names no entity; kept as text", where)
            return None
        if "group" in data:
            self.note("W1302", "entity groups are not supported; the group is dropped", where)
        value = data.get("value")
        return str(data["entity"]), str(data.get("role") or ""), "" if value is None else str(value)

    def annotated_value(self, surface: str, value: str) -> str:
        """An annotation's entity value: the one it gives, else the value the NLU data's
        synonyms give its text, else the text."""
        return value or self.synonyms.get(surface.lower(), surface)

    def domain_names(self, key: str) -> list[str]:
        """The names listed under a domain key (`- name` or `- name: {options}`)."""
        names: list[str] = []
        for item in as_list(self.project.domain.get(key)):
            pair = single_key(item)
            if isinstance(item, str):
                names.append(item)
            elif pair is not None:
                names.append(pair[0])
        return names

    def required_slots(self, form: Any) -> list[str]:
        """A form's slots, from Rasa 3's list or Rasa 2's mapping."""
        if not isinstance(form, dict):
            return []
        required = form.get("required_slots")
        if isinstance(required, dict):
            return [str(k) for k in required]
        return [str(s) for s in as_list(required)]

    def action_name(self, raw: str) -> str:
        """The language's name for what a Rasa `action:` step runs."""
        if raw in self.responses:
            return self.names("response", raw)
        return self.names("action", raw)
