"""Evaluation metrics on hand-computed cases, the JSONL loader, and an end-to-end run."""

from __future__ import annotations

from pathlib import Path

import pytest
from nlu_fixtures import chit_chat_examples, flight_examples

from assistc.runtime.ir import Config, EntityAnnotation, Example
from assistc.runtime.nlu.evaluate import (
    DataFormatError,
    cross_validate,
    evaluate,
    free_entities,
    load_jsonl,
    score,
)
from assistc.runtime.nlu.types import ExtractedEntity, IntentPrediction, ParseResult

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def _gold(text: str, intent: str, *spans: tuple[int, int, str]) -> Example:
    return Example(
        text=text,
        intent=intent,
        entities=[EntityAnnotation(start=s, end=e, entity=n, value=text[s:e]) for s, e, n in spans],
    )


def _pred(text: str, intent: str, *spans: tuple[int, int, str]) -> ParseResult:
    return ParseResult(
        text=text,
        intent=IntentPrediction(name=intent, confidence=0.9),
        entities=[
            ExtractedEntity(entity=n, start=s, end=e, value=text[s:e], extractor="tagger")
            for s, e, n in spans
        ],
    )


def test_scores_on_a_hand_computed_case() -> None:
    text = "fly from paris to rome"
    gold = [
        _gold(text, "fly", (9, 14, "city"), (18, 22, "city")),
        _gold("hi", "greet"),
        _gold("bye", "bye"),
        _gold("what", "oos"),
    ]
    predicted = [
        _pred(text, "fly", (9, 14, "city"), (15, 22, "city"), (0, 3, "verb")),
        _pred("hi", "greet"),
        _pred("bye", "greet"),
        _pred("what", "nlu_fallback"),
    ]
    scores = score(gold, predicted, oos_label="oos")
    assert scores.intent_accuracy == 0.75
    # per intent F1: fly 1, greet 2/3, bye 0, oos 1 -> mean 2/3
    assert scores.intent_macro_f1 == pytest.approx((1 + 2 / 3 + 0 + 1) / 4)
    assert scores.entity_precision == pytest.approx(1 / 3)
    assert scores.entity_recall == pytest.approx(1 / 2)
    assert scores.entity_f1 == pytest.approx(0.4)
    assert scores.in_scope_accuracy == pytest.approx(2 / 3)
    assert scores.oos_recall == 1.0
    no_oos = score(gold, predicted)
    assert no_oos.intent_accuracy == 0.5
    assert no_oos.oos_recall is None


def test_entity_scores_are_none_without_any_entity() -> None:
    scores = score([_gold("hi", "greet")], [_pred("hi", "greet")])
    assert scores.entity_f1 is None


def test_load_jsonl_reads_the_shared_format(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text(
        '{"text": "to rome", "intent": "fly", "entities": '
        '[{"start": 3, "end": 7, "entity": "city", "value": "rome"}]}\n\n'
        '{"text": "hi", "intent": "greet", "entities": []}\n',
        encoding="utf-8",
    )
    examples = load_jsonl(path)
    assert [e.intent for e in examples] == ["fly", "greet"]
    assert examples[0].entities[0].entity == "city"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "d.jsonl:2: "),
        ('{"text": "hi"}', "d.jsonl:2: intent: Field required"),
        (
            '{"text": "to rome", "intent": "fly", "entities": '
            '[{"start": 0, "end": 2, "entity": "city", "value": "rome"}]}',
            "d.jsonl:2: entity 'city' \\[0:2\\] is 'to'",
        ),
    ],
)
def test_load_jsonl_bad_line_names_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text('{"text": "hi", "intent": "greet"}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=message):
        load_jsonl(path)


def test_free_entities_collects_labels_and_roles() -> None:
    entities = free_entities(flight_examples(5))
    assert [(e.name, e.kind, e.roles) for e in entities] == [("city", "free", ["from", "to"])]


def test_evaluate_end_to_end_on_separable_data() -> None:
    train = chit_chat_examples() + flight_examples(40, seed=1)
    test = [Example(text="hello there", intent="greet"), *flight_examples(10, seed=2)]
    report = evaluate(train, test, Config())
    assert report.intent_accuracy == 1.0
    assert report.entity_f1 is not None and report.entity_f1 > 0.9
    assert report.n_train == len(train) and report.n_test == len(test)
    assert 0.0 < report.predict_p50_ms <= report.predict_p95_ms


def test_cross_validate_reports_confused_pairs() -> None:
    examples = [
        *chit_chat_examples(),
        Example(text="hello goodbye", intent="mixed"),
        Example(text="bye hello", intent="mixed"),
    ]
    report = cross_validate(examples, [], Config(nlu_fallback_threshold=0.0), folds=4)
    assert report.n_test == len(examples)
    errors = len(examples) - round(report.intent_accuracy * len(examples))
    assert sum(p.count for p in report.confused_pairs) == errors
    with pytest.raises(ValueError, match="folds"):
        cross_validate(examples, [], Config(), folds=1)


def test_snips_sample_reaches_reasonable_quality() -> None:
    if not (DATA / "snips").is_dir():
        pytest.skip(f"shared benchmark data not found at {DATA}")
    train = load_jsonl(DATA / "snips" / "train.jsonl")[::40]
    test = load_jsonl(DATA / "snips" / "valid.jsonl")[::10]
    report = evaluate(train, test, Config())
    assert report.intent_accuracy > 0.9
    assert report.entity_f1 is not None and report.entity_f1 > 0.6
