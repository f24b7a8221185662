"""Parse speed of `.assist` sources: median time and lines/s for 1k, 10k and 100k lines.

The sources are synthetic (every construct of the language, repeated with fresh names),
so the figure tracks the parser, not one project's mix. Also measures the parse cache (a
warm in-process hit, and a warm on-disk hit: a fresh process re-checking unchanged files)
and, with --project, a 50-file project parsed by one process and by all CPUs, and
re-checked after one file changed (in-process cache: the dev loop).

    .venv/bin/python benchmarks/parse_speed.py [--json] [--runs N] [--sizes 1000,10000] [--project]
    .venv/bin/python benchmarks/parse_speed.py --baseline b2dd28a   # speed-up over a revision
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from assistc.dsl.parse_cache import clear_memory_cache, parse_file_cached, parse_many
from assistc.dsl.parser import parse_module

_BLOCK = """\
# block {i}
use stdlib.smalltalk_{i}

config:
  language = "en"
  seed = {i}
  nlu_fallback_threshold = 0.3

entity size_{i}: enum
  small
  medium = "regular", "normal"
  "extra large" = "xl"
entity city_{i}: lookup "data/cities.txt"
  roles from, to
entity phone_{i}: regex "\\+?[0-9][0-9 -]{{6,14}}[0-9]"
entity count_{i}: builtin number
entity dish_{i}: text

slot size_{i}: size_{i}
slot confirmed_{i}: bool = false
  from intent affirm = true
  from intent deny = false
slot origin_{i}: city_{i}
  from entity city_{i}:from
slot notes_{i}: text
  from text in order_{i}
slot tags_{i}: list[text] = ["a", "b"]
slot ratio_{i}: float = -1.5

phrase polite_{i} = "please" | "kindly" | ""

intent order_pizza_{i}:
  "i want a {{size_{i}}} pizza"
  "fly from {{city_{i}:from}} to {{city_{i}:to}}"
  "(can i|could i) (order|get) a {{size_{i}}} pizza {{polite_{i}}}"
  "[please] order a pizza"   # optional word
  "a pizza with [olives](topping) and a \\"quote\\""
  generate 200

response utter_greet_{i}:
  "Hi {{name}}!" if name
  "Hello!" if not name and size_{i} == large and guests >= 2
  "Pick one:"
    button "Yes" -> affirm
    button "Large" -> choose(size_{i}=large, city_{i}:to="Paris")
    image "https://example.com/x.png"

form order_{i}:
  ask size_{i} "What size?"
    one of small, large
    invalid "Pick small or large."
  ask guests_{i} utter_ask_guests
    min 1
    max 12.5
    matches "[0-9]+"
  ask phone_{i}
  then place_order_{i}

action place_order_{i}(size: size_{i}, toppings: list[topping]) -> (order_id: text):
  python "actions/orders.py" function place_{i}
action check_stock_{i}():
  remote "http://127.0.0.1:5055/webhook"

story order {i}, happy path:
  include greeting
  user order_pizza_{i}(size_{i}=large)
  user affirm | thank
  bot utter_greet_{i}
  run place_order_{i}
  form order_{i}
  slot confirmed_{i} = true

rule say goodbye {i}:
  when conversation starts
  when form order_{i} active
  when size_{i} == large and not notes_{i}
  user goodbye
  bot utter_goodbye

test a full order {i}:
  user "hi" as greet
  bot utter_greet_{i}
  bot "What number can we call you on?"
  run place_order_{i}
  slot size_{i} = large

"""


def synthetic_source(lines: int) -> str:
    """At least `lines` lines of valid source covering every construct."""
    out: list[str] = []
    count = 0
    index = 0
    while count < lines:
        block = _BLOCK.format(i=index)
        out.append(block)
        count += block.count("\n")
        index += 1
    return "".join(out)


def _median_seconds(action: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median wall-clock and CPU seconds (CPU time is steadier on a shared machine)."""
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        action()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def measure(lines: int, runs: int) -> dict[str, float | int]:
    text = synthetic_source(lines)
    actual = text.count("\n")
    parse_module(text, "bench.assist")  # warm-up: builds the parser
    wall, cpu = _median_seconds(lambda: parse_module(text, "bench.assist"), runs)
    result: dict[str, float | int] = {
        "lines": actual,
        "runs": runs,
        "parse_median_s": round(wall, 4),
        "parse_cpu_median_s": round(cpu, 4),
        "lines_per_s": round(actual / wall),
    }
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "bench.assist"
        source.write_text(text, encoding="utf-8")
        cache = Path(tmp) / "cache"
        parse_file_cached(source, cache)

        def disk_hit() -> object:
            clear_memory_cache()
            return parse_file_cached(source, cache)

        result["cache_disk_hit_median_s"] = round(_median_seconds(disk_hit, runs)[0], 4)
        memory_hit = _median_seconds(lambda: parse_file_cached(source, cache), runs)[0]
        result["cache_memory_hit_median_s"] = round(memory_hit, 5)
    return result


