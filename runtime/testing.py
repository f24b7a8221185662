"""Running the conversation tests written in the language against a trained agent.

A test is a script of user messages with the bot turns, slot values and intents expected
after each. The runner plays the user's side on a fresh conversation and compares what
the tracker recorded (actions run, messages sent with the response each came from) with
what the test expects; a failing test shows expected and actual side by side. A user step
with a `meaning` gives the agent its reading, so the NLU is not asked (as `rasa test`
takes a test story's intent); one with `as` checks the NLU's.

Matching rules for the bot turns after one user message: expected steps are matched in
order; an action the test does not mention may run silently (a form's own action, a Python
action that sends nothing), but every message the bot sent must be expected by some step.
A `form F` step expects the form's action; the messages that run sent may then be expected
or not.

`form F completes` stands in for the user's answers a script leaves out (Rasa's test
stories do the same with `active_loop: null`, since `rasa test` does not run forms): if F
completed during the bot's latest turn, the step checks the given values; if F is still
active, the runner has the agent complete it with them (`complete_form`), and the next
steps are matched against what the bot then does, live: the form's `then` steps and what
the policies choose after them.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Protocol
from xml.etree import ElementTree

from assistc.runtime.dialogue.events import (
    ACTION_LISTEN,
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Event,
    UserUttered,
)
from assistc.runtime.dialogue.states import given_parse
from assistc.runtime.dialogue.tracker import Tracker
from assistc.runtime.ir import (
    Assistant,
    ConversationTest,
    JsonValue,
    TestBot,
    TestForm,
    TestSlot,
    TestUser,
)
from assistc.runtime.nlu.types import ParseResult

NOTHING = "(nothing)"


class TestableAgent(Protocol):
    """What the runner needs from an agent (the dialogue engine's `Agent` provides it)."""

    @property
    def assistant(self) -> Assistant: ...

    def handle_message(
        self, sender_id: str, text: str, *, reading: ParseResult | None = None
    ) -> Sequence[object]: ...

    def complete_form(
        self, sender_id: str, form: str, values: dict[str, JsonValue]
    ) -> Sequence[object]: ...

    def tracker(self, sender_id: str) -> Tracker | None: ...


@dataclass(frozen=True)
class StepResult:
    """One row of the side-by-side view."""

    expected: str
    actual: str
    passed: bool


@dataclass(frozen=True)
class TestResult:
    __test__ = False  # not a pytest class

    name: str
    steps: list[StepResult]
    seconds: float
    error: str | None = None
    """Set when the agent raised: the test could not run to its end."""

    @property
    def passed(self) -> bool:
        return self.error is None and all(step.passed for step in self.steps)


@dataclass(frozen=True)
class TestReport:
    __test__ = False

    results: list[TestResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return all(result.passed for result in self.results)

    @property
    def failures(self) -> list[TestResult]:
        return [result for result in self.results if not result.passed]


@dataclass(frozen=True)
class _Item:
    """One thing the bot did after a user message: ran an action, sent a message (`by`
    the action that sent it), or completed a form."""

    action: str | None = None
    response: str | None = None
    text: str | None = None
    by: str | None = None
    completed: str | None = None
    optional: bool = False
    """A message of a form run the test expected with `form F`: it may be expected, or not."""

    @property
    def message(self) -> bool:
        """A message some step must expect."""
        return self.action is None and self.completed is None and not self.optional

    def describe(self) -> str:
        if self.action is not None:
            return f"action {self.action}"
        if self.completed is not None:
            return f"form {self.completed} completed"
        shown = json.dumps(self.text, ensure_ascii=False) if self.text else "(no text)"
        return f"{self.response or 'message'}: {shown}"


def run_tests(agent: TestableAgent, tests: Sequence[ConversationTest] | None = None) -> TestReport:
    """Run `tests` (default: all of the agent's assistant's tests), each as a new sender.

    Give the agent an in-memory store: the runner's conversations are throwaway.
    """
    started = time.perf_counter()
    chosen = agent.assistant.tests if tests is None else tests
    results = [_run_one(agent, test) for test in chosen]
    return TestReport(results=results, seconds=time.perf_counter() - started)


def _fresh_sender(agent: TestableAgent, name: str) -> str:
    sender_id, number = f"test:{name}", 1
    while agent.tracker(sender_id) is not None:
        number += 1
        sender_id = f"test:{name}#{number}"
    return sender_id


def _run_one(agent: TestableAgent, test: ConversationTest) -> TestResult:
    started = time.perf_counter()
    sender_id = _fresh_sender(agent, test.name)
    forms = frozenset(form.name for form in agent.assistant.forms)
    rows: list[StepResult] = []
    pending: list[_Item] = []
    slots: dict[str, Any] = {slot.name: slot.initial for slot in agent.assistant.slots}
    try:
        for step in test.steps:
            if isinstance(step, TestUser):
                rows.extend(_unexpected(pending))
                tracker = _send(agent, sender_id, step)
                pending = _bot_items(tracker, forms)
                slots = tracker.slots
                rows.append(_check_user(step, tracker))
            elif isinstance(step, TestBot):
                rows.append(_match(_expectation(step), pending, functools.partial(_matches, step)))
            elif isinstance(step, TestSlot):
                rows.append(_check_slot(step, slots))
            elif not step.completes:
                rows.append(_match(f"form {step.form}", pending, _runs(step.form), step.form))
            elif any(item.completed == step.form for item in pending):
                rows.append(_completed_live(step, pending, slots))
            else:
                rows.extend(_unexpected(pending))
                row, pending, slots = _complete(agent, sender_id, step, forms, slots)
                rows.append(row)
        rows.extend(_unexpected(pending))
    except Exception as error:  # user action code or the engine failed: report, go on
        return TestResult(
            test.name, rows, time.perf_counter() - started, f"{type(error).__name__}: {error}"
        )
    return TestResult(test.name, rows, time.perf_counter() - started)


def _send(agent: TestableAgent, sender_id: str, step: TestUser) -> Tracker:
    """Say the step's text; with a `meaning`, the agent takes that reading (no NLU)."""
    given = given_parse(step.meaning, step.text, "test") if step.meaning else None
    agent.handle_message(sender_id, step.text, reading=given)
    return _current(agent, sender_id)


def _current(agent: TestableAgent, sender_id: str) -> Tracker:
    tracker = agent.tracker(sender_id)
    if tracker is None:
        raise RuntimeError(f"the agent kept no conversation for {sender_id!r}")
    return tracker


def _bot_items(tracker: Tracker, forms: frozenset[str]) -> list[_Item]:
    """What the bot did since the latest user message, in order."""
    applied = tracker.applied_events()
    start = next(
        (i for i in range(len(applied) - 1, -1, -1) if isinstance(applied[i], UserUttered)), -1
    )
    return _items(applied[start + 1 :], forms)


def _items(events: Sequence[Event], forms: frozenset[str]) -> list[_Item]:
    items: list[_Item] = []
    running: str | None = None
    for event in events:
        if isinstance(event, ActionExecuted):
            running = event.name
            if event.name != ACTION_LISTEN:
                items.append(_Item(action=event.name))
        elif isinstance(event, BotUttered):
            response = event.metadata.get("utter_action")
            items.append(_Item(response=response, text=event.text, by=running))
        elif isinstance(event, ActiveLoop) and event.name is None and running in forms:
            items.append(_Item(completed=running))
    return items


def _complete(
    agent: TestableAgent,
    sender_id: str,
    step: TestForm,
    forms: frozenset[str],
    slots: dict[str, Any],
) -> tuple[StepResult, list[_Item], dict[str, Any]]:
    """Have the agent complete the active form; what the bot does next is pending."""
    expected = _completion(step.form, step.values)
    before = agent.tracker(sender_id)
    seen = len(before.events) if before is not None else 0
    try:
        agent.complete_form(sender_id, step.form, step.values)
    except ValueError as refused:
        return StepResult(expected, str(refused), False), [], slots
    tracker = _current(agent, sender_id)
    actual = f"form {step.form} completed by the test"
    return StepResult(expected, actual, True), _items(tracker.events[seen:], forms), tracker.slots


def _completed_live(step: TestForm, pending: list[_Item], slots: dict[str, Any]) -> StepResult:
    """The form completed during the bot's turn: the values given must be its values."""
    index = next(i for i, item in enumerate(pending) if item.completed == step.form)
    unexpected = [item for item in pending[:index] if item.message and item.by != step.form]
    del pending[: index + 1]
    if unexpected:
        return StepResult(_completion(step.form, step.values), unexpected[0].describe(), False)
    actual = {slot: slots.get(slot) for slot in step.values}
    same = all(_same(actual[slot], value) for slot, value in step.values.items())
    return StepResult(
        _completion(step.form, step.values), _completion(step.form, actual, "completed"), same
    )


def _completion(form: str, values: dict[str, Any], verb: str = "completes") -> str:
    shown = ", ".join(f"{slot} = {_show(value)}" for slot, value in values.items())
    return f"form {form} {verb}" + (f" with {shown}" if shown else "")


def _check_user(step: TestUser, tracker: Tracker) -> StepResult:
    expected = f"user: {json.dumps(step.text, ensure_ascii=False)}"
    parsed = tracker.latest_message
    intent = parsed.intent.name if parsed is not None else NOTHING
    if step.meaning is not None:
        return StepResult(f"{expected} meaning {step.meaning.intent}", f"intent {intent}", True)
    if step.intent is None:
        return StepResult(expected, f"intent {intent}", True)
    confidence = f" ({parsed.intent.confidence:.2f})" if parsed is not None else ""
    return StepResult(
        f"{expected} intent {step.intent}", f"intent {intent}{confidence}", intent == step.intent
    )


def _expectation(step: TestBot) -> str:
    if step.response is not None:
        return f"bot: {step.response}"
    if step.text is not None:
        return f"bot: {json.dumps(step.text, ensure_ascii=False)}"
    return f"bot: action {step.action}"


def _matches(step: TestBot, item: _Item) -> bool:
    if item.action is not None:
        return step.action is not None and item.action == step.action
    if step.response is not None:
        return item.response == step.response
    return step.text is not None and item.text == step.text


def _runs(form: str) -> Callable[[_Item], bool]:
    return lambda item: item.action == form


def _match(
    expected: str, pending: list[_Item], matches: Callable[[_Item], bool], owner: str | None = None
) -> StepResult:
    """Consume `pending` up to the first item that `matches` or is a message; for a match,
    the messages `owner` sent right after it become optional.

    Silent actions before a match may be skipped; a message may not, so a message that
    does not match is this step's failure (and is consumed, not reported twice).
    """
    for index, item in enumerate(pending):
        matched = matches(item)
        if matched or item.message:
            del pending[: index + 1]
            end = 0
            while matched and owner and end < len(pending) and pending[end].by == owner:
                pending[end] = replace(pending[end], optional=True)
                end += 1
            return StepResult(expected, item.describe(), matched)
    pending.clear()
    return StepResult(expected, NOTHING, False)


def _unexpected(pending: list[_Item]) -> list[StepResult]:
    """Messages left over after a turn's expected steps; clears `pending`."""
    rows = [StepResult(NOTHING, i.describe(), False) for i in pending if i.message]
    pending.clear()
    return rows


def _check_slot(step: TestSlot, slots: dict[str, Any]) -> StepResult:
    expected = f"slot {step.slot} = {_show(step.value)}"
    if step.slot not in slots:
        return StepResult(expected, f"no slot {step.slot}", False)
    actual = slots[step.slot]
    return StepResult(expected, f"slot {step.slot} = {_show(actual)}", _same(actual, step.value))


def _same(actual: Any, expected: JsonValue) -> bool:
    """Slot equality as JSON sees it: 3 == 3.0, but True is not 1."""
    if isinstance(actual, bool) or isinstance(expected, bool):
        return type(actual) is type(expected) and actual == expected
    return bool(actual == expected)


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


# --------------------------------------------------------------------------- renderers


def render_text(report: TestReport) -> str:
    """A summary line per test; failing tests get expected and actual side by side."""
    lines: list[str] = []
    for result in report.results:
        lines.append(f"{'PASS' if result.passed else 'FAIL'}  {result.name}")
        if not result.passed:
            lines.extend(_side_by_side(result))
    failed = len(report.failures)
    lines.append(
        f"{len(report.results) - failed} passed, {failed} failed in {report.seconds:.2f} s"
    )
    return "\n".join(lines) + "\n"


def _side_by_side(result: TestResult) -> list[str]:
    width = max([len("expected"), *(len(step.expected) for step in result.steps)])
    lines = [f"      {'expected'.ljust(width)} | actual"]
    for step in result.steps:
        mark = "  " if step.passed else "✗ "
        lines.append(f"    {mark}{step.expected.ljust(width)} | {step.actual}")
    if result.error is not None:
        lines.append(f"    ✗ stopped: {result.error}")
    return lines


def render_json(report: TestReport) -> str:
    data = {
        "passed": report.passed,
        "seconds": round(report.seconds, 4),
        "tests": [
            {**asdict(result), "passed": result.passed, "seconds": round(result.seconds, 4)}
            for result in report.results
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def render_junit(report: TestReport, suite: str = "assistc") -> str:
    """JUnit XML, as CI systems read it; the failure body is the side-by-side view."""
    root = ElementTree.Element(
        "testsuite",
        name=suite,
        tests=str(len(report.results)),
        failures=str(sum(r.error is None and not r.passed for r in report.results)),
        errors=str(sum(r.error is not None for r in report.results)),
        time=f"{report.seconds:.3f}",
    )
    for result in report.results:
        case = ElementTree.SubElement(
            root, "testcase", name=result.name, classname=suite, time=f"{result.seconds:.3f}"
        )
        if result.passed:
            continue
        kind = "failure" if result.error is None else "error"
        first = next((step for step in result.steps if not step.passed), None)
        message = result.error or (
            f"expected {first.expected}, got {first.actual}" if first else "failed"
        )
        detail = ElementTree.SubElement(case, kind, message=message)
        detail.text = "\n".join(_side_by_side(result))
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
