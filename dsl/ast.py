"""The syntax tree of one `.assist` file: plain dataclasses, every node with its span.

The tree says what was written, not whether it makes sense: names are unresolved and
templates are still strings. The compiler resolves and checks it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True, slots=True)
class Span:
    """A region of a source file; lines and columns are 1-based, `end_col` exclusive."""

    file: str
    line: int
    col: int
    end_line: int
    end_col: int


@dataclass(frozen=True, slots=True)
class Name:
    text: str
    span: Span


@dataclass(frozen=True, slots=True)
class StringLit:
    """A quoted string; `value` has the escapes resolved, `span` covers the quotes."""

    value: str
    span: Span

    def offset_span(self, start: int, end: int) -> Span:
        """The span of `value[start:end]`, valid because strings never cross lines and
        every escape sequence is two characters long in the source."""
        raw_start = self.span.col + 1 + _raw_offset(self.value, start)
        raw_end = self.span.col + 1 + _raw_offset(self.value, end)
        return Span(self.span.file, self.span.line, raw_start, self.span.line, raw_end)


def _raw_offset(value: str, index: int) -> int:
    """Offset in the source text of character `index` of the unescaped value."""
    return index + sum(1 for ch in value[:index] if ch in ESCAPED_CHARS)


ESCAPED_CHARS = {'"': '"', "\\": "\\", "\n": "n", "\t": "t"}
"""Characters written with a backslash inside strings, and their escape letter."""


ValueKind = Literal["string", "int", "float", "bool", "null", "name", "list"]


@dataclass(frozen=True, slots=True)
class Value:
    """A literal: `name` is a bare identifier (an enum member), kept apart from strings
    so the checker can tell `large` from `"large"` when it reports."""

    kind: ValueKind
    data: str | int | float | bool | tuple[Value, ...] | None
    span: Span


@dataclass(frozen=True, slots=True)
class TypeExpr:
    name: Name
    arg: TypeExpr | None
    span: Span


# --------------------------------------------------------------------------- declarations


@dataclass(frozen=True, slots=True)
class UseDecl:
    module: str
    span: Span


@dataclass(frozen=True, slots=True)
class ConfigEntry:
    key: Name
    value: Value


@dataclass(frozen=True, slots=True)
class ConfigDecl:
    entries: tuple[ConfigEntry, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class EnumMember:
    name: Name
    synonyms: tuple[StringLit, ...]
    quoted: bool
    """Written as a string (`"new york"`) rather than an identifier."""


EntityKind = Literal["enum", "lookup", "regex", "builtin", "free"]


@dataclass(frozen=True, slots=True)
class EntityDecl:
    name: Name
    kind: EntityKind
    source: StringLit | Name | None
    """lookup: the file; regex: the pattern; builtin: the extractor name."""
    members: tuple[EnumMember, ...]
    roles: tuple[Name, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class IntentFilter:
    """`if intent a | b` (`exclude` false) or `unless intent a | b` (`exclude` true)."""

    intents: tuple[Name, ...]
    exclude: bool


@dataclass(frozen=True, slots=True)
class EntityMapping:
    entity: Name
    role: Name | None
    span: Span
    form: Name | None = None
    """`in <form>`: only while this form is active."""
    asked: bool = False
    """`when asked`: only while a form asks for this slot."""
    filter: IntentFilter | None = None


@dataclass(frozen=True, slots=True)
class IntentMapping:
    intent: Name
    value: Value
    span: Span
    form: Name | None = None
    """`in <form>`: only while this form is active."""
    asked: bool = False
    """`when asked`: only while a form asks for this slot."""


@dataclass(frozen=True, slots=True)
class TextMapping:
    form: Name | None
    span: Span
    filter: IntentFilter | None = None


SlotMappingNode = EntityMapping | IntentMapping | TextMapping


@dataclass(frozen=True, slots=True)
class SlotDecl:
    name: Name
    type: TypeExpr
    initial: Value | None
    mappings: tuple[SlotMappingNode, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class PhraseDecl:
    name: Name
    alternatives: tuple[StringLit, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class GenerateCount:
    count: int
    span: Span


@dataclass(frozen=True, slots=True)
class IntentDecl:
    name: Name
    examples: tuple[StringLit, ...]
    generate: GenerateCount | None
    span: Span
    payload_only: bool = False
    """`intent x: payload only`: no examples, reached only by payloads (`/x`)."""


@dataclass(frozen=True, slots=True)
class CondTerm:
    """`slot` (is set), `not slot` (unset), or `slot OP value`."""

    slot: Name
    op: Literal["set", "unset", "==", "!=", "<", "<=", ">", ">="]
    value: Value | None
    span: Span


@dataclass(frozen=True, slots=True)
class EntityArg:
    entity: Name
    role: Name | None
    value: Value
    span: Span


@dataclass(frozen=True, slots=True)
class UserIntent:
    intent: Name
    args: tuple[EntityArg, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class ButtonNode:
    title: StringLit
    payload: UserIntent
    span: Span


@dataclass(frozen=True, slots=True)
class VariationNode:
    text: StringLit
    condition: tuple[CondTerm, ...]
    buttons: tuple[ButtonNode, ...]
    image: StringLit | None
    span: Span


@dataclass(frozen=True, slots=True)
class ResponseDecl:
    name: Name
    variations: tuple[VariationNode, ...]
    span: Span


ConstraintKind = Literal["min", "max", "matches", "one_of", "invalid"]


@dataclass(frozen=True, slots=True)
class ConstraintNode:
    kind: ConstraintKind
    values: tuple[Value, ...]
    """min/max: one number; one_of: the members; matches: the pattern as a string value;
    invalid: the message (string) or a response (name)."""
    span: Span


@dataclass(frozen=True, slots=True)
class AskNode:
    slot: Name
    prompt: StringLit | Name | None
    """An inline text, a response, or None: then the response `utter_ask_<slot>`."""
    constraints: tuple[ConstraintNode, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class FormDecl:
    name: Name
    asks: tuple[AskNode, ...]
    then: tuple[Name, ...]
    span: Span
    ignored: tuple[Name, ...] = ()
    """`ignore intent a | b`: intents whose messages fill no slot while the form is active."""


@dataclass(frozen=True, slots=True)
class Param:
    name: Name
    type: TypeExpr
    span: Span


@dataclass(frozen=True, slots=True)
class ActionDecl:
    name: Name
    inputs: tuple[Param, ...]
    outputs: tuple[Param, ...]
    python: StringLit | None
    function: Name | None
    remote: StringLit | None
    span: Span
    impl_spans: tuple[Span, ...] = ()
    """Spans of every implementation line, to report a second one."""


# --------------------------------------------------------------------------- dialogue


@dataclass(frozen=True, slots=True)
class UserStepNode:
    alternatives: tuple[UserIntent, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class UserTextStepNode:
    """`user "text"` in a story: a user turn known by what was typed, not by intent."""

    text: StringLit
    span: Span


@dataclass(frozen=True, slots=True)
class BotStepNode:
    name: Name
    span: Span


@dataclass(frozen=True, slots=True)
class RunStepNode:
    name: Name
    span: Span


@dataclass(frozen=True, slots=True)
class FormStepNode:
    name: Name
    span: Span


@dataclass(frozen=True, slots=True)
class SlotStepNode:
    slot: Name
    value: Value
    span: Span


@dataclass(frozen=True, slots=True)
class IncludeStepNode:
    title: Name
    span: Span


StepNode = (
    UserStepNode
    | UserTextStepNode
    | BotStepNode
    | RunStepNode
    | FormStepNode
    | SlotStepNode
    | IncludeStepNode
)


@dataclass(frozen=True, slots=True)
class StoryDecl:
    title: Name
    steps: tuple[StepNode, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class RuleDecl:
    title: Name
    conversation_start: bool
    active_form: Name | None
    conditions: tuple[CondTerm, ...]
    steps: tuple[StepNode, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class TestUserNode:
    text: StringLit
    intent: Name | None
    """`as intent`: what the NLU must read the text as."""
    span: Span
    meaning: UserIntent | None = None
    """`meaning intent(…)`: the reading given instead of the NLU's."""


