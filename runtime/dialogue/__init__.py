"""The dialogue engine: trackers and their stores, policies, forms, actions, the agent."""

from assistc.runtime.dialogue.actions import ActionError, ActionExecutor, ActionResult
from assistc.runtime.dialogue.agent import Agent
from assistc.runtime.dialogue.policies import PolicyDecision, PolicyEnsemble, PolicyLoadError
from assistc.runtime.dialogue.responses import BotMessage
from assistc.runtime.dialogue.stores import (
    InMemoryTrackerStore,
    SQLiteTrackerStore,
    TrackerStore,
    TrackerStoreError,
)
from assistc.runtime.dialogue.tracker import Tracker

__all__ = [
    "ActionError",
    "ActionExecutor",
    "ActionResult",
    "Agent",
    "BotMessage",
    "InMemoryTrackerStore",
    "PolicyDecision",
    "PolicyEnsemble",
    "PolicyLoadError",
    "SQLiteTrackerStore",
    "Tracker",
    "TrackerStore",
    "TrackerStoreError",
]
