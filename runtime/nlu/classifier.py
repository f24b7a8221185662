"""Intent classifier: TF-IDF (word 1-2 + char 3-4 grams), a pooled GloVe vector and,
when the examples carry entity annotations, delexicalised n-grams (delex.py) →
one-vs-rest linear SVMs → softmax over the margins with a temperature fitted on held-out
folds, corrected by a second stage when there are entity annotations.

Linear SVMs are the strongest fast linear model on short texts; the fitted temperature
turns their margins into probabilities, so `Config.nlu_fallback_threshold` means the
same thing for a 3-intent assistant as for a 150-intent one.

The second stage adds to those calibrated logits a linear function of the margins and
of the entity types the tagger finds in the message: which types occur tells intents
apart that share their wording ("play the song X" vs "play the movie X"). It is fitted
by log-loss on the held-out margins of the calibration folds and the types of
out-of-fold taggers, the noise both have on new messages.
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
from scipy.optimize import minimize
from sklearn.model_selection import KFold
from sklearn.svm import LinearSVC
from threadpoolctl import threadpool_limits

from assistc.runtime.ir import Config, Example
from assistc.runtime.nlu.delex import DelexFeaturizer
from assistc.runtime.nlu.errors import ModelLoadError
from assistc.runtime.nlu.store import Arrays, load_component, save_component
from assistc.runtime.nlu.tagger import TaggedSpan
from assistc.runtime.nlu.tfidf import TfidfFeaturizer
from assistc.runtime.nlu.types import IntentPrediction
from assistc.runtime.nlu.vectors import pretrained

FORMAT_VERSION = 3
SVM_C = 1.0
CALIBRATION_FOLDS = 5
PARALLEL_BUDGET = 2e7
"""Above this many nonzeros × classes, SVMs train in parallel processes (below it, the
start-up of workers costs more than it saves)."""
PARALLEL_GROUPS = 4
"""Groups of classes a large problem's SVMs are split into, one liblinear run each (on
CLINC150's 151 classes: 150 Python round trips fewer per fit; training 16.1 -> 14.6 s)."""
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
STAGE2_SCALE = 3.0
STAGE2_PENALTY = 10.0
"""Margin scale and L2 penalty (on the summed log-loss) of the second stage. SNIPS
errors (5-fold CV of the stage on train / valid): scale 3, penalty 10: 124 / 7; 30:
126 / 7; 1: 125 / 8; scale 1, penalty 1 / 10 / 30: 120 / 8, 125 / 8, 129 / 8; the first
stage alone 130 / 9. Without the offset (a plain logistic regression replacing the
first stage) 121 / 7, but intents with one or two examples were lost to it."""
STAGE2_FOLDS = 3

Matrix = npt.NDArray[np.float64]


def _fit_group(
    x: sparse.csr_matrix, y: npt.NDArray[np.int64], classes: Sequence[int], seed: int
) -> list[tuple[Matrix, float]]:
    """The binary SVMs of `classes`, each against all other examples, in one run of
    liblinear's own one-vs-rest loop (no Python round trip and input checks per class):
    the other classes are merged into one label, whose SVM is dropped (class k against
    the rest is the same problem however the rest are labelled). An absent class scores
    very low."""
    present = [k for k in classes if (y == k).any()]
    merged = np.where(np.isin(y, present), y, -1)
    labels = np.unique(merged)
    fitted: dict[int, tuple[Matrix, float]] = {}
    if len(labels) > 2:
        svm = LinearSVC(C=SVM_C, random_state=seed).fit(x, merged)
        for row, label in enumerate(svm.classes_):
            fitted[int(label)] = (svm.coef_[row].astype(np.float64), float(svm.intercept_[row]))
    else:  # liblinear's binary case is one SVM, of the larger label
        for k in present:
            svm = LinearSVC(C=SVM_C, random_state=seed).fit(x, y == k)
            fitted[k] = (svm.coef_[0].astype(np.float64), float(svm.intercept_[0]))
    return [fitted.get(k, (np.zeros(x.shape[1]), ABSENT_SCORE)) for k in classes]


