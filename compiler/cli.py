"""The `assistc` command line (typer). Each command is a thin shell over a function
that does the work, so the same work is reachable from tests and the dev loop."""

from __future__ import annotations

import atexit
import contextlib
import gc
import json
import os
import sys
import threading
from collections.abc import Callable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from assistc import __version__
from assistc.compiler.reporting import (
    from_working_folder,
    render_github,
    render_json,
    render_seen_from_working_folder,
    render_text,
    summary_line,
)
from assistc.compiler.sources import PendingSources, ProjectNotFound, start_loading, take_early

if TYPE_CHECKING:
    from assistc.compiler.compile import CompileResult

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


def compile_or_exit(
    project: Path,
    seed: int | None = None,
    *,
    sample_templates: bool = True,
    loading: PendingSources | None = None,
) -> CompileResult:
    # The compiler is imported here, not at the top: `check` starts loading the sources
    # first (a worker parses while this import runs), and `fmt` never needs it.
    from assistc.compiler.compile import compile_project

    # A compile allocates millions of long-lived AST objects and almost no cyclic
    # garbage: the cyclic collector's passes over them cost 15-30% and free nothing.
    gc.disable()
    try:
        return compile_project(
            project, seed=seed, sample_templates=sample_templates, loading=loading
        )
    except ProjectNotFound as error:
        raise fail_usage(f"[E0007] {error}") from None


def report(result: CompileResult, output: OutputFormat, *, quiet_summary: bool = False) -> None:
    diagnostics = result.diagnostics
    if output is OutputFormat.json:
        sys.stdout.write(render_json(diagnostics))
    elif output is OutputFormat.github:
        sys.stdout.write(render_github(from_working_folder(diagnostics, result.sources.root)))
    else:
        text = render_seen_from_working_folder(diagnostics, result.sources)
        if text:
            sys.stdout.write(text + "\n")
        if not quiet_summary:
            typer.echo(summary_line(diagnostics, len(result.sources.project_files)))


@app.command()
def check(
    project: ProjectArg = Path("."),
    output: Annotated[
        OutputFormat, typer.Option("--format", help="text, json (one object per line) or github.")
    ] = OutputFormat.text,
    strict: Annotated[bool, typer.Option(help="Fail on warnings too.")] = False,
) -> None:
    """Parse and type-check an assistant. Exit 0 clean, 1 problems, 2 usage or I/O."""
    gc.disable()  # as `compile_or_exit` does, already while cached parses load
    try:
        loading = take_early(project) or start_loading(project)
    except ProjectNotFound as error:
        raise fail_usage(f"[E0007] {error}") from None
    result = compile_or_exit(project, sample_templates=False, loading=loading)
    report(result, output)
    failed = result.errors or (strict and result.warnings)
    raise typer.Exit(EXIT_PROBLEMS if failed else EXIT_OK)


def entry() -> None:
    """Console entry point: runs the command, then ends the process (`end`)."""
    try:
        app()
    except KeyboardInterrupt:
        end(130)
    except SystemExit as done:  # how typer reports the exit code, even 0
        end(done.code)
    end(EXIT_OK)


def end(code: str | int | None) -> NoReturn:
    """Exit with `code` without the interpreter's teardown, which frees every object the
    command made one by one (~0.04 s after checking 100,000 lines; its last garbage
    collection would walk them all, 0.7 s, were they not frozen out of its reach). The
    `atexit` functions still run and the output is flushed first. Other threads still
    running, or output that cannot be flushed, get Python's own exit."""
    gc.freeze()
    others = [t for t in threading.enumerate() if t is not threading.main_thread()]
    if any(not thread.daemon for thread in others) or not isinstance(code, int | None):
        sys.exit(code)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        sys.exit(code)  # Python reports it as it always does
    atexit._run_exitfuncs()
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code or EXIT_OK)


