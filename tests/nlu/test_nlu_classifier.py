"""Intent classifier: ranking, calibrated confidences, fallback, degenerate data, and the
entity stage (delexicalised features, entity types)."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from nlu_fixtures import chit_chat_examples, pizza_examples
from sklearn.svm import LinearSVC

from assistc.runtime.ir import Config, Example
from assistc.runtime.nlu import classifier as classifier_module
from assistc.runtime.nlu import vectors as vectors_module
from assistc.runtime.nlu.classifier import IntentClassifier
from assistc.runtime.nlu.delex import DelexFeaturizer, delexicalise
from assistc.runtime.nlu.errors import ModelLoadError
from assistc.runtime.nlu.pipeline import NLUModel
from assistc.runtime.nlu.tagger import TaggedSpan
from assistc.runtime.nlu.tfidf import TfidfFeaturizer
from assistc.runtime.nlu.types import NLU_FALLBACK_INTENT
from assistc.runtime.nlu.vectors import WordVectors, pretrained

EXAMPLES = chit_chat_examples() + pizza_examples()
WEATHER_OR_MUSIC = [
    Example(text=text, intent=intent)
    for intent, texts in [
        ("weather", ["is it going to rain today", "will it be sunny tomorrow",
                     "how cold is it outside", "what is the temperature", "do i need an umbrella"]),
        ("music", ["play some jazz", "put on a rock song", "i want to hear the guitar",
                   "start the playlist", "play my favourite band"]),
    ]
    for text in texts
]  # fmt: skip
UNSEEN_WORDING = {
    "blizzard expected": "weather",
    "humid and windy": "weather",
    "symphony orchestra": "music",
    "blues album": "music",
}


def test_ranking_is_sorted_distribution_over_all_intents() -> None:
    classifier = IntentClassifier.train(EXAMPLES, Config())
    ranking = classifier.rank("hello there bot")
    assert ranking[0].name == "greet"
    assert sorted(r.name for r in ranking) == ["goodbye", "greet", "order_pizza"]
    confidences = [r.confidence for r in ranking]
    assert confidences == sorted(confidences, reverse=True)
    assert abs(sum(confidences) - 1.0) < 1e-9


def test_predicts_each_intent_on_unseen_wording() -> None:
    classifier = IntentClassifier.train(EXAMPLES, Config())
    assert classifier.rank("goodbye then, see you")[0].name == "goodbye"
    assert classifier.rank("large pizza with mushrooms")[0].name == "order_pizza"


def test_low_confidence_becomes_nlu_fallback_with_real_ranking_after_it() -> None:
    config = Config(nlu_fallback_threshold=0.99)
    model = NLUModel.train(EXAMPLES, [], config)
    result = model.parse("qwerty zxcv")
    assert result.intent.name == NLU_FALLBACK_INTENT
    assert result.intent.confidence == 0.99
    assert result.intent_ranking[0].name == NLU_FALLBACK_INTENT
    assert {r.name for r in result.intent_ranking[1:]} == {"goodbye", "greet", "order_pizza"}


def test_confident_prediction_is_not_fallback_at_default_threshold() -> None:
    model = NLUModel.train(EXAMPLES, [], Config())
    result = model.parse("hello")
    assert result.intent.name == "greet"
    assert result.intent.confidence >= Config().nlu_fallback_threshold


def test_ranking_is_cut_to_ten() -> None:
    examples = [Example(text=f"word{i} thing{i}", intent=f"intent_{i:02d}") for i in range(14)]
    model = NLUModel.train(examples, [], Config(nlu_fallback_threshold=0.0))
    result = model.parse("word3 thing3")
    assert len(result.intent_ranking) == 10
    assert result.intent.name == "intent_03"


def test_zero_intents_gives_fallback_with_zero_confidence() -> None:
    model = NLUModel.train([], [], Config())
    result = model.parse("anything at all")
    assert result.intent.name == NLU_FALLBACK_INTENT
    assert result.intent.confidence == 0.0
    assert result.intent_ranking == []


def test_one_intent_has_full_confidence() -> None:
    model = NLUModel.train(chit_chat_examples()[:3], [], Config())
    result = model.parse("something unrelated")
    assert result.intent.name == "greet"
    assert result.intent.confidence == 1.0


def test_intent_with_a_single_example_is_learned() -> None:
    examples = [*EXAMPLES, Example(text="what is the weather like", intent="weather")]
    classifier = IntentClassifier.train(examples, Config())
    assert classifier.rank("what is the weather like")[0].name == "weather"


def test_examples_without_any_word_give_uniform_confidences() -> None:
    examples = [Example(text="👍", intent="approve"), Example(text="?!", intent="puzzled")]
    ranking = IntentClassifier.train(examples, Config()).rank("👍 ok")
    assert [r.confidence for r in ranking] == [0.5, 0.5]


def test_word_vectors_recognise_wording_no_example_uses() -> None:
    assert pretrained() is not None, "the word-vector package is a dependency"
    with_vectors = IntentClassifier.train(WEATHER_OR_MUSIC, Config())
    assert {text: with_vectors.rank(text)[0].name for text in UNSEEN_WORDING} == UNSEEN_WORDING


def test_without_word_vectors_tfidf_alone_misses_unseen_wording(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(classifier_module, "pretrained", lambda: None)
    tfidf_only = IntentClassifier.train(WEATHER_OR_MUSIC, Config())
    assert tfidf_only.featurizer is not None and tfidf_only.featurizer.vectors is None
    predicted = {text: tfidf_only.rank(text)[0].name for text in UNSEEN_WORDING}
    assert predicted != UNSEEN_WORDING


def test_saved_classifier_with_vectors_predicts_identically(tmp_path: Path) -> None:
    trained = IntentClassifier.train(WEATHER_OR_MUSIC, Config())
    trained.save(tmp_path / "clf")
    loaded = IntentClassifier.load(tmp_path / "clf")
    for text in UNSEEN_WORDING:
        assert np.array_equal(loaded.probabilities(text), trained.probabilities(text))
    retrained = IntentClassifier.train(WEATHER_OR_MUSIC, Config())
    for text in UNSEEN_WORDING:
        assert np.array_equal(retrained.probabilities(text), trained.probabilities(text))


def test_model_trained_with_other_word_vectors_does_not_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    IntentClassifier.train(WEATHER_OR_MUSIC, Config()).save(tmp_path / "clf")
    other = WordVectors("glove 0.0 top 2", ["rain", "jazz"], np.eye(2, dtype=np.float32))
    monkeypatch.setattr(vectors_module, "pretrained", lambda: other)
    with pytest.raises(ModelLoadError, match="retrain"):
        IntentClassifier.load(tmp_path / "clf")


def test_one_message_gets_exactly_its_training_features() -> None:
    texts = [e.text for e in WEATHER_OR_MUSIC]
    featurizer = TfidfFeaturizer.fit(texts, pretrained())
    messages = [*texts, *UNSEEN_WORDING, "zzqx", ""]
    batch = featurizer.transform(messages).toarray()
    for row, message in zip(batch, messages, strict=True):
        cols, values = featurizer.vector(message)
        alone = np.zeros(featurizer.n_features)
        alone[cols] = values
        assert np.array_equal(alone, row), message


def _titled(intent: str, kind: str, n: int) -> tuple[list[Example], list[list[TaggedSpan]]]:
    """Examples worded alike for both intents; only the type of the title tells them
    apart (titles are made-up words, so their text does not)."""
    rng = random.Random(intent)
    examples: list[Example] = []
    spans: list[list[TaggedSpan]] = []
    for i in range(n):
        title = "".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(3))
        text = f"{['play', 'put on', 'start', 'i want'][i % 4]} {title} please"
        start = text.index(title)
        examples.append(Example(text=text, intent=intent))
        spans.append([TaggedSpan(kind, None, start, start + len(title), 0.9)])
    return examples, spans


SONGS = _titled("play_music", "song", 40)
MOVIES = _titled("watch_movie", "movie", 40)
TITLED = SONGS[0] + MOVIES[0]
TITLE_SPANS = SONGS[1] + MOVIES[1]


def _span(text: str, title: str, kind: str) -> list[TaggedSpan]:
    return [TaggedSpan(kind, None, text.index(title), text.index(title) + len(title), 0.9)]


def test_entity_types_of_the_spans_decide_between_intents_worded_alike() -> None:
    classifier = IntentClassifier.train(TITLED, Config(), spans=TITLE_SPANS)
    assert classifier.entity_stage is not None
    for text in ["play zorbu please", "put on kelemo please"]:
        title = text.split()[-2]
        assert classifier.rank(text, _span(text, title, "movie"))[0].name == "watch_movie"
        assert classifier.rank(text, _span(text, title, "song"))[0].name == "play_music"


def test_saved_classifier_with_entity_stage_predicts_identically(tmp_path: Path) -> None:
    trained = IntentClassifier.train(TITLED, Config(), spans=TITLE_SPANS)
    trained.save(tmp_path / "clf")
    loaded = IntentClassifier.load(tmp_path / "clf")
    assert loaded.entity_stage is not None
    text = "start mopiku please"
    for kind in ["song", "movie"]:
        spans = _span(text, "mopiku", kind)
        assert np.array_equal(loaded.probabilities(text, spans), trained.probabilities(text, spans))


def test_quick_retrain_and_unannotated_data_have_no_entity_stage() -> None:
    quick = IntentClassifier.train(TITLED, Config(), temperature=2.0, spans=TITLE_SPANS)
    assert quick.entity_stage is None
    unannotated = IntentClassifier.train(TITLED, Config(), spans=[[] for _ in TITLED])
    assert unannotated.entity_stage is None


def test_delexicalised_text_replaces_each_span_by_one_type_token() -> None:
    text = "play the album Blue Train, by John Coltrane"
    spans = [*_span(text, "Blue Train", "album"), *_span(text, "John Coltrane", "artist")]
    assert delexicalise(text, spans) == [
        "<s>", "play", "the", "album", "[album]", "by", "[artist]", "</s>",
    ]  # fmt: skip
    assert delexicalise(text, []) == ["<s>", *text.lower().replace(",", "").split(), "</s>"]


def test_delexicalised_features_of_one_message_match_the_training_rows() -> None:
    texts = [e.text for e in TITLED]
    featurizer, rows = DelexFeaturizer.fit_transform(texts, TITLE_SPANS)
    batch = rows.toarray()
    for row, text, spans in zip(batch, texts, TITLE_SPANS, strict=True):
        cols, values = featurizer.vector(text, spans)
        alone = np.zeros(len(featurizer.vocabulary))
        alone[cols] = values
        assert np.array_equal(alone, row), text


@pytest.mark.parametrize("groups", [1, 2, 3, 5])
def test_svms_trained_in_groups_of_classes_are_each_class_against_the_rest(
    monkeypatch: pytest.MonkeyPatch, groups: int
) -> None:
    """However the classes are grouped (merging the others into one label), class k's
    SVM is the binary SVM of k against the rest; a class without examples scores
    `ABSENT_SCORE`."""
    texts = [e.text for e in EXAMPLES + WEATHER_OR_MUSIC]
    names = sorted({e.intent for e in EXAMPLES + WEATHER_OR_MUSIC})
    y = np.array([names.index(e.intent) for e in EXAMPLES + WEATHER_OR_MUSIC])
    featurizer = TfidfFeaturizer.fit(texts, pretrained())
    x = featurizer.transform(texts)
    n_classes = len(names) + 1  # the last class has no examples
    monkeypatch.setattr(classifier_module, "PARALLEL_BUDGET", 0 if groups > 1 else 1e12)
    monkeypatch.setattr(classifier_module, "PARALLEL_GROUPS", groups)
    coef, intercept = classifier_module._fit_svms(x, y, n_classes, 0)
    for k in range(len(names)):
        alone = LinearSVC(C=classifier_module.SVM_C, random_state=0).fit(x, y == k)
        assert np.allclose(coef[k], alone.coef_[0], atol=1e-3), names[k]
        assert intercept[k] == pytest.approx(alone.intercept_[0], abs=1e-3)
    assert not coef[-1].any() and intercept[-1] == classifier_module.ABSENT_SCORE


def test_svms_trained_in_groups_do_not_depend_on_the_number_of_cores(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    texts = [e.text for e in EXAMPLES + WEATHER_OR_MUSIC]
    names = sorted({e.intent for e in EXAMPLES + WEATHER_OR_MUSIC})
    y = np.array([names.index(e.intent) for e in EXAMPLES + WEATHER_OR_MUSIC])
    x = TfidfFeaturizer.fit(texts, pretrained()).transform(texts)
    monkeypatch.setattr(classifier_module, "PARALLEL_BUDGET", 0)
    fitted = []
    for cores in (1, 2, 4):
        monkeypatch.setattr(classifier_module.os, "cpu_count", lambda cores=cores: cores)
        fitted.append(classifier_module._fit_svms(x, y, len(names), 7))
    for coef, intercept in fitted[1:]:
        assert np.array_equal(coef, fitted[0][0]) and np.array_equal(intercept, fitted[0][1])
