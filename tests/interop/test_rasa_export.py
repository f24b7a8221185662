"""`export_rasa`: the written project has Rasa's structure, and importing it again gives
back the same assistant."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from interop_helpers import example_dir
from rasa_schema import validate

from assistc.compiler.compile import compile_project
from assistc.compiler.rasa_export import annotated, export_rasa
from assistc.compiler.rasa_import import import_rasa
from assistc.runtime import ir
from assistc.runtime.ir import Assistant, EntityAnnotation, Example

# The examples whose imports check without errors (see test_rasa_import.REAL_PROBLEMS).
CLEAN = ("concertbot", "e2ebot", "formbot", "moodbot")
ROUND_TRIP = ("e2ebot", "formbot", "moodbot")
"""concertbot aside: its actions' outputs are read from its Python code, which an export
does not carry (its intents do round-trip: see the payload-only test)."""


def compiled_example(name: str, tmp_path: Path) -> Assistant:
    import_rasa(example_dir(name), tmp_path / "imported")
    result = compile_project(tmp_path / "imported")
    assert result.assistant is not None, [(d.code, d.message) for d in result.errors]
    return result.assistant


@pytest.mark.parametrize("name", CLEAN)
def test_export_has_rasa_structure(name: str, tmp_path: Path) -> None:
    assistant = compiled_example(name, tmp_path)
    export_rasa(assistant, tmp_path / "rasa")
    assert validate(tmp_path / "rasa") == []


@pytest.mark.parametrize("name", ROUND_TRIP)
def test_export_then_import_round_trips(name: str, tmp_path: Path) -> None:
    assistant = compiled_example(name, tmp_path)
    export_rasa(assistant, tmp_path / "rasa")
    report = import_rasa(tmp_path / "rasa", tmp_path / "again")
    assert report.ok, report.summary()
    again = compile_project(tmp_path / "again")
    assert again.assistant is not None, [(d.code, d.message) for d in again.errors]
    # The whole IR survives .assist → IR → Rasa → .assist → IR (the folder name aside).
    assert again.assistant.model_copy(update={"name": assistant.name}) == assistant


def test_validator_catches_broken_projects(tmp_path: Path) -> None:
    assistant = compiled_example("moodbot", tmp_path)
    export_rasa(assistant, tmp_path / "rasa")
    domain = tmp_path / "rasa" / "domain.yml"
    domain.write_text(domain.read_text().replace("utter_greet:", "utter_hello:"))
    problems = validate(tmp_path / "rasa")
    assert any("undeclared action utter_greet" in p for p in problems)


def test_annotations_use_rasa_syntax() -> None:
    example = Example(
        text="fly from Berlin to NYC",
        intent="fly",
        entities=[
            EntityAnnotation(start=9, end=15, entity="city", value="Berlin", role="from"),
            EntityAnnotation(start=19, end=22, entity="city", value="NYC", canonical="New York"),
        ],
    )
    assert annotated(example) == (
        'fly from [Berlin]{"entity": "city", "role": "from"} '
        'to [NYC]{"entity": "city", "value": "New York"}'
    )


def test_form_steps_of_tests_become_what_rasa_test_stories_write(tmp_path: Path) -> None:
    assistant = compiled_example("formbot", tmp_path)
    steps: list[ir.TestStep] = [
        ir.TestUser(text="im looking for a restaurant"),
        ir.TestForm(form="restaurant_form"),
        ir.TestForm(form="restaurant_form", completes=True, values={"cuisine": "greek"}),
        ir.TestForm(form="restaurant_form"),
        ir.TestForm(form="restaurant_form"),
        ir.TestForm(form="restaurant_form", completes=True),
    ]
    test = ir.ConversationTest(name="t", steps=steps)
    export_rasa(assistant.model_copy(update={"tests": [test]}), tmp_path / "rasa")
    assert validate(tmp_path / "rasa") == []
    written = yaml.safe_load((tmp_path / "rasa/tests/test_stories.yml").read_text("utf-8"))
    assert written["stories"][0]["steps"][1:] == [
        {"action": "restaurant_form"},
        {"active_loop": "restaurant_form"},
        {"slot_was_set": [{"cuisine": "greek"}]},
        {"active_loop": None},
        {"action": "restaurant_form"},
        {"active_loop": "restaurant_form"},  # activated again
        {"action": "restaurant_form"},  # already active
        {"active_loop": None},
    ]


def test_payload_only_intents_are_in_the_domain_without_nlu_examples(tmp_path: Path) -> None:
    assistant = compiled_example("concertbot", tmp_path)
    assert [i.name for i in assistant.intents if i.payload_only] == ["bot_challenge"]
    export_rasa(assistant, tmp_path / "rasa")
    domain = yaml.safe_load((tmp_path / "rasa" / "domain.yml").read_text())
    assert "bot_challenge" in domain["intents"]
    nlu = [
        yaml.safe_load(path.read_text()).get("nlu") or []
        for path in (tmp_path / "rasa").rglob("*.yml")
    ]
    assert not any(item.get("intent") == "bot_challenge" for items in nlu for item in items)
    import_rasa(tmp_path / "rasa", tmp_path / "again")
    again = compile_project(tmp_path / "again").assistant
    assert again is not None and again.intents == assistant.intents


def test_given_entities_are_annotated_in_the_test_turn(tmp_path: Path) -> None:
    """Rasa reads a test turn's entities from annotations in its text; a value the text
    does not hold cannot be annotated, and the notes say so."""
    assistant = compiled_example("formbot", tmp_path)
    inform = ir.UserStep(
        intent="inform",
        entities=[
            ir.StepEntity(entity="cuisine", value="Greek"),
            ir.StepEntity(entity="number", value=4),
        ],
    )
    steps: list[ir.TestStep] = [
        ir.TestUser(text="greek food for three", meaning=inform),
        ir.TestUser(text="hello", intent="greet"),
    ]
    test = ir.ConversationTest(name="t", steps=steps)
    notes = export_rasa(assistant.model_copy(update={"tests": [test]}), tmp_path / "rasa")
    assert validate(tmp_path / "rasa") == []
    written = yaml.safe_load((tmp_path / "rasa/tests/test_stories.yml").read_text("utf-8"))
    assert written["stories"][0]["steps"] == [
        {
            "user": '[greek]{"entity": "cuisine", "value": "Greek"} food for three',
            "intent": "inform",
        },
        {"user": "hello", "intent": "greet"},
    ]
    assert "test t: entity number = 4 is not in 'greek food for three'" in notes
