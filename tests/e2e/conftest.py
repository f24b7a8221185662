"""Fixtures shared by the end-to-end tests: one trained copy of the pizzeria example."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from e2e_helpers import Ran, cli, copy_example


@dataclass(frozen=True)
class Trained:
    """A copy of examples/pizzeria after `assistc train`; tests copy it before changing it."""

    project: Path
    first_train: Ran


@pytest.fixture(scope="session")
def trained_pizzeria(tmp_path_factory: pytest.TempPathFactory) -> Trained:
    project = copy_example("pizzeria", tmp_path_factory.mktemp("trained"))
    ran = cli("train", project)
    assert ran.code == 0, ran.describe()
    return Trained(project, ran)