@dataclass(frozen=True, slots=True)
class TestBotNode:
    expected: Name | StringLit
    span: Span


@dataclass(frozen=True, slots=True)
class TestRunNode:
    name: Name
    span: Span


@dataclass(frozen=True, slots=True)
class TestSlotNode:
    slot: Name
    value: Value
    span: Span


@dataclass(frozen=True, slots=True)
class TestFormNode:
    """`form F` (the bot runs the form here) or `form F completes [with s = v, …]` (the
    user's remaining answers happen off-script and the form completes with these values)."""

    form: Name
    completes: bool
    values: tuple[tuple[Name, Value], ...]
    span: Span


TestStepNode = TestUserNode | TestBotNode | TestRunNode | TestSlotNode | TestFormNode


@dataclass(frozen=True, slots=True)
class TestDecl:
    __test__ = False  # not a pytest class
    title: Name
    steps: tuple[TestStepNode, ...]
    span: Span


Decl = (
    UseDecl
    | ConfigDecl
    | EntityDecl
    | SlotDecl
    | PhraseDecl
    | IntentDecl
    | ResponseDecl
    | FormDecl
    | ActionDecl
    | StoryDecl
    | RuleDecl
    | TestDecl
)


@dataclass(slots=True)
class Module:
    """One parsed file. `decls` keeps the source order (the formatter needs it)."""

    path: str
    decls: list[Decl] = field(default_factory=list)
