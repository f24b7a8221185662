"""Rasa interop figures: import each Rasa example project, check it, train it and run
its converted test stories.

For every project in ../shared/rasa-examples: what the import reported (diagnostics by
code, stories/rules/tests left out), how many errors and warnings `assistc check` finds,
and — when it checks cleanly and has test stories — the conversation tests passed, with
the real NLU and dialogue policies (no action server: these examples' tests need none).
Import and check times are medians over `--runs`.

    .venv/bin/python benchmarks/rasa_examples.py [--json] [--runs N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from assistc.compiler.compile import compile_project
from assistc.compiler.rasa_import import import_rasa
from assistc.runtime.dialogue.agent import Agent
from assistc.runtime.dialogue.policies import PolicyEnsemble
from assistc.runtime.dialogue.stores import InMemoryTrackerStore
from assistc.runtime.nlu.pipeline import NLUModel
from assistc.runtime.testing import run_tests

EXAMPLES = Path(__file__).resolve().parents[1] / ".." / "shared" / "rasa-examples"


def measure(project: Path, runs: int) -> dict[str, Any]:
    import_times: list[float] = []
    check_times: list[float] = []
    with tempfile.TemporaryDirectory() as scratch:
        for run in range(runs):
            out = Path(scratch) / f"run{run}"
            started = time.perf_counter()
            report = import_rasa(project, out)
            import_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            result = compile_project(out)
            check_times.append(time.perf_counter() - started)
        figures: dict[str, Any] = {
            "project": project.name,
            "import_ms": round(statistics.median(import_times) * 1000, 1),
            "check_ms": round(statistics.median(check_times) * 1000, 1),
            "import_diagnostics": dict(sorted(Counter(d.code for d in report.diagnostics).items())),
            "left_out": [d.message for d in report.diagnostics if d.code == "W1308"],
            "check_errors": sorted({d.code for d in result.errors}),
            "check_error_count": len(result.errors),
            "check_warning_count": len(result.warnings),
            "tests": None,
        }
        assistant = result.assistant
        if not (out / "tests.assist").is_file():
            figures["tests"] = "no test stories"
            return figures
        if assistant is None:
            figures["tests"] = "tests not run: check errors"
            return figures
        examples = [example for intent in assistant.intents for example in intent.examples]
        agent = Agent(
            assistant,
            NLUModel.train(examples, assistant.entities, assistant.config),
            PolicyEnsemble.train(assistant),
            InMemoryTrackerStore(),
        )
        tests = run_tests(agent)
        passed = sum(test.passed for test in tests.results)
        figures["tests"] = {"passed": passed, "total": len(tests.results)}
        return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--runs", type=int, default=3, help="runs per median (default 3)")
    args = parser.parse_args()
    if not EXAMPLES.is_dir():
        print(f"no Rasa examples at {EXAMPLES}", file=sys.stderr)
        return 2
    rows = [measure(path, args.runs) for path in sorted(EXAMPLES.iterdir()) if path.is_dir()]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        tests = row["tests"]
        if isinstance(tests, dict):
            tests = f"{tests['passed']}/{tests['total']} tests pass"
        errors = ", ".join(row["check_errors"]) or "none"
        print(
            f"{row['project']:<11} import {row['import_ms']:>6} ms  check {row['check_ms']:>6} ms  "
            f"check errors: {row['check_error_count']} ({errors}), "
            f"warnings: {row['check_warning_count']}  {tests}  "
            f"left out: {len(row['left_out'])}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
