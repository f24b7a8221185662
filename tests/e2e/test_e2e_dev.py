"""`assistc dev` on a copy of the pizzeria: saves swap in a new assistant while the
server keeps talking, conversations carry on, and a broken save keeps the last good one.

Each test leaves the project valid, so they share one dev server."""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from e2e_helpers import Server, copy_example, wait_for

ASK_TOPPINGS = "Which toppings would you like?"
HOURS = "We're open every day from 11:00 to 23:00."


def save_atomically(path: Path, text: str) -> None:
    """Save as many editors (and `sed -i`) do: write a temporary file beside it, then
    rename it over the original."""
    temporary = path.parent / "sedXq81Zt"
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def edit(path: Path, old: str, new: str, *, atomic: bool = False) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path}"
    (save_atomically if atomic else Path.write_text)(path, text.replace(old, new, 1))


class DevLog:
    """What `assistc dev` printed to stdout since a mark."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.mark = len(server.stdout)

    def since(self) -> str:
        return self.server.stdout[self.mark :]

    def wait_for(self, text: str) -> str:
        wait_for(f"{text!r} in the dev output", lambda: text in self.since())
        return self.since()


def next_model(server: Server, before: str) -> str:
    wait_for("a new model", lambda: server.model_id() != before)
    return server.model_id()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_example("pizzeria", tmp_path_factory.mktemp("dev"))


@pytest.fixture(scope="module")
def dev(project: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(["dev", project], tmp_path_factory.mktemp("dev-logs"))
    yield server
    server.stop()


def test_first_build_trains_and_serves(dev: Server) -> None:
    assert "start: " in dev.stdout and "retrained intent_classifier" in dev.stdout
    assert dev.model_id() in dev.stdout
    assert dev.get("/status")["assistant"] == "pizzeria"


@dataclass(frozen=True)
class Swap:
    """The first save of the session: a response text, while a conversation is mid-form."""

    before: str
    after: str
    edited: str
    reload_line: str


@pytest.fixture(scope="module")
def first_swap(dev: Server, project: Path) -> Swap:
    before = dev.model_id()
    assert dev.say("dev-a", "i want a large pizza") == [
        "Which crust: thin, classic, stuffed or gluten free?"
    ]
    log = DevLog(dev)
    edited = "Toppings? (edited while serving)"
    edit(project / "responses.assist", ASK_TOPPINGS, edited, atomic=True)
    after = next_model(dev, before)
    reloads = [line for line in log.since().splitlines() if after in line]
    assert len(reloads) == 1, log.since()
    return Swap(before, after, edited, reloads[0])


def test_a_saved_response_is_swapped_in_and_conversations_carry_on(
    dev: Server, first_swap: Swap
) -> None:
    assert first_swap.after != first_swap.before
    assert dev.say("dev-a", "thin crust") == [first_swap.edited]
    slots = dev.tracker("dev-a")["slots"]
    assert slots["size"] == "large" and slots["crust"] == "thin"  # from before the swap
    assert first_swap.reload_line.startswith(
        "responses.assist: changed response:utter_ask_toppings;"
    )  # the editor's temporary file is no change


def test_a_saved_response_retrains_no_nlu_component(first_swap: Swap) -> None:
    retrained = first_swap.reload_line.split("; retrained ", 1)[1].split(";", 1)[0]
    assert retrained == "nothing", first_swap.reload_line


def test_a_broken_save_keeps_the_last_good_model_until_fixed(dev: Server, project: Path) -> None:
    before = dev.model_id()
    log = DevLog(dev)
    edit(project / "responses.assist", "response utter_hours:\n", "response utter_hours\n")
    printed = log.wait_for("still serving the last good model")
    assert "error[E0001]" in printed and "responses.assist:" in printed
    assert dev.model_id() == before
    assert dev.say("dev-b", "what are your opening hours") == [HOURS]

    fixed = "We're open from noon (edited while serving)."
    text = (project / "responses.assist").read_text(encoding="utf-8")
    text = text.replace("response utter_hours\n", "response utter_hours:\n").replace(HOURS, fixed)
    (project / "responses.assist").write_text(text, encoding="utf-8")
    after = next_model(dev, before)
    assert after != before
    assert dev.say("dev-b", "what are your opening hours") == [fixed]
    assert "Traceback" not in dev.log
    edit(project / "responses.assist", fixed, HOURS)  # as it was, for the other tests
    next_model(dev, after)


def ask_status(dev: Server, sender: str) -> list[str]:
    """Ask for order QZ9981's status in two turns; the answers to the second."""
    assert dev.say(sender, "where is my order") == [
        "What's the order number? It looks like AB1234."
    ]
    return dev.say(sender, "QZ9981")


