"""Dialogue policies: choosing the bot's next action, and saving what was learned.

Priority order (the first that has an answer decides):

0. **follow-up** – an action asked for the next one (`FollowupAction`) → that action.
1. **restart** – the user's intent is `restart` → `action_restart`.
2. **form follow-ups** – a form just completed → its next `on_complete` action.
3. **rules** – deterministic matching of rules on the conversation's end
   (`assistc.runtime.dialogue.rules`), confidence 1.
4. **form** – a form is active → its action (validate, ask the next slot), then listen.
5. **NLU fallback** – the intent is `nlu_fallback` and no rule handled it → fallback.
6. **memoisation** – the last `max_history` dialogue states equal a point of a story →
   the story's next action, confidence 1. Stories' `user "text"` turns are remembered by
   their text: the history is first read with every message whose text some story has
   as that text (`text:` states), then, if that matches no story, by intents; so a
   story's text turn takes precedence over the intent the NLU gave the same message.
7. **learned** – logistic regression over the featurised last `max_history` states, for
   histories no story covered; below `core_fallback_threshold` → fallback. It reads
   intents only: windows with a text turn are not among its training samples.

"Fallback" means `config.fallback_action` while the user's message is still unanswered,
and `action_listen` once the bot has said something this turn.

`PolicyEnsemble.save` writes JSON (memo, vocabulary, classes) and an `.npz` of the
coefficients; nothing is pickled, and `load` checks the format version and the shapes.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from assistc.runtime.dialogue.domain import ACTION_RESTART, RESTART_INTENT, Domain, domain_of
from assistc.runtime.dialogue.events import ACTION_LISTEN
from assistc.runtime.dialogue.forms import completion_followup
from assistc.runtime.dialogue.rules import RulePolicy
from assistc.runtime.dialogue.states import (
    TEXT_PREFIX,
    State,
    dialogue_states,
    story_events,
    windows,
)
from assistc.runtime.dialogue.tracker import Tracker
from assistc.runtime.ir import Assistant, Step, UserStep, UserTextStep, fingerprint, user_text_key
from assistc.runtime.nlu.types import NLU_FALLBACK_INTENT

FORMAT = "assistc-policies"
FORMAT_VERSION = 1
POLICIES_FILE = "policies.json"
WEIGHTS_FILE = "learned.npz"

Window = tuple[State, ...]


class PolicyLoadError(Exception):
    """Saved policies are missing, corrupt, or from another format version."""


class PolicyDecision(BaseModel):
    action: str
    confidence: float
    policy: str


def dialogue_fingerprint(assistant: Assistant) -> str:
    """Fingerprint of every IR part the trained policies depend on."""
    parts = ("stories", "rules", "slots", "forms", "entities")
    data = assistant.model_dump(mode="json", include=set(parts))
    return fingerprint(assistant.config.max_history, assistant.config.seed, data)


def _memo_key(window: Window) -> str:
    return json.dumps([list(state) for state in window], separators=(",", ":"))


def _tokens(window: Window) -> list[str]:
    """Position-tagged features; position 0 is the current state."""
    return [f"{age}|{token}" for age, state in enumerate(reversed(window)) for token in state]


def story_texts(assistant: Assistant) -> frozenset[str]:
    """The `user_text_key`s of the stories' `user "text"` turns."""
    return frozenset(
        user_text_key(step.text)
        for story in assistant.stories
        for step in story.steps
        if isinstance(step, UserTextStep)
    )


def _has_text_turn(window: Window) -> bool:
    return any(token.startswith(TEXT_PREFIX) for state in window for token in state)


AUGMENTED_PER_STORY = 10
MAX_AUGMENTED = 400


def _learned_trajectories(assistant: Assistant) -> list[list[Step]]:
    """Rules (those that can happen anywhere) and seeded random conversations made of a
    story followed by one or two story tails (from one of their user steps) or rules, so
    the learned policy sees every part of a story after other talk, as it will at runtime
    (like Rasa's story augmentation)."""
    stories = [list(story.steps) for story in assistant.stories]
    rules = [
        list(rule.steps)
        for rule in assistant.rules
        if not (rule.conversation_start or rule.conditions or rule.active_form)
    ]
    tails = [
        steps[index:]
        for steps in stories
        for index, step in enumerate(steps)
        if isinstance(step, UserStep)
    ] + rules
    trajectories = list(rules)
    if not stories or not tails:
        return trajectories
    rng = random.Random(assistant.config.seed)
    for _ in range(min(MAX_AUGMENTED, AUGMENTED_PER_STORY * len(tails))):
        steps = list(rng.choice(stories))
        for _ in range(rng.choice((1, 2))):
            steps += rng.choice(tails)
        trajectories.append(steps)
    return trajectories


