"""Incremental training: retrain only the components whose inputs changed.

Each component depends on a known part of the IR. Its fingerprint covers exactly that
part (plus the seed), and the data it is trained on is built from the same part, so a
matching fingerprint in an earlier bundle means the earlier component is the one training
would produce again: it is reused (hard-linked) instead of retrained. Editing a response
text retrains no NLU; editing one intent's examples retrains the intent classifier (and
the entity tagger only if annotations changed); editing annotations or entity
declarations retrains the intent classifier too (it learns from the spans taggers find);
editing nothing trains nothing.
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Protocol

from pydantic import BaseModel
from rich.console import Console
from rich.status import Status

from assistc.runtime import bundle
from assistc.runtime.bundle import COMPONENTS, BundleError, BundleManifest
from assistc.runtime.dialogue import policies
from assistc.runtime.dialogue.policies import PolicyEnsemble
from assistc.runtime.ir import Assistant, Example, fingerprint
from assistc.runtime.nlu import classifier, matcher, tagger
from assistc.runtime.nlu.classifier import IntentClassifier
from assistc.runtime.nlu.errors import RESOURCE_FAILURES, ModelLoadError, resource_failure
from assistc.runtime.nlu.matcher import EntityMatcher
from assistc.runtime.nlu.tagger import EntityTagger, TaggerParts, out_of_fold_spans, train_beside

DEFAULT_KEEP = 5
"""Bundles kept in a models folder after training (the newest ones)."""

StepStatus = Literal["reused", "training", "trained"]


@dataclass(frozen=True)
class Progress:
    """One step of training, for a progress display."""

    component: str
    status: StepStatus
    index: int
    """1-based position of the component among the `total`."""
    total: int
    seconds: float = 0.0
    """Time the component took (when `status` is `trained`)."""


ProgressCallback = Callable[[Progress], None]


class TrainingError(Exception):
    """The assistant cannot be trained; the message says why and what to change."""


class _Savable(Protocol):
    def save(self, folder: Path) -> None: ...


@dataclass(frozen=True)
class TrainResult:
    model_id: str
    path: Path
    trained: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    """Training time per trained component."""
    total_seconds: float = 0.0
    unchanged: bool = False
    """Nothing changed since the latest bundle, which is returned as it is."""
    warnings: list[str] = field(default_factory=list)


def _all_examples(assistant: Assistant) -> list[Example]:
    return [example for intent in assistant.intents for example in intent.examples]


def _annotated_examples(assistant: Assistant) -> list[Example]:
    return [example for example in _all_examples(assistant) if example.entities]


def _group(items: Sequence[BaseModel]) -> tuple[object, ...]:
    """A list of IR parts for `fingerprint(*parts)`, prefixed with its length so that
    consecutive groups cannot run into each other."""
    return (len(items), *items)


def component_inputs(assistant: Assistant) -> dict[str, tuple[object, ...]]:
    """Per component, the IR parts it is trained on (what its fingerprint covers) and its
    saved format's version. IR models stay models: `fingerprint` serialises them in
    pydantic's (fast) serializer."""
    config = assistant.config
    nlu_config = {"language": config.language, "seed": config.seed}
    examples = _all_examples(assistant)
    dialogue_config = config.model_dump(
        mode="json", exclude={"nlu_fallback_threshold", "min_examples", "holdout", "language"}
    )
    return {
        "intent_classifier": (  # entity features: spans of taggers trained like the tagger
            classifier.FORMAT_VERSION,
            nlu_config,
            [[example.intent, example.text] for example in examples],
            *_group(_annotated_examples(assistant)),
            *_group(assistant.entities),
        ),
        "entity_tagger": (
            tagger.FORMAT_VERSION,
            nlu_config,
            *_group(_annotated_examples(assistant)),
            *_group(assistant.entities),
        ),
        "entity_matcher": (matcher.FORMAT_VERSION, config.language, *_group(assistant.entities)),
        "policies": (
            policies.FORMAT_VERSION,
            dialogue_config,
            *_group(assistant.stories),
            *_group(assistant.rules),
            *_group(assistant.slots),
            *_group(assistant.forms),
            *_group(assistant.actions),
            [intent.name for intent in assistant.intents],
            [response.name for response in assistant.responses],
            # an enum-typed slot's value is a dialogue feature: the kind matters, not values
            [[entity.name, entity.kind] for entity in assistant.entities],
        ),
    }


def component_fingerprints(assistant: Assistant) -> dict[str, str]:
    return {name: fingerprint(*parts) for name, parts in component_inputs(assistant).items()}


