"""The IR: the one typed description of a whole assistant, produced by the compiler.

The runtime is the compiler's target (as a CPU defines the instruction set a compiler
emits), so the schema lives here and the runtime never reads source files or ASTs. The
IR is deterministic: every list is sorted by name (or keeps an order that carries
meaning, like the steps of a story), so the same sources give byte-identical JSON. Every
part has a content fingerprint (SHA-256 of its canonical JSON); training uses them to
decide what must be retrained.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

IR_VERSION = 3
"""2: slot mappings gained `asked`, `only_intents` and `except_intents`."""

JsonValue = str | int | float | bool | None | list[Any]
"""A slot or entity value as it appears in stories, tests and slot initialisers."""


class _Node(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --------------------------------------------------------------------------- config


class Config(_Node):
    """Assistant-level settings; every field has the default an assistant gets."""

    language: str = "en"
    seed: int = 42
    nlu_fallback_threshold: float = 0.3
    """Below this intent confidence the parse result is `nlu_fallback`."""
    core_fallback_threshold: float = 0.3
    """Below this policy confidence the bot runs `fallback_action`."""
    fallback_action: str = "action_default_fallback"
    max_history: int = 5
    min_examples: int = 5
    """Intents with fewer distinct examples after expansion get a warning."""
    max_actions_per_turn: int = 10
    action_error_response: str = "Sorry, something went wrong on my side."
    holdout: float = 0.0
    """Share of generated examples kept aside as a test split (0 disables)."""
    default_generate: int = 100
    """Examples sampled per intent when it says no `generate N` (hand-written ones are
    always kept, so an intent may have more)."""


# --------------------------------------------------------------------------- entities


class EnumValue(_Node):
    name: str
    synonyms: list[str] = Field(default_factory=list)


class Entity(_Node):
    """An entity type. `kind` says how it is recognised in text."""

    name: str
    kind: Literal["enum", "lookup", "regex", "builtin", "free"]
    values: list[EnumValue] = Field(default_factory=list)
    """enum: the members with their synonyms; lookup: the table; regex, builtin and free:
    sample values, used only to fill `{entity}` placeholders in example templates."""
    pattern: str | None = None
    """regex: the pattern (Python `re` syntax)."""
    builtin: str | None = None
    """builtin: the extractor's name (number, ordinal, date, time, email, url, phone, money)."""
    roles: list[str] = Field(default_factory=list)


# --------------------------------------------------------------------------- slots


class SlotType(_Node):
    """`text`, `bool`, `int`, `float`, `any`, an entity type, or `list[T]`."""

    kind: Literal["text", "bool", "int", "float", "any", "entity", "list"]
    entity: str | None = None
    item: SlotType | None = None

    def __str__(self) -> str:
        if self.kind == "entity":
            return str(self.entity)
        if self.kind == "list":
            return f"list[{self.item}]"
        return self.kind


class SlotMapping(_Node):
    """How a slot is filled from a user message.

    entity: from an extracted entity (optionally only with a role);
    intent: a fixed value when the message has this intent;
    text: the whole message text, only while a form asks for this slot.
    """

    kind: Literal["entity", "intent", "text"]
    entity: str | None = None
    role: str | None = None
    intent: str | None = None
    value: JsonValue = None
    form: str | None = None
    """Only while this form is active (None: any time for entity/intent mappings,
    any form asking for the slot for text mappings)."""
    asked: bool = False
    """Only while a form asks for this slot (text mappings always are)."""
    only_intents: list[str] = Field(default_factory=list)
    """Only for messages of one of these intents (empty: any intent)."""
    except_intents: list[str] = Field(default_factory=list)
    """Never for messages of these intents."""


class Slot(_Node):
    name: str
    type: SlotType
    initial: JsonValue = None
    mappings: list[SlotMapping] = Field(default_factory=list)


# --------------------------------------------------------------------------- NLU data


class EntityAnnotation(_Node):
    """A span of an example; `text[start:end] == value` always holds."""

    start: int
    end: int
    entity: str
    value: str
    role: str | None = None
    canonical: str | None = None
    """The normalised value when it differs from the surface text (a synonym)."""


