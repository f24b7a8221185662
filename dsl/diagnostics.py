"""Diagnostics: the problems the parser and the checker report, with stable codes.

Both `dsl` (syntax errors) and `compiler` (everything semantic) produce them; the
renderers live in `compiler.reporting`. Every code is documented, with a bad and a fixed
example, in docs/diagnostics.md; a test keeps that page and `CODES` in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from assistc.dsl.ast import Span

Severity = Literal["error", "warning"]

CODES: dict[str, str] = {
    # syntax and files
    "E0001": "syntax error",
    "E0002": "unterminated string",
    "E0003": "inconsistent indentation",
    "E0004": "unexpected character",
    "E0005": "unreadable source file",
    "E0006": "bad example template",
    "E0007": "no sources",
    # names
    "E0101": "undefined intent",
    "E0102": "undefined entity",
    "E0103": "undefined slot",
    "E0104": "undefined response",
    "E0105": "undefined action",
    "E0106": "undefined form",
    "E0108": "undefined module",
    "E0109": "undefined story",
    "E0110": "undefined role",
    "E0111": "unknown type",
    "E0112": "unknown config key",
    "E0113": "unknown built-in extractor",
    "E0114": "wrong kind of name",
    "E0115": "cycle in includes or phrases",
    # duplicates
    "E0201": "duplicate definition",
    # entities in examples
    "E0302": "value is not a member of the enum",
    "E0304": "placeholder has no values",
    # examples
    "E0401": "example under two intents",
    "E0404": "test expects the NLU to predict a payload-only intent",
    "W0402": "too few examples",
    "W0403": "template under-delivers",
    # entity sources
    "E0501": "invalid regex",
    "E0502": "lookup file missing or unreadable",
    "E0503": "lookup file is empty",
    # types
    "E0601": "mapping type mismatch",
    "E0602": "wrong type for initial value",
    "E0603": "wrong type for slot value",
    "E0604": "contradictory constraints",
    "E0605": "wrong type for config value",
    "E0606": "action parameter type differs from the slot",
    # responses
    "E0701": "interpolation of an unknown slot",
    # forms
    "E0801": "form slot nothing can fill",
    "E0802": "form slot without a prompt",
    "E0803": "form completed with a slot it does not ask for",
    "E0804": "form completed with a value it would reject",
    "W0805": "mapping never applies: no form asks for its slot",
    # actions
    "E0901": "action module missing",
    "E0902": "action function missing",
    "E0903": "action signature mismatch",
    "E0904": "action module does not parse",
    "E0905": "action implementation missing or repeated",
    # dialogue analysis
    "E1001": "conflicting stories",
    "E1002": "contradicting rules",
    "E1003": "empty user text in a story",
    "W1101": "step can never happen",
    "W1102": "unused definition",
    "W1103": "story has too many branches",
    "W1104": "condition always holds",
    "W1105": "story text is an intent's example",
    # Rasa import (compiler/rasa_import.py; documented in docs/rasa.md)
    "E1301": "Rasa YAML file does not parse",
    "W1302": "unsupported Rasa feature (kept as a comment)",
    "W1303": "Rasa name renamed",
    "W1304": "unexpected shape in a Rasa file",
    "W1305": "unknown key in a Rasa file",
    "E1306": "no Rasa project",
    "W1307": "Rasa construct converted approximately",
    "W1308": "Rasa story, rule or test left out",
}


@dataclass(frozen=True, slots=True)
class Label:
    """A secondary place that explains the primary one ("first defined here")."""

    span: Span
    message: str


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    message: str
    span: Span
    labels: tuple[Label, ...] = ()
    hint: str | None = None

    @property
    def severity(self) -> Severity:
        return "warning" if self.code.startswith("W") else "error"

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.span.file, self.span.line, self.span.col, self.code)
