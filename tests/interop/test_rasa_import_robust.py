"""Broken Rasa projects never crash the importer: every problem is a diagnostic.

Each case takes an example project, replaces one random node of one YAML file with a
value of the wrong shape (or truncates the file), and imports it. Seeded, so failures
reproduce."""

from __future__ import annotations

import random
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from interop_helpers import EXAMPLE_NAMES, assert_parses, example_dir

from assistc.compiler.rasa_import import import_rasa
from assistc.dsl.diagnostics import CODES

REPLACEMENTS: list[Any] = [
    None,
    "x y",
    3,
    2.5,
    True,
    [],
    {},
    ["a", {"b": None}],
    {"k": [1]},
    'a\u2028b\r"c\\',
]
CASES = 80


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found.extend(_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_paths(value, (*prefix, index)))
    return found


def _replace(node: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, *rest = path
    node[head] = _replace(node[head], tuple(rest), value)
    return node


def _mutate(folder: Path, rng: random.Random) -> None:
    files = sorted(folder.rglob("*.yml"))
    target = rng.choice(files)
    text = target.read_text(encoding="utf-8")
    if rng.random() < 0.2:
        target.write_text(text[: rng.randrange(len(text) + 1)], encoding="utf-8")
        return
    data = yaml.safe_load(text)
    path = rng.choice(_paths(data))
    mutated = _replace(data, path, rng.choice(REPLACEMENTS))
    target.write_text(yaml.safe_dump(mutated, sort_keys=False), encoding="utf-8")


@pytest.mark.parametrize("case", range(CASES))
def test_mutated_projects_import_without_crashing(case: int, tmp_path: Path) -> None:
    rng = random.Random(case)
    name = EXAMPLE_NAMES[case % len(EXAMPLE_NAMES)]
    project = tmp_path / name
    shutil.copytree(example_dir(name), project)
    _mutate(project, rng)
    report = import_rasa(project, tmp_path / "out")
    assert all(d.code in CODES for d in report.diagnostics)
    texts = {p.name: p.read_text(encoding="utf-8") for p in report.files}
    assert_parses(texts)
