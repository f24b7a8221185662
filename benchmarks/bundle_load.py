"""How long loading a model bundle takes (target: < 200 ms for the example assistants),
and how long full and incremental training take.

Assistants measured: every `examples/*/` (compiled and trained here), plus assistants built
from the SNIPS benchmark data (`../shared/data/snips`): `snips-small` (40 examples per
intent) and `snips-full` (all 13,084 training examples), both with entity annotations.

    .venv/bin/python benchmarks/bundle_load.py [--runs N] [--no-snips] [--json]

Prints medians; `--json` prints one JSON object instead.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistc.runtime import ir
from assistc.runtime.bundle import load_bundle
from assistc.runtime.training import train

REPO = Path(__file__).resolve().parents[1]
SNIPS = REPO / ".." / "shared" / "data" / "snips" / "train.jsonl"


def median_ms(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def snips_assistant(per_intent: int | None) -> ir.Assistant:
    """SNIPS training data as an assistant: intents, free entities, one rule per intent."""
    rows = [json.loads(line) for line in SNIPS.read_text(encoding="utf-8").splitlines()]
    by_intent: dict[str, list[ir.Example]] = {}
    entity_names: set[str] = set()
    for row in rows:
        examples = by_intent.setdefault(row["intent"], [])
        if per_intent is not None and len(examples) >= per_intent:
            continue
        spans = [
            ir.EntityAnnotation(
                start=e["start"], end=e["end"], entity=e["entity"], value=e["value"]
            )
            for e in row["entities"]
        ]
        entity_names.update(span.entity for span in spans)
        examples.append(ir.Example(text=row["text"], intent=row["intent"], entities=spans))
    names = sorted(by_intent)
    return ir.Assistant(
        name=f"snips-{per_intent or 'full'}",
        intents=[ir.Intent(name=name, examples=by_intent[name]) for name in names],
        entities=[ir.Entity(name=name, kind="free") for name in sorted(entity_names)],
        responses=[
            ir.Response(name=f"utter_{name}", variations=[ir.Variation(text=f"{name}!")])
            for name in names
        ],
        rules=[
            ir.Rule(
                name=name,
                steps=[ir.UserStep(intent=name), ir.BotStep(action=f"utter_{name}")],
            )
            for name in names
        ],
    )


def with_response_edit(assistant: ir.Assistant) -> ir.Assistant:
    first = assistant.responses[0]
    edited = first.model_copy(update={"variations": [ir.Variation(text="edited text")]})
    return assistant.model_copy(update={"responses": [edited, *assistant.responses[1:]]})


def with_example_edit(assistant: ir.Assistant) -> ir.Assistant:
    first = assistant.intents[0]
    extra = ir.Example(text="one more plain example", intent=first.name)
    edited = first.model_copy(update={"examples": [*first.examples, extra]})
    return assistant.model_copy(update={"intents": [edited, *assistant.intents[1:]]})


def measure_trained(name: str, assistant: ir.Assistant, runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        full = train(assistant, folder)
        figures: dict[str, Any] = {
            "assistant": name,
            "examples": sum(len(intent.examples) for intent in assistant.intents),
            "train_full_s": round(time.perf_counter() - started, 3),
            "train_components_s": {k: round(v, 3) for k, v in full.seconds.items()},
        }
        for label, edit in [
            ("retrain_nothing_changed_s", lambda a: a),
            ("retrain_response_edit_s", with_response_edit),
            ("retrain_one_intent_edit_s", with_example_edit),
        ]:
            started = time.perf_counter()
            result = train(edit(assistant), folder)
            figures[label] = round(time.perf_counter() - started, 3)
            figures[label.replace("_s", "_trained")] = result.trained
        figures["load_median_ms"] = round(median_ms(lambda: load_bundle(folder), runs), 2)
        figures["bundle_bytes"] = sum(f.stat().st_size for f in full.path.rglob("*") if f.is_file())
    return figures


def example_assistants() -> list[tuple[str, ir.Assistant]]:
    """The example assistants, compiled (the benchmark, unlike the runtime, may use the
    compiler)."""
    from assistc.compiler.compile import compile_project

    found = []
    for project in sorted((REPO / "examples").glob("*/")):
        result = compile_project(project)
        if result.assistant is None:
            print(f"note: examples/{project.name} does not compile; skipped", file=sys.stderr)
            continue
        found.append((project.name, result.assistant))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="loads per assistant")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--no-snips", action="store_true", help="only the example assistants")
    args = parser.parse_args()
    rows = [measure_trained(name, a, args.runs) for name, a in example_assistants()]
    if not SNIPS.is_file():
        print(f"note: {SNIPS} not found; SNIPS assistants skipped", file=sys.stderr)
    elif not args.no_snips:
        rows.append(measure_trained("snips-small", snips_assistant(40), args.runs))
        rows.append(measure_trained("snips-full", snips_assistant(None), max(args.runs // 4, 3)))
    if args.json:
        print(json.dumps({"runs": args.runs, "results": rows}, indent=2))
        return 0
    for row in rows:
        print(f"{row['assistant']}:")
        for key, value in row.items():
            if key != "assistant":
                print(f"  {key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
