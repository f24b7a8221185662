"""The learned tagger: free entities, roles, annotations off token boundaries."""

from __future__ import annotations

from nlu_fixtures import CITIES, ENTITIES, flight_examples

from assistc.runtime.ir import Config, Entity, EntityAnnotation, EnumValue, Example
from assistc.runtime.nlu.pipeline import NLUModel
from assistc.runtime.nlu.tagger import EntityTagger, bio_labels
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
    assert bio_labels(tokenize(example.text), example) == ["O", "B-city", "I-city", "I-city", "O"]


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
