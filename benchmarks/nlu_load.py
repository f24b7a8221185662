"""Time loading a saved NLU model of a small assistant, and parsing with it.

    .venv/bin/python benchmarks/nlu_load.py [--examples 1000] [--json]

The "small assistant" is N examples spread evenly over the SNIPS training data (7
intents, up to 39 free entities); it is trained, saved, then loaded 10 times. Prints the
median load time, wall and CPU (on a busy machine the wall time mostly measures waiting
for a core), and the p50/p95 `parse` latency over the SNIPS validation messages.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from assistc.runtime.ir import Config
from assistc.runtime.nlu.evaluate import free_entities, load_jsonl
from assistc.runtime.nlu.pipeline import NLUModel

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "snips"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=1000)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"dataset folder not found: {DATA}", file=sys.stderr)
        return 2
    every = load_jsonl(DATA / "train.jsonl")
    train = every[:: max(1, len(every) // args.examples)][: args.examples]
    messages = [e.text for e in load_jsonl(DATA / "valid.jsonl")]
    model = NLUModel.train(train, free_entities(train), Config())
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "nlu"
        model.save(folder)
        size_kb = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1024
        load_ms = []
        load_cpu_ms = []
        for _ in range(10):
            start, cpu = time.perf_counter(), time.process_time()
            loaded = NLUModel.load(folder)
            load_ms.append((time.perf_counter() - start) * 1000.0)
            load_cpu_ms.append((time.process_time() - cpu) * 1000.0)
    parse_ms = []
    for text in messages:
        start = time.perf_counter()
        loaded.parse(text)
        parse_ms.append((time.perf_counter() - start) * 1000.0)
    figures = {
        "train_examples": len(train),
        "model_kb": round(size_kb, 1),
        "load_ms_median": statistics.median(load_ms),
        "load_cpu_ms_median": statistics.median(load_cpu_ms),
        "parse_ms_p50": float(np.percentile(parse_ms, 50)),
        "parse_ms_p95": float(np.percentile(parse_ms, 95)),
    }
    if args.json:
        print(json.dumps(figures, sort_keys=True))
    else:
        for key, value in figures.items():
            print(f"{key:>16}: {value:.3f}" if isinstance(value, float) else f"{key:>16}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
