"""Python actions: the calling convention, typed outputs, errors, reloading."""

from __future__ import annotations

import logging
import os
import sys
import textwrap
from pathlib import Path

import pytest
from dialogue_fixtures import AgentFactory, texts

from assistc.runtime.dialogue.actions import ActionError, module_name
from assistc.runtime.ir import Assistant

CONTRACTS = """
from dataclasses import dataclass

@dataclass(frozen=True)
class ActionCheckOrderInput:
    size: str | None
    count: int | None

@dataclass(frozen=True)
class ActionCheckOrderOutput:
    in_stock: bool | None

@dataclass(frozen=True)
class ActionCrashInput:
    pass

INPUT_TYPES = {"action_check_order": ActionCheckOrderInput, "action_crash": ActionCrashInput}
"""

ORDERS = """
from actions._contracts import ActionCheckOrderInput, ActionCheckOrderOutput

def check(inputs, ctx):
    assert isinstance(inputs, ActionCheckOrderInput)
    assert ctx.latest_message.intent.name == "check_order"
    assert ctx.slots["size"] == inputs.size
    try:
        ctx.slots["size"] = "small"
    except TypeError:
        pass
    else:
        raise AssertionError("ctx.slots must be read-only")
    ctx.send(f"checking {inputs.size} for {ctx.sender_id}")
    ctx.utter("utter_summary", name="you")
    return ActionCheckOrderOutput(in_stock=inputs.size == "large")

def crash(inputs, ctx):
    raise RuntimeError("boom in user code")
"""


def _project(root: Path, orders: str, contracts: str | None = CONTRACTS) -> Path:
    (root / "actions").mkdir(parents=True)
    (root / "actions" / "orders.py").write_text(textwrap.dedent(orders))
    if contracts is not None:
        (root / "actions" / "_contracts.py").write_text(contracts)
    return root


def _touch_later(path: Path, text: str) -> None:
    """Rewrite a file so its modification time surely differs from the old one."""
    stat = path.stat()
    path.write_text(text)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))


def test_action_gets_typed_inputs_and_sets_typed_outputs(
    make_agent: AgentFactory, tmp_path: Path
) -> None:
    agent = make_agent(project_dir=_project(tmp_path, ORDERS))
    agent.handle_message("u", "large")  # size is filled outside any form
    assert texts(agent.handle_message("u", "check")) == [
        "checking large for u",
        " large pizza(s) for you.",
    ]
    tracker = agent.tracker("u")
    assert tracker is not None and tracker.get_slot("in_stock") is True


def test_without_contracts_inputs_are_a_namespace(make_agent: AgentFactory, tmp_path: Path) -> None:
    orders = """
    def check(inputs, ctx):
        return {"in_stock": f"{inputs.size}/{inputs.count}" == "None/None" and "yes"}
    """
    agent = make_agent(project_dir=_project(tmp_path, orders, contracts=None))
    agent.handle_message("u", "check")
    tracker = agent.tracker("u")
    assert tracker is not None and tracker.get_slot("in_stock") is True  # "yes" coerced


