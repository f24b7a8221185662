"""The on-disk cache of intent outcomes (`compiler.intent_cache`): a fresh check of an
unchanged file generates none of its intents again, and the output is always that of a
check without any cache."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assistc.compiler import examples, intent_cache
from assistc.compiler.compile import INTENT_CACHE_DIR, compile_project
from assistc.dsl import ast
from assistc.dsl.parse_cache import clear_memory_cache

DEFINITIONS = """config:
  min_examples = 3

entity size: enum
  small = "little"
  large

phrase polite = "please" | ""
"""
MAIN = """intent order:
  "(i want|give me) a {size} pizza {polite}"
  "a [large](size) one"
  generate 10

intent greet:
  "hello there"
  "hi"
"""
OTHER = """intent bye:
  "goodbye"
  "see you {polite}"
"""
FILES = {"defs.assist": DEFINITIONS, "main.assist": MAIN, "other.assist": OTHER}


@pytest.fixture
def generated(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The names of the intents generated (not taken from a cache), in order."""
    names: list[str] = []
    original = examples._GenerationState.generate

    def counting(
        self: examples._GenerationState, decl: ast.IntentDecl, *args: object, **kwargs: object
    ) -> examples._IntentOutcome:
        names.append(decl.name.text)
        return original(self, decl, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(examples._GenerationState, "generate", counting)
    yield names


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")


def check(root: Path, *, sample_templates: bool = False) -> tuple[object, ...]:
    """A fresh process's view: nothing in memory, only what is on disk."""
    clear_memory_cache()
    result = compile_project(root, sample_templates=sample_templates)
    assistant = result.assistant.model_dump_json() if result.assistant else None
    return tuple(result.diagnostics), assistant, {k: vars(v) for k, v in result.stats.items()}


def uncached(root: Path, *, sample_templates: bool = False) -> tuple[object, ...]:
    clear_memory_cache()
    result = compile_project(root, sample_templates=sample_templates, disk_cache=False)
    assistant = result.assistant.model_dump_json() if result.assistant else None
    return tuple(result.diagnostics), assistant, {k: vars(v) for k, v in result.stats.items()}


def entries(root: Path) -> list[Path]:
    return sorted((root / INTENT_CACHE_DIR).glob("*.pickle"))


@pytest.mark.parametrize("sample_templates", [False, True])
def test_unchanged_files_are_not_generated_again(
    tmp_path: Path, generated: list[str], sample_templates: bool
) -> None:
    write(tmp_path, {**FILES, "other.assist": OTHER.replace("goodbye", "hello there")})
    first = check(tmp_path, sample_templates=sample_templates)
    assert sorted(generated) == ["bye", "greet", "order"]
    assert len(entries(tmp_path)) == 2
    codes = {d.code for d in first[0]}  # type: ignore[attr-defined]
    assert {"E0401", "W0402"} <= codes  # problems are kept in the entries too
    generated.clear()
    second = check(tmp_path, sample_templates=sample_templates)
    assert generated == []
    assert second == first == uncached(tmp_path, sample_templates=sample_templates)


def test_an_edited_file_regenerates_only_its_own_intents(
    tmp_path: Path, generated: list[str]
) -> None:
    write(tmp_path, FILES)
    check(tmp_path)
    before = entries(tmp_path)
    generated.clear()
    write(tmp_path, {"other.assist": "\n\n" + OTHER.replace("see you", "bye now")})
    after = check(tmp_path)
    assert generated == ["bye"]
    assert after == uncached(tmp_path)
    assert len(entries(tmp_path)) == 2 and entries(tmp_path) != before  # old one replaced


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('small = "little"', 'small = "tiny"'),  # an entity
        ('"please" | ""', '"please" | "kindly"'),  # a phrase
        ("min_examples = 3", "min_examples = 2"),  # the config
    ],
)
def test_a_change_to_what_intents_depend_on_regenerates_all(
    tmp_path: Path, generated: list[str], old: str, new: str
) -> None:
    write(tmp_path, FILES)
    baseline = check(tmp_path, sample_templates=True)
    generated.clear()
    write(tmp_path, {"defs.assist": DEFINITIONS.replace(old, new)})
    changed = check(tmp_path, sample_templates=True)
    assert sorted(generated) == ["bye", "greet", "order"]
    assert changed == uncached(tmp_path, sample_templates=True)
    assert changed != baseline


def test_a_corrupt_entry_is_ignored_and_rewritten(tmp_path: Path, generated: list[str]) -> None:
    write(tmp_path, FILES)
    first = check(tmp_path)
    for entry in entries(tmp_path):
        entry.write_bytes(b"not a pickle")
    generated.clear()
    assert check(tmp_path) == first
    assert sorted(generated) == ["bye", "greet", "order"]
    generated.clear()
    assert check(tmp_path) == first
    assert generated == []


def test_an_unwritable_cache_folder_costs_only_speed(tmp_path: Path, generated: list[str]) -> None:
    write(tmp_path, FILES)
    folder = tmp_path / INTENT_CACHE_DIR
    folder.parent.mkdir(parents=True)
    folder.write_text("a file where the folder should be")  # unwritable, even by root
    first = check(tmp_path)
    generated.clear()
    second = check(tmp_path)
    assert sorted(generated) == ["bye", "greet", "order"]
    assert second == first == uncached(tmp_path)
    assert folder.read_text() == "a file where the folder should be"


def test_a_problem_in_another_files_phrase_follows_that_file(
    tmp_path: Path, generated: list[str]
) -> None:
    """The report points into the phrase's file: the outcome is not kept on disk, so
    the report moves with the phrase when only that file changes."""
    write(tmp_path, {"main.assist": 'intent order:\n  "{polite} pizza"\n  "hi"\n'})
    write(tmp_path, {"other.assist": 'phrase polite = "(please" | ""\n'})
    first = check(tmp_path)
    assert "E0006" in {d.code for d in first[0]}  # type: ignore[attr-defined]
    generated.clear()
    write(tmp_path, {"other.assist": '\nphrase polite = "(please" | ""\n'})
    second = check(tmp_path)
    assert generated == ["order"]
    assert second == uncached(tmp_path) != first


def test_a_hint_naming_another_kind_of_definition_follows_it(
    tmp_path: Path, generated: list[str]
) -> None:
    """`{size}` names a slot, not an entity, and the hint says so: when the slot is
    renamed in another file, the hint changes although the intent's file did not."""
    write(tmp_path, {"main.assist": 'intent order:\n  "a {size} pizza"\n  "hi"\n'})
    write(tmp_path, {"other.assist": "slot size: text\n"})
    first = check(tmp_path)
    assert "is a slot" in str(first[0])
    generated.clear()
    write(tmp_path, {"other.assist": "slot size_x: text\n"})
    second = check(tmp_path)
    assert generated == ["order"]
    assert second == uncached(tmp_path) != first


def test_entries_of_other_compiler_code_are_not_used(
    tmp_path: Path, generated: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, FILES)
    first = check(tmp_path)
    monkeypatch.setattr(intent_cache, "code_fingerprint", lambda: "another version")
    generated.clear()
    assert check(tmp_path) == first
    assert sorted(generated) == ["bye", "greet", "order"]
