"""Intent classifier: TF-IDF (word 1-2 + char 3-4 grams) and a pooled GloVe vector →
one-vs-rest linear SVMs → softmax over the margins with a temperature fitted on held-out
folds.

Linear SVMs are the strongest fast linear model on short texts; the fitted temperature
turns their margins into probabilities, so `Config.nlu_fallback_threshold` means the
same thing for a 3-intent assistant as for a 150-intent one.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from joblib import Parallel, delayed
from scipy import sparse
from sklearn.model_selection import KFold
from sklearn.svm import LinearSVC

from assistc.runtime.ir import Config, Example
from assistc.runtime.nlu.errors import ModelLoadError
from assistc.runtime.nlu.store import Arrays, load_component, save_component
from assistc.runtime.nlu.tfidf import TfidfFeaturizer
from assistc.runtime.nlu.types import IntentPrediction
from assistc.runtime.nlu.vectors import pretrained

FORMAT_VERSION = 2
SVM_C = 1.0
CALIBRATION_FOLDS = 5
PARALLEL_BUDGET = 2e7
"""Above this many nonzeros × classes, SVMs train in parallel processes (below it, the
start-up of workers costs more than it saves)."""
ABSENT_SCORE = -10.0
FULL_CV_BUDGET = 5e7
"""Up to this many nonzeros × classes, the temperature is fitted on all 5 folds; above it,
on one half of the data held out from a model trained on the other half, which keeps
the cost of calibration at half a training run. (A model trained on half the data has
smaller margins, so the fitted temperature is a little larger and the final model's
confidences a little sharper than with 5 folds.)"""
TEMPERATURES = np.geomspace(0.1, 100.0, 121)
DEFAULT_TEMPERATURE = 5.0
"""Used when there are too few examples to hold any out."""

Matrix = npt.NDArray[np.float64]


def _fit_one(
    x: sparse.csr_matrix, y: npt.NDArray[np.int64], k: int, seed: int
) -> tuple[Matrix, float]:
    """The binary SVM of class k against the rest; an absent class scores very low."""
    target = y == k
    if not target.any():
        return np.zeros(x.shape[1]), ABSENT_SCORE
    svm = LinearSVC(C=SVM_C, random_state=seed).fit(x, target)
    return svm.coef_[0].astype(np.float64), float(svm.intercept_[0])


def _fit_svms(
    x: sparse.csr_matrix, y: npt.NDArray[np.int64], n_classes: int, seed: int
) -> tuple[Matrix, Matrix]:
    """One binary LinearSVC per class. Large problems are spread over worker processes
    (not threads: liblinear's random generator is global, so threads would make the
    result depend on scheduling)."""
    jobs = 1 if x.nnz * n_classes <= PARALLEL_BUDGET else max(1, min(4, os.cpu_count() or 1))
    if jobs == 1 and n_classes > 2 and len(np.unique(y)) == n_classes:
        # Small problems: liblinear's own one-vs-rest loop, without a Python round trip
        # (and sklearn's input checks) per class.
        svm = LinearSVC(C=SVM_C, random_state=seed).fit(x, y)
        return svm.coef_.astype(np.float64), svm.intercept_.astype(np.float64)
    fitted = Parallel(n_jobs=jobs)(delayed(_fit_one)(x, y, k, seed) for k in range(n_classes))
    coef = np.vstack([c for c, _ in fitted])
    intercept = np.array([b for _, b in fitted])
    return coef, intercept


def _softmax(scores: Matrix, temperature: float) -> Matrix:
    z = scores * temperature
    z -= z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    result: Matrix = e / e.sum(axis=-1, keepdims=True)
    return result


def _fit_temperature(
    x: sparse.csr_matrix, y: npt.NDArray[np.int64], n_classes: int, seed: int
) -> float:
    """The softmax temperature with the least held-out negative log-likelihood."""
    large = x.nnz * n_classes > FULL_CV_BUDGET
    n_folds = 2 if large else min(CALIBRATION_FOLDS, len(y))
    if n_folds < 2:
        return DEFAULT_TEMPERATURE
    folds = list(KFold(n_folds, shuffle=True, random_state=seed).split(np.arange(len(y))))
    if large:
        folds = folds[:1]
    held_scores: list[Matrix] = []
    held_labels: list[npt.NDArray[np.int64]] = []
    for train_idx, test_idx in folds:
        coef, intercept = _fit_svms(x[train_idx], y[train_idx], n_classes, seed)
        held_scores.append(np.asarray(x[test_idx] @ coef.T) + intercept)
        held_labels.append(y[test_idx])
    scores = np.vstack(held_scores)
    labels = np.concatenate(held_labels)
    rows = np.arange(len(labels))

    def nll(t: float) -> float:
        z = scores * t
        z -= z.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(z).sum(axis=1))
        return float((log_norm - z[rows, labels]).mean())

    return float(min(TEMPERATURES, key=nll))


class IntentClassifier:
    """Ranks the known intents for a message; trained from examples' texts and intents."""

    def __init__(
        self,
        intents: list[str],
        featurizer: TfidfFeaturizer | None,
        coef: Matrix,
        intercept: Matrix,
        temperature: float,
    ) -> None:
        self.intents = intents
        self.featurizer = featurizer
        self.coef_t = np.ascontiguousarray(coef.T, dtype=np.float32)
        """(n_features, n_intents), the layout a sparse row times it wants; float32 as
        saved, so a loaded classifier predicts exactly like the trained one."""
        self.intercept = intercept
        self.temperature = temperature

    @classmethod
    def train(
        cls, examples: Sequence[Example], config: Config, *, temperature: float | None = None
    ) -> IntentClassifier:
        """Fit the classifier. With `temperature` (the dev loop passes the last calibrated
        one) the cross-validated calibration, most of the training time, is skipped."""
        intents = sorted({e.intent for e in examples})
        if len(intents) < 2:
            return cls(intents, None, np.zeros((len(intents), 0)), np.zeros(len(intents)), 1.0)
        texts = [e.text for e in examples]
        index = {name: i for i, name in enumerate(intents)}
        y = np.array([index[e.intent] for e in examples], dtype=np.int64)
        featurizer = TfidfFeaturizer.fit(texts, pretrained())
        if not featurizer.vocabulary:  # no example has a word: every intent equally likely
            n = len(intents)
            return cls(intents, featurizer, np.zeros((n, featurizer.n_features)), np.zeros(n), 1.0)
        x = featurizer.transform(texts)
        if temperature is None:
            temperature = _fit_temperature(x, y, len(intents), config.seed)
        coef, intercept = _fit_svms(x, y, len(intents), config.seed)
        return cls(intents, featurizer, coef, intercept, temperature)

    def probabilities(self, text: str) -> Matrix:
        """The probability of each intent (in `self.intents` order) for one message."""
        if self.featurizer is None:
            return np.ones(len(self.intents))
        cols, values = self.featurizer.vector(text)
        scores = values @ self.coef_t[cols] + self.intercept
        return _softmax(scores, self.temperature)

    def rank(self, text: str) -> list[IntentPrediction]:
        """All intents, most likely first (ties broken by name: `intents` is sorted)."""
        probs = self.probabilities(text)
        order = np.argsort(-probs, kind="stable")
        return [IntentPrediction(name=self.intents[i], confidence=float(probs[i])) for i in order]

    def save(self, folder: Path) -> None:
        meta: dict[str, Any] = {
            "intents": self.intents,
            "temperature": self.temperature,
            "featurizer": None if self.featurizer is None else self.featurizer.to_json(),
        }
        arrays: Arrays = {"coef": self.coef_t.T, "intercept": self.intercept}
        if self.featurizer is not None:
            arrays["idf"] = self.featurizer.idf
        save_component(folder, "intent_classifier", FORMAT_VERSION, meta, arrays)

    @classmethod
    def load(cls, folder: Path) -> IntentClassifier:
        meta, arrays = load_component(folder, "intent_classifier", FORMAT_VERSION)
        try:
            intents = [str(name) for name in meta["intents"]]
            featurizer = (
                None
                if meta["featurizer"] is None
                else TfidfFeaturizer.from_parts(meta["featurizer"], arrays["idf"])
            )
            coef, intercept = arrays["coef"], arrays["intercept"]
            temperature = float(meta["temperature"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelLoadError(f"{folder}: incomplete classifier ({exc!r})") from exc
        n_features = 0 if featurizer is None else featurizer.n_features
        if coef.shape != (len(intents), n_features) or intercept.shape != (len(intents),):
            raise ModelLoadError(f"{folder}: classifier arrays do not match its intents")
        return cls(intents, featurizer, coef, intercept, temperature)
