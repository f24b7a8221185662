"""Formatter goldens: every `golden/fmt/NAME.assist` formats to `NAME.expected.assist`.

Rewrite the expected files with `ASSISTC_UPDATE_GOLDEN=1 .venv/bin/pytest tests/dsl`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from golden import assert_golden

from assistc.dsl.formatter import format_source, format_text

CASES = Path(__file__).parent / "golden" / "fmt"
EXPECTED = ".expected.assist"
INPUTS = sorted(p for p in CASES.glob("*.assist") if not p.name.endswith(EXPECTED))


def _expected_path(case: Path) -> Path:
    return case.with_name(case.name.removesuffix(".assist") + EXPECTED)


def _read(path: Path) -> str:
    with path.open(encoding="utf-8", newline="") as stream:
        return stream.read()


def test_there_are_cases() -> None:
    assert len(INPUTS) >= 5


@pytest.mark.parametrize("case", INPUTS, ids=lambda p: p.stem)
def test_formats_to_expected(case: Path) -> None:
    assert_golden(_expected_path(case), format_source(_read(case), case.name))


@pytest.mark.parametrize("case", INPUTS, ids=lambda p: p.stem)
def test_expected_is_a_fixed_point(case: Path) -> None:
    expected = _expected_path(case)
    if not expected.exists():
        pytest.skip(f"{expected.name} not written yet")
    text = _read(expected)
    result = format_text(text, expected.name)
    assert result.internal_error is None
    if result.diagnostics:
        assert text == _read(case), "only a file that does not parse may stay unformatted"
    assert result.text == text
