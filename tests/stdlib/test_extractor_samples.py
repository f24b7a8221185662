"""Every sample value of a builtin entity in stdlib/entities.assist must be extracted whole.

The training-data generator puts those samples into examples; an extractor that missed
one (or found only part of it) would teach the NLU an entity it can never find.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from extractor_helpers import NOW

import assistc.stdlib
from assistc.stdlib.extractors import BUILTIN_EXTRACTORS, extract_builtin

_ENTITIES = Path(assistc.stdlib.__file__).parent / "entities.assist"
_DECLARATION = re.compile(r"^entity \w+: builtin (\w+)")
_SAMPLE = re.compile(r'^\s+"(.*)"\s*$')


def _samples() -> list[tuple[str, str]]:
    samples: list[tuple[str, str]] = []
    builtin = None
    for line in _ENTITIES.read_text(encoding="utf-8").splitlines():
        if declaration := _DECLARATION.match(line):
            builtin = declaration.group(1)
        elif (sample := _SAMPLE.match(line)) and builtin is not None:
            samples.append((builtin, sample.group(1)))
    return samples


def test_every_builtin_has_samples() -> None:
    assert {builtin for builtin, _ in _samples()} == set(BUILTIN_EXTRACTORS)


@pytest.mark.parametrize(("builtin", "sample"), _samples())
def test_sample_is_extracted_whole(builtin: str, sample: str) -> None:
    matches = extract_builtin(builtin, sample, now=NOW)
    assert [(m.start, m.end) for m in matches] == [(0, len(sample))]
