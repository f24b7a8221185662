"""Intent features: TF-IDF over word 1-2 grams and char 3-4 grams, plus the idf-weighted
pooled word vector of the message (when pre-trained vectors are available, vectors.py).

A small hand-written vectoriser rather than sklearn's, because the same code must run at
training and at prediction time, persist as plain arrays (no pickle), and featurise one
message in microseconds. Word and character blocks are L2-normalised separately, as a
sklearn FeatureUnion of two TfidfVectorizers would be; the vector block (unit length,
scaled by `VECTOR_WEIGHT`) follows them as the last `vectors.dim` columns.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse

from assistc.runtime.nlu.text import tokenize
from assistc.runtime.nlu.vectors import WordVectors, by_source

CHAR_NGRAMS = (3, 4)
"""With the word vectors, 3-4 grams are as accurate as 2-5 grams (CLINC150 valid in-scope
0.941 vs 0.943, SNIPS valid 10 vs 9 errors) with 30% fewer nonzeros, which pays for the
vector block in SVM training time."""
CHAR_CACHE_SIZE = 200_000
VECTOR_WEIGHT = 1.5
"""Length of the pooled-vector block against the unit word and char blocks. CLINC150
valid in-scope accuracy before fallback: 0.932 without vectors, 0.938 at weight 1, and
0.941-0.942 anywhere from 1.5 to 3; the SVMs converge fastest at the low end (dev-loop
retrain of 900 examples: 155 ms CPU at 1.5, 195 ms at 2, 160 ms without vectors)."""

Vector = npt.NDArray[np.float64]


@functools.lru_cache(maxsize=100_000)
def _words(text: str) -> tuple[str, ...]:
    """The normalised words of a text; cached because training sees the same examples
    again and again (fit then transform, and every retrain in the dev loop)."""
    return tuple(t.norm for t in tokenize(text) if t.is_word)


def _word_features(words: tuple[str, ...]) -> list[str]:
    """Unigrams and bigrams, prefixed so they never collide with char n-grams."""
    return [f"w {w}" for w in words] + [f"b {a} {b}" for a, b in itertools.pairwise(words)]


@functools.lru_cache(maxsize=65536)
def _char_ngrams(word: str) -> tuple[str, ...]:
    """Char n-grams of one word padded with spaces (sklearn's `char_wb`)."""
    padded = f" {word} "
    low, high = CHAR_NGRAMS
    return tuple(
        padded[i : i + n] for n in range(low, high + 1) for i in range(len(padded) - n + 1)
    )


def smoothed_idf(document_frequencies: Sequence[int], n_docs: int) -> npt.NDArray[np.float64]:
    """scikit-learn's smoothed idf, ln((1 + n) / (1 + df)) + 1: a feature in every
    document still weighs 1, and none divides by zero."""
    return np.array(
        [math.log((1 + n_docs) / (1 + df)) + 1.0 for df in document_frequencies],
        dtype=np.float64,
    )


class TfidfFeaturizer:
    """Vocabulary + idf; `transform` gives a sparse row per message."""

    def __init__(
        self,
        vocabulary: list[str],
        idf: npt.NDArray[np.float64],
        n_word: int,
        vectors: WordVectors | None,
        n_docs: int,
    ) -> None:
        self.vocabulary = vocabulary
        self.index = {feat: i for i, feat in enumerate(vocabulary)}
        self.idf = idf
        self.n_word = n_word
        """Features [0, n_word) are the word block, the rest of the vocabulary the char
        block; the vector block, if any, comes after the vocabulary."""
        self.vectors = vectors
        self.n_docs = n_docs
        self.n_features = len(vocabulary) + (0 if vectors is None else vectors.dim)
        self._unseen_idf = math.log(1 + n_docs) + 1.0
        self._word_idf = {
            feature[2:]: weight
            for feature, weight in zip(vocabulary[:n_word], idf[:n_word].tolist(), strict=True)
            if feature.startswith("w ")
        }
        """The idf of each single word, for pooling its vector."""
        self._char_cache: dict[str, tuple[int, ...]] = {}

    @classmethod
    def fit(cls, texts: Sequence[str], vectors: WordVectors | None) -> TfidfFeaturizer:
        word_df: Counter[str] = Counter()
        char_df: Counter[str] = Counter()
        for text in texts:
            words = _words(text)
            word_df.update(set(_word_features(words)))
            char_df.update({g for w in words for g in _char_ngrams(w)})
        word_vocab = sorted(word_df)
        char_vocab = sorted(char_df)
        vocabulary = word_vocab + char_vocab
        n_docs = len(texts)
        df = [word_df[f] for f in word_vocab] + [char_df[f] for f in char_vocab]
        return cls(vocabulary, smoothed_idf(df, n_docs), len(word_vocab), vectors, n_docs)

    def _char_indices(self, word: str) -> tuple[int, ...]:
        """Known char n-gram indices of a word; cached because words repeat a lot."""
        cached = self._char_cache.get(word)
        if cached is None:
            cached = tuple(i for g in _char_ngrams(word) if (i := self.index.get(g)) is not None)
            if len(self._char_cache) < CHAR_CACHE_SIZE:
                self._char_cache[word] = cached
        return cached

    def _indices(self, text: str) -> list[int]:
        words = _words(text)
        indices = [i for f in _word_features(words) if (i := self.index.get(f)) is not None]
        for w in words:
            indices += self._char_indices(w)
        return indices

    def _weigh(
        self, rows: npt.NDArray[np.int64], cols: npt.NDArray[np.int64], counts: Vector, n: int
    ) -> Vector:
        """Sublinear tf × idf of each (row, feature) count, each row's word and char
        blocks scaled to unit L2 norm."""
        values: Vector = (1.0 + np.log(counts)) * self.idf[cols]
        is_char = cols >= self.n_word
        squares = values**2
        word_norm = np.bincount(rows[~is_char], squares[~is_char], minlength=n)
        char_norm = np.bincount(rows[is_char], squares[is_char], minlength=n)
        values /= np.sqrt(np.where(is_char, char_norm[rows], word_norm[rows]))
        return values

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """The TF-IDF rows of many texts (the training path)."""
        rows: list[int] = []
        cols: list[int] = []
        for r, text in enumerate(texts):
            indices = self._indices(text)
            cols += indices
            rows += [r] * len(indices)
        n = len(texts)
        matrix = sparse.csr_matrix(
            (np.ones(len(cols)), (np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64))),
            shape=(n, len(self.vocabulary)),
        )
        matrix.sum_duplicates()
        row_of = np.repeat(np.arange(n), np.diff(matrix.indptr))
        matrix.data = self._weigh(row_of, matrix.indices.astype(np.int64), matrix.data, n)
        if self.vectors is None:
            return matrix
        dense = sparse.csr_matrix(self._pooled(self.vectors, texts))
        return sparse.hstack([matrix, dense], format="csr")

    def _pooled(self, vectors: WordVectors, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """The vector block of each text: its words' vectors weighted by their word idf
        (words unseen in training count as the rarest)."""
        pooled = vectors.pool([_words(text) for text in texts], self._word_idf, self._unseen_idf)
        return pooled * VECTOR_WEIGHT

    def vector(self, text: str) -> tuple[npt.NDArray[np.int64], Vector]:
        """The nonzero feature indices and values of one text (the prediction path:
        the same numbers as a `transform` row, without building a sparse matrix)."""
        cols, counts = np.unique(np.array(self._indices(text), dtype=np.int64), return_counts=True)
        rows = np.zeros(len(cols), dtype=np.int64)
        values = self._weigh(rows, cols, counts.astype(np.float64), 1)
        if self.vectors is None:
            return cols, values
        dense_cols = np.arange(len(self.vocabulary), self.n_features, dtype=np.int64)
        pooled = self._pooled(self.vectors, [text])[0]
        return np.concatenate([cols, dense_cols]), np.concatenate([values, pooled])

    def to_json(self) -> dict[str, Any]:
        return {
            "vocabulary": self.vocabulary,
            "n_word": self.n_word,
            "n_docs": self.n_docs,
            "vectors": None if self.vectors is None else self.vectors.source,
        }

    @classmethod
    def from_parts(cls, meta: dict[str, Any], idf: npt.NDArray[np.float64]) -> TfidfFeaturizer:
        """Rebuild from `to_json()` and the idf array; ValueError if they disagree or the
        word vectors it was trained with are not installed."""
        vocabulary = [str(feature) for feature in meta["vocabulary"]]
        n_word = int(meta["n_word"])
        if idf.shape != (len(vocabulary),) or not 0 <= n_word <= len(vocabulary):
            raise ValueError("idf and vocabulary sizes differ")
        vectors = None if meta["vectors"] is None else by_source(str(meta["vectors"]))
        return cls(vocabulary, idf, n_word, vectors, int(meta["n_docs"]))
