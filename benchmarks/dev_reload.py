"""Save-to-serving latency of `assistc dev` on the largest example assistant.

Starts `assistc dev` on a copy of examples/pizzeria (127.0.0.1, a free port), then
edits a file again and again and polls `GET /status` until the model id changes: the
time from the write to the new assistant answering. Two kinds of edit: a response text
(a new variation of the file's last response: nothing retrains) and an intent's
examples (a new example of the file's last intent: the intent classifier retrains).

    python benchmarks/dev_reload.py [--runs 10] [--json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "pizzeria"
TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def model_id(port: int) -> str | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/status", timeout=2) as reply:
            status: dict[str, str] = json.load(reply)
            return status["model_id"]
    except OSError:
        return None


def wait_for_change(port: int, old: str | None, started: float) -> float:
    while time.perf_counter() - started < TIMEOUT:
        current = model_id(port)
        if current is not None and current != old:
            return time.perf_counter() - started
        time.sleep(0.005)
    raise TimeoutError("the dev server did not reload within a minute")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(port: int, path: Path, edit: str, runs: int) -> list[float]:
    """Apply `edit` (a format string taking the run number) to `path` `runs` times."""
    original = path.read_text(encoding="utf-8")
    times: list[float] = []
    for run in range(runs):
        old = model_id(port)
        text = original + edit.format(run=run)
        started = time.perf_counter()
        path.write_text(text, encoding="utf-8")
        times.append(wait_for_change(port, old, started))
        time.sleep(0.3)  # let the server settle between saves
    path.write_text(original, encoding="utf-8")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "pizzeria"
        shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".assistc"))
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "assistc.compiler", "dev", str(project), "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            started = time.perf_counter()
            wait_for_change(port, None, started)
            time.sleep(2.0)  # the first build's own writes settle
            response = measure(
                port,
                project / "responses.assist",
                '  "Crust noted (save {run})."\n',  # a variation of the file's last response
                args.runs,
            )
            example = measure(
                port,
                project / "nlu.assist",
                '  "my order reference is number {run}"\n',  # an example of the last intent
                args.runs,
            )
        finally:
            server.terminate()
            server.wait(timeout=10)
    rows = {
        "response_edit": response,
        "intent_edit": example,
    }
    summary = {
        name: {
            "runs": len(values),
            "p50_ms": statistics.median(values) * 1000,
            "p95_ms": percentile(values, 0.95) * 1000,
            "max_ms": max(values) * 1000,
        }
        for name, values in rows.items()
    }
    if args.json:
        print(json.dumps(summary, indent=2))
        return
    for name, row in summary.items():
        print(
            f"{name:>14}: p50 {row['p50_ms']:.0f} ms, p95 {row['p95_ms']:.0f} ms, "
            f"max {row['max_ms']:.0f} ms over {row['runs']} saves"
        )


if __name__ == "__main__":
    main()
