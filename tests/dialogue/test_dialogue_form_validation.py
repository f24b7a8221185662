"""A form's validation action (`validate_<form>`) and prompt actions (`action_ask_<slot>`),
run through `run_form`'s `act` callback as the agent runs them, against a fake."""

from __future__ import annotations

from collections.abc import Callable

from dialogue_fixtures import make_assistant

from assistc.runtime.dialogue.actions import ActionResult
from assistc.runtime.dialogue.domain import domain_of
from assistc.runtime.dialogue.events import (
    ACTION_LISTEN,
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Event,
    SlotSet,
    UserUttered,
)
from assistc.runtime.dialogue.forms import ACTION_FAILED, run_form
from assistc.runtime.dialogue.responses import ResponseRenderer
from assistc.runtime.dialogue.tracker import REQUESTED_SLOT, Tracker
from assistc.runtime.ir import Action, Assistant, Form, FormSlot, RemoteImplementation
from assistc.runtime.nlu.types import ExtractedEntity, IntentPrediction, ParseResult

REMOTE = RemoteImplementation(url="http://127.0.0.1:5055/webhook")


def _assistant(prompt: str = "utter_ask_count") -> Assistant:
    base = make_assistant()
    form = Form(
        name="pizza_form",
        slots=[
            FormSlot(slot="size", prompt="utter_ask_size"),
            FormSlot(slot="count", prompt=prompt),
        ],
        validation="validate_pizza_form",
    )
    names = ["validate_pizza_form", *([prompt] if prompt.startswith("action_") else [])]
    actions = [Action(name=name, implementation=REMOTE) for name in names]
    return base.model_copy(update={"forms": [form], "actions": [*base.actions, *actions]})


def _said(entities: list[tuple[str, str | int]]) -> list[Event]:
    found = [
        ExtractedEntity(entity=e, value=v, start=0, end=1, extractor="fake") for e, v in entities
    ]
    parse = ParseResult(
        text="x", intent=IntentPrediction(name="inform", confidence=1.0), entities=found
    )
    return [ActionExecuted(name=ACTION_LISTEN), UserUttered(text="x", parse_data=parse)]


def _tracker(assistant: Assistant, events: list[Event]) -> Tracker:
    return Tracker("u", events, domain=domain_of(assistant).tracker_domain)


Fake = Callable[[str, Tracker], ActionResult]


def _run(assistant: Assistant, events: list[Event], act: Fake) -> ActionResult:
    domain = domain_of(assistant)
    form = domain.forms["pizza_form"]
    return run_form(form, _tracker(assistant, events), domain, ResponseRenderer(assistant), act)


def _texts(result: ActionResult) -> list[str | None]:
    return [m.text for m in result.messages]


def _slots(result: ActionResult) -> dict[str, object]:
    return {e.name: e.value for e in result.events if isinstance(e, SlotSet)}


ACTIVE: list[Event] = [
    ActionExecuted(name="pizza_form"),
    ActiveLoop(name="pizza_form"),
    SlotSet(name=REQUESTED_SLOT, value="size"),
]


def test_the_validation_action_sees_the_values_last_and_may_reject_them() -> None:
    seen: list[Tracker] = []

    def act(name: str, tracker: Tracker) -> ActionResult:
        seen.append(tracker)
        wrong = BotUttered(text="No such size", metadata={"utter_action": name})
        return ActionResult(events=[SlotSet(name="size", value=None)], messages=[wrong])

    assistant = _assistant()
    result = _run(assistant, [*ACTIVE, *_said([("size", "small")])], act)
    # as rasa-sdk's `slots_to_validate` reads them: the candidates are the last events
    assert [type(e).__name__ for e in seen[0].events[-3:]] == [
        "SlotSet",
        "ActionExecuted",
        "SlotSet",
    ]
    assert seen[0].events[-1] == SlotSet(
        name="size", value="small", timestamp=seen[0].events[-1].timestamp
    )
    assert seen[0].get_slot(REQUESTED_SLOT) == "size"
    assert _texts(result) == ["No such size", "What size?"]
    assert _slots(result) == {REQUESTED_SLOT: "size"}  # the value was not kept


def test_a_value_the_validation_action_does_not_mention_is_kept() -> None:
    def act(name: str, tracker: Tracker) -> ActionResult:
        return ActionResult(events=[SlotSet(name="count", value=3)])  # normalised

    assistant = _assistant()
    result = _run(assistant, [*ACTIVE, *_said([("size", "large"), ("number", 2)])], act)
    assert _slots(result) == {"size": "large", "count": 3, REQUESTED_SLOT: None}
    assert result.events[-1] == ActiveLoop(name=None, timestamp=result.events[-1].timestamp)


def test_the_validation_action_may_choose_the_next_slot_or_end_the_form() -> None:
    def ask_count(name: str, tracker: Tracker) -> ActionResult:
        return ActionResult(events=[SlotSet(name=REQUESTED_SLOT, value="count")])

    def stop(name: str, tracker: Tracker) -> ActionResult:
        return ActionResult(events=[SlotSet(name=REQUESTED_SLOT, value=None)])

    assistant = _assistant()
    asked = _run(assistant, [*ACTIVE, *_said([])], ask_count)
    assert _texts(asked) == ["How many?"] and _slots(asked) == {REQUESTED_SLOT: "count"}
    stopped = _run(assistant, [*ACTIVE, *_said([])], stop)
    assert isinstance(stopped.events[-1], ActiveLoop) and stopped.events[-1].name is None


def test_a_failed_validation_keeps_no_value() -> None:
    def broken(name: str, tracker: Tracker) -> ActionResult:
        failed = BotUttered(text="Sorry, something went wrong.", metadata={ACTION_FAILED: True})
        return ActionResult(messages=[failed])

    result = _run(_assistant(), [*ACTIVE, *_said([("size", "large")])], broken)
    assert _texts(result) == ["Sorry, something went wrong.", "What size?"]
    assert _slots(result) == {REQUESTED_SLOT: "size"}


def test_a_prompt_action_asks_for_its_slot() -> None:
    calls: list[str] = []

    def act(name: str, tracker: Tracker) -> ActionResult:
        calls.append(name)
        if name == "action_ask_count":
            assert tracker.get_slot(REQUESTED_SLOT) == "count"
            return ActionResult(messages=[BotUttered(text="How many pizzas, 1 to 10?")])
        return ActionResult()

    result = _run(_assistant("action_ask_count"), [*ACTIVE, *_said([("size", "large")])], act)
    assert calls == ["validate_pizza_form", "action_ask_count"]
    assert _texts(result) == ["How many pizzas, 1 to 10?"]