def build_project(project: Path, seed: int | None, output: OutputFormat) -> CompileResult:
    """Check (creating missing action modules from the template), then write the build
    folder. Exits 1 on errors, and then writes no build folder."""
    # Imported where used (here and in `fmt`), so that `check` starts without them.
    from assistc.compiler.build import BuildError, write_build
    from assistc.compiler.compile import compile_with_stubs
    from assistc.compiler.stubs import StubError

    try:
        result, created = compile_with_stubs(project, seed=seed)
    except ProjectNotFound as error:
        raise fail_usage(f"[E0007] {error}") from None
    except StubError as error:
        raise fail_usage(str(error)) from None
    if result.assistant is None:
        report(result, output)
        echo_created(result.sources.root, created, err=True)
        typer.echo("build stopped: fix the errors above; no build was written", err=True)
        raise typer.Exit(EXIT_PROBLEMS)
    assistant = result.assistant
    try:
        written = write_build(project, assistant, result.stats)
    except BuildError as error:
        raise fail_usage(str(error)) from None
    report(result, output, quiet_summary=True)
    if output is OutputFormat.text:
        typer.echo(
            f"built {written.folder}: {len(assistant.intents)} intents, "
            f"{written.examples} examples"
            + (f" (+{written.holdout} held out)" if written.holdout else "")
            + f", {len(assistant.stories)} stories, {len(assistant.rules)} rules, "
            f"{len(assistant.tests)} tests; fingerprint {written.fingerprint[:12]}"
        )
        echo_created(result.sources.root, created)
        _print_generation_notes(result)
    return result


def _print_generation_notes(result: CompileResult, limit: int = 5) -> None:
    """The smallest intents and those short of the examples they asked for (per-template
    figures, under-sampled templates included, are in the build folder's summary.json)."""
    # payload-only intents have no examples by design: not worth a note
    unlearned = (
        {i.name for i in result.assistant.intents if i.payload_only} if result.assistant else set()
    )
    stats = sorted(
        ((name, stat) for name, stat in result.stats.items() if name not in unlearned),
        key=lambda item: item[1].examples,
    )
    if stats:
        smallest = ", ".join(f"{name} ({stat.examples})" for name, stat in stats[:3])
        typer.echo(f"fewest examples: {smallest}")
    short = [(n, stat) for n, stat in stats if stat.explicit and stat.examples < stat.requested]
    for name, stat in short[:limit]:
        typer.echo(
            f"intent {name}: {stat.examples} of {stat.requested} examples requested "
            f"(its templates can give {stat.possible})"
        )
    if len(short) > limit:
        typer.echo(f"… and {len(short) - limit} more intents short of examples (summary.json)")


def echo_created(root: Path, created: Sequence[str], *, err: bool = False) -> None:
    """Name each action module the build created, by its path from the working folder."""
    for path in created:
        typer.echo(f"created {root / path} (yours to edit; never overwritten)", err=err)


@app.command()
def build(
    project: ProjectArg = Path("."),
    seed: Annotated[int | None, typer.Option(help="Override config `seed`.")] = None,
    output: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.text,
) -> None:
    """Check, then write the IR, training data and typed action stubs."""
    build_project(project, seed, output)


@app.command()
def inspect(
    project: ProjectArg = Path("."),
    seed: Annotated[int | None, typer.Option(help="Override config `seed`.")] = None,
) -> None:
    """Print the assistant's IR as JSON (the contract the runtime reads)."""
    result = compile_or_exit(project, seed)
    if result.assistant is None:
        report(result, OutputFormat.text)
        raise typer.Exit(EXIT_PROBLEMS)
    sys.stdout.write(
        json.dumps(result.assistant.model_dump(mode="json"), indent=2, sort_keys=True) + "\n"
    )