class Example(_Node):
    text: str
    intent: str
    entities: list[EntityAnnotation] = Field(default_factory=list)


class Intent(_Node):
    name: str
    examples: list[Example]
    """Hand-written examples first, then sampled ones; deduplicated."""
    holdout: list[Example] = Field(default_factory=list)
    """Examples kept aside for evaluation (config.holdout)."""
    payload_only: bool = False
    """Declared `payload only`: no examples by design, reached by payloads (`/name`) and
    other channels, never predicted by the NLU; training does not ask it for examples."""


# --------------------------------------------------------------------------- responses


class SlotTest(_Node):
    """A condition on one slot: `op` compares the slot with `value`;
    `set`/`unset` ignore `value`."""

    slot: str
    op: Literal["==", "!=", "<", "<=", ">", ">=", "set", "unset"]
    value: JsonValue = None


class Button(_Node):
    title: str
    payload: str
    """Rasa-style payload: `/intent` or `/intent{"entity": "value"}`."""


class Variation(_Node):
    text: str
    """May interpolate slots as `{slot}`; `{{` and `}}` are literal braces."""
    condition: list[SlotTest] = Field(default_factory=list)
    """All must hold for this variation to be chosen."""
    buttons: list[Button] = Field(default_factory=list)
    image: str | None = None


class Response(_Node):
    name: str
    variations: list[Variation]


# --------------------------------------------------------------------------- forms


class Constraint(_Node):
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    one_of: list[JsonValue] | None = None


class FormSlot(_Node):
    slot: str
    prompt: str
    """Name of the response, or of the action, that asks for the slot."""
    constraint: Constraint = Field(default_factory=Constraint)
    invalid_response: str | None = None
    """Name of the response sent when a value fails the constraint."""


class Form(_Node):
    name: str
    slots: list[FormSlot]
    """In the order they are asked."""
    on_complete: list[str] = Field(default_factory=list)
    """Actions or responses run, in order, when every slot is filled."""
    validation: str | None = None
    """The action that validates the values the form takes (`validate_<form>`, Rasa's
    convention), if the assistant has one."""
    ignored_intents: list[str] = Field(default_factory=list)
    """While the form is active, messages of these intents fill no slot (Rasa's form
    `ignored_intents`), so "no thanks" is not taken as a name."""


# --------------------------------------------------------------------------- actions


class ActionParam(_Node):
    slot: str
    type: SlotType


class PythonImplementation(_Node):
    kind: Literal["python"] = "python"
    path: str
    """Path of the Python file, relative to the assistant's folder."""
    function: str


class RemoteImplementation(_Node):
    kind: Literal["remote"] = "remote"
    url: str
    """A Rasa action server's webhook URL."""
    timeout: float = 5.0
    retries: int = 2


Implementation = Annotated[PythonImplementation | RemoteImplementation, Field(discriminator="kind")]


class Action(_Node):
    name: str
    inputs: list[ActionParam] = Field(default_factory=list)
    outputs: list[ActionParam] = Field(default_factory=list)
    implementation: Implementation


# --------------------------------------------------------------------------- stories, rules


class StepEntity(_Node):
    entity: str
    value: JsonValue = None
    role: str | None = None


class UserStep(_Node):
    kind: Literal["user"] = "user"
    intent: str
    entities: list[StepEntity] = Field(default_factory=list)


class UserTextStep(_Node):
    """A user turn known by what the user typed, not by intent (Rasa's end-to-end `user:`
    step). `text` is kept as written; matching compares `user_text_key`s."""

    kind: Literal["user_text"] = "user_text"
    text: str


def user_text_key(text: str) -> str:
    """What two user texts must share to be the same turn: case and runs of spaces aside,
    the comparison that finds duplicate examples."""
    return " ".join(text.split()).lower()


class BotStep(_Node):
    """The bot runs an action: a response (`utter_*` or any response name), a Python or
    remote action, or a built-in action."""

    kind: Literal["bot"] = "bot"
    action: str


