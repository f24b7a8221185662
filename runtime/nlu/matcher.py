"""Rule-based entity recognition from the entity declarations: no training.

- enum / lookup: exact phrase matching over normalised token sequences (a trie keyed by
  token), so it is case- and accent-insensitive, token-boundary aware, finds the longest
  phrase at each position, and stays fast with 100,000-value tables; synonyms map to the
  canonical value.
- regex: the declared pattern, as Python `re`.
- builtin: the standard library's extractor of that name.

Spans may overlap; the pipeline resolves overlaps once, across all extractors.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from assistc.runtime.ir import Entity
from assistc.runtime.nlu.errors import ModelLoadError
from assistc.runtime.nlu.store import load_component, save_component
from assistc.runtime.nlu.text import Token, normalized_words, tokenize
from assistc.runtime.nlu.types import ExtractedEntity
from assistc.stdlib.extractors import BUILTIN_EXTRACTORS, extract_builtin

FORMAT_VERSION = 1


class MatcherBuildError(ValueError):
    """An entity declaration the matcher cannot use (bad regex, unknown builtin)."""


@dataclass(slots=True)
class _TrieNode:
    children: dict[str, _TrieNode] = field(default_factory=dict)
    values: list[tuple[str, str]] = field(default_factory=list)
    """(entity, canonical value) pairs of the phrases ending here."""


class EntityMatcher:
    """Finds enum, lookup, regex and builtin entities in a message."""

    def __init__(self, entities: Sequence[Entity]) -> None:
        self.entities = sorted(entities, key=lambda e: e.name)
        self._trie = _TrieNode()
        self._regexes: list[tuple[str, re.Pattern[str]]] = []
        self._builtins: list[tuple[str, str]] = []
        for entity in self.entities:
            if entity.kind in ("enum", "lookup"):
                self._add_values(entity)
            elif entity.kind == "regex":
                self._regexes.append((entity.name, _compile(entity)))
            elif entity.kind == "builtin":
                if entity.builtin not in BUILTIN_EXTRACTORS:
                    raise MatcherBuildError(
                        f"entity {entity.name!r}: unknown builtin extractor {entity.builtin!r} "
                        f"(known: {', '.join(BUILTIN_EXTRACTORS)})"
                    )
                self._builtins.append((entity.name, entity.builtin))

    @classmethod
    def build(cls, entities: Sequence[Entity]) -> EntityMatcher:
        return cls(entities)

    def _add_values(self, entity: Entity) -> None:
        for value in entity.values:
            for phrase in (value.name, *value.synonyms):
                words = normalized_words(phrase)
                if not words:
                    continue
                node = self._trie
                for word in words:
                    node = node.children.setdefault(word, _TrieNode())
                if (entity.name, value.name) not in node.values:
                    node.values.append((entity.name, value.name))

    def match(self, text: str, tokens: Sequence[Token] | None = None) -> list[ExtractedEntity]:
        """Every candidate entity in `text`, ordered by start then end; may overlap."""
        if tokens is None:
            tokens = tokenize(text)
        found = self._match_phrases(text, tokens)
        for name, pattern in self._regexes:
            found += [
                ExtractedEntity(
                    entity=name,
                    start=m.start(),
                    end=m.end(),
                    value=m.group(),
                    extractor="regex",
                    text=m.group(),
                )
                for m in pattern.finditer(text)
                if m.end() > m.start()
            ]
        for name, builtin in self._builtins:
            found += [
                ExtractedEntity(
                    entity=name,
                    start=m.start,
                    end=m.end,
                    value=m.value,
                    confidence=m.confidence,
                    extractor=f"builtin:{builtin}",
                    text=m.text,
                )
                for m in extract_builtin(builtin, text)
            ]
        return sorted(found, key=lambda e: (e.start, e.end, e.entity))

    def _match_phrases(self, text: str, tokens: Sequence[Token]) -> list[ExtractedEntity]:
        """The longest dictionary phrase starting at each token, unless it lies inside
        a phrase found further left."""
        found: list[ExtractedEntity] = []
        covered_until = -1
        for i in range(len(tokens)):
            node = self._trie
            longest: tuple[int, list[tuple[str, str]]] | None = None
            for j in range(i, len(tokens)):
                child = node.children.get(tokens[j].norm)
                if child is None:
                    break
                node = child
                if node.values:
                    longest = (j, node.values)
            if longest is None:
                continue
            last, values = longest
            if last <= covered_until:
                continue
            covered_until = last
            start, end = tokens[i].start, tokens[last].end
            found += [
                ExtractedEntity(
                    entity=entity,
                    start=start,
                    end=end,
                    value=canonical,
                    extractor="matcher",
                    text=text[start:end],
                )
                for entity, canonical in values
            ]
        return found

    def save(self, folder: Path) -> None:
        meta = {"entities": [e.model_dump(mode="json") for e in self.entities]}
        save_component(folder, "entity_matcher", FORMAT_VERSION, meta, {})

    @classmethod
    def load(cls, folder: Path) -> EntityMatcher:
        meta, _ = load_component(folder, "entity_matcher", FORMAT_VERSION)
        try:
            entities = [Entity.model_validate(e) for e in meta["entities"]]
            return cls(entities)
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelLoadError(f"{folder}: invalid entity declarations ({exc})") from exc


def _compile(entity: Entity) -> re.Pattern[str]:
    if not entity.pattern:
        raise MatcherBuildError(f"entity {entity.name!r}: a regex entity needs a pattern")
    try:
        return re.compile(entity.pattern)
    except re.error as exc:
        raise MatcherBuildError(f"entity {entity.name!r}: invalid regex ({exc})") from exc
