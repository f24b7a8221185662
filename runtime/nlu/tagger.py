"""The learned entity tagger: a linear-chain CRF over BIO labels.

Training uses CRFsuite (python-crfsuite, averaged perceptron); the
learned weights are then exported into plain arrays and decoded here with numpy (Viterbi
for the labels, forward-backward for confidences), so the runtime needs no CRF library
and persists without pickle. Decoding is constrained to valid BIO sequences.

Per-token features: the normalised word, its shape, prefixes and suffixes, the words at
±1 and ±2, neighbouring bigrams, and which rule-based extractors (matcher, regex, builtin)
cover the token — so lists and patterns help the tagger generalise, and `free` entities
are learned from the annotations alone. Labels carry roles as `B-entity:role`.
"""

from __future__ import annotations

import ctypes
import functools
import tempfile
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar, cast

import numpy as np
import numpy.typing as npt
import pycrfsuite
from joblib.externals.loky import get_reusable_executor
from sklearn.model_selection import KFold

from assistc.runtime.ir import Example
from assistc.runtime.nlu.errors import ModelLoadError
from assistc.runtime.nlu.matcher import EntityMatcher
from assistc.runtime.nlu.store import Arrays, load_component, save_component
from assistc.runtime.nlu.text import Token, tokenize
from assistc.runtime.nlu.types import ExtractedEntity

FORMAT_VERSION = 1
OUTSIDE = "O"
IMPOSSIBLE = -1e9
TINY = 1e-300
CRF_ALGORITHM = "ap"
"""Averaged perceptron: within half a point of L-BFGS on SNIPS slot F1 at a tenth of the
training time (docs/benchmarks.md)."""
CRF_EPOCHS = 7
"""Chosen on SNIPS' valid split (entity F1 by epochs: 3 0.933, 5 0.937, 7 0.939,
10 0.939, 12 0.940), at 70% of the training time of 10."""
OUT_OF_FOLD_FOLDS = 3
OUT_OF_FOLD_EPOCHS = 3
"""The taggers that tag held-out examples for the intent classifier's entity features:
3 folds × 3 epochs cost about 1.7 full trainings and give the classifier the kind of
mistakes the full tagger makes on new messages (its own training predictions are too
clean: with them the entity features gained nothing, docs/benchmarks.md)."""
WORKER_IDLE_SECONDS = 60
"""Idle workers exit after this long, with the sentences they kept (~150 MB for SNIPS'
13,000 examples); a dev loop that retrains sooner reuses them."""
PARALLEL_MIN_EXAMPLES = 2000
"""From this many examples, the out-of-fold taggers train in worker processes (below
it, starting the workers costs more than they save)."""

T = TypeVar("T")
Matrix = npt.NDArray[np.float64]
Weights = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class TaggedSpan:
    """One entity the tagger found, in token and character coordinates."""

    entity: str
    role: str | None
    start: int
    end: int
    confidence: float


def _shape(word: str) -> str:
    """`Paris` → `Xx`, `B2B` → `XdX`, `42` → `d`: character classes, repeats collapsed."""
    out: list[str] = []
    for ch in word:
        cls = "X" if ch.isupper() else "x" if ch.islower() else "d" if ch.isdigit() else ch
        if not out or out[-1] != cls:
            out.append(cls)
    return "".join(out)


def token_features(tokens: Sequence[Token], hits: Sequence[Sequence[str]]) -> list[list[str]]:
    """The CRF attributes of each token; `hits[i]` names the extractors covering token i
    (e.g. `B:city`, `I:number`)."""
    words = ["<s>", "<s>", *(t.norm for t in tokens), "</s>", "</s>"]
    features: list[list[str]] = []
    for i, token in enumerate(tokens):
        w = words[i + 2]
        feats = [
            "bias",
            f"w={w}",
            f"shape={_shape(token.text)}",
            f"p2={w[:2]}",
            f"p3={w[:3]}",
            f"s2={w[-2:]}",
            f"s3={w[-3:]}",
            f"s4={w[-4:]}",
            f"w-1={words[i + 1]}",
            f"w-2={words[i]}",
            f"w+1={words[i + 3]}",
            f"w+2={words[i + 4]}",
            f"w-1w={words[i + 1]}|{w}",
            f"ww+1={w}|{words[i + 3]}",
        ]
        feats += [f"h={h}" for h in hits[i]]
        if i > 0:
            feats += [f"h-1={h}" for h in hits[i - 1]]
        if i + 1 < len(tokens):
            feats += [f"h+1={h}" for h in hits[i + 1]]
        features.append(feats)
    return features


