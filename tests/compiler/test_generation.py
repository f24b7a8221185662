"""Training-data generation: seeded, deduplicated, balanced, with exact offsets."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

from assistc.compiler import examples
from assistc.compiler.compile import compile_project
from assistc.compiler.config import resolve_config
from assistc.compiler.entities import resolve_entities
from assistc.compiler.intent_cache import FileEntries
from assistc.compiler.sources import load_sources
from assistc.compiler.symbols import build_symbols
from assistc.dsl.claims import can_fork
from assistc.runtime import ir


def assistant_from(
    tmp_path: Path, source: str, files: dict[str, str] | None = None
) -> ir.Assistant:
    (tmp_path / "main.assist").write_text(source, encoding="utf-8")
    for name, text in (files or {}).items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    result = compile_project(tmp_path)
    assert result.assistant is not None, [d.message for d in result.errors]
    return result.assistant


def examples_of(assistant: ir.Assistant, intent: str) -> list[ir.Example]:
    return next(i for i in assistant.intents if i.name == intent).examples


SOURCE = """
entity size: enum
  small = "little"
  large = "big"
entity city: lookup "cities.txt"
  roles from, to
phrase polite = "please" | ""

intent order:
  "hand written order"
  "(i want|give me) a {size} pizza {polite}"
  "fly from {city:from} to {city:to}"
  "a [big](size) one"
  generate 40
"""


def test_placeholders_are_annotated_with_exact_offsets_roles_and_canonical_values(
    tmp_path: Path,
) -> None:
    cities = "\n".join(f"City{n}" for n in range(30)) + "\n"
    assistant = assistant_from(tmp_path, SOURCE, {"cities.txt": cities})
    examples = examples_of(assistant, "order")
    assert len(examples) == 40
    assert examples[0].text == "hand written order"  # hand-written ones first, always kept
    assert len({e.text for e in examples}) == 40
    roles = Counter()
    for example in examples:
        for entity in example.entities:
            assert example.text[entity.start : entity.end] == entity.value
            roles[entity.role] += 1
            if entity.value in ("little", "big"):
                assert entity.canonical == {"little": "small", "big": "large"}[entity.value]
    assert roles["from"] > 0 and roles["to"] > 0
    literal = next(e for e in examples if e.text == "a big one")
    assert literal.entities[0].canonical == "large"


def test_same_sources_same_examples_and_seed_changes_them(tmp_path: Path) -> None:
    cities = "\n".join(f"City{n}" for n in range(30)) + "\n"
    first = assistant_from(tmp_path, SOURCE, {"cities.txt": cities})
    second = assistant_from(tmp_path, SOURCE, {"cities.txt": cities})
    assert first.to_json() == second.to_json()
    reseeded = compile_project(tmp_path, seed=99).assistant
    assert reseeded is not None
    assert examples_of(reseeded, "order") != examples_of(first, "order")


def test_a_huge_lookup_does_not_drown_the_other_templates(tmp_path: Path) -> None:
    cities = "\n".join(f"Town{n}" for n in range(10_000)) + "\n"
    source = """
entity city: lookup "cities.txt"
intent travel:
  "go to {city}"
  "(book|reserve) a (train|bus|plane) ticket [for (today|tomorrow|friday)]"
  "how do i get there (today|tomorrow|now)"
  generate 30
"""
    examples = examples_of(assistant_from(tmp_path, source, {"cities.txt": cities}), "travel")
    with_city = sum(1 for e in examples if e.entities)
    # Templates are picked first, values second: the 10,000-row table gets about a third.
    assert 5 <= with_city <= 18
    assert len(examples) == 30


def test_holdout_uses_values_training_never_saw(tmp_path: Path) -> None:
    cities = "\n".join(f"City{n}" for n in range(60)) + "\n"
    source = """
config:
  holdout = 0.3
entity city: lookup "cities.txt"
intent travel:
  "(go|travel|fly) to {city} [please]"
  generate 60
"""
    assistant = assistant_from(tmp_path, source, {"cities.txt": cities})
    intent = assistant.intents[0]
    assert intent.holdout, "a holdout split was asked for"
    train_values = {e.value for x in intent.examples for e in x.entities}
    test_values = {e.value for x in intent.holdout for e in x.entities}
    assert test_values and not (train_values & test_values)
    assert not {x.text for x in intent.examples} & {x.text for x in intent.holdout}


def test_templates_that_cannot_deliver_give_everything_they_can(tmp_path: Path) -> None:
    source = """
intent greet:
  "(hi|hello) [there]"
  generate 50
