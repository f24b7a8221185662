"""The dialogue engine: trackers and their stores, policies, forms, actions, the agent.

Import from the modules (`agent.Agent`, `policies.PolicyEnsemble`, `stores.SQLiteTrackerStore`,
`responses.BotMessage`, `tracker.Tracker`, `actions.ActionExecutor`, ...): the package
itself imports nothing, so reading a tracker store does not load scikit-learn or httpx.
"""
