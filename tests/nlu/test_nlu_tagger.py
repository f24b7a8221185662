"""The learned tagger: free entities, roles, annotations off token boundaries, and the
out-of-fold spans the intent classifier learns from."""

from __future__ import annotations

import numpy as np
import pytest
from nlu_fixtures import CITIES, ENTITIES, flight_examples
from sklearn.model_selection import KFold

from assistc.runtime.ir import Config, Entity, EntityAnnotation, EnumValue, Example
from assistc.runtime.nlu import tagger as tagger_module
from assistc.runtime.nlu.pipeline import NLUModel
from assistc.runtime.nlu.tagger import (
    EntityTagger,
    TaggedSpan,
    annotated,
    bio_labels,
    out_of_fold_spans,
)
from assistc.runtime.nlu.text import tokenize


def test_learns_a_free_entity_with_roles_and_generalises_to_unseen_values() -> None:
    model = NLUModel.train(flight_examples(50), ENTITIES, Config())
    result = model.parse("i want a flight from Springfield to Shelbyville")
    found = [(e.entity, e.role, e.text, e.extractor) for e in result.entities]
    assert found == [
        ("city", "from", "Springfield", "tagger"),
        ("city", "to", "Shelbyville", "tagger"),
    ]
    assert all(0.0 < e.confidence <= 1.0 for e in result.entities)


def test_annotation_not_on_token_boundaries_labels_overlapping_tokens() -> None:
    example = Example(
        text="to new-york now",
        intent="x",
        entities=[EntityAnnotation(start=4, end=9, entity="city", value="new-y")],
    )
    ((text, spans),) = annotated([example])
    assert bio_labels(tokenize(text), spans) == ["O", "B-city", "I-city", "I-city", "O"]


def test_without_annotations_the_tagger_finds_nothing() -> None:
    tagger = EntityTagger.train([Example(text="hello there", intent="greet")])
    tokens = tokenize("hello paris")
    assert tagger.tag(tokens, [[] for _ in tokens]) == []


def test_matcher_hits_let_the_tagger_add_roles_to_listed_values_it_never_saw() -> None:
    listed = [*CITIES, "springfield", "shelbyville"]
    city = Entity(name="city", kind="lookup", values=[EnumValue(name=c) for c in listed])
    model = NLUModel.train(flight_examples(50), [city], Config())
    result = model.parse("fly from Springfield to Shelbyville")
    found = [(e.text, e.value, e.role, e.extractor) for e in result.entities]
    assert found == [
        ("Springfield", "springfield", "from", "matcher"),
        ("Shelbyville", "shelbyville", "to", "matcher"),
    ]
    assert any(attribute.startswith("h=B:city") for attribute in model.tagger.attributes)


def _held_out_by_hand(examples: list[Example]) -> list[list[TaggedSpan]]:
    """What `out_of_fold_spans` promises: each example tagged by a short-trained tagger
    on the other folds (here decoded by `EntityTagger`, there by CRFsuite itself)."""
    spans: list[list[TaggedSpan]] = [[] for _ in examples]
    folds = KFold(tagger_module.OUT_OF_FOLD_FOLDS, shuffle=True, random_state=42)
    for train_idx, test_idx in folds.split(np.arange(len(examples))):
        tagger = EntityTagger.train(
            [examples[i] for i in train_idx], None, 42, tagger_module.OUT_OF_FOLD_EPOCHS
        )
        for i in test_idx:
            spans[i] = tagger.tag_text(examples[i].text, None)
    return spans


def test_out_of_fold_spans_come_from_taggers_that_did_not_see_the_example() -> None:
    examples = flight_examples(30)
    spans, full = out_of_fold_spans(examples, None, 42, full_rows=range(len(examples)))
    by_hand = _held_out_by_hand(examples)
    assert [[_where(s) for s in found] for found in spans] == [
        [_where(s) for s in found] for found in by_hand
    ]
    assert [s.confidence for found in spans for s in found] == pytest.approx(
        [s.confidence for found in by_hand for s in found], abs=1e-4
    )
    assert any(spans)
    assert full is not None
    assert np.array_equal(full.result()[2], EntityTagger.train(examples, None, 42).weights)


def _where(span: TaggedSpan) -> tuple[str, str | None, int, int]:
    return span.entity, span.role, span.start, span.end


def test_out_of_fold_spans_are_the_same_in_worker_processes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    examples = flight_examples(30)
    alone, _ = out_of_fold_spans(examples, None, 42)
    monkeypatch.setattr(tagger_module, "PARALLEL_MIN_EXAMPLES", 1)
    spans, full = out_of_fold_spans(examples, None, 42, full_rows=range(len(examples)))
    assert spans == alone
    assert full is not None
    assert np.array_equal(full.result()[2], EntityTagger.train(examples, None, 42).weights)


def test_out_of_fold_spans_without_annotations_are_empty() -> None:
    examples = [Example(text=t, intent="greet") for t in ["hello there", "hi", "hey you"]]
    spans, full = out_of_fold_spans(examples, None, 42, full_rows=range(len(examples)))
    assert spans == [[], [], []]
    assert full is not None and full.result()[0] == ["O"]


def test_an_inside_label_that_continues_nothing_starts_a_span() -> None:
    """CRFsuite's own decoding (the out-of-fold taggers') may give `I-x` after `O` or
    after another entity: it starts a span, as `B-x` would."""
    tokens = tokenize("fly to new york from rome")
    labels = ["O", "O", "I-city:to", "I-city:to", "O", "I-city:from"]
    spans = tagger_module._label_spans(tokens, labels, lambda k: 1.0 - k / 10)
    assert [(s.entity, s.role, s.start, s.end) for s in spans] == [
        ("city", "to", 7, 15),
        ("city", "from", 21, 25),
    ]
    assert [s.confidence for s in spans] == [pytest.approx(0.7), pytest.approx(0.5)]


def test_a_process_lets_the_sentences_go_after_the_full_tagger() -> None:
    """A worker keeps the sentences it prepared for a fold, for the full tagger; once that
    has trained (or everything has, in this process) it keeps nothing (~150 MB for
    SNIPS otherwise, for as long as the worker lives)."""
    examples = flight_examples(30)
    corpus = tagger_module._Corpus("key", annotated(examples), None)
    assert corpus.sentences() is corpus.sentences()  # prepared once
    tagger_module._train_full(corpus, None, 42)
    assert tagger_module._PREPARED == {}
    spans, full = out_of_fold_spans(examples, None, 42, full_rows=range(len(examples)))
    assert full is not None and full.result()[0] != ["O"]
    assert any(spans) and tagger_module._PREPARED == {}