class LearnedPolicy:
    """Multinomial logistic regression from featurised history windows to actions.

    Prediction is a softmax over `coef @ x + intercept` in numpy, so a loaded policy does
    not need scikit-learn objects (and nothing has to be unpickled)."""

    def __init__(
        self,
        vocabulary: list[str],
        classes: list[str],
        coef: NDArray[np.float64],
        intercept: NDArray[np.float64],
    ) -> None:
        if coef.shape != (len(classes), len(vocabulary)) or intercept.shape != (len(classes),):
            raise PolicyLoadError(
                f"learned policy weights have shape {coef.shape}/{intercept.shape}, expected "
                f"({len(classes)}, {len(vocabulary)})/({len(classes)},)"
            )
        self.vocabulary = vocabulary
        self.classes = classes
        self.coef = coef
        self.intercept = intercept
        self._index = {token: i for i, token in enumerate(vocabulary)}

    @classmethod
    def train(cls, samples: Sequence[tuple[Window, str]], seed: int) -> LearnedPolicy | None:
        if not samples:
            return None
        vocabulary = sorted({token for window, _ in samples for token in _tokens(window)})
        classes = sorted({action for _, action in samples})
        index = {token: i for i, token in enumerate(vocabulary)}
        x = np.zeros((len(samples), len(vocabulary)))
        for row, (window, _) in enumerate(samples):
            for token in _tokens(window):
                x[row, index[token]] = 1.0
        if len(classes) == 1:
            coef = np.zeros((1, len(vocabulary)))
            return cls(vocabulary, classes, coef, np.zeros(1))
        y = np.array([classes.index(action) for _, action in samples])
        model = LogisticRegression(
            C=10.0, max_iter=3000, class_weight="balanced", random_state=seed
        )
        with threadpool_limits(limits=1):  # BLAS threads make this tiny fit ~100× slower
            model.fit(x, y)
        coef = np.asarray(model.coef_, dtype=np.float64)
        intercept = np.asarray(model.intercept_, dtype=np.float64)
        if len(classes) == 2:  # sklearn keeps one row for two classes: p(1) = σ(w·x + b)
            coef = np.vstack([np.zeros_like(coef), coef])
            intercept = np.concatenate([np.zeros(1), intercept])
        return cls(vocabulary, classes, coef, intercept)

    def predict(self, window: Window) -> tuple[str, float]:
        """The most likely next action and its probability; probability 0 for the answer
        to an intent that never occurred in training (the model has nothing to go on)."""
        current = _tokens(window[-1:])
        answering = f"0|prev:{ACTION_LISTEN}" in current
        if answering and any(t.startswith("0|intent:") and t not in self._index for t in current):
            return ACTION_LISTEN, 0.0
        x = np.zeros(len(self.vocabulary))
        for token in _tokens(window):
            position = self._index.get(token)
            if position is not None:
                x[position] = 1.0
        scores = self.coef @ x + self.intercept
        probabilities = np.exp(scores - scores.max())
        probabilities /= probabilities.sum()
        best = int(np.argmax(probabilities))  # first of equals: classes are sorted
        return self.classes[best], float(probabilities[best])