@app.command()
def fmt(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders (default: this folder).")
    ] = None,
    check_only: Annotated[
        bool, typer.Option("--check", help="Change nothing; exit 1 if a file would change.")
    ] = False,
    diff: Annotated[bool, typer.Option("--diff", help="Print what would change.")] = False,
) -> None:
    """Format .assist files in the one canonical layout (comments are kept)."""
    targets = paths or [Path(".")]
    missing = [p for p in targets if not p.exists()]
    if missing:
        raise fail_usage(f"{missing[0]}: no such file or folder")
    from assistc.dsl.formatter import format_paths

    result = format_paths(targets, check=check_only, diff=diff)
    for outcome in result.files:
        if outcome.diff:
            sys.stdout.write(outcome.diff)
        if outcome.status == "error":
            if outcome.diagnostics:
                source = outcome.path.read_text(encoding="utf-8", errors="replace")
                sys.stdout.write(render_text(outcome.diagnostics, _constant(source)))
            typer.echo(f"{outcome.path}: not formatted ({outcome.message or 'syntax errors'})")
        elif outcome.status == "would_reformat" and not diff:
            typer.echo(f"would reformat {outcome.path}")
        elif outcome.status == "reformatted":
            typer.echo(f"reformatted {outcome.path}")
    unchanged = len(result.files) - len(result.changed) - len(result.errors)
    typer.echo(
        f"{len(result.changed)} file(s) {'would change' if check_only or diff else 'reformatted'}"
        f", {unchanged} unchanged, {len(result.errors)} with errors"
    )
    raise typer.Exit(result.exit_code)


def _constant(text: str) -> Callable[[str], str]:
    return lambda _path: text


# ---------------------------------------------------------------- runtime commands
# Their work lives in `cli_serve`, imported only when one of them runs: it loads the
# runtime (scikit-learn, the ASGI server), which `check` and `fmt` do not need.

HostOption = Annotated[str, typer.Option(help="Address to listen on.")]
PortOption = Annotated[int, typer.Option(help="Port to listen on.")]
TokenOption = Annotated[
    str | None,
    typer.Option(envvar="ASSISTC_TOKEN", help="Require this bearer token (all but /health)."),
]
SeedOption = Annotated[int | None, typer.Option(help="Override config `seed`.")]


@app.command()
def train(project: ProjectArg = Path("."), seed: SeedOption = None) -> None:
    """Build, then train the NLU and dialogue policy, reusing unchanged components."""
    from assistc.compiler import cli_serve

    cli_serve.train(project, seed)


@app.command("run")
def run_command(
    model: Annotated[
        Path, typer.Argument(help="A bundle, a models folder, or an assistant's folder.")
    ] = Path("."),
    host: HostOption = "127.0.0.1",
    port: PortOption = 5005,
    token: TokenOption = None,
    store: Annotated[
        Path | None, typer.Option(help="SQLite tracker store (default: in the project).")
    ] = None,
    memory: Annotated[bool, typer.Option(help="Keep conversations in memory only.")] = False,
    project_dir: Annotated[Path | None, typer.Option(help="Where the Python actions live.")] = None,
) -> None:
    """Serve a trained bundle over Rasa's HTTP API (no watching: for production)."""
    from assistc.compiler import cli_serve

    cli_serve.run(model, host, port, token, store, memory, project_dir)


@app.command()
def shell(
    project: ProjectArg = Path("."),
    debug: Annotated[bool, typer.Option(help="Start with the debug view on.")] = False,
) -> None:
    """Chat with the assistant in the terminal (/debug, /restart, /tracker, /quit)."""
    from assistc.compiler import cli_serve

    cli_serve.shell(project, debug)


class TestFormat(StrEnum):
    text = "text"
    json = "json"
    junit = "junit"


@app.command("test")
def test_command(
    project: ProjectArg = Path("."),
    output: Annotated[TestFormat, typer.Option("--format")] = TestFormat.text,
    junit: Annotated[
        Path | None, typer.Option(help="Also write a JUnit XML report to this file.")
    ] = None,
) -> None:
    """Run the assistant's conversation tests against the trained assistant."""
    from assistc.compiler import cli_serve

    cli_serve.test(project, output.value, junit)