"""
    assistant = assistant_from(tmp_path, source)
    texts = sorted(e.text for e in examples_of(assistant, "greet"))
    assert texts == ["hello", "hello there", "hi", "hi there"]


PROBLEMS = """
intent greet:
  "hello {nobody}"
  "hi (there"
  "hand written order"
  "a [huge](size) one"
  "see you {polite}"

intent bye:
  "bye {polite}"
  "so long"

intent thanks:
  "thanks {polite}"
  "thank you"
"""


@pytest.mark.parametrize("dying", [False, True])
def test_a_second_process_generates_what_one_process_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dying: bool
) -> None:
    """`check` (templates not sampled) shares the intents with a worker; `build` does not.
    A worker that dies after sending one file's outcomes only costs time."""
    if not can_fork():
        pytest.skip("the second process is forked")
    project = tmp_path / "project"
    project.mkdir()
    (project / "main.assist").write_text(SOURCE, encoding="utf-8")
    (project / "more.assist").write_text(PROBLEMS, encoding="utf-8")
    (project / "cities.txt").write_text("\n".join(f"City{n}" for n in range(30)), "utf-8")
    sources = load_sources(project)
    texts = {source.display: source.text for source in sources.files}
    table, _ = build_symbols(sources.modules, set())
    config, _ = resolve_config(table, None)
    entities, _ = resolve_entities(table, project)
    marker = tmp_path / "worker ran"
    packed = examples.PendingExamples._packed_file
    sent = []

    def marking(self: examples.PendingExamples, n: int) -> bytes:
        marker.touch()  # in the worker: its changes to this test's state are lost
        if dying and sent:
            os._exit(1)
        sent.append(n)
        return packed(self, n)

    monkeypatch.setattr(examples.PendingExamples, "_packed_file", marking)
    monkeypatch.setattr(examples, "PARALLEL_MIN_EXAMPLES", 1)

    def generated(jobs: int, sample_templates: bool = False) -> tuple[object, ...]:
        """What generating gives, keeps in memory and stores on disk (each process stores
        the entries of the files whose intents it generated)."""
        cache = examples.IntentCache()
        disk = FileEntries(tmp_path / f"entries {jobs} {sample_templates}", texts)
        result = examples.generate_intents(
            table,
            entities,
            config,
            sample_templates=sample_templates,
            cache=cache,
            disk=disk,
            jobs=jobs,
        )
        outcomes = {name: (o.portable, o.packed()) for name, o in cache.items()}
        environment = examples._environment(table, entities, config, sample_templates)
        stored = {file: FileEntries(disk.folder, texts).load(file, environment) for file in texts}
        assert all(entry is not None for entry in stored.values())
        return result, outcomes, stored

    generated(2, sample_templates=True)
    assert not marker.exists()
    alone = generated(1)
    assert not marker.exists()
    assert generated(2) == alone
    assert marker.exists()
    assert any(not portable for portable, _ in alone[1].values())  # both kinds compared


COUNTED = """
entity size: enum
  small = "little"
  large = "big"
entity only: enum
  single
phrase polite = "please" | ""
phrase courteous = "{polite} now" | "kindly"
phrase loop = "again {loop}"

intent counted:
  "hand written"
  "a [big](size) one"
  "(i want|give me) a {size} pizza {polite} {courteous}"
  "(just one) {only} [maybe]"
  "(only)"
  "{only:role} and [large](size:role)"
  "[huge](size) or {nobody}"
  "{loop} (a|b)"
  "hi (there"
  "[(big|large)](size) [x|y] ()"
"""


def test_counting_a_template_agrees_with_building_its_tree(tmp_path: Path) -> None:
    """`check` only counts templates of several expansions: the counts, reports, the
    trees of the single-expansion ones and the names used are what building gives."""
    (tmp_path / "main.assist").write_text(COUNTED, encoding="utf-8")
    sources = load_sources(tmp_path)
    table, _ = build_symbols(sources.modules, set())
    entities, _ = resolve_entities(table, tmp_path)
    decl = table.intents.get("counted")
    assert decl is not None
    sizes = []
    for literal in decl.examples:
        built = examples._Resolver(table, entities, [])
        counting = examples._Resolver(table, entities, [])
        tree = built.compile(literal)
        found = counting.counted(literal)
        if tree is None:
            assert found is None
        else:
            assert found is not None
            size = examples.count(tree)
            assert found == (size, tree if size == 1 else None)
            sizes.append((size, len(built.problems)))
        assert counting.problems == built.problems
        assert counting.used_entities == built.used_entities
        assert counting.used_phrases == built.used_phrases
    # `(only)` and the roles line are single expansions found by counting (the latter
    # with two reports, made once); the others are counted only.
    assert sizes == [(1, 0), (1, 0), (48, 0), (2, 0), (1, 0), (1, 2), (6, 0)]
