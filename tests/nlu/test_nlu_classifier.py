"""Intent classifier: ranking, calibrated confidences, fallback, degenerate data."""

from __future__ import annotations

from nlu_fixtures import chit_chat_examples, pizza_examples

from assistc.runtime.ir import Config, Example
from assistc.runtime.nlu.classifier import IntentClassifier
from assistc.runtime.nlu.pipeline import NLUModel
from assistc.runtime.nlu.types import NLU_FALLBACK_INTENT

EXAMPLES = chit_chat_examples() + pizza_examples()


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
