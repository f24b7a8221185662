"""The dev loop's re-check (`compile_project` with a `CompileCache` kept between
compiles) gives exactly what a check from scratch gives, whatever one edit changed: the
same diagnostics, the same IR, the same statistics."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistc.compiler import dialogue, responses
from assistc.compiler.compile import CompileCache, compile_project
from assistc.compiler.sources import load_sources
from assistc.compiler.symbols import NAMESPACES, SymbolsMemo, build_symbols
from assistc.dsl.ast import Module
from assistc.dsl.parser import parse_module

DEFS = """use stdlib.smalltalk
use stdlib.entities

entity colour: enum
  red = "crimson"
  blue
  green

entity city: lookup "cities.txt"

entity size: enum
  small
  large
  roles from, to

slot colour: colour
slot size: size
slot count: int
  from entity number
slot note: text
  from text in pick
slot city: city

phrase polite = "please" | "kindly" | ""
"""
INTENTS = """intent order:
  "(i want|give me) a {colour} one {polite}"
  "a [large](size) one"
  "one in {colour} and {size}"
  generate 10

intent ask_count:
  "how many are there"
  "count them"
  "what is the count"
  "tell me the count"
  "how many do you have"
"""
RESPONSES = """response utter_order:
  "A {colour} one, coming up."
  "A red one!" if colour == red
  "Plenty!" if count > 3
    button "More" -> order(colour=blue)

response utter_count:
  "There are {count}."

response utter_ask_note:
  "Any note?"

action fetch(colour: colour) -> (count: int):
  remote "http://localhost:5055/fetch"
"""
DIALOGUE = """form pick:
  ask colour "Which colour?"
    one of red, blue
  ask count "How many?"
    min 1
    max 10
  ask note
  ignore intent ask_count
  then utter_order
  then fetch

rule order:
  user order
  bot utter_order

rule count when red:
  when colour == red
  user ask_count
  run fetch
  bot utter_count

story pick:
  user order(colour=red)
  form pick
  user ask_count
  bot utter_count

story pick and count:
  include pick
  user order(size:from=small) | ask_count
  bot utter_order

test order:
  user "give me a red one please" as order
  bot utter_order
  slot city = london

test pick answers off-script:
  user "give me a red one please" as order
  form pick
  form pick completes with count = 3, note = "none"
