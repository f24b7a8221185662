"""Model bundles (round trip, corruption) and incremental training (what is reused)."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from pathlib import Path

import dying
import numpy as np
import pytest
from rich.console import Console
from runtime_assistant import make_assistant

from assistc.runtime import bundle, ir, training
from assistc.runtime.bundle import BundleError, load_bundle
from assistc.runtime.dialogue.policies import PolicyEnsemble
from assistc.runtime.dialogue.stores import InMemoryTrackerStore
from assistc.runtime.nlu import tagger as tagger_module
from assistc.runtime.nlu.classifier import IntentClassifier
from assistc.runtime.nlu.matcher import EntityMatcher
from assistc.runtime.nlu.pipeline import NLUModel
from assistc.runtime.nlu.tagger import EntityTagger
from assistc.runtime.testing import render_text, run_tests
from assistc.runtime.training import Progress, TrainingError, component_fingerprints, train

ALL = list(bundle.COMPONENTS)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, training.TrainResult]:
    """One trained bundle shared by the read-only tests of this module."""
    folder = tmp_path_factory.mktemp("models")
    return folder, train(make_assistant(), folder)


def copy_models(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def edit_intent(assistant: ir.Assistant, name: str, example: ir.Example) -> ir.Assistant:
    intents = [
        i.model_copy(update={"examples": [*i.examples, example]}) if i.name == name else i
        for i in assistant.intents
    ]
    return assistant.model_copy(update={"intents": intents})


def test_round_trip(trained: tuple[Path, training.TrainResult]) -> None:
    folder, result = trained
    assert result.trained == ALL and result.reused == []
    assert (folder / "latest").read_text().strip() == result.model_id
    loaded = load_bundle(folder)
    assert loaded.model_id == result.model_id
    assert loaded.assistant == make_assistant()
    assert loaded.fingerprints == component_fingerprints(make_assistant())
    assert loaded.manifest.ir_fingerprint == make_assistant().fingerprint
    assert loaded.nlu.parse("hello there").intent.name == "greet"
    assert load_bundle(result.path).model_id == result.model_id  # the bundle folder itself
    assert not list(folder.glob(".tmp-*"))
    for name in ALL:
        assert not list((result.path / name).rglob("*.pkl"))


def test_nothing_changed_trains_nothing(
    trained: tuple[Path, training.TrainResult], tmp_path: Path
) -> None:
    folder = copy_models(trained[0], tmp_path / "models")
    again = train(make_assistant(), folder)
    assert again.unchanged
    assert again.model_id == trained[1].model_id
    assert again.trained == []
    assert len([p for p in folder.iterdir() if p.is_dir()]) == 1


@pytest.mark.parametrize(
    ("edit", "retrained"),
    [
        (  # a response's text: no component depends on it
            lambda a: a.model_copy(
                update={
                    "responses": [
                        r.model_copy(update={"variations": [ir.Variation(text="Ciao!")]})
                        if r.name == "utter_bye"
                        else r
                        for r in a.responses
                    ]
                }
            ),
            [],
        ),
        (  # one plain example more: only the intent classifier
            lambda a: edit_intent(a, "greet", ir.Example(text="howdy", intent="greet")),
            ["intent_classifier"],
        ),
        (  # an annotated example more: classifier and tagger
            lambda a: edit_intent(
                a,
                "weather",
                ir.Example(
                    text="rain in Oslo",
                    intent="weather",
                    entities=[ir.EntityAnnotation(start=8, end=12, entity="city", value="Oslo")],
                ),
            ),
            ["intent_classifier", "entity_tagger"],
        ),
        (  # an annotation removed, the text kept: the classifier learns from the spans
            lambda a: a.model_copy(
                update={
                    "intents": [
                        i.model_copy(
                            update={
                                "examples": [
                                    i.examples[0].model_copy(update={"entities": []}),
                                    *i.examples[1:],
                                ]
                            }
                        )
                        if i.name == "weather"
                        else i
                        for i in a.intents
                    ]
                }
            ),
            ["intent_classifier", "entity_tagger"],
        ),
        (  # a lookup value more: the tagger's features, so classifier, tagger and matcher
            lambda a: a.model_copy(
                update={
                    "entities": [
                        e.model_copy(update={"values": [*e.values, ir.EnumValue(name="Oslo")]})
                        for e in a.entities
                    ]
                }
            ),
            ["intent_classifier", "entity_tagger", "entity_matcher"],
        ),
        (  # lookup → enum: an enum slot's value is a dialogue feature, so policies too
            lambda a: a.model_copy(
                update={"entities": [e.model_copy(update={"kind": "enum"}) for e in a.entities]}
            ),
            ["intent_classifier", "entity_tagger", "entity_matcher", "policies"],
        ),
        (  # a story step: only the policies
            lambda a: a.model_copy(
                update={"stories": [ir.Story(name="s", steps=a.stories[0].steps[:2])]}
            ),
            ["policies"],
        ),
        (  # the NLU fallback threshold is read at parse time: nothing retrains
            lambda a: a.model_copy(
                update={"config": a.config.model_copy(update={"nlu_fallback_threshold": 0.5})}
            ),
            [],
        ),
    ],
    ids=[
        "response-text",
        "plain-example",
        "annotated-example",
        "annotation-only",
        "lookup",
        "entity-kind",
        "story",
        "threshold",
    ],
)
def test_only_changed_components_retrain(
    trained: tuple[Path, training.TrainResult],
    tmp_path: Path,
    edit: object,
    retrained: list[str],
) -> None:
    folder = copy_models(trained[0], tmp_path / "models")
    edited = edit(make_assistant())  # type: ignore[operator]
    assert edited != make_assistant()
    result = train(edited, folder)
    assert result.trained == retrained
    assert result.reused == [name for name in ALL if name not in retrained]
    assert not result.unchanged
    assert result.model_id != trained[1].model_id
    loaded = load_bundle(folder)
    assert loaded.model_id == result.model_id
    assert loaded.assistant == edited
    for name in result.reused:  # reused components are hard links to the old files
        old = sorted((trained[1].path / name).rglob("*"))
        new = sorted((result.path / name).rglob("*"))
        assert [p.name for p in old] == [p.name for p in new]


def test_reverting_an_edit_reuses_the_older_bundle(
    trained: tuple[Path, training.TrainResult], tmp_path: Path
) -> None:
    folder = copy_models(trained[0], tmp_path / "models")
    edited = edit_intent(make_assistant(), "greet", ir.Example(text="yo", intent="greet"))
    assert train(edited, folder).trained == ["intent_classifier"]
    reverted = train(make_assistant(), folder)
    assert reverted.trained == []


def test_seed_override_retrains_every_seeded_component(
    trained: tuple[Path, training.TrainResult], tmp_path: Path
) -> None:
    folder = copy_models(trained[0], tmp_path / "models")
    result = train(make_assistant(), folder, seed=7)
    assert result.trained == ["intent_classifier", "entity_tagger", "policies"]
    assert load_bundle(folder).manifest.seed == 7


def test_progress_reports_every_component(tmp_path: Path) -> None:
    steps: list[Progress] = []
    train(make_assistant(), tmp_path, progress=steps.append)
    assert [(s.component, s.status) for s in steps if s.status != "training"] == [
        (name, "trained") for name in ALL
    ]
    assert [s.index for s in steps if s.status == "trained"] == [1, 2, 3, 4]
    steps.clear()
    edited = edit_intent(make_assistant(), "greet", ir.Example(text="yo", intent="greet"))
    train(edited, tmp_path, progress=steps.append)
    assert ("entity_matcher", "reused") in [(s.component, s.status) for s in steps]


def test_old_bundles_are_pruned(tmp_path: Path) -> None:
    for number in range(4):
        example = ir.Example(text=f"hey number {number}", intent="greet")
        train(edit_intent(make_assistant(), "greet", example), tmp_path, keep=2)
    bundles = [p for p in tmp_path.iterdir() if p.is_dir()]
    assert len(bundles) == 2
    assert load_bundle(tmp_path).path in bundles


# ------------------------------------------------------------------ bad assistants


def test_empty_assistant_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TrainingError, match="no intents"):
        train(ir.Assistant(name="empty"), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_intent_without_examples_is_a_clear_error(tmp_path: Path) -> None:
    assistant = make_assistant(
        intents=[*make_assistant().intents, ir.Intent(name="x", examples=[])]
    )
    with pytest.raises(TrainingError, match="without examples: x"):
        train(assistant, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_intent_with_one_example_trains_with_a_warning(tmp_path: Path) -> None:
    lonely = ir.Intent(name="thanks", examples=[ir.Example(text="thank you", intent="thanks")])
    result = train(make_assistant(intents=[*make_assistant().intents, lonely]), tmp_path)
    assert any("'thanks' has only 1 example" in warning for warning in result.warnings)
    assert load_bundle(tmp_path).nlu.parse("thank you").intent.name == "thanks"


def test_huge_lookup_trains(tmp_path: Path) -> None:
    cities = [ir.EnumValue(name=f"Town{number}") for number in range(20_000)]
    huge = ir.Entity(name="city", kind="lookup", values=cities)
    result = train(make_assistant(entities=[huge]), tmp_path)
    loaded = load_bundle(tmp_path)
    assert loaded.model_id == result.model_id
    entities = loaded.nlu.parse("weather in Town4711").entities
    assert [e.value for e in entities if e.entity == "city"] == ["Town4711"]


def test_a_failing_component_leaves_nothing_half_written(
    trained: tuple[Path, training.TrainResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = copy_models(trained[0], tmp_path / "models")
    before = sorted(folder.iterdir())

    def broken(cls: object, assistant: ir.Assistant) -> object:
        raise ValueError("cannot fit")

    monkeypatch.setattr(PolicyEnsemble, "train", classmethod(broken))
    edited = make_assistant(stories=[])
    with pytest.raises(TrainingError, match="training the policies failed: cannot fit"):
        train(edited, folder)
    assert sorted(folder.iterdir()) == before
    assert load_bundle(folder).model_id == trained[1].model_id


def test_a_failing_save_leaves_nothing_half_written(
    trained: tuple[Path, training.TrainResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = copy_models(trained[0], tmp_path / "models")
    before = sorted(folder.iterdir())

    def full_disk(source: Path, target: Path) -> None:
        target.mkdir()
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(bundle, "link_component", full_disk)
    with pytest.raises(OSError, match="No space"):
        train(make_assistant(stories=[]), folder)
    assert sorted(folder.iterdir()) == before


# ------------------------------------------------------------------ corrupt bundles


@pytest.fixture
def bundle_copy(trained: tuple[Path, training.TrainResult], tmp_path: Path) -> Path:
    folder = copy_models(trained[0], tmp_path / "models")
    return folder / trained[1].model_id


def test_missing_component_file(bundle_copy: Path) -> None:
    for file in (bundle_copy / "intent_classifier").iterdir():
        file.unlink()
    with pytest.raises(BundleError, match=str(bundle_copy.name)):
        load_bundle(bundle_copy)


def test_truncated_component_file(bundle_copy: Path) -> None:
    victim = max((bundle_copy / "entity_matcher").iterdir(), key=lambda p: p.stat().st_size)
    victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])
    with pytest.raises(BundleError):
        load_bundle(bundle_copy)


def test_corrupt_policies(bundle_copy: Path) -> None:
    for file in (bundle_copy / "policies").iterdir():
        file.write_text("{broken")
    with pytest.raises(BundleError):
        load_bundle(bundle_copy)


def test_manifest_problems(bundle_copy: Path) -> None:
    manifest = bundle_copy / "bundle.json"
    data = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**data, "format_version": 99}))
    with pytest.raises(BundleError, match=r"format version 99.*retrain"):
        load_bundle(bundle_copy)
    manifest.write_text(json.dumps({**data, "fingerprints": "nope"}))
    with pytest.raises(BundleError, match="malformed"):
        load_bundle(bundle_copy)
    manifest.write_text("not json")
    with pytest.raises(BundleError, match="unreadable"):
        load_bundle(bundle_copy)
    manifest.unlink()
    with pytest.raises(BundleError, match="no trained model"):
        load_bundle(bundle_copy)


def test_edited_ir_is_detected(bundle_copy: Path) -> None:
    ir_file = bundle_copy / "assistant.json"
    ir_file.write_text(ir_file.read_text().replace("Bye!", "Bye?"))
    with pytest.raises(BundleError, match="does not match"):
        load_bundle(bundle_copy)


def test_invalid_ir_with_a_matching_fingerprint(bundle_copy: Path) -> None:
    invalid = '{"name": 3}'
    (bundle_copy / "assistant.json").write_text(invalid)
    manifest = bundle_copy / "bundle.json"
    data = json.loads(manifest.read_text())
    data["ir_fingerprint"] = hashlib.sha256(invalid.encode()).hexdigest()
    manifest.write_text(json.dumps(data))
    with pytest.raises(BundleError, match="not a valid IR"):
        load_bundle(bundle_copy)


def test_bad_paths(tmp_path: Path, bundle_copy: Path) -> None:
    with pytest.raises(BundleError, match="no trained model"):
        load_bundle(tmp_path / "nowhere")
    (bundle_copy.parent / "latest").write_text("../elsewhere\n")
    with pytest.raises(BundleError, match="does not name a bundle"):
        load_bundle(bundle_copy.parent)
    (bundle_copy.parent / "latest").write_bytes(b"\xff\xfe")
    with pytest.raises(BundleError, match="unreadable"):
        load_bundle(bundle_copy.parent)
    (bundle_copy.parent / "latest").write_text("gone\n")
    with pytest.raises(BundleError, match="names 'gone', which is missing"):
        load_bundle(bundle_copy.parent)


def test_assistant_folder_resolves_to_its_latest_bundle(
    trained: tuple[Path, training.TrainResult], tmp_path: Path
) -> None:
    copy_models(trained[0], bundle.models_dir(tmp_path))
    assert load_bundle(tmp_path).model_id == trained[1].model_id


def test_console_progress_lines(tmp_path: Path) -> None:
    output = io.StringIO()
    show = training.console_progress(Console(file=output))
    show(Progress("intent_classifier", "training", 1, 4))
    show(Progress("intent_classifier", "trained", 1, 4, 2.25))
    show(Progress("policies", "reused", 4, 4))
    assert output.getvalue().splitlines()[-2:] == [
        "trained intent classifier in 2.2 s",
        "reused policies (unchanged)",
    ]


def test_a_new_component_format_retrains_that_component(
    trained: tuple[Path, training.TrainResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = copy_models(trained[0], tmp_path / "models")
    monkeypatch.setattr(training.classifier, "FORMAT_VERSION", 99)
    assert train(make_assistant(), folder).trained == ["intent_classifier"]


def test_force_trains_everything_again(
    trained: tuple[Path, training.TrainResult], tmp_path: Path
) -> None:
    folder = copy_models(trained[0], tmp_path / "models")
    result = train(make_assistant(), folder, force=True)
    assert result.trained == ALL
    assert not result.unchanged
    again = train(make_assistant(), folder, force=True)  # possibly within the same second
    assert again.model_id != result.model_id
    assert load_bundle(folder).model_id == again.model_id


def test_a_component_that_no_longer_loads_is_retrained_not_reused(
    trained: tuple[Path, training.TrainResult], tmp_path: Path
) -> None:
    folder = copy_models(trained[0], tmp_path / "models")
    for file in (folder / trained[1].model_id / "intent_classifier").iterdir():
        file.write_text("{}")  # e.g. a saved layout that changed without a version bump
    unchanged_ir = train(make_assistant(), folder)
    assert not unchanged_ir.unchanged
    assert unchanged_ir.trained == ["intent_classifier"]
    assert load_bundle(folder).model_id == unchanged_ir.model_id


def test_quick_training_reuses_the_calibration_and_gets_its_own_fingerprint(
    tmp_path: Path,
) -> None:
    """The dev loop's quick retrain skips calibration; a later full train must not reuse
    the quick classifier."""
    assistant = _quick_assistant()
    models = tmp_path / "models"
    full = training.train(assistant, models)
    calibrated = IntentClassifier.load(full.path / "intent_classifier").temperature
    edited = _quick_assistant(extra="good evening to you")
    quick = training.train(edited, models, quick=True)
    assert quick.trained == ["intent_classifier"]
    assert IntentClassifier.load(quick.path / "intent_classifier").temperature == calibrated
    again = training.train(edited, models)
    assert "intent_classifier" in again.trained  # the quick one is not reused


def test_the_trained_classifier_is_the_one_nlu_evaluation_trains(
    trained: tuple[Path, training.TrainResult],
) -> None:
    """`assistc train` gives the classifier the out-of-fold entity spans, as
    `NLUModel.train` (what `nlu eval` measures) does, so both learn the same classifier."""
    assistant = make_assistant()
    examples = [example for intent in assistant.intents for example in intent.examples]
    evaluated = NLUModel.train(examples, assistant.entities, assistant.config).classifier
    bundled = load_bundle(trained[0]).nlu
    assert bundled.classifier.entity_stage is not None
    assert evaluated.entity_stage is not None
    for text in ["weather in Madrid", "is it sunny in London", "hello there", "bye"]:
        spans = bundled.tagger.tag_text(text, bundled.matcher)
        assert np.array_equal(
            bundled.classifier.probabilities(text, spans), evaluated.probabilities(text, spans)
        )


@pytest.mark.parametrize("in_workers", [False, True])
def test_the_tagger_trained_beside_the_classifier_is_the_one_trained_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, in_workers: bool
) -> None:
    """When both train, the tagger trains (in a worker, for many examples) while the
    classifier does, in a full training and in the dev loop's quick one; it is the tagger
    `EntityTagger.train` gives on the annotated examples."""
    if in_workers:
        monkeypatch.setattr(tagger_module, "PARALLEL_MIN_EXAMPLES", 1)
    assistant = make_assistant()
    full = train(assistant, tmp_path)
    oslo = ir.EntityAnnotation(start=8, end=12, entity="city", value="Oslo")
    edited = edit_intent(
        assistant,
        "weather",
        ir.Example(text="snow in Oslo today", intent="weather", entities=[oslo]),
    )
    quick = train(edited, tmp_path, quick=True)
    assert {"intent_classifier", "entity_tagger"} <= set(full.trained)
    assert set(quick.trained) == {"intent_classifier", "entity_tagger"}
    for result, trained_on in [(full, assistant), (quick, edited)]:
        examples = [e for intent in trained_on.intents for e in intent.examples if e.entities]
        matcher = EntityMatcher.build(trained_on.entities)
        alone = EntityTagger.train(examples, matcher, trained_on.config.seed)
        bundled = EntityTagger.load(result.path / "entity_tagger")
        assert bundled.labels == alone.labels and len(bundled.labels) > 1
        assert np.array_equal(bundled.weights, alone.weights)


def test_a_worker_that_dies_is_a_clear_training_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker killed mid-training (the system's out-of-memory killer, say) is a
    `TrainingError` that says so, and nothing is written."""
    monkeypatch.setattr(tagger_module, "PARALLEL_MIN_EXAMPLES", 1)
    monkeypatch.setattr(tagger_module, "_train_full", dying.exit_process)
    with pytest.raises(TrainingError, match="a worker process ended unexpectedly"):
        train(make_assistant(), tmp_path)
    assert not list(tmp_path.iterdir())


