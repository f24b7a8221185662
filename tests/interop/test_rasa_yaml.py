"""Reading Rasa YAML with positions and YAML 1.2 booleans."""

from __future__ import annotations

import pytest

from assistc.compiler.rasa_yaml import YamlError, YList, YMap, YStr, parse_yaml


def test_values_remember_their_line_and_column() -> None:
    data = parse_yaml("a:\n  - x\n  - {b: 1}\n", "f.yml")
    assert isinstance(data, YMap)
    items = data["a"]
    assert isinstance(items, YList) and (items.line, items.col) == (2, 3)
    first = items[0]
    assert isinstance(first, YStr) and (first.line, first.col, first.file) == (2, 5, "f.yml")
    assert (items[1].line, items[1].col) == (3, 5)
    assert data.key_spans["a"].line == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [("yes", "yes"), ("no", "no"), ("on", "on"), ("true", True), ("False", False), ("12", 12)],
)
def test_booleans_follow_yaml_1_2(text: str, expected: object) -> None:
    data = parse_yaml(f"v: {text}\n", "f.yml")
    assert data["v"] == expected and isinstance(data["v"], type(expected))


def test_a_syntax_error_is_a_diagnostic_with_a_position() -> None:
    with pytest.raises(YamlError) as caught:
        parse_yaml("a: [1, 2\nb: 3\n", "bad.yml")
    diagnostic = caught.value.diagnostic
    assert diagnostic.code == "E1301"
    assert diagnostic.span.file == "bad.yml" and diagnostic.span.line == 2


def test_a_self_referencing_alias_is_an_error_not_a_hang() -> None:
    with pytest.raises(YamlError) as caught:
        parse_yaml("a: &x [1, *x]\n", "loop.yml")
    assert caught.value.diagnostic.code == "E1301"
