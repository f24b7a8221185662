"""`assistc nlu eval` (train on one JSONL file, score on another) and `assistc nlu cv`
(cross-validation on an assistant's own examples), run as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from e2e_helpers import EXAMPLES, cli

WEATHER = ["will it rain in {}", "weather in {} tomorrow", "is it sunny in {}", "forecast for {}"]
TRAVEL = ["book a flight to {}", "i want to fly to {}", "get me a ticket to {}", "trip to {}"]
CITIES = ["Paris", "Berlin", "Madrid", "Rome", "Oslo", "Vienna"]


def _row(template: str, intent: str, city: str) -> str:
    start = template.index("{}")
    text = template.format(city)
    entity = {"start": start, "end": start + len(city), "value": city, "entity": "city"}
    return json.dumps({"text": text, "intent": intent, "entities": [entity]})


def write_split(folder: Path) -> tuple[Path, Path]:
    """Weather and travel questions about cities: the last city of each template is
    held out for the test file."""
    train, test = [], []
    for intent, templates in [("weather", WEATHER), ("travel", TRAVEL)]:
        for template in templates:
            for i, city in enumerate(CITIES):
                (test if i == len(CITIES) - 1 else train).append(_row(template, intent, city))
    train_file, test_file = folder / "train.jsonl", folder / "test.jsonl"
    train_file.write_text("\n".join(train) + "\n", encoding="utf-8")
    test_file.write_text("\n".join(test) + "\n", encoding="utf-8")
    return train_file, test_file


def test_nlu_eval_reports_accuracy_entities_and_timings(tmp_path: Path) -> None:
    train, test = write_split(tmp_path)
    ran = cli("nlu", "eval", "--train", train, "--test", test, "--format", "json")
    assert ran.code == 0, ran.describe()
    report = json.loads(ran.stdout)
    assert report["n_train"] == 40 and report["n_test"] == 8
    assert report["intent_accuracy"] == 1.0
    assert report["entity_f1"] is not None and report["entity_f1"] > 0.5
    assert report["train_seconds"] > 0 and report["predict_p50_ms"] > 0
    text = cli("nlu", "eval", "--train", train, "--test", test)
    assert text.code == 0, text.describe()
    assert "intent accuracy" in text.stdout and "1.0000" in text.stdout


def test_nlu_eval_names_the_bad_line_of_a_data_file(tmp_path: Path) -> None:
    train, test = write_split(tmp_path)
    lines = train.read_text(encoding="utf-8").splitlines()
    lines[2] = '{"text": "hello", "intent": 3}'
    train.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ran = cli("nlu", "eval", "--train", train, "--test", test)
    assert ran.code == 2, ran.describe()
    assert f"{train}:3: intent" in ran.stderr
    assert "Traceback" not in ran.output
    missing = cli("nlu", "eval", "--train", tmp_path / "nope.jsonl", "--test", test)
    assert missing.code == 2 and "cannot read" in missing.stderr, missing.describe()
    assert "Traceback" not in missing.output


def test_nlu_cv_cross_validates_an_assistants_examples() -> None:
    ran = cli("nlu", "cv", EXAMPLES / "pizzeria", "--folds", "3", "--format", "json")
    assert ran.code == 0, ran.describe()
    report = json.loads(ran.stdout)
    assert report["n_test"] > 100 and 0.5 < report["intent_accuracy"] <= 1.0
    assert all(pair["gold"] != pair["predicted"] for pair in report["confused_pairs"])
    bad = cli("nlu", "cv", EXAMPLES / "greeting", "--folds", "1")
    assert bad.code == 2 and "--folds must be between 2 and" in bad.stderr, bad.describe()
