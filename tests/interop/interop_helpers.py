"""Shared helpers of the Rasa interop tests: where the example projects live, writing a
small Rasa project from text, and reading back what the importer wrote."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from assistc.compiler.rasa_import import ImportReport, import_rasa
from assistc.dsl.parser import parse_module

EXAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "rasa-examples"
EXAMPLE_NAMES = ("concertbot", "e2ebot", "formbot", "moodbot", "rules")


def example_dir(name: str) -> Path:
    path = EXAMPLES / name
    if not path.is_dir():
        pytest.skip(f"the Rasa example projects are not available at {EXAMPLES}")
    return path


def write_project(root: Path, files: dict[str, str]) -> Path:
    """A Rasa project made of `files` (relative path → YAML text, dedented)."""
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def import_files(tmp_path: Path, files: dict[str, str]) -> tuple[ImportReport, dict[str, str]]:
    """Import a project written from `files`; returns the report and the written texts."""
    source = write_project(tmp_path / "rasa", files)
    out = tmp_path / "out"
    report = import_rasa(source, out)
    texts = {p.relative_to(out).as_posix(): p.read_text(encoding="utf-8") for p in report.files}
    return report, texts


def assert_parses(texts: dict[str, str]) -> None:
    """Every written `.assist` file is free of syntax errors."""
    for name, text in texts.items():
        if name.endswith(".assist"):
            _, diagnostics = parse_module(text, name)
            assert diagnostics == [], (name, diagnostics, text)


def codes(report: ImportReport) -> list[str]:
    return [d.code for d in report.diagnostics]


def messages(report: ImportReport, code: str) -> list[str]:
    return [d.message for d in report.diagnostics if d.code == code]