def _fit_svms(
    x: sparse.csr_matrix, y: npt.NDArray[np.int64], n_classes: int, seed: int
) -> tuple[Matrix, Matrix]:
    """One binary LinearSVC per class. Large problems are split into `PARALLEL_GROUPS`
    groups of classes trained in worker processes (not threads: liblinear's random
    generator is global, so threads would make the result depend on scheduling; and a
    fixed number of groups, so the result does not depend on the number of cores)."""
    groups = 1 if x.nnz * n_classes <= PARALLEL_BUDGET else PARALLEL_GROUPS
    jobs = min(groups, os.cpu_count() or 1)
    fitted = Parallel(n_jobs=jobs)(
        delayed(_fit_group)(x, y, range(g, n_classes, groups), seed) for g in range(groups)
    )
    coef = np.zeros((n_classes, x.shape[1]))
    intercept = np.zeros(n_classes)
    for g, group in enumerate(fitted):
        for k, (c, b) in zip(range(g, n_classes, groups), group, strict=True):
            coef[k], intercept[k] = c, b
    return coef, intercept


def _softmax(scores: Matrix, temperature: float) -> Matrix:
    z = scores * temperature
    z -= z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    result: Matrix = e / e.sum(axis=-1, keepdims=True)
    return result


def _held_out_margins(
    x: sparse.csr_matrix, y: npt.NDArray[np.int64], n_classes: int, seed: int
) -> tuple[Matrix, npt.NDArray[np.int64]]:
    """SVM margins of examples held out of the model that scores them, and the rows they
    are of (all rows with 5 folds; one half for large data, see `FULL_CV_BUDGET`)."""
    large = x.nnz * n_classes > FULL_CV_BUDGET
    n_folds = 2 if large else min(CALIBRATION_FOLDS, len(y))
    if n_folds < 2:
        return np.zeros((0, n_classes)), np.zeros(0, dtype=np.int64)
    folds = list(KFold(n_folds, shuffle=True, random_state=seed).split(np.arange(len(y))))
    if large:
        folds = folds[:1]
    held_scores: list[Matrix] = []
    held_rows: list[npt.NDArray[np.int64]] = []
    for train_idx, test_idx in folds:
        coef, intercept = _fit_svms(x[train_idx], y[train_idx], n_classes, seed)
        held_scores.append(np.asarray(x[test_idx] @ coef.T) + intercept)
        held_rows.append(test_idx.astype(np.int64))
    return np.vstack(held_scores), np.concatenate(held_rows)


def _fit_temperature(scores: Matrix, labels: npt.NDArray[np.int64]) -> float:
    """The softmax temperature with the least held-out negative log-likelihood."""
    if not len(labels):
        return DEFAULT_TEMPERATURE
    rows = np.arange(len(labels))

    def nll(t: float) -> float:
        z = scores * t
        z -= z.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(z).sum(axis=1))
        return float((log_norm - z[rows, labels]).mean())

    return float(min(TEMPERATURES, key=nll))


def _type_indicators(spans: Sequence[Sequence[TaggedSpan]], types: list[str]) -> Matrix:
    """One row per message: 1 for each entity type among its spans."""
    index = {name: j for j, name in enumerate(types)}
    out = np.zeros((len(spans), len(types)))
    for i, found in enumerate(spans):
        for span in found:
            if (j := index.get(span.entity)) is not None:
                out[i, j] = 1.0
    return out