class PolicyEnsemble:
    """The trained policies of one assistant, applied in the module's priority order."""

    def __init__(
        self,
        max_history: int,
        memo: dict[str, str],
        learned: LearnedPolicy | None,
        trained_on: str = "",
    ) -> None:
        self.max_history = max_history
        self.memo = memo
        self.learned = learned
        self.trained_on = trained_on
        """`dialogue_fingerprint` of the assistant these policies were trained for."""
        self._derived: tuple[Assistant, RulePolicy, frozenset[str]] | None = None
        """The rule policy and `story_texts` of the assistant last predicted for."""

    # ------------------------------------------------------------------ training

    @classmethod
    def train(cls, assistant: Assistant) -> PolicyEnsemble:
        domain = domain_of(assistant)
        max_history = max(1, assistant.config.max_history)
        texts = story_texts(assistant)
        memo: dict[str, str | None] = {}
        samples: set[tuple[Window, str]] = set()
        for story in assistant.stories:
            pairs, _ = dialogue_states(story_events(story.steps, domain), domain, texts=texts)
            states = [state for state, _ in pairs]
            for window, (_, action) in zip(windows(states, max_history), pairs, strict=True):
                key = _memo_key(window)
                memo[key] = action if memo.get(key, action) == action else None
                samples.add((window, action))
        for steps in _learned_trajectories(assistant):
            pairs, _ = dialogue_states(story_events(steps, domain), domain, texts=texts)
            states = [state for state, _ in pairs]
            samples.update(zip(windows(states, max_history), (a for _, a in pairs), strict=True))
        samples = {sample for sample in samples if not _has_text_turn(sample[0])}
        learned = LearnedPolicy.train(sorted(samples), assistant.config.seed)
        consistent = {key: action for key, action in sorted(memo.items()) if action is not None}
        return cls(max_history, consistent, learned, dialogue_fingerprint(assistant))

    # ------------------------------------------------------------------ prediction

    def _derive(self, assistant: Assistant) -> tuple[Assistant, RulePolicy, frozenset[str]]:
        cached = self._derived
        if cached is None or cached[0] is not assistant:
            cached = (assistant, RulePolicy(assistant.rules), story_texts(assistant))
            self._derived = cached
        return cached

    def predict(self, tracker: Tracker, assistant: Assistant) -> PolicyDecision:
        if tracker.followup_action is not None:
            return PolicyDecision(action=tracker.followup_action, confidence=1.0, policy="followup")
        domain = domain_of(assistant)
        listening = tracker.latest_action_name == ACTION_LISTEN
        intent = tracker.latest_message.intent.name if tracker.latest_message else None
        if listening and intent == RESTART_INTENT:
            return PolicyDecision(action=ACTION_RESTART, confidence=1.0, policy="rule")
        followup = completion_followup(tracker, domain)
        if followup is not None:
            return PolicyDecision(action=followup, confidence=1.0, policy="form")
        ruled = self._derive(assistant)[1].predict(tracker, domain)
        if ruled is not None:
            return PolicyDecision(action=ruled, confidence=1.0, policy="rule")
        form = tracker.active_form
        if form is not None:
            action = ACTION_LISTEN if tracker.latest_action_name == form else form
            return PolicyDecision(action=action, confidence=1.0, policy="form")
        if listening and intent == NLU_FALLBACK_INTENT:
            return self._fallback(tracker, assistant, 1.0)
        return self._predict_from_history(tracker, assistant, domain)

    def _predict_from_history(
        self, tracker: Tracker, assistant: Assistant, domain: Domain
    ) -> PolicyDecision:
        earlier = self.max_history - 1
        applied = tracker.applied_events()
        texts = self._derive(assistant)[2]
        # The intent reading comes last: its window is the one the learned policy reads.
        readings = (texts, frozenset()) if texts else (frozenset(),)
        for reading in readings:
            pairs, current = dialogue_states(applied, domain, last=earlier, texts=reading)
            window: Window = (*(state for state, _ in pairs), current)
            remembered = self.memo.get(_memo_key(window))
            if remembered is not None:
                return PolicyDecision(action=remembered, confidence=1.0, policy="memoization")
        if self.learned is None:
            return self._fallback(tracker, assistant, 0.0)
        action, confidence = self.learned.predict(window)
        if confidence < assistant.config.core_fallback_threshold:
            return self._fallback(tracker, assistant, confidence)
        return PolicyDecision(action=action, confidence=confidence, policy="learned")

    @staticmethod
    def _fallback(tracker: Tracker, assistant: Assistant, confidence: float) -> PolicyDecision:
        unanswered = tracker.latest_action_name == ACTION_LISTEN
        action = assistant.config.fallback_action if unanswered else ACTION_LISTEN
        return PolicyDecision(action=action, confidence=confidence, policy="fallback")

    # ------------------------------------------------------------------ persistence

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        learned: dict[str, Any] | None = None
        if self.learned is not None:
            learned = {"vocabulary": self.learned.vocabulary, "classes": self.learned.classes}
            np.savez(
                folder / WEIGHTS_FILE, coef=self.learned.coef, intercept=self.learned.intercept
            )
        else:
            (folder / WEIGHTS_FILE).unlink(missing_ok=True)
        data = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "max_history": self.max_history,
            "trained_on": self.trained_on,
            "memo": self.memo,
            "learned": learned,
        }
        text = json.dumps(data, sort_keys=True, ensure_ascii=False, indent=1)
        (folder / POLICIES_FILE).write_text(text + "\n", encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> PolicyEnsemble:
        path = folder / POLICIES_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise PolicyLoadError(f"cannot read dialogue policies {path}: {error}") from error
        except ValueError as error:
            raise PolicyLoadError(
                f"dialogue policies {path} are not valid JSON: {error}"
            ) from error
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise PolicyLoadError(f"{path} is not an assistc policies file")
        if data.get("version") != FORMAT_VERSION:
            raise PolicyLoadError(
                f"{path} has format version {data.get('version')}; this assistc reads version "
                f"{FORMAT_VERSION} (retrain the assistant)"
            )
        try:
            memo = {str(k): str(v) for k, v in dict(data["memo"]).items()}
            max_history = int(data["max_history"])
            learned = cls._load_learned(folder, data["learned"])
        except (KeyError, TypeError, ValueError) as error:
            raise PolicyLoadError(f"dialogue policies {path} are malformed: {error!r}") from error
        return cls(max_history, memo, learned, str(data.get("trained_on", "")))

    @staticmethod
    def _load_learned(folder: Path, meta: Any) -> LearnedPolicy | None:
        if meta is None:
            return None
        path = folder / WEIGHTS_FILE
        try:
            with np.load(path, allow_pickle=False) as weights:
                coef = np.asarray(weights["coef"], dtype=np.float64)
                intercept = np.asarray(weights["intercept"], dtype=np.float64)
        except (OSError, KeyError, ValueError) as error:
            raise PolicyLoadError(f"cannot read policy weights {path}: {error}") from error
        vocabulary = [str(token) for token in meta["vocabulary"]]
        classes = [str(action) for action in meta["classes"]]
        return LearnedPolicy(vocabulary, classes, coef, intercept)