class FormStep(_Node):
    """A form is activated here and runs until it completes (Rasa's `active_loop`)."""

    kind: Literal["form"] = "form"
    form: str


class SlotStep(_Node):
    """The slot has this value at this point (Rasa's `slot_was_set`)."""

    kind: Literal["slot"] = "slot"
    slot: str
    value: JsonValue = None


Step = Annotated[
    UserStep | UserTextStep | BotStep | FormStep | SlotStep, Field(discriminator="kind")
]


class Story(_Node):
    """One linear path: or-branches and includes are already expanded by the compiler."""

    name: str
    steps: list[Step]


class Rule(_Node):
    name: str
    conversation_start: bool = False
    conditions: list[SlotTest] = Field(default_factory=list)
    active_form: str | None = None
    steps: list[Step]


# --------------------------------------------------------------------------- tests


class TestUser(_Node):
    kind: Literal["user"] = "user"
    text: str
    intent: str | None = None
    """The intent the NLU must predict, when the test says so."""
    meaning: UserStep | None = None
    """The intent and entities the message is taken to have, given instead of the NLU's
    reading (`user "text" meaning intent(…)`), as `rasa test` takes a test story's turn."""


class TestBot(_Node):
    """An expected bot turn: a response by name, a literal text, or an action by name."""

    kind: Literal["bot"] = "bot"
    response: str | None = None
    text: str | None = None
    action: str | None = None


class TestSlot(_Node):
    kind: Literal["slot"] = "slot"
    slot: str
    value: JsonValue = None


class TestForm(_Node):
    """`form F`: the bot runs form F here; the messages the form sends itself need not be
    expected. With `completes`: the form completes here, as though the user had answered
    its remaining questions off-script, with `values` (slots not given keep theirs)."""

    kind: Literal["form"] = "form"
    form: str
    completes: bool = False
    values: dict[str, JsonValue] = Field(default_factory=dict)


TestStep = Annotated[TestUser | TestBot | TestSlot | TestForm, Field(discriminator="kind")]


class ConversationTest(_Node):
    __test__ = False  # not a pytest class
    name: str
    steps: list[TestStep]


# --------------------------------------------------------------------------- assistant


class Assistant(_Node):
    ir_version: int = IR_VERSION
    name: str
    config: Config = Field(default_factory=Config)
    intents: list[Intent] = Field(default_factory=list)
    entities: list[Entity] = Field(default_factory=list)
    slots: list[Slot] = Field(default_factory=list)
    responses: list[Response] = Field(default_factory=list)
    forms: list[Form] = Field(default_factory=list)
    actions: list[Action] = Field(default_factory=list)
    stories: list[Story] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)
    tests: list[ConversationTest] = Field(default_factory=list)

    def to_json(self) -> str:
        """Canonical JSON: keys in schema order, no extra spaces, UTF-8 kept readable.
        (pydantic's own serializer: the same bytes on every machine, and fast.)"""
        return self.model_dump_json()

    @classmethod
    def from_json(cls, text: str) -> Assistant:
        return cls.model_validate_json(text)

    def part_fingerprints(self) -> dict[str, str]:
        """`kind:name` → fingerprint of that part, for every named part."""
        parts: dict[str, str] = {"config": fingerprint(self.config)}
        groups: list[tuple[str, list[Any]]] = [
            ("intent", self.intents),
            ("entity", self.entities),
            ("slot", self.slots),
            ("response", self.responses),
            ("form", self.forms),
            ("action", self.actions),
            ("story", self.stories),
            ("rule", self.rules),
            ("test", self.tests),
        ]
        for kind, items in groups:
            for item in items:
                parts[f"{kind}:{item.name}"] = fingerprint(item)
        return dict(sorted(parts.items()))

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.to_json().encode("utf-8")).hexdigest()


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def fingerprint(*parts: BaseModel | Any) -> str:
    """SHA-256 over the canonical JSON of one or more IR parts (or plain JSON data)."""
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, BaseModel):
            digest.update(part.model_dump_json().encode("utf-8"))
        else:
            digest.update(canonical_json(part).encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()
