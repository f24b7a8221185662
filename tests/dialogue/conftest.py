"""Fixtures: the test assistant, its trained policies, and agents over fresh stores."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dialogue_fixtures import NLU_TABLE, AgentFactory, Ent, FakeNLU, make_assistant

from assistc.runtime.dialogue.agent import Agent
from assistc.runtime.dialogue.policies import PolicyEnsemble
from assistc.runtime.dialogue.stores import InMemoryTrackerStore, TrackerStore
from assistc.runtime.ir import Assistant


@pytest.fixture(scope="session")
def assistant() -> Assistant:
    return make_assistant()


@pytest.fixture(scope="session")
def policies(assistant: Assistant) -> PolicyEnsemble:
    return PolicyEnsemble.train(assistant)


@pytest.fixture
def make_agent(assistant: Assistant, policies: PolicyEnsemble) -> Iterator[AgentFactory]:
    def build(
        store: TrackerStore | None = None,
        assistant_: Assistant | None = None,
        project_dir: Path | None = None,
        table: dict[str, tuple[str, list[Ent]]] | None = None,
    ) -> Agent:
        ir = assistant_ or assistant
        trained = policies if assistant_ is None else PolicyEnsemble.train(ir)
        return Agent(
            ir,
            FakeNLU({**NLU_TABLE, **(table or {})}),
            trained,
            store or InMemoryTrackerStore(),
            project_dir=project_dir,
        )

    yield build