"""
FILES = {
    "defs.assist": DEFS,
    "intents.assist": INTENTS,
    "responses.assist": RESPONSES,
    "dialogue.assist": DIALOGUE,
    "cities.txt": "paris\nlondon\n",
}

EDITS: dict[str, tuple[str, str, str]] = {
    # (file, old text, new text)
    "rename a slot other files use": ("defs.assist", "slot colour: colour", "slot shade: colour"),
    "rename an entity": ("defs.assist", "entity colour: enum", "entity hue: enum"),
    "drop an enum member": ("defs.assist", '  red = "crimson"\n', ""),
    "drop a role": ("defs.assist", "  roles from, to\n", ""),
    "add a slot named like a typo": (
        "defs.assist",
        "slot note: text",
        "slot cnts: int\nslot note: text",
    ),
    "edit a lookup table": ("cities.txt", "london", "lisbon"),
    "a slot is filled by an intent instead": (
        "defs.assist",
        "slot size: size\n",
        "slot size: size\n  from intent order = small\n",
    ),
    "retype a slot": ("defs.assist", "slot count: int", "slot count: text"),
    "give a slot an initial value": ("defs.assist", "slot size: size", "slot size: size = small"),
    "shift every line": ("defs.assist", "use stdlib.entities\n", "use stdlib.entities\n\n\n"),
    "stop using a stdlib module": ("defs.assist", "use stdlib.entities\n", ""),
    "a phrase named like an entity in another file": (
        "intents.assist",
        "intent ask_count:",
        'phrase size = "big"\n\nintent ask_count:',
    ),
    "define a slot twice in a file": (
        "defs.assist",
        "slot count: int",
        "slot size: int\nslot count: int",
    ),
    "rename an intent": ("intents.assist", "intent order:", "intent purchase:"),
    "rename an intent a form ignores": ("intents.assist", "intent ask_count:", "intent asks:"),
    "an intent tests expect becomes payload only": (
        "intents.assist",
        'intent order:\n  "(i want|give me) a {colour} one {polite}"\n  "a [large](size) one"\n'
        '  "one in {colour} and {size}"\n  generate 10\n',
        "intent order: payload only\n",
    ),
    "duplicate an intent": ("intents.assist", "intent ask_count:", "intent order:"),
    "a placeholder names a response": ("intents.assist", "count them", "count {utter_count}"),
    "edit an example": ("intents.assist", "count them", "count them all"),
    "rename a response": ("responses.assist", "response utter_count:", "response utter_total:"),
    "rename a response like another": (
        "responses.assist",
        "response utter_ask_note:",
        "response utter_counts:",
    ),
    "break an interpolation": ("responses.assist", "There are {count}.", "There are {cnt}."),
    "add a response named like a typo": (
        "responses.assist",
        "response utter_count:",
        'response utter_conf:\n  "Sure."\n\nresponse utter_count:',
    ),
    "rename the action": ("responses.assist", "action fetch(", "action fetch_it("),
    "response becomes an action's name": (
        "responses.assist",
        'remote "http://localhost:5055/fetch"',
        'remote "http://localhost:5055/fetch"\n\nresponse fetch:\n  "Fetched."',
    ),
    "duplicate a response in another file": (
        "dialogue.assist",
        "form pick:",
        'response utter_order:\n  "Again."\n\nform pick:',
    ),
    "break a bot step": (
        "dialogue.assist",
        "  bot utter_count\n\nstory",
        "  bot utter_cont\n\nstory",
    ),
    "no story includes another": (
        "dialogue.assist",
        "  include pick\n  user order(size:from=small)",
        "  user order(size:from=small)",
    ),
    "make an include cycle": (
        "dialogue.assist",
        "  user ask_count\n  bot utter_count\n\nstory pick and count:",
        "  user ask_count\n  bot utter_count\n  include pick and count\n\nstory pick and count:",
    ),
    "break a story step": (
        "dialogue.assist",
        "  user ask_count\n  bot utter_count\n\nstory pick and count:",
        "  user ask_count\n  bot utter_cont\n\nstory pick and count:",
    ),
    "conflicting story": (
        "dialogue.assist",
        "test order:",
        "story other:\n  user order(colour=red)\n  bot utter_count\n\ntest order:",
    ),
    "a story's slots rule out a response": (
        "dialogue.assist",
        "test order:",
        'response utter_large:\n  "Large!" if size == large\n\n'
        "story small:\n  user order(size=small)\n  bot utter_large\n\ntest order:",
    ),
    "break a test": (
        "dialogue.assist",
        '  user "give me a red one please" as order\n  bot utter_order',
        '  user "give me a red one please" as order\n  bot utter_ordr',
    ),
    "rename a form": ("dialogue.assist", "form pick:", "form choose:"),
    "an intent in another file repeats an example": (
        "dialogue.assist",
        "form pick:",
        'intent how_many:\n  "How many are THERE"\n  "count it"\n\nform pick:',
    ),
    "narrow a constraint a test's form step relies on": ("dialogue.assist", "max 10", "max 2"),
    "a test's form step names a form like another": (
        "dialogue.assist",
        "  form pick\n  form pick completes with",
        "  form pik completes with",
    ),
    "rename an included story": ("dialogue.assist", "story pick:", "story picking:"),
    "include a story in a rule": ("dialogue.assist", "  user order\n", "  include pick\n"),
    "conflicting rule": (
        "dialogue.assist",
        "story pick:",
        "rule order again:\n  user order\n  bot utter_count\n\nstory pick:",
    ),
    "delete a file's contents": ("responses.assist", RESPONSES, ""),
}


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")


def outcome(root: Path, cache: CompileCache | None, sample_templates: bool) -> tuple[object, ...]:
    result = compile_project(
        root, cache=cache, sample_templates=sample_templates, disk_cache=cache is not None
    )
    assistant = result.assistant.model_dump_json() if result.assistant else None
    stats = [(name, vars(stat)) for name, stat in result.stats.items()]  # in name order
    return tuple(result.diagnostics), assistant, stats


def assert_recheck_matches(
    root: Path, files: dict[str, str], edits: list[str], sample_templates: bool
) -> None:
    """Apply `edits` one after the other, then undo them in reverse order; after each
    step the kept cache's compile must equal a compile without any cache, and so must
    a compile with a new cache (which reads what the others stored on disk)."""
    write(root, files)
    cache = CompileCache()
    assert outcome(root, cache, sample_templates) == outcome(root, None, sample_templates)
    texts = [dict(files)]
    for name in edits:
        file, old, new = EDITS[name]
        edited = dict(texts[-1])
        edited[file] = edited[file].replace(old, new)
        texts.append(edited)
    for step in [*texts[1:], *reversed(texts[:-1])]:
        write(root, step)
        expected = outcome(root, None, sample_templates)
        assert outcome(root, cache, sample_templates) == expected
        assert outcome(root, CompileCache(), sample_templates) == expected


def test_base_project_is_clean(tmp_path: Path) -> None:
    """The edits start from a project without errors, so each one's effect shows."""
    write(tmp_path, FILES)
    assert not compile_project(tmp_path, disk_cache=False).errors


