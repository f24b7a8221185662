"""NLU evaluation: metrics on a train/test split or by cross-validation, and the loader of
the shared JSONL benchmark format.

Evaluation trains exactly `NLUModel.train`, as an assistant gets it, and times `parse`,
which runs every extractor. For data without entity declarations the tagger learns every
annotated label as a `free` entity. With `oos_label`, a `nlu_fallback` prediction counts as
that label, and in-scope accuracy / out-of-scope recall follow Larson et al. (2019).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ValidationError
from sklearn.metrics import f1_score
from sklearn.model_selection import KFold

from assistc.runtime.ir import Config, Entity, Example
from assistc.runtime.nlu.pipeline import NLUModel
from assistc.runtime.nlu.types import NLU_FALLBACK_INTENT, ParseResult


class DataFormatError(ValueError):
    """A JSONL data file that does not follow the shared format; says file and line."""


class ConfusedPair(BaseModel):
    gold: str
    predicted: str
    count: int


class Scores(BaseModel):
    """Prediction quality on a set of examples."""

    n_test: int
    intent_accuracy: float
    intent_macro_f1: float
    """Macro average over the intents present in the test data."""
    entity_precision: float | None
    """Span-level, exact (start, end, entity); None when neither gold nor predictions
    have any entity."""
    entity_recall: float | None
    entity_f1: float | None
    in_scope_accuracy: float | None = None
    oos_recall: float | None = None
    confused_pairs: list[ConfusedPair] = []
    """Most frequent (gold, predicted) intent errors; filled by cross-validation."""


class EvalReport(Scores):
    n_train: int
    train_seconds: float
    """Wall time of `NLUModel.train` (mean per fold for cross-validation)."""
    train_cpu_seconds: float
    """CPU time of the same (all threads), which a busy machine does not inflate."""
    predict_p50_ms: float
    predict_p95_ms: float
    """Latency of `parse` on one message at a time, including entity extraction."""


def load_jsonl(path: Path) -> list[Example]:
    """Examples from a JSONL file of the shared format (blank lines are skipped)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFormatError(f"{path}: cannot read ({exc})") from exc
    examples: list[Example] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            example = Example.model_validate_json(line)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "line"
            raise DataFormatError(f"{path}:{number}: {where}: {first['msg']}") from exc
        for ann in example.entities:
            if example.text[ann.start : ann.end] != ann.value:
                raise DataFormatError(
                    f"{path}:{number}: entity {ann.entity!r} [{ann.start}:{ann.end}] is "
                    f"{example.text[ann.start : ann.end]!r} in the text, not {ann.value!r}"
                )
        examples.append(example)
    return examples


def free_entities(examples: Sequence[Example]) -> list[Entity]:
    """A `free` declaration for every entity annotated in the examples, with its roles."""
    roles: dict[str, set[str]] = {}
    for example in examples:
        for ann in example.entities:
            roles.setdefault(ann.entity, set()).update([ann.role] if ann.role else [])
    return [Entity(name=n, kind="free", roles=sorted(r)) for n, r in sorted(roles.items())]