def token_hits(tokens: Sequence[Token], candidates: Sequence[ExtractedEntity]) -> list[list[str]]:
    """For each token, `B:<entity>` / `I:<entity>` for each candidate span covering it."""
    hits: list[list[str]] = [[] for _ in tokens]
    for candidate in candidates:
        first = True
        for i, token in enumerate(tokens):
            if token.start < candidate.end and candidate.start < token.end:
                hits[i].append(f"{'B' if first else 'I'}:{candidate.entity}")
                first = False
    return [sorted(set(h)) for h in hits]


Annotated = tuple[str, tuple[tuple[int, int, str], ...]]
"""An example as the tagger learns it: its text and (start, end, label name) spans, the
label name being `entity` or `entity:role`. Cheap to send to worker processes."""


def annotated(examples: Sequence[Example]) -> list[Annotated]:
    """The examples as the tagger learns them (see `Annotated`)."""
    return [
        (
            example.text,
            tuple(
                (a.start, a.end, a.entity if a.role is None else f"{a.entity}:{a.role}")
                for a in example.entities
            ),
        )
        for example in examples
    ]


def bio_labels(tokens: Sequence[Token], spans: Sequence[tuple[int, int, str]]) -> list[str]:
    """BIO labels from char-offset (start, end, name) spans: every token overlapping a
    span is part of it, so spans not on token boundaries still train."""
    labels = [OUTSIDE] * len(tokens)
    for start, end, name in sorted(spans):
        first = True
        for i, token in enumerate(tokens):
            if token.start < end and start < token.end and labels[i] == OUTSIDE:
                labels[i] = f"{'B' if first else 'I'}-{name}"
                first = False
    return labels


@dataclass(frozen=True, slots=True)
class _Sentence:
    """One example as the CRF sees it."""

    tokens: list[Token]
    attributes: list[list[str]]
    labels: list[str]


def _sentences(data: Sequence[Annotated], matcher: EntityMatcher | None) -> list[_Sentence]:
    sentences: list[_Sentence] = []
    for text, spans in data:
        tokens = tokenize(text)
        candidates = matcher.match(text, tokens) if matcher is not None else []
        attributes = token_features(tokens, token_hits(tokens, candidates))
        sentences.append(_Sentence(tokens, attributes, bio_labels(tokens, spans)))
    return sentences


def _fit_crf(sentences: Sequence[_Sentence], seed: int, epochs: int, path: str) -> bool:
    """Train a CRF into the model file `path`; False (and no file) when no sentence has
    an entity to learn."""
    trainer = pycrfsuite.Trainer(verbose=False)
    any_entity = False
    for sentence in sentences:
        if sentence.tokens:
            trainer.append(sentence.attributes, sentence.labels)
            any_entity = any_entity or any(label != OUTSIDE for label in sentence.labels)
    if not any_entity:
        return False
    trainer.select(CRF_ALGORITHM)
    trainer.set_params({"max_iterations": epochs, "feature.possible_transitions": True})
    _seed_c_rand(seed)
    trainer.train(path)
    return True


def _label_spans(
    tokens: Sequence[Token], labels: Sequence[str], confidence: Callable[[int], float]
) -> list[TaggedSpan]:
    """The spans of a label sequence: a `B-x`, or an `I-x` that continues nothing, starts
    one, and the `I-x` after it extend it. A span's confidence is the least
    `confidence(k)` over its tokens."""
    spans: list[TaggedSpan] = []
    i = 0
    while i < len(labels):
        label = labels[i]
        if label == OUTSIDE:
            i += 1
            continue
        j = i + 1
        while j < len(labels) and labels[j] == f"I-{label[2:]}":
            j += 1
        entity, _, role = label[2:].partition(":")
        least = min(confidence(k) for k in range(i, j))
        spans.append(TaggedSpan(entity, role or None, tokens[i].start, tokens[j - 1].end, least))
        i = j
    return spans