def test_exception_in_user_code_sends_the_error_response_and_goes_on(
    make_agent: AgentFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    agent = make_agent(project_dir=_project(tmp_path, ORDERS))
    with caplog.at_level(logging.ERROR, logger="assistc.runtime"):
        replies = texts(agent.handle_message("u", "crash"))
    assert replies == ["Sorry, something went wrong on my side.", "Anything else?"]
    record = next(r for r in caplog.records if r.exc_info)
    assert "boom in user code" in caplog.text
    assert record.exc_info is not None and record.exc_info[2] is not None
    assert str(tmp_path / "actions" / "orders.py") in caplog.text  # the user's frame
    assert texts(agent.handle_message("u", "hi")) == ["Hey! How are you?"]


@pytest.mark.parametrize(
    "result",
    ['{"in_stock": "perhaps"}', '{"price": 3}', "42", "None"],
)
def test_outputs_that_do_not_fit_are_an_action_error(
    make_agent: AgentFactory, tmp_path: Path, result: str
) -> None:
    orders = f"def check(inputs, ctx):\n    return {result}\n"
    agent = make_agent(project_dir=_project(tmp_path, orders))
    assert texts(agent.handle_message("u", "check")) == ["Sorry, something went wrong on my side."]
    tracker = agent.tracker("u")
    assert tracker is not None and tracker.get_slot("in_stock") is None


def test_edited_action_file_is_reloaded(make_agent: AgentFactory, tmp_path: Path) -> None:
    project = _project(tmp_path, "def check(inputs, ctx):\n    ctx.send('v1')\n    return {}\n")
    agent = make_agent(project_dir=project)
    assert texts(agent.handle_message("u", "check")) == ["v1"]
    _touch_later(
        project / "actions" / "orders.py",
        "def check(inputs, ctx):\n    ctx.send('v2')\n    return {}\n",
    )
    assert texts(agent.handle_message("u", "check")) == ["v2"]


def test_two_projects_each_get_their_own_actions(make_agent: AgentFactory, tmp_path: Path) -> None:
    one = make_agent(
        project_dir=_project(
            tmp_path / "one", "def check(i, ctx):\n    ctx.send('one')\n    return {}\n"
        )
    )
    two = make_agent(
        project_dir=_project(
            tmp_path / "two", "def check(i, ctx):\n    ctx.send('two')\n    return {}\n"
        )
    )
    assert texts(one.handle_message("u", "check")) == ["one"]
    assert texts(two.handle_message("u", "check")) == ["two"]
    assert texts(one.handle_message("v", "check")) == ["one"]


def test_missing_function_or_folder_is_an_error_message(
    make_agent: AgentFactory, tmp_path: Path
) -> None:
    agent = make_agent(project_dir=_project(tmp_path, "def other(i, ctx):\n    return None\n"))
    assert texts(agent.handle_message("u", "check")) == ["Sorry, something went wrong on my side."]
    no_folder = make_agent()
    assert texts(no_folder.handle_message("u", "check")) == [
        "Sorry, something went wrong on my side."
    ]


def test_action_paths_map_to_module_names() -> None:
    assert module_name("actions/orders.py") == "actions.orders"
    assert module_name("actions/sub/deep.py") == "actions.sub.deep"
    for bad in ("../x.py", "/abs/x.py", "actions/x.txt"):
        with pytest.raises(ActionError):
            module_name(bad)


def test_editing_a_helper_module_reloads_the_actions_using_it(
    make_agent: AgentFactory, tmp_path: Path
) -> None:
    orders = """
    from actions.helpers import word

    def check(i, ctx):
        ctx.send(word())
        return {}
    """
    project = _project(tmp_path, orders)
    helper = project / "actions" / "helpers.py"
    helper.write_text("def word():\n    return 'old'\n")
    agent = make_agent(project_dir=project)
    assert texts(agent.handle_message("u", "check")) == ["old"]
    _touch_later(helper, "def word():\n    return 'new'\n")
    assert texts(agent.handle_message("u", "check")) == ["new"]


def test_reload_actions_forces_a_fresh_import(
    make_agent: AgentFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A cached .pyc with the same source time and size would hide the edit from Python
    # itself; this test is about the agent's module cache, so none is written.
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    project = _project(tmp_path, "def check(i, ctx):\n    ctx.send('v1')\n    return {}\n")
    agent = make_agent(project_dir=project)
    assert texts(agent.handle_message("u", "check")) == ["v1"]
    source = project / "actions" / "orders.py"
    stat = source.stat()
    source.write_text("def check(i, ctx):\n    ctx.send('v2')\n    return {}\n")
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size and time
    assert texts(agent.handle_message("u", "check")) == ["v1"]  # no visible change
    agent.reload_actions()
    assert texts(agent.handle_message("u", "check")) == ["v2"]


def test_a_failed_form_step_skips_the_steps_after_it(
    make_agent: AgentFactory, assistant: Assistant, tmp_path: Path
) -> None:
    """A confirmation must not follow a failed booking: `then crash, then summary` stops
    after the crash."""
    form = assistant.forms[0].model_copy(update={"on_complete": ["action_crash", "utter_summary"]})
    changed = assistant.model_copy(update={"forms": [form]})
    agent = make_agent(assistant_=changed, project_dir=_project(tmp_path, ORDERS))
    for text in ("I want pizza", "large", "2"):
        agent.handle_message("u", text)
    replies = texts(agent.handle_message("u", "Zorblax"))
    assert replies[0] == "Sorry, something went wrong on my side."
    assert "2 large pizza(s) for Zorblax." not in replies