@app.command()
def dev(
    project: ProjectArg = Path("."),
    host: HostOption = "127.0.0.1",
    port: PortOption = 5005,
    token: TokenOption = None,
    seed: SeedOption = None,
) -> None:
    """Build, train and serve, then rebuild and swap on every save (conversations kept)."""
    from assistc.compiler import cli_serve

    cli_serve.dev(project, host, port, token, seed)


# ---------------------------------------------------------------- nlu evaluation

nlu_app = typer.Typer(help="Evaluate the NLU pipeline.", no_args_is_help=True)
app.add_typer(nlu_app, name="nlu")


class EvalFormat(StrEnum):
    text = "text"
    json = "json"


@nlu_app.command("eval")
def nlu_eval(
    train_file: Annotated[Path, typer.Option("--train", help="Training data (JSONL).")],
    test_file: Annotated[Path, typer.Option("--test", help="Test data (JSONL).")],
    oos_label: Annotated[
        str | None, typer.Option(help="The out-of-scope intent, for in-scope/OOS scores.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 42,
    output: Annotated[EvalFormat, typer.Option("--format")] = EvalFormat.text,
) -> None:
    """Train the NLU pipeline an assistant gets on one JSONL file, score it on another
    (format: text, intent, entities with character offsets)."""
    from assistc.compiler import cli_serve

    cli_serve.nlu_eval(train_file, test_file, oos_label, seed, output.value)


@nlu_app.command("cv")
def nlu_cv(
    project: ProjectArg = Path("."),
    folds: Annotated[int, typer.Option(help="Number of folds.")] = 5,
    output: Annotated[EvalFormat, typer.Option("--format")] = EvalFormat.text,
) -> None:
    """Cross-validate the NLU on the assistant's own examples; lists the most-confused
    intent pairs."""
    from assistc.compiler import cli_serve

    cli_serve.nlu_cv(project, folds, output.value)


# ---------------------------------------------------------------- Rasa interop

import_app = typer.Typer(help="Bring a project in from another tool.", no_args_is_help=True)
export_app = typer.Typer(help="Write the assistant out for another tool.", no_args_is_help=True)
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")


@import_app.command("rasa")
def import_rasa_command(
    rasa_dir: Annotated[Path, typer.Argument(help="A Rasa 3.x project folder.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Folder for the .assist files.")],
) -> None:
    """Convert a Rasa 3.x project into .assist files (then check them)."""
    from assistc.compiler.rasa_import import RasaImportError, import_rasa

    try:
        imported = import_rasa(rasa_dir, out)
    except RasaImportError as error:
        raise fail_usage(str(error)) from None
    typer.echo(imported.summary())
    if not imported.ok:
        raise typer.Exit(EXIT_PROBLEMS)
    result = compile_or_exit(out, sample_templates=False)
    report(result, OutputFormat.text)
    raise typer.Exit(EXIT_PROBLEMS if result.errors else EXIT_OK)


@export_app.command("rasa")
def export_rasa_command(
    project: ProjectArg = Path("."),
    out: Annotated[Path, typer.Option("-o", "--out", help="Folder for the Rasa project.")] = Path(
        "rasa"
    ),
) -> None:
    """Write a Rasa 3.x project (domain, NLU with generated examples, stories, rules)."""
    from assistc.compiler.rasa_export import export_rasa

    result = compile_or_exit(project)
    if result.assistant is None:
        report(result, OutputFormat.text)
        raise typer.Exit(EXIT_PROBLEMS)
    try:
        notes = export_rasa(result.assistant, out)
    except OSError as error:
        raise fail_usage(f"cannot write {out}: {error.strerror or error}") from None
    typer.echo(f"wrote a Rasa project to {out}")
    for note in notes:
        typer.echo(f"note: {note}")