def measure_project(lines: int, files: int, runs: int) -> dict[str, float | int]:
    """A project of `files` files, parsed with one process and with all CPUs."""
    sources = [(f"f{index}.assist", synthetic_source(lines // files)) for index in range(files)]
    actual = sum(text.count("\n") for _, text in sources)
    result: dict[str, float | int] = {"project_lines": actual, "files": files, "runs": runs}
    for label, jobs in (("one_process", 1), ("all_cpus", os.cpu_count() or 1)):

        def cold(jobs: int = jobs) -> object:
            clear_memory_cache()
            return parse_many(sources, None, jobs=jobs)

        result[f"{label}_median_s"] = round(_median_seconds(cold, runs)[0], 4)
    # The dev loop: everything parsed before, then one file edited.
    parse_many(sources, None, jobs=1)
    edited = list(sources)

    def recheck() -> object:
        display, text = edited[0]
        edited[0] = (display, text + "\n# edited\n")
        return parse_many(edited, None, jobs=1)

    result["recheck_one_edited_file_median_s"] = round(_median_seconds(recheck, runs)[0], 4)
    return result


def load_baseline(revision: str, folder: Path) -> Callable[[str, str], object]:
    """`parse_module` of the parser at a git revision (its parser.py and grammar, with
    today's AST classes), to measure a speed-up in this same process."""
    repo = Path(__file__).resolve().parents[1]
    for name in ("parser.py", "assist.lark"):
        blob = subprocess.run(
            ["git", "show", f"{revision}:dsl/{name}"], cwd=repo, capture_output=True, check=True
        ).stdout
        (folder / ("baseline_parser.py" if name == "parser.py" else name)).write_bytes(blob)
    spec = importlib.util.spec_from_file_location("baseline_parser", folder / "baseline_parser.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    baseline: Callable[[str, str], object] = module.parse_module
    return baseline


def compare(
    lines: int, runs: int, baseline: Callable[[str, str], object]
) -> dict[str, float | int]:
    """CPU seconds of the baseline and of today's parser, runs interleaved (fair under load)."""
    text = synthetic_source(lines)
    baseline(text[:2000], "bench.assist")
    parse_module(text[:2000], "bench.assist")
    before: list[float] = []
    after: list[float] = []
    for _ in range(runs):
        before.append(_median_seconds(lambda: baseline(text, "bench.assist"), 1)[1])
        after.append(_median_seconds(lambda: parse_module(text, "bench.assist"), 1)[1])
    return {
        "lines": text.count("\n"),
        "baseline_cpu_median_s": round(statistics.median(before), 4),
        "cpu_median_s": round(statistics.median(after), 4),
        "speedup": round(statistics.median(before) / statistics.median(after), 2),
    }


def main(argv: list[str]) -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args.add_argument("--runs", type=int, default=5, help="runs per size (median reported)")
    args.add_argument("--sizes", default="1000,10000,100000", help="comma-separated line counts")
    args.add_argument(
        "--project", action="store_true", help="also a 50-file project of the largest size"
    )
    args.add_argument(
        "--baseline",
        metavar="REV",
        help="instead, compare with the parser at this git revision (e.g. b2dd28a, the first)",
    )
    options = args.parse_args(argv)
    sizes = [int(size) for size in options.sizes.split(",")]
    if options.baseline:
        with tempfile.TemporaryDirectory() as folder:
            baseline = load_baseline(options.baseline, Path(folder))
            results = [compare(size, options.runs, baseline) for size in sizes]
    else:
        results = [measure(size, options.runs) for size in sizes]
    if options.project:
        results.append(measure_project(max(sizes), 50, options.runs))
    if options.json:
        print(json.dumps(results, indent=2))
        return 0
    for row in results:
        print("  ".join(f"{key}={value}" for key, value in row.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