class EntityTagger:
    """Weights of a trained CRF and the decoder that applies them."""

    def __init__(
        self, labels: list[str], attributes: list[str], weights: Weights, transitions: Matrix
    ) -> None:
        self.labels = labels
        self.attributes = attributes
        self.index = {a: i for i, a in enumerate(attributes)}
        self.weights = weights
        """(n_attributes + 1, n_labels) float32 state weights; the last row is all zero
        and every token points at it, so no token is featureless in `_emissions`."""
        self.transitions = transitions
        """(n_labels, n_labels) learned transition weights, from row to column."""
        self._start, penalty = self._bio_constraints()
        self._trans = transitions + penalty
        self._step = np.exp(self._trans - self._trans.max())
        self._start_exp = np.exp(self._start)

    def _bio_constraints(self) -> tuple[Matrix, Matrix]:
        """(start, transition) penalties forbidding `I-x` unless after `B-x` or `I-x`."""
        n = len(self.labels)
        start = np.zeros(n)
        trans = np.zeros((n, n))
        for j, label in enumerate(self.labels):
            if not label.startswith("I-"):
                continue
            start[j] = IMPOSSIBLE
            for i, prev in enumerate(self.labels):
                if prev[2:] != label[2:] or prev == OUTSIDE:
                    trans[i, j] = IMPOSSIBLE
        return start, trans

    @classmethod
    def train(
        cls,
        examples: Sequence[Example],
        matcher: EntityMatcher | None = None,
        seed: int = 0,
        epochs: int = CRF_EPOCHS,
    ) -> EntityTagger:
        """Learn from the annotated examples, with the matcher's hits as features.
        Without any annotation the tagger finds nothing."""
        return cls(*_train_parts(_sentences(annotated(examples), matcher), seed, epochs))

    def _emissions(self, features: list[list[str]]) -> Matrix:
        """Per-token label scores: the summed weights of each token's known attributes."""
        index = self.index
        zero_row = len(self.attributes)
        flat: list[int] = []
        offsets: list[int] = []
        for feats in features:
            offsets.append(len(flat))
            flat.append(zero_row)
            flat += [j for f in feats if (j := index.get(f)) is not None]
        scores: Matrix = np.add.reduceat(self.weights[flat], offsets, axis=0, dtype=np.float64)
        return scores

    def tag(self, tokens: Sequence[Token], hits: Sequence[Sequence[str]]) -> list[TaggedSpan]:
        """The entity spans of the best valid label sequence, with their confidences."""
        if not tokens or len(self.labels) < 2:
            return []
        emissions = self._emissions(token_features(tokens, hits))
        path = _viterbi(emissions, self._trans, self._start)
        marginals = _marginals(emissions, self._step, self._start_exp)
        labels = [self.labels[j] for j in path]
        return _label_spans(tokens, labels, lambda k: float(marginals[k, path[k]]))

    def tag_text(self, text: str, matcher: EntityMatcher | None) -> list[TaggedSpan]:
        """`tag` on a raw message, with the matcher's hits as features."""
        tokens = tokenize(text)
        candidates = matcher.match(text, tokens) if matcher is not None else []
        return self.tag(tokens, token_hits(tokens, candidates))

    def save(self, folder: Path) -> None:
        meta = {"labels": self.labels, "attributes": self.attributes}
        arrays: Arrays = {
            "weights": self.weights,
            "transitions": self.transitions,
        }
        save_component(folder, "entity_tagger", FORMAT_VERSION, meta, arrays)

    @classmethod
    def load(cls, folder: Path) -> EntityTagger:
        meta, arrays = load_component(folder, "entity_tagger", FORMAT_VERSION)
        try:
            labels = [str(label) for label in meta["labels"]]
            attributes = [str(attr) for attr in meta["attributes"]]
            weights, transitions = arrays["weights"], arrays["transitions"]
        except (KeyError, TypeError) as exc:
            raise ModelLoadError(f"{folder}: incomplete tagger ({exc!r})") from exc
        n = len(labels)
        if (
            weights.shape != (len(attributes) + 1, n)
            or weights.dtype != np.float32
            or transitions.shape != (n, n)
        ):
            raise ModelLoadError(f"{folder}: tagger arrays do not match its labels")
        return cls(labels, attributes, weights, transitions)


TaggerParts = tuple[list[str], list[str], Weights, Matrix]
"""(labels, attributes, weights, transitions): what `EntityTagger` is built from."""

_PREPARED: dict[str, list[_Sentence]] = {}
"""The sentences of the one corpus this process last prepared, by `_Corpus.key`."""


