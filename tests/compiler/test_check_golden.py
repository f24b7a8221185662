"""Golden tests of `assistc check`: one case file per problem, its expected text
output beside it (`*.expected`). Rewrite with ASSISTC_UPDATE_GOLDEN=1, then review.

A case file holds one or more source files, each after a `--- path` line; lines before
the first `---` starting with `#` describe the case.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from golden import assert_golden

from assistc.compiler.compile import compile_project
from assistc.compiler.reporting import render_json, render_text, summary_line
from assistc.dsl.diagnostics import CODES

CASES = sorted((Path(__file__).parent / "golden" / "check").glob("*.test"))


def materialise(case: Path, root: Path) -> None:
    current: list[str] | None = None
    name = ""
    files: dict[str, list[str]] = {}
    for line in case.read_text(encoding="utf-8").splitlines(keepends=True):
        if line.startswith("--- "):
            name = line[4:].strip()
            current = files.setdefault(name, [])
        elif current is not None:
            current.append(line)
    for name, lines in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(lines), encoding="utf-8")


def check_output(root: Path) -> tuple[str, list[dict[str, object]]]:
    result = compile_project(root, sample_templates=False)
    text = render_text(result.diagnostics, result.sources.text_of)
    text += summary_line(result.diagnostics, len(result.sources.project_files)) + "\n"
    records = [json.loads(line) for line in render_json(result.diagnostics).splitlines()]
    return text, records


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_check_output_matches_golden(case: Path, tmp_path: Path) -> None:
    materialise(case, tmp_path)
    text, records = check_output(tmp_path)
    assert_golden(case.with_suffix(".expected"), text)
    assert records, "every case demonstrates at least one problem"
    for record in records:
        assert record["code"] in CODES


def test_every_code_has_a_golden_case_or_is_documented() -> None:
    documented = (Path(__file__).parents[2] / "docs" / "diagnostics.md").read_text("utf-8")
    for code in CODES:
        assert f"## {code}" in documented, f"{code} is not documented in docs/diagnostics.md"
