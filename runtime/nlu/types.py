"""What the NLU returns for one message; the shared vocabulary of NLU, dialogue and API."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

NLU_FALLBACK_INTENT = "nlu_fallback"


class IntentPrediction(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    confidence: float


class ExtractedEntity(BaseModel):
    """One entity found in a message (Rasa's entity dict, field for field)."""

    model_config = ConfigDict(frozen=True)

    entity: str
    start: int
    end: int
    value: str | int | float | bool | None
    """Normalised value: the canonical enum member for a synonym, a number for numbers."""
    role: str | None = None
    confidence: float = 1.0
    extractor: str
    """Which extractor found it: `matcher`, `regex`, `builtin:<name>`, `tagger`."""
    text: str = ""
    """The surface text, `message[start:end]`."""


class ParseResult(BaseModel):
    """The response body of Rasa's `POST /model/parse`."""

    model_config = ConfigDict(frozen=True)

    text: str
    intent: IntentPrediction
    entities: list[ExtractedEntity] = Field(default_factory=list)
    intent_ranking: list[IntentPrediction] = Field(default_factory=list)