def _fit_stage2(
    margins: Matrix,
    indicators: Matrix,
    labels: npt.NDArray[np.int64],
    temperature: float,
) -> tuple[Matrix, Matrix]:
    """(coef, intercept) of the second stage: a multinomial logistic regression over
    [margins × scale, type indicators] on top of the calibrated first-stage logits
    (margins × temperature) as a fixed offset, L2-penalised (`STAGE2_PENALTY`). It
    corrects the first stage rather than replacing it, so an intent with too few
    examples to learn a correction keeps its first-stage score."""
    n, n_classes = margins.shape
    features = np.hstack([margins * STAGE2_SCALE, indicators])
    width = features.shape[1]
    offset = margins * temperature
    onehot = np.eye(n_classes)[labels]

    def loss(params: Matrix) -> tuple[float, Matrix]:
        coef, intercept = params[: n_classes * width].reshape(n_classes, width), params[-n_classes:]
        z = offset + features @ coef.T + intercept
        z -= z.max(axis=1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        penalty = 0.5 * STAGE2_PENALTY * (float((coef**2).sum()) + float(intercept @ intercept))
        residual = np.exp(log_p) - onehot
        grad_coef = residual.T @ features + STAGE2_PENALTY * coef
        grad_intercept = residual.sum(axis=0) + STAGE2_PENALTY * intercept
        value = -float(log_p[np.arange(n), labels].sum()) + penalty
        return value, np.concatenate([grad_coef.ravel(), grad_intercept])

    start = np.zeros(n_classes * width + n_classes)
    params = minimize(loss, start, jac=True, method="L-BFGS-B").x
    return params[: n_classes * width].reshape(n_classes, width), params[-n_classes:]


def _log_loss(logits: Matrix, labels: npt.NDArray[np.int64]) -> float:
    z = logits - logits.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -float(log_p[np.arange(len(labels)), labels].sum())


def _stage2_helps(
    margins: Matrix, indicators: Matrix, labels: npt.NDArray[np.int64], temperature: float
) -> bool:
    """Whether the second stage lowers the log-loss of the calibrated margins on rows
    it was not fitted on (`STAGE2_FOLDS`-fold cross-validation). Small assistants, whose
    held-out margins are too few and too noisy to learn a correction from, keep the
    first stage."""
    n_folds = min(STAGE2_FOLDS, len(labels))
    if n_folds < 2:
        return False
    with_stage = without = 0.0
    splitter = KFold(n_folds, shuffle=True, random_state=0)
    for train_idx, test_idx in splitter.split(labels):
        coef, intercept = _fit_stage2(
            margins[train_idx], indicators[train_idx], labels[train_idx], temperature
        )
        offset = margins[test_idx] * temperature
        features = np.hstack([margins[test_idx] * STAGE2_SCALE, indicators[test_idx]])
        with_stage += _log_loss(offset + features @ coef.T + intercept, labels[test_idx])
        without += _log_loss(offset, labels[test_idx])
    return with_stage < without


def _calibrate(
    x: sparse.csr_matrix,
    y: npt.NDArray[np.int64],
    texts: Sequence[str],
    spans: Sequence[Sequence[TaggedSpan]],
    n_classes: int,
    seed: int,
) -> tuple[float, EntityStage | None, sparse.csr_matrix]:
    """The softmax temperature of the SVMs on `x` and, when `spans` name any entity
    type, the entity stage fitted on held-out margins of the SVMs on `x` plus the
    delexicalised features (the temperature is then of those SVMs: the dev loop reuses
    it for a classifier without entity stage, a little sharper than fitted); and the
    features the final SVMs train on (`x`, with the delexicalised block if any)."""
    types = sorted({span.entity for found in spans for span in found})
    if not types:
        margins, rows = _held_out_margins(x, y, n_classes, seed)
        return _fit_temperature(margins, y[rows]), None, x
    delex, delex_rows = DelexFeaturizer.fit_transform(texts, spans)
    with_delex = sparse.hstack([x, delex_rows], format="csr")
    margins, rows = _held_out_margins(with_delex, y, n_classes, seed)
    temperature = _fit_temperature(margins, y[rows])
    if not len(rows):
        return temperature, None, x
    indicators = _type_indicators([spans[i] for i in rows], types)
    with threadpool_limits(limits=1):  # BLAS threads make these small products ~15× slower
        if _stage2_helps(margins, indicators, y[rows], temperature):
            coef, intercept = _fit_stage2(margins, indicators, y[rows], temperature)
        else:  # the delexicalised features stay: the SVMs were calibrated with them
            coef = np.zeros((n_classes, n_classes + len(types)))
            intercept = np.zeros(n_classes)
    return temperature, EntityStage(delex, types, coef, intercept), with_delex


class IntentClassifier:
    """Ranks the known intents for a message; trained from examples' texts and intents
    and, when given, the entity spans out-of-fold taggers found in them."""

    def __init__(
        self,
        intents: list[str],
        featurizer: TfidfFeaturizer | None,
        coef: Matrix,
        intercept: Matrix,
        temperature: float,
        entity_stage: EntityStage | None = None,
    ) -> None:
        self.intents = intents
        self.featurizer = featurizer
        self.coef_t = np.ascontiguousarray(coef.T, dtype=np.float32)
        """(n_features, n_intents), the layout a sparse row times it wants; float32 as
        saved, so a loaded classifier predicts exactly like the trained one. With an
        entity stage, the delexicalised features' rows follow the TF-IDF ones."""
        self.intercept = intercept
        self.temperature = temperature
        self.entity_stage = entity_stage

    @classmethod
    def train(
        cls,
        examples: Sequence[Example],
        config: Config,
        *,
        temperature: float | None = None,
        spans: Sequence[Sequence[TaggedSpan]] | None = None,
    ) -> IntentClassifier:
        """Fit the classifier. With `temperature` (the dev loop passes the last calibrated
        one) the cross-validated calibration, most of the training time, is skipped, and
        so is the entity stage, which is fitted on the calibration's held-out margins.
        `spans[i]` are the entity spans of `examples[i]`, from a tagger that did not
        see it (`tagger.out_of_fold_spans`)."""
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
        stage = None
        if temperature is None:
            temperature, stage, x = _calibrate(x, y, texts, spans or [], len(intents), config.seed)
        coef, intercept = _fit_svms(x, y, len(intents), config.seed)
        return cls(intents, featurizer, coef, intercept, temperature, stage)

    def probabilities(self, text: str, spans: Sequence[TaggedSpan] = ()) -> Matrix:
        """The probability of each intent (in `self.intents` order) for one message;
        `spans` are the tagger's, used when there is an entity stage."""
        if self.featurizer is None:
            return np.ones(len(self.intents))
        cols, values = self.featurizer.vector(text)
        stage = self.entity_stage
        if stage is None:
            scores = values @ self.coef_t[cols] + self.intercept
            return _softmax(scores, self.temperature)
        delex_cols, delex_values = stage.delex.vector(text, spans)
        cols = np.concatenate([cols, delex_cols + self.featurizer.n_features])
        values = np.concatenate([values, delex_values])
        margins = values @ self.coef_t[cols] + self.intercept
        return _softmax(stage.scores(margins, spans, self.temperature), 1.0)

    def rank(self, text: str, spans: Sequence[TaggedSpan] = ()) -> list[IntentPrediction]:
        """All intents, most likely first (ties broken by name: `intents` is sorted)."""
        probs = self.probabilities(text, spans)
        order = np.argsort(-probs, kind="stable")
        return [IntentPrediction(name=self.intents[i], confidence=float(probs[i])) for i in order]

    def save(self, folder: Path) -> None:
        stage = self.entity_stage
        meta: dict[str, Any] = {
            "intents": self.intents,
            "temperature": self.temperature,
            "featurizer": None if self.featurizer is None else self.featurizer.to_json(),
            "entity_stage": None if stage is None else stage.to_json(),
        }
        arrays: Arrays = {"coef": self.coef_t.T, "intercept": self.intercept}
        if self.featurizer is not None:
            arrays["idf"] = self.featurizer.idf
        if stage is not None:
            arrays.update(stage.arrays())
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
            stage = (
                None
                if meta["entity_stage"] is None
                else EntityStage.from_parts(meta["entity_stage"], arrays, len(intents))
            )
            coef, intercept = arrays["coef"], arrays["intercept"]
            temperature = float(meta["temperature"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelLoadError(f"{folder}: incomplete classifier ({exc!r})") from exc
        n_features = 0 if featurizer is None else featurizer.n_features
        if stage is not None:
            n_features += len(stage.delex.vocabulary)
        if coef.shape != (len(intents), n_features) or intercept.shape != (len(intents),):
            raise ModelLoadError(f"{folder}: classifier arrays do not match its intents")
        return cls(intents, featurizer, coef, intercept, temperature, stage)


class EntityStage:
    """What the classifier adds when trained with entity spans: the delexicalised
    features and the second stage over margins and entity types."""

    def __init__(
        self, delex: DelexFeaturizer, types: list[str], coef: Matrix, intercept: Matrix
    ) -> None:
        self.delex = delex
        self.types = types
        self.coef = coef
        """(n_intents, n_intents + n_types): weights on the scaled margins, then types."""
        self.intercept = intercept

    def scores(self, margins: Matrix, spans: Sequence[TaggedSpan], temperature: float) -> Matrix:
        """Second-stage logits of one message from its SVM margins and spans."""
        features = np.concatenate(
            [margins * STAGE2_SCALE, _type_indicators([spans], self.types)[0]]
        )
        result: Matrix = margins * temperature + self.coef @ features + self.intercept
        return result

    def to_json(self) -> dict[str, Any]:
        return {"delex": self.delex.to_json(), "types": self.types}

    def arrays(self) -> Arrays:
        return {
            "delex_idf": self.delex.idf,
            "stage2_coef": self.coef,
            "stage2_intercept": self.intercept,
        }

    @classmethod
    def from_parts(cls, meta: dict[str, Any], arrays: Arrays, n_intents: int) -> EntityStage:
        """Rebuild from `to_json()` and `arrays()`; ValueError if the shapes disagree."""
        types = [str(name) for name in meta["types"]]
        coef, intercept = arrays["stage2_coef"], arrays["stage2_intercept"]
        if coef.shape != (n_intents, n_intents + len(types)) or intercept.shape != (n_intents,):
            raise ValueError("second-stage arrays do not match the intents and types")
        delex = DelexFeaturizer.from_parts(meta["delex"], arrays["delex_idf"])
        return cls(delex, types, coef, intercept)
