"""Rule-based entities: enum/lookup phrase matching, regex, builtin."""

from __future__ import annotations

import pytest
from nlu_fixtures import ENTITIES

from assistc.runtime.ir import Entity, EnumValue
from assistc.runtime.nlu.matcher import EntityMatcher, MatcherBuildError


def spans(matcher: EntityMatcher, text: str) -> list[tuple[str, str, object]]:
    return [(e.entity, e.text, e.value) for e in matcher.match(text)]


def test_synonym_maps_to_canonical_value_and_keeps_surface_text() -> None:
    matcher = EntityMatcher.build(ENTITIES)
    found = matcher.match("a big pizza")
    assert [(e.entity, e.value, e.text, e.start, e.end) for e in found] == [
        ("size", "large", "big", 2, 5)
    ]
    assert found[0].extractor == "matcher"


def test_case_and_accent_insensitive() -> None:
    matcher = EntityMatcher.build(ENTITIES)
    assert spans(matcher, "JALAPENO please") == [("topping", "JALAPENO", "jalapeño")]
    assert spans(matcher, "Mushrooms") == [("topping", "Mushrooms", "mushroom")]


def test_longest_match_and_multi_word_synonyms() -> None:
    matcher = EntityMatcher.build(ENTITIES)
    assert ("topping", "green pepper", "green pepper") in spans(matcher, "green pepper pizza")
    assert ("size", "extra large", "large") in spans(matcher, "an extra large one")
    assert ("topping", "pepper", "pepper") not in spans(matcher, "green pepper pizza")


def test_token_boundaries_are_respected() -> None:
    matcher = EntityMatcher.build(ENTITIES)
    assert spans(matcher, "smallish bigger mushroomy") == []


def test_regex_entity() -> None:
    matcher = EntityMatcher.build(ENTITIES)
    found = [e for e in matcher.match("status of ORD-1234 and ORD-12") if e.entity == "order_id"]
    assert [(e.value, e.start, e.end, e.extractor) for e in found] == [
        ("ORD-1234", 10, 18, "regex")
    ]


def test_builtin_entity_uses_the_stdlib_extractor() -> None:
    matcher = EntityMatcher.build(ENTITIES)
    found = [e for e in matcher.match("three pizzas") if e.entity == "count"]
    assert len(found) == 1
    assert found[0].value == 3
    assert found[0].extractor == "builtin:number"


def test_bad_declarations_give_clear_errors() -> None:
    with pytest.raises(MatcherBuildError, match="invalid regex"):
        EntityMatcher.build([Entity(name="bad", kind="regex", pattern="(")])
    with pytest.raises(MatcherBuildError, match="unknown builtin"):
        EntityMatcher.build([Entity(name="bad", kind="builtin", builtin="colour")])


def test_large_lookup_table() -> None:
    values = [EnumValue(name=f"product {i:06d} deluxe") for i in range(100_000)]
    matcher = EntityMatcher.build([Entity(name="product", kind="lookup", values=values)])
    found = matcher.match("I want Product 054321 Deluxe and product 099999 deluxe now")
    assert [e.value for e in found] == ["product 054321 deluxe", "product 099999 deluxe"]
    assert matcher.match("product 100000 deluxe") == []