class _Trainer:
    """Trains the components of one assistant, building the matcher at most once (with a
    huge lookup table, building it dominates)."""

    def __init__(self, assistant: Assistant, to_train: Collection[str]) -> None:
        self.assistant = assistant
        self.to_train = to_train
        """The components this training trains (the others are reused)."""
        self.temperature: float | None = None
        """The calibration to reuse (quick training), or None to calibrate."""
        self._tagger: Future[TaggerParts] | None = None
        """The entity tagger, training in a worker beside the intent classifier."""

    @functools.cached_property
    def matcher(self) -> EntityMatcher:
        return EntityMatcher.build(self.assistant.entities)

    def train(self, name: str) -> _Savable:
        assistant = self.assistant
        if name == "intent_classifier":  # as `NLUModel.train` trains it
            examples = _all_examples(assistant)
            spans = None
            # When the tagger is to be trained too, it trains in a worker meanwhile, on
            # the annotated examples (`_annotated_examples`, as rows of `examples`).
            tagger_too = "entity_tagger" in self.to_train
            annotated_rows = [i for i, example in enumerate(examples) if example.entities]
            if self.temperature is None:  # the quick retrain has no entity stage
                spans, self._tagger = out_of_fold_spans(
                    examples,
                    self.matcher,
                    assistant.config.seed,
                    full_rows=annotated_rows if tagger_too else None,
                )
            elif tagger_too:
                self._tagger = train_beside(
                    _annotated_examples(assistant), self.matcher, assistant.config.seed
                )
            return IntentClassifier.train(
                examples, assistant.config, temperature=self.temperature, spans=spans
            )
        if name == "entity_tagger":  # learns from the annotations, matcher hits as features
            if self._tagger is not None:
                return EntityTagger(*self._tagger.result())
            return EntityTagger.train(
                _annotated_examples(assistant), self.matcher, assistant.config.seed
            )
        if name == "entity_matcher":
            return self.matcher
        return PolicyEnsemble.train(assistant)


def check_trainable(assistant: Assistant) -> list[str]:
    """Raise `TrainingError` for an assistant that cannot be trained; return warnings."""
    if not assistant.intents:
        raise TrainingError(
            f"assistant {assistant.name!r} has no intents: there is nothing to train; "
            "define at least one intent with examples"
        )
    # a payload-only intent has no examples by design: the NLU is not meant to learn it
    learned = [intent for intent in assistant.intents if not intent.payload_only]
    empty = [intent.name for intent in learned if not intent.examples]
    if empty:
        raise TrainingError(
            f"intent(s) without examples: {', '.join(empty)}; add examples, or declare "
            "them `payload only`"
        )
    minimum = assistant.config.min_examples
    return [
        f"intent {intent.name!r} has only {len(intent.examples)} example(s); "
        f"{minimum} or more make it recognisable"
        for intent in learned
        if len(intent.examples) < minimum
    ]


