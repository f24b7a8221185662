"""The console entry point, kept free of heavy imports: for `assistc check` the project's
parse worker is forked before typer and the command modules are imported (~0.15 s that
the worker then overlaps), and `check` picks that loading up (`sources.take_early`)."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

FORMATS = ("text", "json", "github")


def early_check_project(args: list[str]) -> Path | None:
    """The project of a plain `check` command line, or None for anything else (other
    commands, `--help`, unknown options): typer reads the command line either way, this
    only decides whether to start loading first."""
    if not args or args[0] != "check":
        return None
    project: Path | None = None
    rest = iter(args[1:])
    for arg in rest:
        if arg in ("--strict", "--no-strict"):
            continue
        if arg == "--format":
            arg = "--format=" + next(rest, "")
        if arg.startswith("--format="):
            if arg.removeprefix("--format=") not in FORMATS:
                return None
        elif arg.startswith("-") or project is not None:
            return None
        else:
            project = Path(arg)
    return project or Path(".")


def entry() -> None:
    """`assistc`: start loading a checked project early, then run the CLI."""
    project = early_check_project(sys.argv[1:])
    if project is not None:
        from assistc.compiler.sources import start_early

        gc.disable()  # as `check` does, already while cached parses load
        start_early(project)
    from assistc.compiler.cli import entry as run_cli

    run_cli()