@pytest.mark.parametrize("edit", sorted(EDITS))
@pytest.mark.parametrize("sample_templates", [False, True])
def test_one_edit_and_back(tmp_path: Path, edit: str, sample_templates: bool) -> None:
    file, old, _ = EDITS[edit]
    assert old in FILES[file]
    assert_recheck_matches(tmp_path, FILES, [edit], sample_templates)


@pytest.mark.parametrize(
    "edits",
    [
        ["break an interpolation", "add a slot named like a typo"],
        ["break a bot step", "add a response named like a typo"],
        ["rename a slot other files use", "give a slot an initial value"],
        ["rename an included story", "include a story in a rule"],
        ["a placeholder names a response", "rename a response"],
        ["make an include cycle", "break a story step"],
        ["make an include cycle", "include a story in a rule"],
        [
            "no story includes another",  # so that the checks across stories are reused
            "a story's slots rule out a response",
            "a slot is filled by an intent instead",
        ],
        ["a story's slots rule out a response", "drop an enum member"],
        ["conflicting rule", "rename an intent"],
        ["a test's form step names a form like another", "rename a form"],
        ["an intent in another file repeats an example", "duplicate an intent"],
        ["an intent in another file repeats an example", "edit an example"],
        # the later file's definition takes over when the earlier one goes
        ["duplicate a response in another file", "delete a file's contents"],
    ],
)
def test_edits_that_interact(tmp_path: Path, edits: list[str]) -> None:
    """A later edit in another file changes what an earlier one reports (a hint that
    weighs every name, a reference that comes back)."""
    assert_recheck_matches(tmp_path, FILES, edits, sample_templates=False)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(sorted(EDITS)), min_size=2, max_size=4))
