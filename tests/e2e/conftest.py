"""Fixtures shared by the end-to-end tests: one trained copy of the pizzeria example."""

from __future__ import annotations

import pytest
from e2e_helpers import Trained, cli, copy_example


@pytest.fixture(scope="session")
def trained_pizzeria(tmp_path_factory: pytest.TempPathFactory) -> Trained:
    project = copy_example("pizzeria", tmp_path_factory.mktemp("trained"))
    ran = cli("train", project)
    assert ran.code == 0, ran.describe()
    return Trained(project, ran)