def train(
    assistant: Assistant,
    models_dir: Path,
    *,
    seed: int | None = None,
    progress: ProgressCallback | None = None,
    keep: int = DEFAULT_KEEP,
    force: bool = False,
    quick: bool = False,
) -> TrainResult:
    """Train `assistant` into a new bundle in `models_dir`, reusing unchanged components
    (unless `force`: then everything is trained again).

    `quick` (the dev loop) retrains the intent classifier with the confidence
    calibration of the latest bundle instead of calibrating again; such a classifier
    gets its own fingerprint, so a later full `train` does not reuse it.

    `seed` overrides the assistant's `config.seed`. Raises `TrainingError` (nothing is
    written) when the assistant cannot be trained or a component fails to train.
    Components are reused by fingerprint, which includes each component's saved-format
    version: a component whose saved layout changes must bump its `FORMAT_VERSION`.
    """
    started = time.perf_counter()
    warnings = check_trainable(assistant)
    if seed is not None:
        config = assistant.config.model_copy(update={"seed": seed})
        assistant = assistant.model_copy(update={"config": config})
    ir_json = assistant.to_json()
    ir_fingerprint = hashlib.sha256(ir_json.encode("utf-8")).hexdigest()  # .fingerprint
    fingerprints = component_fingerprints(assistant)
    latest = None if force else _latest(models_dir)
    quick_classifier = fingerprint(fingerprints["intent_classifier"], "quick")
    if (
        quick
        and latest is not None
        and latest.fingerprints.get("intent_classifier") == quick_classifier
    ):
        fingerprints["intent_classifier"] = quick_classifier  # the dev loop's own, unchanged
    if (
        latest is not None
        and latest.ir_fingerprint == ir_fingerprint
        and latest.fingerprints == fingerprints
        and all(bundle.component_loads(models_dir / latest.model_id, n) for n in COMPONENTS)
    ):
        return TrainResult(
            model_id=latest.model_id,
            path=models_dir / latest.model_id,
            reused=list(COMPONENTS),
            total_seconds=time.perf_counter() - started,
            unchanged=True,
            warnings=warnings,
        )
    candidates: dict[tuple[str, str | None], list[Path]] = {}
    for path, manifest in [] if force else bundle.list_bundles(models_dir):  # newest first
        for name in COMPONENTS:
            candidates.setdefault((name, manifest.fingerprints.get(name)), []).append(path)
    sources: dict[str, Path | None] = {}
    for name in COMPONENTS:
        found = candidates.get((name, fingerprints[name]), [])
        if quick and name == "intent_classifier":
            found = found + candidates.get((name, quick_classifier), [])
        sources[name] = next((path for path in found if bundle.component_loads(path, name)), None)
    trainer = _Trainer(assistant, [name for name, source in sources.items() if source is None])
    seconds: dict[str, float] = {}
    writers: dict[str, Callable[[Path], None]] = {}
    total = len(COMPONENTS)
    for index, name in enumerate(COMPONENTS, start=1):
        source = sources[name]
        if source is not None:
            writers[name] = functools.partial(bundle.link_component, source / name)
            _report(progress, Progress(name, "reused", index, total))
            continue
        if quick and name == "intent_classifier":
            trainer.temperature = _latest_temperature(models_dir, latest)
            if trainer.temperature is not None:
                fingerprints[name] = quick_classifier
        _report(progress, Progress(name, "training", index, total))
        component_started = time.perf_counter()
        writers[name] = _train_component(trainer, name).save
        seconds[name] = time.perf_counter() - component_started
        _report(progress, Progress(name, "trained", index, total, seconds[name]))
    created = datetime.now(UTC)
    manifest = BundleManifest(
        format_version=bundle.FORMAT_VERSION,
        model_id=_new_model_id(models_dir, created, fingerprint(fingerprints, ir_fingerprint)),
        assistant=assistant.name,
        ir_fingerprint=ir_fingerprint,
        seed=assistant.config.seed,
        fingerprints=fingerprints,
        created_at=created.isoformat(),
    )
    path = bundle.write_bundle(models_dir, manifest, ir_json, writers)
    bundle.prune(models_dir, keep)
    return TrainResult(
        model_id=manifest.model_id,
        path=path,
        trained=list(seconds),
        reused=[name for name in COMPONENTS if name not in seconds],
        seconds=seconds,
        total_seconds=time.perf_counter() - started,
        warnings=warnings,
    )


def _new_model_id(models_dir: Path, created: datetime, digest: str) -> str:
    """`<time>-<content hash>`, sortable and readable; a suffix keeps it unique when the
    same content is trained twice within a second (`force`)."""
    base = f"{created:%Y%m%d-%H%M%S}-{digest[:8]}"
    model_id, number = base, 1
    while (models_dir / model_id).exists():
        number += 1
        model_id = f"{base}-{number}"
    return model_id


def _latest_temperature(models_dir: Path, latest: BundleManifest | None) -> float | None:
    """The calibrated temperature of the latest bundle's intent classifier, if any."""
    if latest is None:
        return None
    try:
        return IntentClassifier.load(models_dir / latest.model_id / "intent_classifier").temperature
    except (ModelLoadError, OSError, ValueError, KeyError):
        return None


def _train_component(trainer: _Trainer, name: str) -> _Savable:
    label = name.replace("_", " ")
    try:
        return trainer.train(name)
    except RESOURCE_FAILURES as error:
        raise TrainingError(resource_failure(f"training the {label}", error)) from None
    except (ValueError, TypeError, KeyError) as error:
        raise TrainingError(f"training the {label} failed: {error}") from error


def _latest(models_dir: Path) -> BundleManifest | None:
    try:
        return bundle.read_manifest(bundle.resolve(models_dir))
    except BundleError:
        return None


def console_progress(console: Console) -> ProgressCallback:
    """Progress for a terminal: a spinner while a component trains, then one line per
    component (what was reused, what was trained and how long it took)."""
    spinner: list[Status] = []

    def show(step: Progress) -> None:
        label = step.component.replace("_", " ")
        if step.status == "training":
            spinner.append(console.status(f"training the {label} ({step.index}/{step.total})"))
            spinner[-1].start()
            return
        while spinner:
            spinner.pop().stop()
        if step.status == "trained":
            console.print(f"trained {label} in {step.seconds:.1f} s")
        else:
            console.print(f"reused {label} (unchanged)")

    return show


def _report(progress: ProgressCallback | None, step: Progress) -> None:
    if progress is not None:
        progress(step)
