"""How fast example templates expand: 100,000 examples from templates.

Builds a synthetic assistant (100 intents, each `generate 1000` from templates with
alternation, optional parts, phrases and entity placeholders), then times only the
generation step (parsing and name resolution are done beforehand), with the cyclic GC
paused as `compile_project` pauses it.

    python benchmarks/generate_speed.py [--intents 100] [--per-intent 1000] [--runs 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from assistc.compiler.config import resolve_config
from assistc.compiler.entities import resolve_entities
from assistc.compiler.examples import generate_intents
from assistc.compiler.sources import load_sources
from assistc.compiler.symbols import build_symbols
from assistc.dsl.parser import gc_paused


def source(intents: int, per_intent: int) -> str:
    parts = [
        "entity colour: enum\n"
        + "".join(f'  colour{n} = "shade{n}", "tone{n}"\n' for n in range(40)),
        'entity city: lookup "cities.txt"\n',
        'phrase polite = "please" | "kindly" | "if you can" | ""\n',
    ]
    for n in range(intents):
        parts.append(
            f"intent ask{n}:\n"
            f'  "(show|give|find) me (item|thing|object) {n} in {{colour}} {{polite}}"\n'
            f'  "[can you] (send|ship|deliver) order {n} to {{city}} [today|tomorrow]"\n'
            f'  "(what|which) {{colour}} (items|things) {n} (are|is) (there|available)"\n'
            f"  generate {per_intent}\n"
        )
    return "\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--intents", type=int, default=100)
    parser.add_argument("--per-intent", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "main.assist").write_text(source(args.intents, args.per_intent), "utf-8")
        (root / "cities.txt").write_text("\n".join(f"City {n}" for n in range(2000)), "utf-8")
        sources = load_sources(root)
        table, _ = build_symbols(sources.modules, set())
        config, _ = resolve_config(table, None)
        entities, _ = resolve_entities(table, root)
        times = []
        cpu_times = []
        produced = 0
        for _ in range(args.runs):
            started, cpu_started = time.perf_counter(), time.process_time()
            with gc_paused():  # as compile_project runs it
                result = generate_intents(table, entities, config)
            times.append(time.perf_counter() - started)
            cpu_times.append(time.process_time() - cpu_started)
            produced = sum(len(intent.examples) for intent in result.intents)
    median = statistics.median(times)
    row = {
        "examples": produced,
        "seconds_median": median,
        "cpu_seconds_median": statistics.median(cpu_times),
        "examples_per_second": produced / median,
        "runs": args.runs,
    }
    if args.json:
        print(json.dumps(row, indent=2))
    else:
        print(
            f"{produced} examples in {median:.2f} s wall, "
            f"{statistics.median(cpu_times):.2f} s CPU (median of {args.runs}): "
            f"{produced / median:,.0f} examples/s"
        )


if __name__ == "__main__":
    main()
