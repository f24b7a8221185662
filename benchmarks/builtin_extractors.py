"""How long the built-in entity extractors take on realistic chat messages.

Prints the median (and 90th percentile) time to run all eight extractors on one message,
and the median per extractor, in microseconds. `--adversarial` adds, per 100 KB hostile
input (long digit runs, number words, odd Unicode), the time of the slowest extractor in
milliseconds: it must grow linearly with the input, never explode. `--json` prints the
same figures as JSON.

    .venv/bin/python benchmarks/builtin_extractors.py [--json] [--repeats N] [--adversarial]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import datetime

from assistc.stdlib.extractors import BUILTIN_EXTRACTORS, extract_builtin

MESSAGES = (
    "hi there",
    "I'd like to book a table for four people tomorrow at 7pm",
    "can I get two large pizzas and a dozen wings delivered to 12 Baker Street",
    "my email is jane.doe@example.com and my phone is +44 20 7946 0958",
    "call me back on (555) 123-4567 after 5:30 pm please",
    "how much is the premium plan? is it $12 a month or 12 euros?",
    "transfer 250 dollars to my savings account on March 3rd",
    "I want to fly from London to New York next friday and come back on the 21st",
    "what's the weather like today",
    "set a reminder for half past five in the evening",
    "the second option sounds good, thanks!",
    "can you check www.example.com/pricing for me",
    "my order number is 483920 and it still hasn't arrived after three weeks",
    "no, that's not what I asked",
    "I need to move my appointment from monday to 2026-04-14 at 09:15",
    "is the shop open on sunday around noon?",
    "send the invoice to accounts@acme.co.uk by the end of the day",
    "we are a team of twenty-five, can we get a discount on 1,200 licenses",
    "yes please",
    "I paid £45.99 twice in 3 days, please refund one of them",
    "book me a cab in 2 hours to the airport",
    "what's the difference between the basic and pro plans",
    "can I reschedule to the third of may at quarter past ten",
    "my new number is 555-867-5309",
    "I'd like to order 3 coffees and one hundred and five cookies for the office party",
    "ok",
    "check https://status.example.org/incidents?id=42 is everything down?",
    "I'm 34 years old and I live at 221B Baker Street",
    "how about next monday at 10am or tuesday at 2pm",
    "this is the 4th time I'm asking, I want my 20 USD back",
)
NOW = datetime(2026, 3, 12, 9, 30)
_SIZE = 100_000
ADVERSARIAL = {
    "digits": "9" * _SIZE,
    "spaced digits": "1 " * (_SIZE // 2),
    "dashed digits": "1-" * (_SIZE // 2),
    "dotted words": "a." * (_SIZE // 2),
    "at signs": "a@" * (_SIZE // 2),
    "long domain": "a@" + "b." * (_SIZE // 2),
    "long url": "http://" + "a" * _SIZE,
    "number words": "one " * (_SIZE // 4),
    "number words with and": "one and " * (_SIZE // 8),
    "tens words": "twenty " * (_SIZE // 7),
    "quarter to": "quarter to " * (_SIZE // 11),
    "dollar signs": "$1 " * (_SIZE // 3),
    "odd unicode": "ſİ١１\u0301€\u00a0\ufeff" * (_SIZE // 8),
}


def _median_us(names: tuple[str, ...], message: str, repeats: int) -> float:
    """Median time in microseconds to run the named extractors, one after another, on one
    message (as the NLU does for every builtin entity an assistant declares)."""
    samples = []
    for _ in range(repeats):
        start = time.perf_counter_ns()
        for name in names:
            extract_builtin(name, message, now=NOW)
        samples.append(time.perf_counter_ns() - start)
    return statistics.median(samples) / 1000


def measure(repeats: int) -> dict[str, object]:
    """Per message, the median time of all extractors together and of each one alone."""
    per_message = [_median_us(BUILTIN_EXTRACTORS, message, repeats) for message in MESSAGES]
    per_extractor = {
        name: [_median_us((name,), message, repeats) for message in MESSAGES]
        for name in BUILTIN_EXTRACTORS
    }
    return {
        "messages": len(MESSAGES),
        "repeats": repeats,
        "all_extractors_median_us": round(statistics.median(per_message), 1),
        "all_extractors_p90_us": round(statistics.quantiles(per_message, n=10)[-1], 1),
        "all_extractors_max_us": round(max(per_message), 1),
        "per_extractor_median_us": {
            name: round(statistics.median(times), 1) for name, times in per_extractor.items()
        },
    }


def measure_adversarial() -> dict[str, float]:
    """Per hostile input, the time in milliseconds of the slowest extractor on it."""
    worst = {}
    for label, text in ADVERSARIAL.items():
        times = []
        for name in BUILTIN_EXTRACTORS:
            start = time.perf_counter_ns()
            extract_builtin(name, text, now=NOW)
            times.append((time.perf_counter_ns() - start) / 1e6)
        worst[label] = round(max(times), 1)
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--repeats", type=int, default=200, help="runs per message (default 200)")
    parser.add_argument("--adversarial", action="store_true", help="also time 100 KB inputs")
    args = parser.parse_args()
    figures = measure(args.repeats)
    if args.adversarial:
        figures["adversarial_slowest_extractor_ms"] = measure_adversarial()
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"{figures['messages']} messages, {figures['repeats']} runs each")
    print(
        f"all {len(BUILTIN_EXTRACTORS)} extractors, median per message: "
        f"{figures['all_extractors_median_us']} µs "
        f"(p90 {figures['all_extractors_p90_us']} µs, max {figures['all_extractors_max_us']} µs)"
    )
    per_extractor = figures["per_extractor_median_us"]
    assert isinstance(per_extractor, dict)
    for name, median in per_extractor.items():
        print(f"  {name:8s} {median:7.1f} µs")
    adversarial = figures.get("adversarial_slowest_extractor_ms")
    if isinstance(adversarial, dict):
        print(f"{_SIZE // 1000} KB hostile inputs, slowest extractor:")
        for label, ms in adversarial.items():
            print(f"  {label:22s} {ms:7.1f} ms")


if __name__ == "__main__":
    main()