def test_an_action_module_that_does_not_parse_keeps_the_last_good_actions(
    dev: Server, project: Path
) -> None:
    orders = project / "actions" / "orders.py"
    good = orders.read_text(encoding="utf-8")
    before = dev.model_id()
    log = DevLog(dev)
    orders.write_text(good + "\ndef half_written(:\n", encoding="utf-8")
    try:
        printed = log.wait_for("still serving the last good model")
        assert "error[E0904]" in printed and "actions/orders.py:" in printed
        assert dev.model_id() == before
        assert ask_status(dev, "dev-c") == ["Order QZ9981: out for delivery."]
    finally:
        log = DevLog(dev)
        orders.write_text(good, encoding="utf-8")
        log.wait_for("actions/orders.py: ")


def test_an_edited_action_module_is_reloaded(dev: Server, project: Path) -> None:
    orders = project / "actions" / "orders.py"
    statuses = '_STATUSES = ("being prepared", "in the oven", "out for delivery", "delivered")'
    log = DevLog(dev)
    edit(orders, statuses, '_STATUSES = ("baking (edited while serving)",) * 4')
    log.wait_for("actions/orders.py: ")
    assert ask_status(dev, "dev-d") == ["Order QZ9981: baking (edited while serving)."]


def test_a_new_folder_is_watched_and_the_build_output_is_not(dev: Server, project: Path) -> None:
    """A folder made while serving (its first file written at once) is part of the
    assistant; deleting it removes its definitions. Rebuilds write to `.assistc`: no
    watches there, so no warnings about them either."""
    log = DevLog(dev)
    (project / "more").mkdir()
    (project / "more" / "extra.assist").write_text(
        'response utter_extra:\n  "Extra."\n', encoding="utf-8"
    )
    assert "changed response:utter_extra;" in log.wait_for("response:utter_extra")
    log = DevLog(dev)
    shutil.rmtree(project / "more")
    log.wait_for("changed response:utter_extra;")
    assert "Warning" not in dev.stderr_path.read_text(encoding="utf-8")


def test_a_new_python_action_gets_its_module_and_the_output_says_so(
    dev: Server, project: Path
) -> None:
    log = DevLog(dev)
    with (project / "forms.assist").open("a", encoding="utf-8") as source:
        source.write('\naction track_driver(order_id: order_id):\n  python "actions/driver.py"\n')
    printed = log.wait_for("created actions/driver.py")
    assert "changed action:track_driver" in printed
    module = (project / "actions" / "driver.py").read_text(encoding="utf-8")
    assert "def track_driver(" in module and "NotImplementedError" in module


def test_dev_started_on_broken_sources_says_why_and_serves_once_fixed(tmp_path: Path) -> None:
    project = copy_example("greeting", tmp_path)
    broken = project / "broken.assist"
    broken.write_text('intent broken\n  "oops"\n', encoding="utf-8")
    server = Server(["dev", project], tmp_path / "logs", wait=False)
    try:
        wait_for("the dev loop to wait for a fix", lambda: "waiting for a save" in server.stdout)
        printed = server.stdout
        assert "error[E0001]" in printed and "broken.assist:1:" in printed
        assert printed.index("error[E0001]") < printed.index("waiting for a save")
        assert "still serving" not in printed  # there is nothing to serve yet
        broken.unlink()
        server.wait_until_healthy()
        after = server.stdout[len(printed) :]
        assert after.index("broken.assist: ") < after.index("serving on http://127.0.0.1:")
        assert server.say("g", "hello there")[0] in {"Hello! How can I help?", "Hi there!"}
        server.process.send_signal(signal.SIGINT)  # Ctrl-C
        assert server.process.wait(timeout=60) in (0, 130)
        assert "Traceback" not in server.log
    finally:
        server.stop()
