"""Dialogue engine: policy training time, one message turn's latency, held-out stories.

Compiles `examples/pizzeria`, trains its dialogue policies (median of `--runs`), then plays
scripted conversations (greeting, a full pizza order through the form, small talk) and
times every `Agent.handle_message`, with the in-memory and the SQLite tracker store.
Messages are button payloads (`/intent{...}`), which bypass the NLU, so the figures are
the dialogue engine's alone: slot filling, policies, forms, responses, the store.

Long conversations: one conversation of `--long` turns (greeting and menu questions) on
the SQLite store; the figure is the median latency of its last 50 turns.

Generalisation: for each story, the policies are trained without it and must predict
its actions (rules, memoisation of the other stories, and the learned policy); the
figure is the share of the held-out stories' actions predicted exactly.

    .venv/bin/python benchmarks/dialogue_turns.py [--json] [--runs N] [--conversations N]
        [--long N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from assistc.compiler.compile import compile_project
from assistc.runtime.dialogue.agent import Agent
from assistc.runtime.dialogue.domain import domain_of
from assistc.runtime.dialogue.events import ActionExecuted
from assistc.runtime.dialogue.policies import PolicyEnsemble
from assistc.runtime.dialogue.states import story_events
from assistc.runtime.dialogue.stores import (
    InMemoryTrackerStore,
    SQLiteTrackerStore,
    TrackerStore,
)
from assistc.runtime.dialogue.tracker import Tracker
from assistc.runtime.ir import Assistant
from assistc.runtime.nlu.types import IntentPrediction, ParseResult

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "pizzeria"

SCRIPT = [
    "/greet",
    '/order_pizza{"size": "large", "topping": "mushrooms"}',
    '/choose_crust{"crust": "thin"}',
    "/ask_menu",
    '/give_phone{"phone": "+442079460958"}',
    '/give_address{"street": "12 high street"}',
    "/thank",
    "/ask_opening_hours",
    "/goodbye",
]


class NoNLU:
    """Every benchmark message is a payload; anything else would be a script error."""

    def parse(self, text: str) -> ParseResult:
        return ParseResult(text=text, intent=IntentPrediction(name="nlu_fallback", confidence=0))


def _train(assistant: Assistant, runs: int) -> tuple[PolicyEnsemble, float]:
    times = []
    policies = PolicyEnsemble.train(assistant)
    for _ in range(runs):
        start = time.perf_counter()
        policies = PolicyEnsemble.train(assistant)
        times.append(time.perf_counter() - start)
    return policies, statistics.median(times)


def _turns(agent: Agent, conversations: int) -> list[float]:
    times = []
    for number in range(conversations):
        for text in SCRIPT:
            start = time.perf_counter()
            agent.handle_message(f"bench-{number}", text)
            times.append(time.perf_counter() - start)
    return times


def long_conversation_ms(agent: Agent, turns: int) -> float:
    """Median latency (ms) of the last 50 turns of one conversation `turns` long."""
    times = []
    for number in range(turns):
        start = time.perf_counter()
        agent.handle_message("bench-long", "/greet" if number % 2 else "/ask_menu")
        times.append(time.perf_counter() - start)
    return round(statistics.median(times[-50:]) * 1000, 3)


def held_out_accuracy(assistant: Assistant) -> tuple[int, int]:
    """(actions predicted right, actions) over leave-one-story-out training runs."""
    domain = domain_of(assistant)
    right = total = 0
    for story in assistant.stories:
        rest = [other for other in assistant.stories if other is not story]
        trimmed = assistant.model_copy(update={"stories": rest})
        policies = PolicyEnsemble.train(trimmed)
        events = story_events(story.steps, domain)
        for index, event in enumerate(events):
            if not isinstance(event, ActionExecuted) or event.policy != "story":
                continue
            tracker = Tracker("held-out", events[:index], domain=domain.tracker_domain)
            total += 1
            right += policies.predict(tracker, trimmed).action == event.name
    return right, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument("--runs", type=int, default=5, help="training runs (median reported)")
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--long", type=int, default=1000, help="turns of the long conversation")
    args = parser.parse_args()
    result = compile_project(EXAMPLE)
    if result.assistant is None:
        sys.exit(f"{EXAMPLE} does not compile: {result.errors[0]}")
    assistant = result.assistant
    policies, train_seconds = _train(assistant, args.runs)
    figures: dict[str, float | int] = {
        "policy_training_ms_median": round(train_seconds * 1000, 1),
        "turns_per_store": args.conversations * len(SCRIPT),
    }
    with tempfile.TemporaryDirectory() as folder:
        stores: dict[str, TrackerStore] = {
            "memory": InMemoryTrackerStore(),
            "sqlite": SQLiteTrackerStore(Path(folder) / "trackers.db"),
        }
        for name, store in stores.items():
            agent = Agent(assistant, NoNLU(), policies, store, project_dir=EXAMPLE)
            times = sorted(_turns(agent, args.conversations))
            figures[f"turn_ms_median_{name}"] = round(statistics.median(times) * 1000, 3)
            figures[f"turn_ms_p95_{name}"] = round(times[int(0.95 * (len(times) - 1))] * 1000, 3)
        figures[f"turn_ms_median_sqlite_after_{args.long}_turns"] = long_conversation_ms(
            agent, args.long
        )
    right, total = held_out_accuracy(assistant)
    figures["held_out_story_actions"] = total
    figures["held_out_story_action_accuracy"] = round(right / total, 3) if total else 0.0
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key:32} {value}")


if __name__ == "__main__":
    main()
