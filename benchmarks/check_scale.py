"""How `assistc check` scales: synthetic assistants of 1k, 10k and 100k source lines.

Reports, per size (medians; CPU seconds too, since a busy machine inflates wall time, and
the 1-minute load average after the runs, to say how busy it was):
- `cold`: the whole `assistc check` process with no parse cache, and lines per second;
- `warm`: the same after editing one file (the other files' parses and intents'
  outcomes come from the project's on-disk caches, `.assistc/cache/parse` and
  `.assistc/cache/intents`);
- `in-process`: a re-check after editing one file in a long-running process (the dev
  loop: parses and generated examples of unchanged files are reused).

The `assistc check` processes run as a normal installation does: with
`PYTHONDONTWRITEBYTECODE` removed from their environment (some machines set it; without
`.pyc` files every start compiles assistc's modules again, ~0.1 s that a user's pip
install never pays), after one untimed warm-up run that writes the bytecode.

    python benchmarks/check_scale.py [--sizes 1000 10000 100000] [--runs 3] [--json]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from assistc.compiler.compile import CompileCache, compile_project

LINES_PER_FILE = 500
CHILD_ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
"""The timed processes' environment: that of an installation with bytecode (see above)."""


def module_text(index: int) -> str:
    """One file of a synthetic assistant (about LINES_PER_FILE lines): entities, slots,
    intents with templates, responses, a form, stories, rules and a test."""
    n = index
    parts = [
        f'entity colour{n}: enum\n  red{n} = "crimson{n}"\n  blue{n}\n  green{n}\n',
        f"slot colour{n}: colour{n}\n",
        f"slot count{n}: int\n  from entity number\n",
        f'phrase polite{n} = "please" | "kindly" | ""\n',
    ]
    body_lines = 8
    intent = 0
    while body_lines < LINES_PER_FILE - 60:
        examples = "\n".join(
            f'  "(show|give) me item {n} {intent} variant {k} in {{colour{n}}} {{polite{n}}}"'
            for k in range(8)
        )
        parts.append(f"intent ask{n}_{intent}:\n{examples}\n  generate 20\n")
        parts.append(
            f'response utter_answer{n}_{intent}:\n  "Here is {{colour{n}}} {intent}."\n'
            f'  "Item {intent} in {{colour{n}}}!" if colour{n} == red{n}\n'
        )
        parts.append(
            f"rule answer {n} {intent}:\n  user ask{n}_{intent}\n  bot utter_answer{n}_{intent}\n"
        )
        body_lines += 18
        intent += 1
    parts.append(
        f'form pick{n}:\n  ask colour{n} "Which colour?"\n  ask count{n} "How many?"\n'
        f"    min 1\n    max 10\n  then utter_answer{n}_0\n"
    )
    parts.append(
        f"story pick {n}:\n  user ask{n}_0(colour{n}=red{n})\n  form pick{n}\n"
        f"  user ask{n}_1\n  bot utter_answer{n}_1\n"
    )
    parts.append(f'test pick {n}:\n  user "show me item {n} 0 variant 1 in red{n}"\n')
    return "\n".join(parts)


def make_project(folder: Path, lines: int) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "main.assist").write_text("use stdlib.smalltalk\nuse stdlib.entities\n")
    total = 2
    index = 0
    while total < lines:
        text = module_text(index)
        (folder / f"module_{index:04d}.assist").write_text(text, encoding="utf-8")
        total += text.count("\n")
        index += 1
    return total


def run_check(folder: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "assistc.compiler", "check", str(folder)],
        capture_output=True,
        check=False,
        env=CHILD_ENV,
    )


def time_process(folder: Path, runs: int, *, cold: bool) -> tuple[list[float], list[float]]:
    """(wall seconds, CPU seconds) of `assistc check` runs; `cold` empties the parse
    cache first, otherwise one file is edited before each run."""
    times: list[float] = []
    cpu: list[float] = []
    edited = folder / "module_0000.assist"
    original = edited.read_text(encoding="utf-8")
    for run in range(runs):
        if cold:
            shutil.rmtree(folder / ".assistc", ignore_errors=True)
        else:
            edited.write_text(original.replace("variant 0", f"variant 0 warm {run}"), "utf-8")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        run_check(folder)
        times.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    edited.write_text(original, encoding="utf-8")
    return times, cpu


def time_in_process(folder: Path, runs: int) -> list[float]:
    """Re-checks after editing one file, in one process that keeps its caches."""
    result = compile_project(folder, sample_templates=False)
    assert not result.errors, result.errors[:3]
    cache = CompileCache()
    gc.collect()
    gc.freeze()  # as the dev loop does after each build
    compile_project(folder, cache=cache, sample_templates=False)
    edited = folder / "module_0000.assist"
    original = edited.read_text(encoding="utf-8")
    incremental: list[float] = []
    for run in range(runs):
        edited.write_text(original.replace("variant 0", f"variant 0 edit {run}"), "utf-8")
        started = time.perf_counter()
        compile_project(folder, cache=cache, sample_templates=False)
        incremental.append(time.perf_counter() - started)
    edited.write_text(original, encoding="utf-8")
    return incremental


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        warm_up = Path(tmp) / "warm-up"
        make_project(warm_up, 100)
        run_check(warm_up)  # writes assistc's bytecode, as installing it does
        for size in args.sizes:
            folder = Path(tmp) / f"p{size}"
            lines = make_project(folder, size)
            cold, cold_cpu = time_process(folder, args.runs, cold=True)
            warm, warm_cpu = time_process(folder, args.runs, cold=False)
            incremental = time_in_process(folder, args.runs)
            rows.append(
                {
                    "lines": lines,
                    "files": len(list(folder.glob("*.assist"))),
                    "cold_s": statistics.median(cold),
                    "cold_cpu_s": statistics.median(cold_cpu),
                    "lines_per_s": lines / statistics.median(cold),
                    "warm_one_file_edited_s": statistics.median(warm),
                    "warm_cpu_s": statistics.median(warm_cpu),
                    "in_process_recheck_s": statistics.median(incremental),
                    "load_average_1min": os.getloadavg()[0],
                }
            )
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(
        f"{'lines':>8} {'files':>6} {'cold s':>7} {'cpu s':>6} {'lines/s':>8} "
        f"{'warm s':>7} {'cpu s':>6} {'in-process re-check s':>22} {'load':>5}"
    )
    for row in rows:
        print(
            f"{row['lines']:>8} {row['files']:>6} {row['cold_s']:>7.2f} "
            f"{row['cold_cpu_s']:>6.2f} {row['lines_per_s']:>8.0f} "
            f"{row['warm_one_file_edited_s']:>7.2f} {row['warm_cpu_s']:>6.2f} "
            f"{row['in_process_recheck_s']:>22.3f} {row['load_average_1min']:>5.1f}"
        )


if __name__ == "__main__":
    main()