def score(
    gold: Sequence[Example],
    results: Sequence[ParseResult],
    oos_label: str | None = None,
    top_confused: int = 0,
) -> Scores:
    """Compare parse results with the gold examples they were predicted for."""
    gold_intents = [e.intent for e in gold]
    predicted = [
        oos_label
        if oos_label is not None and r.intent.name == NLU_FALLBACK_INTENT
        else r.intent.name
        for r in results
    ]
    correct = np.array([g == p for g, p in zip(gold_intents, predicted, strict=True)], dtype=bool)
    gold_spans = [{(a.start, a.end, a.entity) for a in e.entities} for e in gold]
    pred_spans = [{(e.start, e.end, e.entity) for e in r.entities} for r in results]
    tp = sum(len(g & p) for g, p in zip(gold_spans, pred_spans, strict=True))
    n_pred = sum(len(p) for p in pred_spans)
    n_gold = sum(len(g) for g in gold_spans)
    precision = tp / n_pred if n_pred else (None if not n_gold else 0.0)
    recall = tp / n_gold if n_gold else (None if not n_pred else 0.0)
    f1 = None
    if precision is not None and recall is not None:
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    in_scope = None
    oos_recall = None
    if oos_label is not None:
        is_oos = np.array([g == oos_label for g in gold_intents], dtype=bool)
        in_scope = float(correct[~is_oos].mean()) if (~is_oos).any() else None
        oos_recall = float(correct[is_oos].mean()) if is_oos.any() else None
    errors = Counter((g, p) for g, p in zip(gold_intents, predicted, strict=True) if g != p)
    confused = sorted(errors.items(), key=lambda item: (-item[1], item[0]))[:top_confused]
    labels = sorted(set(gold_intents))
    macro_f1 = (
        float(f1_score(gold_intents, predicted, labels=labels, average="macro", zero_division=0))
        if labels
        else 0.0
    )
    return Scores(
        n_test=len(gold),
        intent_accuracy=float(correct.mean()) if len(gold) else 0.0,
        intent_macro_f1=macro_f1,
        entity_precision=precision,
        entity_recall=recall,
        entity_f1=f1,
        in_scope_accuracy=in_scope,
        oos_recall=oos_recall,
        confused_pairs=[ConfusedPair(gold=g, predicted=p, count=n) for (g, p), n in confused],
    )


class _Run:
    """Predictions and timings of one or more train/test rounds, pooled."""

    def __init__(self) -> None:
        self.gold: list[Example] = []
        self.results: list[ParseResult] = []
        self.latencies_ms: list[float] = []
        self.train_seconds: list[float] = []
        self.train_cpu_seconds: list[float] = []

    def round(
        self,
        train: Sequence[Example],
        test: Sequence[Example],
        entities: Sequence[Entity],
        config: Config,
    ) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        model = NLUModel.train(train, entities, config)
        self.train_seconds.append(time.perf_counter() - wall)
        self.train_cpu_seconds.append(time.process_time() - cpu)
        for example in test:
            start = time.perf_counter()
            self.results.append(model.parse(example.text))
            self.latencies_ms.append((time.perf_counter() - start) * 1000.0)
            self.gold.append(example)

    def report(self, n_train: int, oos_label: str | None, top_confused: int) -> EvalReport:
        scores = score(self.gold, self.results, oos_label, top_confused)
        latencies = self.latencies_ms or [0.0]
        return EvalReport(
            **scores.model_dump(),
            n_train=n_train,
            train_seconds=float(np.mean(self.train_seconds)),
            train_cpu_seconds=float(np.mean(self.train_cpu_seconds)),
            predict_p50_ms=float(np.percentile(latencies, 50)),
            predict_p95_ms=float(np.percentile(latencies, 95)),
        )


def evaluate(
    train: list[Example],
    test: list[Example],
    config: Config,
    oos_label: str | None = None,
    *,
    entities: Sequence[Entity] | None = None,
) -> EvalReport:
    """Train on `train`, report on `test`. Without `entities`, every label annotated in
    `train` becomes a `free` entity."""
    run = _Run()
    run.round(train, test, free_entities(train) if entities is None else entities, config)
    return run.report(len(train), oos_label, top_confused=0)


def cross_validate(
    examples: Sequence[Example],
    entities: Sequence[Entity],
    config: Config,
    folds: int = 5,
    *,
    oos_label: str | None = None,
    top_confused: int = 10,
) -> EvalReport:
    """K-fold cross-validation (seeded shuffle); metrics over all held-out predictions,
    plus the most-confused intent pairs."""
    if folds < 2 or folds > len(examples):
        raise ValueError(f"cross-validation needs 2 <= folds <= {len(examples)}, got {folds}")
    run = _Run()
    splitter = KFold(folds, shuffle=True, random_state=config.seed)
    n_train = 0
    for train_idx, test_idx in splitter.split(np.arange(len(examples))):
        train = [examples[i] for i in train_idx]
        run.round(train, [examples[i] for i in test_idx], entities, config)
        n_train += len(train)
    return run.report(n_train // folds, oos_label, top_confused)