@dataclass(frozen=True)
class _Corpus:
    """What every tagger job of one training works on, as sent to a worker. A worker
    prepares the sentences once (`sentences`): the one that tagged a fold trains the
    full tagger on the same sentences."""

    key: str
    data: list[Annotated]
    matcher: EntityMatcher | None

    def sentences(self) -> list[_Sentence]:
        if self.key not in _PREPARED:
            _PREPARED.clear()
            _PREPARED[self.key] = _sentences(self.data, self.matcher)
        return _PREPARED[self.key]


def _exported(crf: pycrfsuite.Tagger) -> TaggerParts:
    """The weights of an opened CRF model as plain arrays."""
    info = crf.info()
    labels = sorted(crf.labels())
    label_index = {label: j for j, label in enumerate(labels)}
    attributes = sorted({attr for attr, _ in info.state_features})
    attr_index = {a: i for i, a in enumerate(attributes)}
    weights = np.zeros((len(attributes) + 1, len(labels)), dtype=np.float32)
    for (attr, label), weight in info.state_features.items():
        weights[attr_index[attr], label_index[label]] = weight
    transitions = np.zeros((len(labels), len(labels)))
    for (src, dst), weight in info.transitions.items():
        transitions[label_index[src], label_index[dst]] = weight
    return labels, attributes, weights, transitions


def _train_parts(sentences: Sequence[_Sentence], seed: int, epochs: int) -> TaggerParts:
    """A trained tagger, as parts: a worker sends these back rather than the tagger and
    its index."""
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "model.crfsuite")
        if not _fit_crf(sentences, seed, epochs, path):
            return [OUTSIDE], [], np.zeros((1, 1), dtype=np.float32), np.zeros((1, 1))
        crf = pycrfsuite.Tagger()
        crf.open(path)
        try:
            return _exported(crf)
        finally:
            crf.close()


def _train_full(corpus: _Corpus, rows: Sequence[int] | None, seed: int) -> TaggerParts:
    """The full tagger on the corpus's sentences (those of `rows`, or all), which are then
    let go (the last job to need them in this worker)."""
    try:
        sentences = corpus.sentences()
        chosen = sentences if rows is None else [sentences[i] for i in rows]
        return _train_parts(chosen, seed, CRF_EPOCHS)
    finally:
        _PREPARED.pop(corpus.key, None)


def _tag_held_out(
    corpus: _Corpus, train_idx: Sequence[int], test_idx: Sequence[int], seed: int
) -> list[list[TaggedSpan]]:
    """Tag the `test_idx` sentences with a short-trained tagger on the `train_idx` ones,
    decoded by CRFsuite itself: exporting the weights and decoding with numpy would cost
    as much as the training. (CRFsuite's Viterbi does not forbid `I-x` after `O`;
    `_label_spans` reads one as the start of a span.)"""
    sentences = corpus.sentences()
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "model.crfsuite")
        if not _fit_crf([sentences[i] for i in train_idx], seed, OUT_OF_FOLD_EPOCHS, path):
            return [[] for _ in test_idx]
        crf = pycrfsuite.Tagger()
        crf.open(path)
        try:
            found: list[list[TaggedSpan]] = []
            for i in test_idx:
                sentence = sentences[i]
                labels = crf.tag(sentence.attributes) if sentence.tokens else []
                marginal = functools.partial(_crf_marginal, crf, labels)
                found.append(_label_spans(sentence.tokens, labels, marginal))
            return found
        finally:
            crf.close()


def _crf_marginal(crf: pycrfsuite.Tagger, labels: Sequence[str], k: int) -> float:
    """The marginal probability of `labels[k]` at position k of the last tagged sequence."""
    return float(crf.marginal(labels[k], k))


def train_beside(
    examples: Sequence[Example], matcher: EntityMatcher | None, seed: int
) -> Future[TaggerParts]:
    """The parts of the tagger on `examples`, training in a worker process when they are
    many (so this process can train something else meanwhile), or here and now."""
    corpus = _Corpus(uuid.uuid4().hex, annotated(examples), matcher)
    executor = _workers() if len(examples) >= PARALLEL_MIN_EXAMPLES else _InProcess()
    return executor.submit(_train_full, corpus, None, seed)


