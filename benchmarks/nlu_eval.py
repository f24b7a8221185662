"""Evaluate the NLU on a shared benchmark dataset (train on train, report on a split).

    .venv/bin/python benchmarks/nlu_eval.py --dataset clinc150 [--split test] [--json]
    .venv/bin/python benchmarks/nlu_eval.py --dataset snips [--split test] [--json]

Trains exactly what an assistant gets (`NLUModel.train`, default `Config`), then prints
the `EvalReport` figures (latency percentiles are over the test messages, one at a time).
CLINC150's `oos` is an ordinary training class; `nlu_fallback` also counts as `oos`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from assistc.runtime.ir import Config
from assistc.runtime.nlu.evaluate import evaluate, load_jsonl

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
OOS_LABEL = {"clinc150": "oos", "snips": None}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=sorted(OOS_LABEL), required=True)
    parser.add_argument("--split", default="test", choices=["valid", "test"])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    folder = DATA / args.dataset
    if not folder.is_dir():
        print(f"dataset folder not found: {folder}", file=sys.stderr)
        return 2
    train = load_jsonl(folder / "train.jsonl")
    test = load_jsonl(folder / f"{args.split}.jsonl")
    report = evaluate(train, test, Config(), oos_label=OOS_LABEL[args.dataset])
    figures = report.model_dump(exclude={"confused_pairs"})
    figures["dataset"] = args.dataset
    figures["split"] = args.split
    if args.json:
        print(json.dumps(figures, sort_keys=True))
    else:
        for key, value in figures.items():
            shown = f"{value:.4f}" if isinstance(value, float) else value
            print(f"{key:>20}: {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
