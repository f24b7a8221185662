"""`assistc train` (incremental: what it trains and what it reuses) and `assistc test`
(the conversation tests, as text and JUnit XML), run as a user runs them."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest
from e2e_helpers import (
    REPO,
    Ran,
    Trained,
    cli,
    cli_many,
    copy_example,
    copy_project,
    trained_model,
)
from e2e_helpers import unchanged_model as unchanged

NLU_COMPONENTS = ("intent_classifier", "entity_tagger", "entity_matcher")

FAILING_TEST = """
test deliberately wrong:
  user "hello there" as greet
  bot utter_goodbye
"""
"""Appended to the greeting example: the assistant greets back, the test expects goodbye."""


def test_first_train_trains_every_component(trained_pizzeria: Trained) -> None:
    trained, reused, model = trained_model(trained_pizzeria.first_train)
    assert set(trained) == {*NLU_COMPONENTS, "policies"}
    assert reused == []
    bundle = trained_pizzeria.project / ".assistc" / "models" / model
    assert json.loads((bundle / "bundle.json").read_text(encoding="utf-8"))["model_id"] == model


def test_second_train_changes_nothing(trained_pizzeria: Trained) -> None:
    _, _, first = trained_model(trained_pizzeria.first_train)
    ran = cli("train", trained_pizzeria.project)
    assert ran.code == 0, ran.describe()
    assert unchanged(ran) == first


def test_editing_a_response_text_retrains_no_nlu_component(
    trained_pizzeria: Trained, tmp_path: Path
) -> None:
    project = copy_project(trained_pizzeria.project, tmp_path)
    _, _, before = trained_model(trained_pizzeria.first_train)
    responses = project / "responses.assist"
    old = "We're open every day from 11:00 to 23:00."
    new = "We're open every day from noon to midnight."
    text = responses.read_text(encoding="utf-8")
    assert old in text
    responses.write_text(text.replace(old, new), encoding="utf-8")

    ran = cli("train", project)
    assert ran.code == 0, ran.describe()
    trained, reused, after = trained_model(ran)
    assert after != before
    assert not set(NLU_COMPONENTS) & set(trained), ran.describe()
    assert set(NLU_COMPONENTS) <= set(reused), ran.describe()
    served = (project / ".assistc" / "models" / after / "assistant.json").read_text("utf-8")
    assert new in served and old not in served


@dataclass(frozen=True)
class RanTests:
    runs: dict[str, Ran]
    """greeting, booking, pizzeria (JUnit to stdout and a file) and failing (a failing test)."""
    reports: Path
    """The folder of the JUnit files: pizzeria.xml, failing.xml."""


@pytest.fixture(scope="module")
def tested(trained_pizzeria: Trained, tmp_path_factory: pytest.TempPathFactory) -> RanTests:
    """`assistc test` on each example and on one with a failing test, side by side."""
    parent = tmp_path_factory.mktemp("tested")
    failing = copy_example("greeting", tmp_path_factory.mktemp("failing"))
    with (failing / "greeting.assist").open("a", encoding="utf-8") as source:
        source.write(FAILING_TEST)
    pizzeria = trained_pizzeria.project
    runs = cli_many(
        [
            ["test", "--format", "json", copy_example("greeting", parent)],
            ["test", copy_example("booking", parent)],
            ["test", "--format", "junit", "--junit", parent / "pizzeria.xml", pizzeria],
            ["test", "--junit", parent / "failing.xml", failing],
        ]
    )
    names = ("greeting", "booking", "pizzeria", "failing")
    return RanTests(dict(zip(names, runs, strict=True)), parent)


@pytest.mark.parametrize("name", ["greeting", "booking", "pizzeria"])
def test_every_example_passes_its_conversation_tests(tested: RanTests, name: str) -> None:
    ran = tested.runs[name]
    assert ran.code == 0, ran.describe()
    assert "Traceback" not in ran.output


def test_json_report_lists_every_conversation_test(tested: RanTests) -> None:
    ir = json.loads((tested.reports / "greeting/.assistc/build/ir.json").read_text("utf-8"))
    report = json.loads(tested.runs["greeting"].stdout)
    assert report["passed"] is True
    assert sorted(test["name"] for test in report["tests"]) == sorted(
        test["name"] for test in ir["tests"]
    )
    assert all(step["passed"] for test in report["tests"] for step in test["steps"])


def test_junit_report_has_one_testcase_per_conversation_test(
    tested: RanTests, trained_pizzeria: Trained
) -> None:
    ir = json.loads((trained_pizzeria.project / ".assistc/build/ir.json").read_text("utf-8"))
    names = sorted(test["name"] for test in ir["tests"])
    assert names
    written = tested.reports / "pizzeria.xml"
    for report in (ET.fromstring(tested.runs["pizzeria"].stdout), ET.parse(written).getroot()):
        assert report.tag == "testsuite"
        cases = report.findall("testcase")
        assert sorted(case.get("name", "") for case in cases) == names
        assert report.get("tests") == str(len(names))
        assert report.get("failures") == "0"
        assert not report.findall("testcase/failure")


def test_a_failing_conversation_test_fails_the_command_and_shows_expected_and_actual(
    tested: RanTests,
) -> None:
    ran = tested.runs["failing"]
    assert ran.code == 1, ran.describe()
    assert "FAIL  deliberately wrong" in ran.stdout
    assert "PASS  greets and leaves" in ran.stdout
    header = next(line for line in ran.stdout.splitlines() if "expected" in line)
    assert "actual" in header
    failed = next(line for line in ran.stdout.splitlines() if "bot: utter_goodbye" in line)
    assert "utter_greet" in failed  # what the assistant actually said, beside the expectation
    report = ET.parse(tested.reports / "failing.xml").getroot()
    assert report.get("tests") == "2" and report.get("failures") == "1"
    failures = report.findall("testcase/failure")
    assert len(failures) == 1
    assert "utter_goodbye" in failures[0].get("message", "")
    assert "Traceback" not in ran.output


def test_imported_rasa_formbot_passes_its_test_stories(tmp_path: Path) -> None:
    """`assistc import rasa`, then `assistc test`: formbot's test stories complete its form
    without showing the answers (`form restaurant_form completes`); the bot goes on live."""
    formbot = REPO.parent / "shared" / "rasa-examples" / "formbot"
    if not formbot.is_dir():
        pytest.skip(f"the Rasa example projects are not available at {formbot.parent}")
    imported = cli("import", "rasa", formbot, "--out", tmp_path / "formbot")
    assert imported.code == 0, imported.describe()
    assert "form restaurant_form completes" in (tmp_path / "formbot/tests.assist").read_text()
    ran = cli("test", tmp_path / "formbot")
    assert ran.code == 0, ran.describe()
    assert "3 passed, 0 failed" in ran.stdout
    assert "Traceback" not in ran.output