def _quick_assistant(extra: str | None = None) -> ir.Assistant:
    greet = ["hi", "hello", "hey there", "good morning", "howdy"] + ([extra] if extra else [])
    bye = ["bye", "goodbye", "see you later", "farewell", "good night"]
    thanks = ["thanks", "thank you", "cheers", "many thanks", "much appreciated"]
    intents = [
        ir.Intent(name=name, examples=[ir.Example(text=t, intent=name) for t in texts])
        for name, texts in (("greet", greet), ("goodbye", bye), ("thank", thanks))
    ]
    return ir.Assistant(name="quick", intents=intents)


def test_a_payload_only_intent_trains_and_is_reached_by_its_payload(tmp_path: Path) -> None:
    base = make_assistant()
    faq = ir.Response(name="utter_faq", variations=[ir.Variation(text="Here are the FAQs.")])
    assistant = make_assistant(
        intents=[*base.intents, ir.Intent(name="faq", examples=[], payload_only=True)],
        responses=[*base.responses, faq],
        rules=[
            *base.rules,
            ir.Rule(name="faq", steps=[ir.UserStep(intent="faq"), ir.BotStep(action="utter_faq")]),
        ],
        tests=[
            ir.ConversationTest(
                name="faq by payload",
                steps=[ir.TestUser(text="/faq", intent="faq"), ir.TestBot(response="utter_faq")],
            )
        ],
    )
    result = train(assistant, tmp_path)
    assert not any("faq" in warning for warning in result.warnings)  # no examples by design
    loaded = load_bundle(tmp_path)
    ranking = loaded.nlu.parse("where are the frequently asked questions").intent_ranking
    assert "faq" not in {prediction.name for prediction in ranking}  # never predicted
    report = run_tests(loaded.agent(InMemoryTrackerStore()))
    assert report.passed, render_text(report)
