"""Sample assistants (IR built in Python) and tool runners for the action-stub tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assistc.runtime.ir import (
    Action,
    ActionParam,
    Assistant,
    Entity,
    EnumValue,
    PythonImplementation,
    RemoteImplementation,
    SlotType,
)

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GOLDEN = Path(__file__).parent / "golden" / "stubs"


def t(kind: str, entity: str | None = None, item: SlotType | None = None) -> SlotType:
    return SlotType(kind=kind, entity=entity, item=item)


def param(slot: str, slot_type: SlotType) -> ActionParam:
    return ActionParam(slot=slot, type=slot_type)


def python(path: str, function: str) -> PythonImplementation:
    return PythonImplementation(path=path, function=function)


def enum(name: str, *members: str) -> Entity:
    return Entity(name=name, kind="enum", values=[EnumValue(name=m) for m in members])


def pizza() -> Assistant:
    """Every slot type, outputs and none, two files, a shared function, a remote action."""
    return Assistant(
        name="pizza",
        entities=[
            enum("size", "small", "medium", "extra large"),
            Entity(name="topping", kind="lookup"),
            Entity(name="count", kind="builtin", builtin="number"),
            Entity(name="rank", kind="builtin", builtin="ordinal"),
            Entity(name="phone", kind="regex", pattern=r"\d+"),
        ],
        actions=[
            Action(
                name="place_order",
                inputs=[
                    param("size", t("entity", "size")),
                    param("toppings", t("list", item=t("entity", "topping"))),
                    param("guests", t("entity", "count")),
                    param("phone", t("entity", "phone")),
                ],
                outputs=[param("order_id", t("text")), param("total", t("float"))],
                implementation=python("actions/orders.py", "place_order"),
            ),
            Action(
                name="check_stock",
                inputs=[param("size", t("entity", "size"))],
                outputs=[param("in_stock", t("bool"))],
                implementation=python("actions/orders.py", "check_stock"),
            ),
            Action(
                name="log_visit",
                inputs=[param("visits", t("int")), param("extra", t("any"))],
                implementation=python("actions/audit.py", "record"),
            ),
            Action(
                name="log_order",
                inputs=[
                    param("rank", t("entity", "rank")),
                    param("sizes", t("list", item=t("entity", "size"))),
                ],
                implementation=python("actions/audit.py", "record"),
            ),
            Action(name="ping", implementation=RemoteImplementation(url="http://127.0.0.1:5055")),
        ],
    )


def awkward() -> Assistant:
    """Names that collide or shadow, long names, members that need escaping."""
    long_name = "reserve_a_table_for_a_large_party_with_special_requirements_please"
    return Assistant(
        name="awkward",
        entities=[
            enum("place_order_input", "a"),  # alias would collide with a class name
            enum("none", "yes", "no"),  # alias would be the keyword None
            enum("quote", 'say "hi"', "back\\slash", "tab\tbed"),
            enum("colour", *[f"colour number {i}" for i in range(12)]),
            enum("empty"),
        ],
        actions=[
            Action(
                name="place_order",
                inputs=[param("str", t("text")), param("list", t("list", item=t("int")))],
                outputs=[param("int", t("int"))],
                implementation=python("actions/odd.py", "place_order"),
            ),
            Action(
                name="placeOrder",
                inputs=[param("q", t("entity", "quote")), param("n", t("entity", "none"))],
                implementation=python("actions/odd.py", "place_order_camel"),
            ),
            Action(
                name=long_name,
                inputs=[
                    param("colour", t("entity", "colour")),
                    param("x", t("entity", "place_order_input")),
                ],
                outputs=[param("booking_reference_number", t("text"))],
                implementation=python("handlers/tables.py", long_name),
            ),
        ],
    )


def remote_only() -> Assistant:
    return Assistant(
        name="remote",
        actions=[Action(name="ping", implementation=RemoteImplementation(url="http://x"))],
    )


SAMPLES = {"pizza": pizza, "awkward": awkward}


def tool(name: str) -> Path:
    path = BIN / name
    if not path.exists():
        found = shutil.which(name)
        if found is None:
            pytest.skip(f"{name} is not installed in the virtualenv")
        path = Path(found)
    return path


def run_mypy(project: Path, files: list[str], cache: Path) -> subprocess.CompletedProcess[str]:
    """mypy --strict on files of a generated project. `assistc` is found through a link on
    MYPYPATH: mypy cannot see through setuptools' editable-install import hook."""
    link_root = cache / "mypypath"
    if not (link_root / "assistc").exists():
        link_root.mkdir(parents=True, exist_ok=True)
        (link_root / "assistc").symlink_to(REPO, target_is_directory=True)
    env = {**os.environ, "MYPYPATH": str(link_root)}
    command = [
        str(tool("mypy")),
        "--strict",
        "--follow-imports=silent",
        "--no-error-summary",
        f"--cache-dir={cache / 'mypy-cache'}",
        "--config-file=",
        *files,
    ]
    return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)


def run_ruff(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """ruff with the repository's rule set, isolated from any configuration file."""
    command = [str(tool("ruff")), *args, "--isolated", "--target-version=py311"]
    return subprocess.run(command, cwd=project, capture_output=True, text=True)


RUFF_RULES = "--select=E,F,W,I,B,UP,SIM,RUF"
