"""The NLU of one assistant: intent classifier + rule-based matcher + learned tagger.

The three components train (or build) independently, so a trainer can reuse an
unchanged one (`from_components`); `parse` runs them all and resolves overlapping
entities into one list. A saved model is a folder with one sub-folder per component and
`nlu.json` holding the config the model parses with.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from assistc.runtime.ir import Config, Entity, Example
from assistc.runtime.nlu.classifier import IntentClassifier
from assistc.runtime.nlu.errors import ModelLoadError
from assistc.runtime.nlu.matcher import EntityMatcher
from assistc.runtime.nlu.tagger import EntityTagger, TaggedSpan, out_of_fold_spans, token_hits
from assistc.runtime.nlu.text import tokenize
from assistc.runtime.nlu.types import (
    NLU_FALLBACK_INTENT,
    ExtractedEntity,
    IntentPrediction,
    ParseResult,
)

FORMAT = "assistc-nlu"
FORMAT_VERSION = 1
RANKING_SIZE = 10
TAGGER_DIR, CLASSIFIER_DIR, MATCHER_DIR = "entity_tagger", "intent_classifier", "entity_matcher"


class NLUModel:
    """Parses a message into an intent, an intent ranking and entities."""

    def __init__(
        self,
        classifier: IntentClassifier,
        tagger: EntityTagger,
        matcher: EntityMatcher,
        config: Config,
    ) -> None:
        self.classifier = classifier
        self.tagger = tagger
        self.matcher = matcher
        self.config = config

    @classmethod
    def from_components(
        cls,
        classifier: IntentClassifier,
        tagger: EntityTagger,
        matcher: EntityMatcher,
        config: Config,
    ) -> NLUModel:
        return cls(classifier, tagger, matcher, config)

    @classmethod
    def train(
        cls, examples: Sequence[Example], entities: Sequence[Entity], config: Config
    ) -> NLUModel:
        """The tagger on all examples trains in a worker while the classifier learns
        from the spans of the out-of-fold taggers (`tagger.out_of_fold_spans`)."""
        matcher = EntityMatcher.build(entities)
        everything = range(len(examples))
        spans, tagger = out_of_fold_spans(examples, matcher, config.seed, full_rows=everything)
        assert tagger is not None  # full_rows
        classifier = IntentClassifier.train(examples, config, spans=spans)
        return cls(classifier, EntityTagger(*tagger.result()), matcher, config)

    def parse(self, text: str) -> ParseResult:
        if not text.strip():
            return ParseResult(text=text, intent=_fallback(0.0))
        tokens = tokenize(text)
        candidates = self.matcher.match(text, tokens)
        spans = self.tagger.tag(tokens, token_hits(tokens, candidates))
        ranking = self.classifier.rank(text, spans)[:RANKING_SIZE]
        if not ranking:
            intent = _fallback(0.0)
        elif ranking[0].confidence < self.config.nlu_fallback_threshold:
            intent = _fallback(self.config.nlu_fallback_threshold)
            ranking = [intent, *ranking]
        else:
            intent = ranking[0]
        entities = resolve(text, candidates, spans)
        return ParseResult(text=text, intent=intent, entities=entities, intent_ranking=ranking)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.classifier.save(folder / CLASSIFIER_DIR)
        self.tagger.save(folder / TAGGER_DIR)
        self.matcher.save(folder / MATCHER_DIR)
        manifest = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "config": self.config.model_dump(mode="json"),
        }
        (folder / "nlu.json").write_text(json.dumps(manifest, sort_keys=True), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> NLUModel:
        try:
            manifest = json.loads((folder / "nlu.json").read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ModelLoadError(f"{folder}: no NLU model here (missing nlu.json)") from exc
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ModelLoadError(f"{folder}: unreadable nlu.json ({exc})") from exc
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise ModelLoadError(f"{folder}: not an assistc NLU model")
        if manifest.get("version") != FORMAT_VERSION:
            raise ModelLoadError(
                f"{folder}: NLU format version {manifest.get('version')!r}, this runtime "
                f"reads version {FORMAT_VERSION}; retrain the model"
            )
        try:
            config = Config.model_validate(manifest.get("config"))
        except ValidationError as exc:
            raise ModelLoadError(f"{folder}: invalid config in nlu.json ({exc})") from exc
        return cls(
            IntentClassifier.load(folder / CLASSIFIER_DIR),
            EntityTagger.load(folder / TAGGER_DIR),
            EntityMatcher.load(folder / MATCHER_DIR),
            config,
        )


def _fallback(confidence: float) -> IntentPrediction:
    return IntentPrediction(name=NLU_FALLBACK_INTENT, confidence=confidence)


def resolve(
    text: str, candidates: Sequence[ExtractedEntity], spans: Sequence[TaggedSpan]
) -> list[ExtractedEntity]:
    """One non-overlapping entity list, sorted by start.

    A tagger span that a rule-based extractor also found (same entity, same span) keeps
    the extractor's normalised value and the tagger's role. Among overlapping spans the
    longer wins; at equal length, confirmed spans beat tagger-only ones (which have
    context behind them), and those beat rule-only ones.
    """
    by_span = {(c.start, c.end, c.entity): c for c in reversed(candidates)}
    confirmed: set[tuple[int, int, str]] = set()
    pool: list[tuple[int, ExtractedEntity]] = []
    for span in spans:
        key = (span.start, span.end, span.entity)
        rule = by_span.get(key)
        if rule is not None:
            confirmed.add(key)
            pool.append((0, rule.model_copy(update={"role": span.role or rule.role})))
        else:
            surface = text[span.start : span.end]
            tagged = ExtractedEntity(
                entity=span.entity,
                start=span.start,
                end=span.end,
                value=surface,
                role=span.role,
                confidence=span.confidence,
                extractor="tagger",
                text=surface,
            )
            pool.append((1, tagged))
    pool += [(2, c) for c in candidates if (c.start, c.end, c.entity) not in confirmed]
    pool.sort(key=lambda p: (p[1].start - p[1].end, p[0], p[1].start, p[1].entity))
    kept: list[ExtractedEntity] = []
    for _, entity in pool:
        if all(entity.end <= k.start or k.end <= entity.start for k in kept):
            kept.append(entity)
    return sorted(kept, key=lambda e: (e.start, e.end))
