"""Button payloads: `/intent` or `/intent{"entity": "value"}` bypass the NLU, as in Rasa.

Buttons carry such payloads, so a click must reach the dialogue exactly as designed
instead of being re-guessed by the intent classifier.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Collection

from assistc.runtime.nlu.types import ExtractedEntity, IntentPrediction, ParseResult

logger = logging.getLogger("assistc.runtime")

_PAYLOAD = re.compile(r"/(?P<intent>[A-Za-z_][\w.-]*)(?P<entities>\{.*\})?", re.DOTALL)

Scalar = str | int | float | bool | None


def _entities(text: str, raw: str | None) -> list[ExtractedEntity]:
    if raw is None:
        return []
    try:
        data = json.loads(raw)
    except ValueError:
        logger.warning("ignoring the entities of payload %r: not valid JSON", text)
        return []
    if not isinstance(data, dict):
        logger.warning("ignoring the entities of payload %r: not a JSON object", text)
        return []
    found: list[ExtractedEntity] = []
    for name, value in data.items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, Scalar):
                found.append(
                    ExtractedEntity(
                        entity=str(name),
                        start=0,
                        end=len(text),
                        value=item,
                        extractor="payload",
                        text=text,
                    )
                )
    return found


def parse_payload(text: str, intents: Collection[str]) -> ParseResult | None:
    """The parse of a payload naming one of `intents`; None for ordinary text."""
    match = _PAYLOAD.fullmatch(text.strip())
    if match is None or match.group("intent") not in intents:
        return None
    intent = IntentPrediction(name=match.group("intent"), confidence=1.0)
    return ParseResult(
        text=text,
        intent=intent,
        entities=_entities(text, match.group("entities")),
        intent_ranking=[intent],
    )
