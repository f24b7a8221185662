"""Render diagnostics: text with source lines and carets (like rustc or Elm), JSON for
tools, and GitHub Actions annotations."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from assistc.dsl.ast import Span
from assistc.dsl.diagnostics import CODES, Diagnostic, Label

SourceLookup = Callable[[str], str | None]
"""Display path → the file's text (None when it is not available)."""


def render_text(diagnostics: Sequence[Diagnostic], sources: SourceLookup) -> str:
    blocks = [_render_one(d, sources) for d in diagnostics]
    return "\n".join(blocks)


class ProjectSources(Protocol):
    root: Path

    def text_of(self, display: str) -> str | None: ...


def render_seen_from_working_folder(
    diagnostics: Sequence[Diagnostic], sources: ProjectSources
) -> str:
    """`render_text` naming files from the working folder, as rustc and mypy do, so a
    terminal or an editor opens `examples/shop/menu.assist:3:5` with one click."""
    prefix = _working_prefix(sources.root)

    def text_of(display: str) -> str | None:
        if display.startswith("<"):
            return sources.text_of(display)
        return sources.text_of(Path(os.path.relpath(display, prefix)).as_posix())

    return render_text(from_working_folder(diagnostics, sources.root), text_of)


def from_working_folder(diagnostics: Sequence[Diagnostic], root: Path) -> list[Diagnostic]:
    """The diagnostics with project paths made relative to the working folder: GitHub
    resolves an annotation's `file` against the workspace, where CI runs the command."""
    prefix = _working_prefix(root)

    def moved(span: Span) -> Span:
        if span.file.startswith("<"):  # a stdlib module: no file in the workspace
            return span
        return replace(span, file=(prefix / span.file).as_posix())

    return [
        replace(
            d,
            span=moved(d.span),
            labels=tuple(Label(moved(label.span), label.message) for label in d.labels),
        )
        for d in diagnostics
    ]


def _working_prefix(root: Path) -> Path:
    """The project folder as seen from the working folder: relative when inside it,
    absolute otherwise (`../../tmp/x` helps nobody)."""
    relative = Path(os.path.relpath(root))
    return root.resolve() if relative.parts[:1] == ("..",) else relative


def summary_line(diagnostics: Sequence[Diagnostic], files: int) -> str:
    errors = sum(1 for d in diagnostics if d.severity == "error")
    warnings = len(diagnostics) - errors
    if not diagnostics:
        return f"checked {files} file{'s' if files != 1 else ''}: no problems"
    parts = []
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    return f"checked {files} file{'s' if files != 1 else ''}: " + ", ".join(parts)


def _render_one(diagnostic: Diagnostic, sources: SourceLookup) -> str:
    span = diagnostic.span
    lines = [
        f"{diagnostic.severity}[{diagnostic.code}]: {diagnostic.message}",
        f"  --> {span.file}:{span.line}:{span.col}",
    ]
    lines.extend(_excerpt(span, sources, "^", None))
    for label in diagnostic.labels:
        lines.append(f"  ::: {label.span.file}:{label.span.line}:{label.span.col}")
        lines.extend(_excerpt(label.span, sources, "-", label.message))
    if diagnostic.hint:
        lines.append(f"  = hint: {diagnostic.hint}")
    return "\n".join(lines) + "\n"


def _excerpt(span: Span, sources: SourceLookup, mark: str, message: str | None) -> list[str]:
    text = sources(span.file)
    if text is None:
        return [f"   | {message}"] if message else []
    source_lines = text.splitlines()
    if not 1 <= span.line <= len(source_lines):
        return [f"   | {message}"] if message else []
    line = source_lines[span.line - 1].expandtabs(1)
    gutter = str(span.line)
    pad = " " * len(gutter)
    start = max(1, span.col)
    end = span.end_col if span.end_line == span.line and span.end_col > start else start + 1
    end = min(end, max(len(line) + 1, start + 1))
    carets = " " * (start - 1) + mark * (end - start)
    if message:
        carets += f" {message}"
    return [f"{pad} |", f"{gutter} | {line}", f"{pad} | {carets}"]


def render_json(diagnostics: Sequence[Diagnostic]) -> str:
    """One JSON object per line, one line per diagnostic."""
    return "".join(json.dumps(to_dict(d), ensure_ascii=False) + "\n" for d in diagnostics)


def to_dict(diagnostic: Diagnostic) -> dict[str, object]:
    return {
        "code": diagnostic.code,
        "severity": diagnostic.severity,
        "title": CODES.get(diagnostic.code, ""),
        "message": diagnostic.message,
        "span": _span_dict(diagnostic.span),
        "labels": [
            {"message": label.message, "span": _span_dict(label.span)}
            for label in diagnostic.labels
        ],
        "hint": diagnostic.hint,
    }


def _span_dict(span: Span) -> dict[str, object]:
    return {
        "file": span.file,
        "line": span.line,
        "col": span.col,
        "end_line": span.end_line,
        "end_col": span.end_col,
    }


def render_github(diagnostics: Sequence[Diagnostic]) -> str:
    """GitHub Actions workflow commands: `::error file=…,line=…,col=…::message`."""
    out = []
    for d in diagnostics:
        kind = "error" if d.severity == "error" else "warning"
        message = d.message + (f" (hint: {d.hint})" if d.hint else "")
        message = message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        span = d.span
        out.append(
            f"::{kind} file={span.file},line={span.line},col={span.col},"
            f"endLine={span.end_line},endColumn={span.end_col},title={d.code}::{message}\n"
        )
    return "".join(out)
