"""Every example assistant checks cleanly, builds deterministically, and its generated
training data has exact entity offsets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistc.compiler.compile import compile_project
from assistc.dsl.formatter import format_source

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p for p in (REPO / "examples").iterdir() if p.is_dir())


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_checks_without_errors_or_warnings(example: Path) -> None:
    result = compile_project(example)
    assert result.diagnostics == []
    assert result.assistant is not None


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_generated_example_has_exact_offsets(example: Path) -> None:
    result = compile_project(example)
    assert result.assistant is not None
    checked = 0
    for intent in result.assistant.intents:
        for item in [*intent.examples, *intent.holdout]:
            assert item.text == item.text.strip()
            assert "  " not in item.text
            for entity in item.entities:
                assert item.text[entity.start : entity.end] == entity.value
                checked += 1
    if example.name != "greeting":
        assert checked > 0, "the example annotates entities"


def test_larger_example_has_what_the_issue_asks_for() -> None:
    result = compile_project(REPO / "examples" / "pizzeria")
    assistant = result.assistant
    assert assistant is not None
    assert len(assistant.intents) >= 20
    assert len(assistant.forms) >= 2
    assert any(e.kind == "lookup" for e in assistant.entities)
    assert any(v.synonyms for e in assistant.entities for v in e.values)
    assert assistant.actions and assistant.tests


def _ir_in_subprocess(example: Path, hash_seed: str) -> bytes:
    code = (
        "import sys; from pathlib import Path;"
        "from assistc.compiler.compile import compile_project;"
        "sys.stdout.write(compile_project(Path(sys.argv[1])).assistant.to_json())"
    )
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    done = subprocess.run(
        [sys.executable, "-c", code, str(example)], env=env, capture_output=True, check=True
    )
    return done.stdout


def test_ir_is_byte_identical_whatever_the_hash_seed() -> None:
    example = REPO / "examples" / "pizzeria"
    first = _ir_in_subprocess(example, "1")
    second = _ir_in_subprocess(example, "2")
    assert first == second
    assert len(first) > 10_000


def test_comments_formatting_and_order_change_no_fingerprint(tmp_path: Path) -> None:
    source = REPO / "examples" / "booking"
    original = compile_project(source).assistant
    assert original is not None
    for path in source.rglob("*"):
        if ".assistc" in path.parts or path.is_dir():
            continue
        target = tmp_path / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        text = path.read_bytes()
        if path.suffix == ".assist":
            blocks = text.decode().split("\n\n")
            # Reverse the definitions, add comments and odd spacing.
            reordered = "\n\n".join(f"# a comment\n{b.strip()}" for b in reversed(blocks))
            reordered = "\n".join(
                line if '"' in line else line.replace(": ", ":   ") + "   # trailing"
                for line in reordered.splitlines()
            )
            text = reordered.encode() + b"\n"
        target.write_bytes(text)
    changed = compile_project(tmp_path).assistant
    assert changed is not None
    assert changed.part_fingerprints() == original.part_fingerprints()
    # The assistant is named after its folder; everything else must be identical.
    assert changed.model_copy(update={"name": original.name}).fingerprint == original.fingerprint


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_formatting_never_changes_the_ir(example: Path, tmp_path: Path) -> None:
    original = compile_project(example).assistant
    for path in example.rglob("*"):
        if ".assistc" in path.parts or path.is_dir():
            continue
        target = tmp_path / path.relative_to(example)
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".assist":
            target.write_text(format_source(path.read_text(), path.name), encoding="utf-8")
        else:
            target.write_bytes(path.read_bytes())
    formatted = compile_project(tmp_path).assistant
    assert original is not None and formatted is not None
    assert formatted.model_copy(update={"name": original.name}).to_json() == original.to_json()
