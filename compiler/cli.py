"""The `assistc` command line (typer). Each command is a thin shell over a function
that does the work, so the same work is reachable from tests and the dev loop."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from assistc import __version__
from assistc.compiler.compile import CompileResult, compile_project
from assistc.compiler.reporting import render_github, render_json, render_text, summary_line
from assistc.compiler.sources import ProjectNotFound

app = typer.Typer(
    name="assistc",
    help="A compiler for conversational assistants.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    github = "github"


ProjectArg = Annotated[Path, typer.Argument(help="The assistant's folder (or one .assist file).")]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"assistc {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """A compiler for conversational assistants."""


def fail_usage(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(EXIT_USAGE)


def compile_or_exit(project: Path, seed: int | None = None) -> CompileResult:
    try:
        return compile_project(project, seed=seed)
    except ProjectNotFound as error:
        raise fail_usage(str(error)) from None


def report(result: CompileResult, output: OutputFormat, *, quiet_summary: bool = False) -> None:
    diagnostics = result.diagnostics
    if output is OutputFormat.json:
        sys.stdout.write(render_json(diagnostics))
    elif output is OutputFormat.github:
        sys.stdout.write(render_github(diagnostics))
    else:
        text = render_text(diagnostics, result.sources.text_of)
        if text:
            sys.stdout.write(text + "\n")
        if not quiet_summary:
            typer.echo(summary_line(diagnostics, len(result.sources.files)))


@app.command()
def check(
    project: ProjectArg = Path("."),
    output: Annotated[
        OutputFormat, typer.Option("--format", help="text, json (one object per line) or github.")
    ] = OutputFormat.text,
    strict: Annotated[bool, typer.Option(help="Fail on warnings too.")] = False,
) -> None:
    """Parse and type-check an assistant. Exit 0 clean, 1 problems, 2 usage or I/O."""
    result = compile_or_exit(project)
    report(result, output)
    failed = result.errors or (strict and result.warnings)
    raise typer.Exit(EXIT_PROBLEMS if failed else EXIT_OK)


def run() -> None:
    """Console entry point that turns an unexpected exception into one clear line."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