def out_of_fold_spans(
    examples: Sequence[Example],
    matcher: EntityMatcher | None,
    seed: int,
    *,
    full_rows: Sequence[int] | None = None,
) -> tuple[list[list[TaggedSpan]], Future[TaggerParts] | None]:
    """Each example tagged by a tagger that did not see it (3 folds, short training),
    and, given `full_rows`, the parts of the tagger trained on those of the examples,
    still training in a worker when the spans are returned (so the intent classifier can
    train from them meanwhile; the worker prepares the examples' sentences once for
    both). Worker processes, not threads: CRFsuite shuffles with the global C `rand()`."""
    spans: list[list[TaggedSpan]] = [[] for _ in examples]
    corpus = _Corpus(uuid.uuid4().hex, annotated(examples), matcher)
    is_annotated = any(annotations for _, annotations in corpus.data) and len(examples) >= 2
    parallel = is_annotated and len(examples) >= PARALLEL_MIN_EXAMPLES
    executor = _workers() if parallel else _InProcess()
    folds = (
        list(
            KFold(min(OUT_OF_FOLD_FOLDS, len(examples)), shuffle=True, random_state=seed).split(
                np.arange(len(examples))
            )
        )
        if is_annotated
        else []
    )
    # The workers take every fold but the last, then the full tagger; this process tags
    # the last fold meanwhile, so the spans are ready when the first two cores are free.
    # (In one process: the folds, then the full tagger, which lets the sentences go.)
    split = len(folds) - 1 if parallel else len(folds)
    tagged = [
        (test_idx, executor.submit(_tag_held_out, corpus, train_idx, test_idx, seed))
        for train_idx, test_idx in folds[:split]
    ]
    full = None if full_rows is None else executor.submit(_train_full, corpus, full_rows, seed)
    tagged += [
        (test_idx, _InProcess().submit(_tag_held_out, corpus, train_idx, test_idx, seed))
        for train_idx, test_idx in folds[split:]
    ]
    _PREPARED.pop(corpus.key, None)
    for test_idx, future in tagged:
        for i, found in zip(test_idx, future.result(), strict=True):
            spans[i] = found
    return spans, full


def _workers() -> Executor:
    """The two worker processes the taggers train in (loky's, reused between trainings)."""
    return cast(Executor, get_reusable_executor(max_workers=2, timeout=WORKER_IDLE_SECONDS))


class _InProcess:
    """An executor that runs each job when it is submitted (small data: starting
    workers would cost more than they save)."""

    def submit(self, fn: Callable[..., T], /, *args: object) -> Future[T]:
        future: Future[T] = Future()
        future.set_result(fn(*args))
        return future


def _seed_c_rand(seed: int) -> None:
    """CRFsuite's perceptron shuffles the data with the C library's `rand()`; seeding it
    makes training reproducible (where the C library can be reached, i.e. POSIX)."""
    try:
        ctypes.CDLL(None).srand(ctypes.c_uint(seed))
    except (OSError, AttributeError, TypeError):
        return


def _viterbi(emissions: Matrix, trans: Matrix, start: Matrix) -> list[int]:
    score = emissions[0] + start
    back = np.zeros(emissions.shape, dtype=np.int64)
    columns = np.arange(emissions.shape[1])
    for i in range(1, len(emissions)):
        candidates = score[:, None] + trans
        back[i] = candidates.argmax(axis=0)
        score = candidates[back[i], columns] + emissions[i]
    path = [int(score.argmax())]
    for i in range(len(emissions) - 1, 0, -1):
        path.append(int(back[i, path[-1]]))
    return path[::-1]


def _marginals(emissions: Matrix, step: Matrix, start: Matrix) -> Matrix:
    """Per-token label probabilities under the CRF: forward-backward in probability space
    (`step` = exp of the transition scores), rescaled at every position so nothing
    overflows; emissions are shifted by their row maximum for the same reason."""
    n = len(emissions)
    emit = np.exp(emissions - emissions.max(axis=1, keepdims=True))
    alpha = np.empty(emissions.shape)
    beta = np.ones(emissions.shape)
    alpha[0] = start * emit[0]
    alpha[0] /= alpha[0].sum() + TINY
    for i in range(1, n):
        alpha[i] = (alpha[i - 1] @ step) * emit[i]
        alpha[i] /= alpha[i].sum() + TINY
    for i in range(n - 2, -1, -1):
        beta[i] = step @ (emit[i + 1] * beta[i + 1])
        beta[i] /= beta[i].sum() + TINY
    joint = alpha * beta
    result: Matrix = joint / (joint.sum(axis=1, keepdims=True) + TINY)
    return result