def test_edits_in_sequence(edits: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        assert_recheck_matches(Path(folder), FILES, edits, sample_templates=False)


def test_unchanged_declarations_are_not_resolved_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Editing one rule resolves that rule again, not the others."""
    write(tmp_path, FILES)
    cache = CompileCache()
    compile_project(tmp_path, cache=cache, disk_cache=False)
    resolved: list[str] = []
    original = dialogue.DialogueResolver._rule

    def counting(self: dialogue.DialogueResolver, decl: dialogue.ast.RuleDecl) -> object:
        resolved.append(decl.title.text)
        return original(self, decl)

    monkeypatch.setattr(dialogue.DialogueResolver, "_rule", counting)
    write(tmp_path, {"dialogue.assist": DIALOGUE.replace("  bot utter_order\n", "  run fetch\n")})
    compile_project(tmp_path, cache=cache, disk_cache=False)
    assert resolved == ["order"]


def test_a_file_deleted_and_restored(tmp_path: Path) -> None:
    """A module that goes takes its definitions with it; they come back with it."""
    write(tmp_path, FILES)
    cache = CompileCache()
    outcome(tmp_path, cache, sample_templates=False)
    (tmp_path / "responses.assist").unlink()
    assert outcome(tmp_path, cache, False) == outcome(tmp_path, None, False)
    write(tmp_path, FILES)
    assert outcome(tmp_path, cache, False) == outcome(tmp_path, None, False)


def test_a_lookup_whose_answer_changed_resolves_its_readers_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Retyping slot `count` (another file) resolves the responses that read it, only."""
    write(tmp_path, FILES)
    cache = CompileCache()
    compile_project(tmp_path, cache=cache, disk_cache=False)
    resolved: list[str] = []
    original = responses._variation

    def counting(node: responses.ast.VariationNode, scope: responses.Scope) -> object:
        resolved.append(node.text.value)
        return original(node, scope)

    monkeypatch.setattr(responses, "_variation", counting)
    write(tmp_path, {"defs.assist": DEFS.replace("slot count: int", "slot count: float")})
    compile_project(tmp_path, cache=cache, disk_cache=False)
    assert resolved == ["There are {count}.", "A {colour} one, coming up.", "A red one!", "Plenty!"]


def test_symbols_revision_names_what_may_differ() -> None:
    """What the table's `Revision` says may differ: the names of the modules that
    changed, came or went; nothing is known when unchanged modules change order."""
    first = parse_module('response a:\n  "A"\n\nslot s: text\n', "first.assist")[0]
    second = parse_module('response a:\n  "B"\n', "second.assist")[0]
    edited = parse_module('response b:\n  "B"\n', "first.assist")[0]
    third = parse_module("form f:\n  ask s\n", "third.assist")[0]
    memo = SymbolsMemo()
    table, _ = build_symbols([first, second], set(), memo)
    assert table.responses.revision.after is None
    table, _ = build_symbols([edited, second, third], set(), memo)
    assert table.slots.revision.touched == {"a", "b", "s", "f"}
    assert table.responses.revision.after is not None
    table, _ = build_symbols([second, third], set(), memo)
    assert table.forms.revision.touched == {"b"}
    assert table.forms.revision.after is not None
    table, _ = build_symbols([third, second], set(), memo)
    assert table.forms.revision.after is None


def test_symbols_kept_between_builds_are_those_of_a_new_build() -> None:
    """A table updated from the last one (or built again when an edit brings a
    duplicate) has the entries, configs, uses and diagnostics of one built afresh."""

    def module(path: str, text: str) -> Module:
        return parse_module(text, path)[0]

    a = module("a.assist", "use stdlib.entities\nentity e: enum\n  x\n\nslot s: e\n")
    b = module("b.assist", 'response r:\n  "R"\n\nconfig:\n  seed 3\n')
    b_phrase = module("b.assist", 'response r:\n  "R"\n\nphrase e = "x"\n')
    b_slot = module("b.assist", 'response r:\n  "R"\n\nslot s: text\n')
    c = module("c.assist", 'response q:\n  "Q"\n')
    c_twice = module("c.assist", 'response q:\n  "Q"\n\nresponse q:\n  "Q"\n')
    memo = SymbolsMemo()
    for modules in [
        [a, b],
        [a, b, c],
        [a, b_phrase, c],  # an entity and a phrase of one name
        [a, b, c],
        [a, b_slot, c],  # a slot twice
        [a, b, c_twice],  # a response twice in one file
        [a, c],
        [a, b, c],
    ]:
        kept, kept_problems = build_symbols(modules, set(), memo)
        fresh, fresh_problems = build_symbols(modules, set())
        assert kept_problems == fresh_problems
        assert (kept.configs, kept.uses) == (fresh.configs, fresh.uses)
        for namespace in NAMESPACES.values():
            assert getattr(kept, namespace).items == getattr(fresh, namespace).items


def test_the_stdlib_modules_loaded_follow_the_uses(tmp_path: Path) -> None:
    """What a file `use`s is read again when it changes (this process's parse cache is
    shared by every compile, cached or not, so compare with what is expected)."""
    write(tmp_path, FILES)
    loaded = "<stdlib/entities.assist>"
    assert loaded in {m.path for m in load_sources(tmp_path).modules}
    write(tmp_path, {"defs.assist": DEFS.replace("use stdlib.entities\n", "")})
    assert loaded not in {m.path for m in load_sources(tmp_path).modules}
    write(tmp_path, FILES)
    assert loaded in {m.path for m in load_sources(tmp_path).modules}
