"""Delexicalised intent features: word 2-3 grams of the message with each tagged entity
replaced by its type, e.g. `<s> play [album] </s>`.

Bag-of-words features see "play the album Journeyman" as mostly a title; with the title
replaced by the type the tagger gives it, the n-grams carry what the title is (an album
is played, a movie is watched). At training time the spans come from taggers that did
not see the example (`tagger.out_of_fold_spans`), so the features are as noisy as at
prediction time. Unigrams are left out: the TF-IDF block has them.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse

from assistc.runtime.nlu.tagger import TaggedSpan
from assistc.runtime.nlu.text import tokenize
from assistc.runtime.nlu.tfidf import smoothed_idf

NGRAMS = (2, 3)
WEIGHT = 0.5
"""Length of the block against the unit word and char blocks of the TF-IDF features.
SNIPS errors (5-fold CV on train / valid), with the second stage: 2-3 grams at 0.5:
121 / 7, at 1.0: 120 / 8; 1-3 grams 120-122 / 8; 1-2 grams 126-128 / 8-9; every span
as one `[entity]` token whatever its type: 120-125 / 7-9."""

Vector = npt.NDArray[np.float64]


def delexicalise(text: str, spans: Sequence[TaggedSpan]) -> list[str]:
    """The normalised words of `text`, each span's words replaced by one `[type]` token,
    between start and end markers."""
    words = ["<s>"]
    current: TaggedSpan | None = None
    for token in tokenize(text):
        if not token.is_word:
            continue
        span = next((s for s in spans if token.start < s.end and s.start < token.end), None)
        if span is None:
            words.append(token.norm)
        elif span is not current:
            words.append(f"[{span.entity}]")
        current = span
    words.append("</s>")
    return words


def _ngrams(words: Sequence[str]) -> list[str]:
    low, high = NGRAMS
    return [
        " ".join(words[i : i + n]) for n in range(low, high + 1) for i in range(len(words) - n + 1)
    ]


class DelexFeaturizer:
    """Vocabulary + idf of delexicalised n-grams; sublinear tf-idf rows of unit length
    times `WEIGHT`."""

    def __init__(self, vocabulary: list[str], idf: Vector) -> None:
        self.vocabulary = vocabulary
        self.index = {feature: i for i, feature in enumerate(vocabulary)}
        self.idf = idf

    @classmethod
    def fit_transform(
        cls, texts: Sequence[str], spans: Sequence[Sequence[TaggedSpan]]
    ) -> tuple[DelexFeaturizer, sparse.csr_matrix]:
        """The featurizer fitted on the messages, and their rows (delexicalised once)."""
        grams = [
            _ngrams(delexicalise(text, found)) for text, found in zip(texts, spans, strict=True)
        ]
        df: Counter[str] = Counter()
        for message in grams:
            df.update(set(message))
        vocabulary = sorted(df)
        featurizer = cls(vocabulary, smoothed_idf([df[f] for f in vocabulary], len(texts)))
        return featurizer, featurizer._rows(grams)

    def vector(
        self, text: str, spans: Sequence[TaggedSpan]
    ) -> tuple[npt.NDArray[np.int64], Vector]:
        """The nonzero feature indices and values of one message."""
        return self._row(_ngrams(delexicalise(text, spans)))

    def _row(self, grams: Sequence[str]) -> tuple[npt.NDArray[np.int64], Vector]:
        found = [i for g in grams if (i := self.index.get(g)) is not None]
        cols, counts = np.unique(np.array(found, dtype=np.int64), return_counts=True)
        values: Vector = (1.0 + np.log(counts.astype(np.float64))) * self.idf[cols]
        norm = math.sqrt(float(values @ values))
        if norm > 0.0:
            values *= WEIGHT / norm
        return cols, values

    def _rows(self, grams: Sequence[Sequence[str]]) -> sparse.csr_matrix:
        """The rows of many messages' n-grams (the training path)."""
        indptr = [0]
        cols: list[npt.NDArray[np.int64]] = []
        values: list[Vector] = []
        for message in grams:
            c, v = self._row(message)
            cols.append(c)
            values.append(v)
            indptr.append(indptr[-1] + len(c))
        return sparse.csr_matrix(
            (
                np.concatenate([np.zeros(0), *values]),
                np.concatenate([np.zeros(0, dtype=np.int64), *cols]),
                np.array(indptr, dtype=np.int64),
            ),
            shape=(len(grams), len(self.vocabulary)),
        )

    def to_json(self) -> dict[str, Any]:
        return {"vocabulary": self.vocabulary}

    @classmethod
    def from_parts(cls, meta: dict[str, Any], idf: Vector) -> DelexFeaturizer:
        """Rebuild from `to_json()` and the idf array; ValueError if they disagree."""
        vocabulary = [str(feature) for feature in meta["vocabulary"]]
        if idf.shape != (len(vocabulary),):
            raise ValueError("idf and vocabulary sizes differ")
        return cls(vocabulary, idf)
