"""`assistc build`: write the IR, the generated training data and a summary into one
build folder, all or nothing.

The folder is assembled under a temporary name next to its final place and renamed
into place at the end, so a failure (a full disk, an unwritable folder) never leaves a
half-written build behind.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from assistc.compiler.examples import IntentStats
from assistc.runtime import ir
from assistc.runtime.ir import canonical_json

BUILD_DIR = Path(".assistc") / "build"


class BuildError(Exception):
    """The build folder could not be written; nothing was changed."""


@dataclass
class BuildOutput:
    folder: Path
    examples: int
    holdout: int
    fingerprint: str


def build_folder(project: Path) -> Path:
    base = project if project.is_dir() else project.parent
    return base / BUILD_DIR


def example_record(example: ir.Example) -> dict[str, object]:
    """One line of the JSONL training data (the format of shared/data/README.md)."""
    entities: list[dict[str, object]] = []
    for entity in example.entities:
        record: dict[str, object] = {
            "start": entity.start,
            "end": entity.end,
            "entity": entity.entity,
            "value": entity.value,
        }
        if entity.role:
            record["role"] = entity.role
        if entity.canonical:
            record["canonical"] = entity.canonical
        entities.append(record)
    return {"text": example.text, "intent": example.intent, "entities": entities}


def _jsonl(examples: list[ir.Example]) -> str:
    return "".join(
        json.dumps(example_record(e), ensure_ascii=False, sort_keys=True) + "\n" for e in examples
    )


def summary(assistant: ir.Assistant, stats: dict[str, IntentStats]) -> dict[str, object]:
    """Per-intent and per-entity figures for the build summary."""
    entity_values: dict[str, set[str]] = {}
    for intent in assistant.intents:
        for example in intent.examples:
            for entity in example.entities:
                entity_values.setdefault(entity.entity, set()).add(entity.value)
    return {
        "fingerprint": assistant.fingerprint,
        "intents": {
            name: {
                "examples": stat.examples,
                "handwritten": stat.handwritten,
                "requested": stat.requested,
                "possible": stat.possible,
                "under_sampled_templates": stat.under_sampled,
            }
            for name, stat in sorted(stats.items())
        },
        "entities": {
            name: {"distinct_values_used": len(values)}
            for name, values in sorted(entity_values.items())
        },
    }


def write_build(
    project: Path, assistant: ir.Assistant, stats: dict[str, IntentStats]
) -> BuildOutput:
    target = build_folder(project)
    train = [e for intent in assistant.intents for e in intent.examples]
    test = [e for intent in assistant.intents for e in intent.holdout]
    files = {
        "ir.json": assistant.to_json() + "\n",
        "fingerprints.json": canonical_json(
            {"assistant": assistant.fingerprint, "parts": assistant.part_fingerprints()}
        )
        + "\n",
        "data/train.jsonl": _jsonl(train),
        "summary.json": json.dumps(summary(assistant, stats), indent=2, sort_keys=True) + "\n",
    }
    if test:
        files["data/test.jsonl"] = _jsonl(test)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".build-", dir=target.parent))
    except OSError as error:
        raise BuildError(f"cannot create {target.parent}: {error.strerror or error}") from error
    try:
        for name, text in files.items():
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        _replace_folder(staging, target)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise BuildError(f"cannot write {target}: {error.strerror or error}") from error
    return BuildOutput(target, len(train), len(test), assistant.fingerprint)


def _replace_folder(staging: Path, target: Path) -> None:
    """Swap `staging` in as `target`; the old build is removed only after the swap."""
    old: Path | None = None
    if target.exists():
        old = target.with_name(f".old-{os.getpid()}-{target.name}")
        os.replace(target, old)
    try:
        os.replace(staging, target)
    except OSError:
        if old is not None:
            os.replace(old, target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
