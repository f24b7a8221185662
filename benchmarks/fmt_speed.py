"""Formatter speed: median time (wall and CPU) and lines/s of `format_text` on messy
sources of 1k and 10k lines, split into its parts (a parse, and the scan and layout).

The sources repeat the formatter's messy golden inputs (every construct, odd spacing,
comments everywhere), so every line has something to fix.

    .venv/bin/python benchmarks/fmt_speed.py [--json] [--runs N] [--sizes 1000,10000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from assistc.dsl.comments import scan
from assistc.dsl.formatter import format_text, layout
from assistc.dsl.parser import parse_module

GOLDEN = Path(__file__).parents[1] / "tests" / "dsl" / "golden" / "fmt"
INPUTS = ("spacing.assist", "comments.assist", "brackets.assist", "strings_numbers.assist")


def source(lines: int) -> str:
    """Messy text of about `lines` lines."""
    unit = "\n".join((GOLDEN / name).read_text(encoding="utf-8") for name in INPUTS)
    copies = max(1, lines // unit.count("\n"))
    return "\n".join([unit] * copies)


def median_seconds(run: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median wall-clock and CPU seconds (CPU time is the fairer figure on a busy machine)."""
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        run()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def measure(lines: int, runs: int) -> dict[str, float | int]:
    text = source(lines)
    count = text.count("\n") + 1
    result = format_text(text, "bench.assist")
    assert result.internal_error is None and not result.diagnostics
    total, total_cpu = median_seconds(lambda: format_text(text, "bench.assist"), runs)
    _, parse_cpu = median_seconds(lambda: parse_module(text, "bench.assist"), runs)
    _, layout_cpu = median_seconds(lambda: layout(scan(text)), runs)
    return {
        "lines": count,
        "format_ms": round(total * 1000, 2),
        "format_cpu_ms": round(total_cpu * 1000, 2),
        "lines_per_cpu_s": round(count / total_cpu),
        "parse_cpu_ms": round(parse_cpu * 1000, 2),
        "layout_cpu_ms": round(layout_cpu * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="1000,10000")
    args = parser.parse_args()
    parse_module("config:\n  seed = 1\n", "warm.assist")  # build the parser once
    figures = [measure(int(size), args.runs) for size in args.sizes.split(",")]
    if args.json:
        print(json.dumps({"runs": args.runs, "results": figures}, indent=2))
        return
    for row in figures:
        print(
            f"{row['lines']:>7} lines: format {row['format_ms']:>9.2f} ms median wall, "
            f"{row['format_cpu_ms']:.2f} ms CPU ({row['lines_per_cpu_s']:,} lines per CPU s); "
            f"of which one parse {row['parse_cpu_ms']:.2f} ms, "
            f"scan+layout {row['layout_cpu_ms']:.2f} ms CPU"
        )


if __name__ == "__main__":
    main()
