"""The conversation-test runner: matching rules, side-by-side failures, renderers."""

from __future__ import annotations

import json
from xml.etree import ElementTree

from runtime_fakes import ScriptedAgent

from assistc.runtime import ir
from assistc.runtime.ir import Assistant, ConversationTest, Slot, SlotType, TestStep
from assistc.runtime.testing import render_json, render_junit, render_text, run_tests

SCRIPT = {
    "hi": ("greet", [("utter_greet", [("utter_greet", "Hello!")])], {}),
    "I am Ann": (
        "tell_name",
        [
            ("action_store_name", []),
            ("action_welcome", [("utter_welcome", "Welcome, Ann"), (None, "Anything else?")]),
        ],
        {"name": "Ann"},
    ),
    "bye": ("goodbye", [("utter_bye", [("utter_bye", "Bye")])], {}),
}


def make_agent(*tests: tuple[str, list[TestStep]]) -> ScriptedAgent:
    assistant = Assistant(
        name="t",
        slots=[Slot(name="name", type=SlotType(kind="text"), initial="nobody")],
        tests=[ConversationTest(name=name, steps=steps) for name, steps in tests],
    )
    return ScriptedAgent(assistant, SCRIPT)


GOOD: list[TestStep] = [
    ir.TestSlot(slot="name", value="nobody"),
    ir.TestUser(text="hi", intent="greet"),
    ir.TestBot(response="utter_greet"),
    ir.TestUser(text="I am Ann"),
    ir.TestBot(action="action_welcome"),
    ir.TestBot(response="utter_welcome"),
    ir.TestBot(text="Anything else?"),
    ir.TestSlot(slot="name", value="Ann"),
]


def test_passing_test_with_responses_texts_actions_slots() -> None:
    report = run_tests(make_agent(("good", GOOD)))
    assert report.passed
    [result] = report.results
    assert [step.passed for step in result.steps] == [True] * 8
    assert "PASS  good" in render_text(report)


def test_unmentioned_silent_action_is_skipped_but_messages_are_not() -> None:
    silent_ok: list[TestStep] = [ir.TestUser(text="I am Ann"), ir.TestBot(response="utter_welcome")]
    report = run_tests(make_agent(("silent", silent_ok)))
    [result] = report.results
    assert not result.passed  # "Anything else?" was sent but not expected
    assert result.steps[-1].expected == "(nothing)"
    assert result.steps[-1].actual == 'message: "Anything else?"'
    assert [step.passed for step in result.steps[:-1]] == [True, True]


def test_failures_show_expected_and_actual_side_by_side() -> None:
    bad: list[TestStep] = [
        ir.TestUser(text="hi", intent="goodbye"),
        ir.TestBot(response="utter_bye"),
        ir.TestUser(text="bye"),
        ir.TestBot(response="utter_bye"),
        ir.TestBot(text="See you"),
        ir.TestSlot(slot="name", value="Bob"),
        ir.TestSlot(slot="age", value=3),
    ]
    report = run_tests(make_agent(("good", GOOD), ("bad", bad)))
    assert not report.passed
    assert [result.name for result in report.failures] == ["bad"]
    steps = report.failures[0].steps
    assert [(s.expected, s.actual, s.passed) for s in steps] == [
        ('user: "hi" intent goodbye', "intent greet (0.80)", False),
        ("bot: utter_bye", 'utter_greet: "Hello!"', False),
        ('user: "bye"', "intent goodbye", True),
        ("bot: utter_bye", 'utter_bye: "Bye"', True),
        ('bot: "See you"', "(nothing)", False),
        ('slot name = "Bob"', 'slot name = "nobody"', False),
        ("slot age = 3", "no slot age", False),
    ]
    text = render_text(report)
    assert "FAIL  bad" in text
    assert "1 passed, 1 failed" in text
    row = next(line for line in text.splitlines() if "See you" in line)
    assert row.strip().startswith("✗") and row.endswith("| (nothing)")


def test_an_agent_error_stops_the_test_and_is_reported() -> None:
    broken: list[TestStep] = [
        ir.TestUser(text="hi"),
        ir.TestBot(response="utter_greet"),
        ir.TestUser(text="unknown text"),
    ]
    report = run_tests(make_agent(("broken", broken)))
    [result] = report.results
    assert not result.passed
    assert result.error is not None and "unknown text" in result.error
    assert [step.passed for step in result.steps] == [True, True]
    assert "stopped: KeyError" in render_text(report)


def test_a_given_meaning_is_passed_to_the_agent_and_not_checked() -> None:
    given: list[TestStep] = [
        ir.TestUser(text="hi", meaning=ir.UserStep(intent="goodbye")),
        ir.TestBot(response="utter_greet"),
    ]
    [result] = run_tests(make_agent(("given", given))).results
    assert result.passed
    assert (result.steps[0].expected, result.steps[0].actual) == (
        'user: "hi" meaning goodbye',
        "intent goodbye",
    )


def test_each_test_gets_a_fresh_conversation() -> None:
    agent = make_agent(("good", GOOD))
    assert run_tests(agent).passed
    assert run_tests(agent).passed  # the second run must not see the first run's slots
    assert sorted(agent.trackers) == ["test:good", "test:good#2"]


def test_json_and_junit_renderers() -> None:
    bad: list[TestStep] = [ir.TestUser(text="hi"), ir.TestBot(response="utter_bye")]
    broken: list[TestStep] = [ir.TestUser(text="nope")]
    report = run_tests(make_agent(("good", GOOD), ("bad", bad), ("broken", broken)))
    data = json.loads(render_json(report))
    assert data["passed"] is False
    assert [(t["name"], t["passed"]) for t in data["tests"]] == [
        ("good", True),
        ("bad", False),
        ("broken", False),
    ]
    assert data["tests"][1]["steps"][1] == {
        "expected": "bot: utter_bye",
        "actual": 'utter_greet: "Hello!"',
        "passed": False,
    }
    suite = ElementTree.fromstring(render_junit(report).encode())
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "1", "1")
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert list(cases["good"]) == []
    failure = cases["bad"].find("failure")
    assert failure is not None
    assert failure.get("message") == 'expected bot: utter_bye, got utter_greet: "Hello!"'
    assert "utter_greet" in (failure.text or "")
    assert cases["broken"].find("error") is not None
