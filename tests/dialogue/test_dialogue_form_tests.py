"""Conversation tests with `form` steps, run by the test runner on the real engine: the
form's messages belong to `form F`, and `form F completes` either checks a completion that
happened live or has the agent complete the form, after which the bot acts live."""

from __future__ import annotations

from dialogue_fixtures import AgentFactory

from assistc.runtime import ir
from assistc.runtime.testing import TestResult, run_tests

ORDER: list[ir.TestStep] = [
    ir.TestUser(text="I want pizza"),
    ir.TestForm(form="pizza_form"),
    ir.TestForm(form="pizza_form", completes=True, values={"size": "large", "count": 2}),
    ir.TestBot(response="utter_summary"),
    ir.TestBot(response="utter_anything_else"),
    ir.TestUser(text="no"),
    ir.TestBot(response="utter_goodbye"),
]


def _run(make_agent: AgentFactory, steps: list[ir.TestStep]) -> TestResult:
    [result] = run_tests(make_agent(), [ir.ConversationTest(name="t", steps=steps)]).results
    return result


def _rows(result: TestResult) -> list[tuple[str, str, bool]]:
    return [(step.expected, step.actual, step.passed) for step in result.steps]


def test_a_form_completed_by_the_test_then_the_bot_acts_live(make_agent: AgentFactory) -> None:
    result = _run(make_agent, ORDER)
    assert result.passed, _rows(result)
    assert _rows(result)[1:3] == [
        ("form pizza_form", "action pizza_form", True),
        (
            'form pizza_form completes with size = "large", count = 2',
            "form pizza_form completed by the test",
            True,
        ),
    ]


def test_what_the_bot_does_after_the_completion_is_checked(make_agent: AgentFactory) -> None:
    steps = [*ORDER[:3], ir.TestBot(response="utter_goodbye")]
    result = _run(make_agent, steps)
    assert _rows(result)[3:] == [
        ("bot: utter_goodbye", 'utter_summary: "2 large pizza(s) for ."', False),
        ("(nothing)", 'utter_anything_else: "Anything else?"', False),
    ]


def test_without_a_form_step_the_forms_question_is_unexpected(make_agent: AgentFactory) -> None:
    result = _run(make_agent, [ORDER[0], *ORDER[2:]])
    assert not result.passed
    assert ("(nothing)", 'utter_ask_size: "What size?"', False) in _rows(result)


def test_a_form_step_fails_when_the_bot_says_something_else(make_agent: AgentFactory) -> None:
    result = _run(make_agent, [ir.TestUser(text="hi"), ir.TestForm(form="pizza_form")])
    assert _rows(result)[1] == ("form pizza_form", 'utter_greet: "Hey! How are you?"', False)


def test_completing_a_form_that_is_not_active_fails_the_step(make_agent: AgentFactory) -> None:
    steps: list[ir.TestStep] = [
        ir.TestUser(text="hi"),
        ir.TestBot(response="utter_greet"),
        ir.TestForm(form="pizza_form", completes=True),
    ]
    result = _run(make_agent, steps)
    assert _rows(result)[2] == (
        "form pizza_form completes",
        "form 'pizza_form' is not active (no form is)",
        False,
    )


def test_a_completion_that_happened_live_is_checked(make_agent: AgentFactory) -> None:
    answers: list[ir.TestStep] = [
        ir.TestUser(text="I want a big pizza"),
        ir.TestForm(form="pizza_form"),
        ir.TestUser(text="2"),
        ir.TestForm(form="pizza_form"),
        ir.TestUser(text="Zorblax"),
    ]
    after: list[ir.TestStep] = [
        ir.TestBot(response="utter_summary"),
        ir.TestBot(response="utter_anything_else"),
    ]
    good = ir.TestForm(form="pizza_form", completes=True, values={"size": "large", "count": 2})
    assert _run(make_agent, [*answers, good, *after]).passed
    wrong = ir.TestForm(form="pizza_form", completes=True, values={"size": "small"})
    result = _run(make_agent, [*answers, wrong, *after])
    assert _rows(result)[5] == (
        'form pizza_form completes with size = "small"',
        'form pizza_form completed with size = "large"',
        False,
    )
    assert [row[2] for row in _rows(result)[6:]] == [True, True]


def test_a_forms_messages_may_still_be_expected_after_the_form_step(
    make_agent: AgentFactory,
) -> None:
    steps: list[ir.TestStep] = [
        ir.TestUser(text="I want pizza"),
        ir.TestForm(form="pizza_form"),
        ir.TestBot(response="utter_ask_size"),
        ir.TestUser(text="large"),
        ir.TestForm(form="pizza_form"),
        ir.TestBot(text="What name is the order under?"),  # not what the form asked
    ]
    result = _run(make_agent, steps)
    assert [row[2] for row in _rows(result)] == [True, True, True, True, True, False]
    assert _rows(result)[-1] == ('bot: "What name is the order under?"', "(nothing)", False)
