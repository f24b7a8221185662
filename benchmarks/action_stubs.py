"""How long the typed action stubs and the static action check take, on a synthetic
assistant with many Python actions (they run on every `check`/`build`/`dev` save, so
they must stay a small part of the sub-second budget).

The assistant has ACTIONS actions (default 200) spread over 20 files, each with 5 inputs
(enum, list, builtin number, text, bool) and 2 outputs; the user modules are the
generated stubs.

    .venv/bin/python benchmarks/action_stubs.py [--actions N] [--runs N] [--json]

Prints medians in milliseconds; `--json` prints one JSON object instead.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from assistc.compiler.pycheck import ActionBinding, check_action_bindings
from assistc.compiler.stubs import generate_contracts, write_stubs
from assistc.dsl.ast import Span
from assistc.runtime import ir


def median_ms(work: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def synthetic(actions: int) -> ir.Assistant:
    def slot(kind: str, entity: str | None = None, item: ir.SlotType | None = None) -> ir.SlotType:
        return ir.SlotType.model_validate({"kind": kind, "entity": entity, "item": item})

    size = ir.Entity(
        name="size", kind="enum", values=[ir.EnumValue(name=n) for n in ("s", "m", "l")]
    )
    count = ir.Entity(name="count", kind="builtin", builtin="number")
    inputs = [
        ir.ActionParam(slot="size", type=slot("entity", "size")),
        ir.ActionParam(slot="sizes", type=slot("list", item=slot("entity", "size"))),
        ir.ActionParam(slot="guests", type=slot("entity", "count")),
        ir.ActionParam(slot="notes", type=slot("text")),
        ir.ActionParam(slot="confirmed", type=slot("bool")),
    ]
    outputs = [
        ir.ActionParam(slot="reference", type=slot("text")),
        ir.ActionParam(slot="total", type=slot("float")),
    ]
    return ir.Assistant(
        name="synthetic",
        entities=[count, size],
        actions=[
            ir.Action(
                name=f"action_{i:04d}",
                inputs=inputs,
                outputs=outputs,
                implementation=ir.PythonImplementation(
                    path=f"actions/module_{i % 20:02d}.py", function=f"action_{i:04d}"
                ),
            )
            for i in range(actions)
        ],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=200)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    assistant = synthetic(args.actions)
    span = Span("synthetic.assist", 1, 1, 1, 2)
    bindings = [ActionBinding.from_action(a, span) for a in assistant.actions]
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        first = median_ms(lambda: write_stubs(assistant, project), 1)
        figures = {
            "actions": args.actions,
            "generate_contracts_ms": median_ms(lambda: generate_contracts(assistant), args.runs),
            "write_stubs_first_ms": first,
            "write_stubs_unchanged_ms": median_ms(
                lambda: write_stubs(assistant, project), args.runs
            ),
            "check_action_bindings_ms": median_ms(
                lambda: check_action_bindings([b for b in bindings if b], project), args.runs
            ),
        }
        assert check_action_bindings([b for b in bindings if b], project) == []
    if args.json:
        print(json.dumps(figures, sort_keys=True))
        return
    for name, value in figures.items():
        print(f"{name:28} {value:10.2f}" if isinstance(value, float) else f"{name:28} {value}")


if __name__ == "__main__":
    main()
