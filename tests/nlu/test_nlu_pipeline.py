"""The whole NLU: entity merging, persistence, corruption, determinism, edge cases."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nlu_fixtures import ENTITIES, chit_chat_examples, flight_examples, pizza_examples

from assistc.runtime.ir import Config, EntityAnnotation, Example
from assistc.runtime.nlu.classifier import IntentClassifier
from assistc.runtime.nlu.errors import ModelLoadError
from assistc.runtime.nlu.matcher import EntityMatcher
from assistc.runtime.nlu.pipeline import NLUModel, resolve
from assistc.runtime.nlu.tagger import EntityTagger, TaggedSpan
from assistc.runtime.nlu.types import NLU_FALLBACK_INTENT, ExtractedEntity

MESSAGES = [
    "hello",
    "i want a flight from paris to rome",
    "a big pizza with jalapeno",
    "order ORD-4321 has three pizzas",
    "goodbye",
    "",
]


@pytest.fixture(scope="module")
def model() -> NLUModel:
    examples = [*chit_chat_examples(), *pizza_examples(), *flight_examples(40)]
    return NLUModel.train(examples, ENTITIES, Config())


def test_parse_combines_all_extractors(model: NLUModel) -> None:
    result = model.parse("order ORD-4321 has three big pizzas")
    found = {(e.entity, e.value, e.extractor) for e in result.entities}
    assert ("order_id", "ORD-4321", "regex") in found
    assert ("count", 3, "builtin:number") in found
    assert ("size", "large", "matcher") in found


def test_save_load_round_trip_gives_identical_predictions(model: NLUModel, tmp_path: Path) -> None:
    model.save(tmp_path / "nlu")
    loaded = NLUModel.load(tmp_path / "nlu")
    for text in MESSAGES:
        assert loaded.parse(text) == model.parse(text)


def test_components_reload_separately(model: NLUModel, tmp_path: Path) -> None:
    model.classifier.save(tmp_path / "c")
    model.tagger.save(tmp_path / "t")
    model.matcher.save(tmp_path / "m")
    rebuilt = NLUModel.from_components(
        IntentClassifier.load(tmp_path / "c"),
        EntityTagger.load(tmp_path / "t"),
        EntityMatcher.load(tmp_path / "m"),
        model.config,
    )
    for text in MESSAGES:
        assert rebuilt.parse(text) == model.parse(text)


def _corrupt_arrays(folder: Path) -> None:
    path = folder / "intent_classifier" / "arrays.npz"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _garble_manifest(folder: Path) -> None:
    (folder / "entity_tagger" / "manifest.json").write_text("{not json", encoding="utf-8")


def _bump_version(folder: Path) -> None:
    path = folder / "entity_matcher" / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["version"] += 1
    path.write_text(json.dumps(manifest), encoding="utf-8")


def _remove_arrays(folder: Path) -> None:
    (folder / "entity_tagger" / "arrays.npz").unlink()


def _change_meta(folder: Path) -> None:
    path = folder / "intent_classifier" / "meta.json"
    meta = json.loads(path.read_text(encoding="utf-8"))
    meta["temperature"] = 1.0
    path.write_text(json.dumps(meta), encoding="utf-8")


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (_corrupt_arrays, "checksum"),
        (_garble_manifest, "unreadable manifest"),
        (_bump_version, "format version"),
        (_remove_arrays, "missing arrays.npz"),
        (_change_meta, "checksum"),
    ],
)
def test_damaged_folder_raises_model_load_error(
    model: NLUModel, tmp_path: Path, damage: object, message: str
) -> None:
    model.save(tmp_path)
    assert callable(damage)
    damage(tmp_path)
    with pytest.raises(ModelLoadError, match=message):
        NLUModel.load(tmp_path)


def test_missing_model_folder_raises_model_load_error(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match=r"missing nlu\.json"):
        NLUModel.load(tmp_path / "nowhere")


def test_training_is_deterministic(model: NLUModel) -> None:
    examples = [*chit_chat_examples(), *pizza_examples(), *flight_examples(40)]
    again = NLUModel.train(examples, ENTITIES, Config())
    assert np.array_equal(again.classifier.coef_t, model.classifier.coef_t)
    assert np.array_equal(again.tagger.weights, model.tagger.weights)
    for text in MESSAGES:
        assert again.parse(text) == model.parse(text)


def test_empty_text_is_fallback_without_entities(model: NLUModel) -> None:
    for text in ["", "   "]:
        result = model.parse(text)
        assert result.intent.name == NLU_FALLBACK_INTENT
        assert result.entities == []


def test_punctuation_only_text_parses(model: NLUModel) -> None:
    result = model.parse("?!")
    assert result.text == "?!"
    assert result.entities == []


def test_annotation_crossing_token_boundaries_trains() -> None:
    examples = [
        Example(
            text=f"send it to box{i}x please",
            intent="send",
            entities=[EntityAnnotation(start=11, end=14, entity="box", value="box")],
        )
        for i in range(5)
    ]
    result = NLUModel.train(examples, [], Config()).parse("send it to box9x please")
    assert [(e.entity, e.text) for e in result.entities] == [("box", "box9x")]


def _entity(start: int, end: int, entity: str, value: object, extractor: str) -> ExtractedEntity:
    return ExtractedEntity(
        entity=entity,
        start=start,
        end=end,
        value=value,
        extractor=extractor,  # type: ignore[arg-type]
    )


def test_resolve_keeps_normalised_value_of_spans_the_tagger_confirms() -> None:
    text = "a big pizza"
    rule = _entity(2, 5, "size", "large", "matcher")
    merged = resolve(text, [rule], [TaggedSpan("size", "main", 2, 5, 0.9)])
    assert [(e.value, e.role, e.extractor) for e in merged] == [("large", "main", "matcher")]


def test_resolve_prefers_longer_spans_then_tagger_over_rule_only() -> None:
    text = "new york city now"
    short_rule = _entity(0, 8, "city", "New York", "matcher")
    other_rule = _entity(9, 13, "thing", "city", "matcher")
    merged = resolve(text, [short_rule, other_rule], [TaggedSpan("place", None, 0, 13, 0.8)])
    assert [(e.entity, e.text) for e in merged] == [("place", "new york city")]
    same_length = resolve(text, [short_rule], [TaggedSpan("place", None, 0, 8, 0.8)])
    assert [(e.entity, e.extractor) for e in same_length] == [("place", "tagger")]


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=300))
def test_parse_never_fails_and_spans_match_the_text(model: NLUModel, text: str) -> None:
    result = model.parse(text)
    assert result.text == text
    for entity in result.entities:
        assert text[entity.start : entity.end] == entity.text
    spans = sorted((e.start, e.end) for e in result.entities)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))
