"""The work behind the CLI commands that need the runtime: train, run, shell, test, dev
and the NLU evaluations.

Kept apart from `cli` so that `check` and `fmt` start without importing scikit-learn
or the ASGI server."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import typer
from rich.console import Console

from assistc.compiler.build import BuildError
from assistc.compiler.cli import (
    EXIT_OK,
    EXIT_PROBLEMS,
    OutputFormat,
    echo_created,
    fail_usage,
    report,
)
from assistc.compiler.compile import compile_project
from assistc.compiler.dev import DevSession, Watcher
from assistc.compiler.pipeline import PipelineResult, compile_build_train
from assistc.compiler.sources import ProjectNotFound
from assistc.compiler.stubs import StubError
from assistc.runtime.bundle import BundleError, LoadedBundle, load_bundle
from assistc.runtime.dialogue.stores import (
    InMemoryTrackerStore,
    SQLiteTrackerStore,
    TrackerStoreError,
)
from assistc.runtime.ir import Config
from assistc.runtime.nlu.errors import RESOURCE_FAILURES, resource_failure
from assistc.runtime.nlu.evaluate import (
    DataFormatError,
    EvalReport,
    cross_validate,
    evaluate,
    load_jsonl,
)
from assistc.runtime.server.run import ServerError, serve, serve_bundle
from assistc.runtime.shell import run_shell
from assistc.runtime.testing import render_json as render_test_json
from assistc.runtime.testing import render_junit, run_tests
from assistc.runtime.testing import render_text as render_test_text
from assistc.runtime.training import TrainingError, console_progress


def train_or_exit(project: Path, seed: int | None, *, quiet: bool = False) -> PipelineResult:
    progress = None if quiet else console_progress(Console(stderr=True))
    try:
        result = compile_build_train(project, seed=seed, progress=progress)
    except ProjectNotFound as error:
        raise fail_usage(f"[E0007] {error}") from None
    except (BuildError, StubError, TrainingError) as error:
        raise fail_usage(str(error)) from None
    echo_created(result.compiled.sources.root, result.created_stubs, err=True)
    if result.trained is None:
        report(result.compiled, OutputFormat.text)
        typer.echo("not trained: fix the errors above", err=True)
        raise typer.Exit(EXIT_PROBLEMS)
    return result


def train(project: Path, seed: int | None) -> None:
    result = train_or_exit(project, seed)
    trained = result.trained
    assert trained is not None
    for warning in trained.warnings:
        typer.echo(f"warning: {warning}", err=True)
    if trained.unchanged:
        typer.echo(f"nothing changed: model {trained.model_id} is up to date")
        return
    reused = ", ".join(trained.reused) or "nothing"
    typer.echo(
        f"trained {', '.join(trained.trained) or 'nothing'}; reused {reused}; "
        f"{trained.total_seconds:.1f} s; model {trained.model_id} at {trained.path}"
    )


def _load_or_exit(model: Path) -> LoadedBundle:
    if not model.exists():
        raise fail_usage(f"{model}: no such file or folder")
    try:
        return load_bundle(model)
    except BundleError as error:
        raise fail_usage(str(error)) from None


def default_store(project_dir: Path) -> Path:
    return project_dir / ".assistc" / "tracker.sqlite"


def project_of(model: Path) -> Path | None:
    """The assistant's folder that `model` (a folder, its models folder or one bundle)
    belongs to: its Python actions live there, and by default its conversations."""
    if (model / ".assistc").is_dir():
        return model
    absolute = model.absolute()
    return next((f.parent for f in (absolute, *absolute.parents) if f.name == ".assistc"), None)


def run(
    model: Path,
    host: str,
    port: int,
    token: str | None,
    store: Path | None,
    memory: bool,
    project_dir: Path | None,
) -> None:
    show_runtime_log()
    loaded = _load_or_exit(model)
    actions_dir = project_dir or project_of(model)
    store_path = None if memory else (store or default_store(actions_dir or Path(".")))
    typer.echo(f"starting the server for model {loaded.model_id} on http://{host}:{port}")
    try:
        serve_bundle(
            model, store=store_path, project_dir=actions_dir, host=host, port=port, token=token
        )
    except (BundleError, ServerError, TrackerStoreError) as error:
        raise fail_usage(str(error)) from None


def _test_agent(project: Path) -> tuple[LoadedBundle, Path]:
    result = train_or_exit(project, None, quiet=True)
    assert result.trained is not None
    return _load_or_exit(result.trained.path), result.compiled.sources.root


def shell(project: Path, debug: bool) -> None:
    loaded, root = _test_agent(project)
    run_shell(loaded.agent(InMemoryTrackerStore(), project_dir=root), debug=debug)


def test(project: Path, output: str, junit: Path | None) -> None:
    loaded, root = _test_agent(project)
    outcome = run_tests(loaded.agent(InMemoryTrackerStore(), project_dir=root))
    renderers = {"json": render_test_json, "junit": render_junit, "text": render_test_text}
    sys.stdout.write(renderers[output](outcome))
    if junit is not None:
        junit.write_text(render_junit(outcome), encoding="utf-8")
    raise typer.Exit(EXIT_OK if outcome.passed else EXIT_PROBLEMS)


def show_runtime_log() -> None:
    """Print the runtime's notices (slots dropped on a swap, action errors with their
    tracebacks) in the terminal, as one line each."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    runtime_log = logging.getLogger("assistc.runtime")
    runtime_log.addHandler(handler)
    runtime_log.setLevel(logging.INFO)


def dev(project: Path, host: str, port: int, token: str | None, seed: int | None) -> None:
    show_runtime_log()
    if not project.exists():
        raise fail_usage(f"[E0007] {project}: no such file or folder")
    root = project if project.is_dir() else project.parent
    try:
        store = SQLiteTrackerStore(default_store(root))
    except TrackerStoreError as error:
        raise fail_usage(str(error)) from None
    session = DevSession(project, store, typer.echo, seed=seed)
    watcher = Watcher(session)
    watcher.start()
    try:
        if not session.first_build():
            typer.echo("waiting for a save that fixes the errors above …")
        session.serving.wait()
        assert session.holder is not None
        typer.echo(
            f"serving on http://{host}:{port} — talk to it with `assistc shell {project}` or "
            f"curl -s {host}:{port}/webhooks/rest/webhook -d "
            '\'{"sender": "me", "message": "hi"}\''
        )
        serve(session.holder, host, port, token)
    except ServerError as error:
        raise fail_usage(str(error)) from None
    except ProjectNotFound as error:
        raise fail_usage(f"[E0007] {error}") from None
    finally:
        watcher.stop()
        session.remote_actions.close()
        store.close()


def _print_report(report: EvalReport, output: str) -> None:
    if output == "json":
        typer.echo(report.model_dump_json(indent=2))
        return
    rows = [
        ("examples (train / test)", f"{report.n_train} / {report.n_test}"),
        ("intent accuracy", f"{report.intent_accuracy:.4f}"),
        ("intent macro F1", f"{report.intent_macro_f1:.4f}"),
    ]
    if report.entity_f1 is not None:
        rows.append(
            (
                "entity P / R / F1",
                f"{report.entity_precision:.4f} / {report.entity_recall:.4f} / "
                f"{report.entity_f1:.4f}",
            )
        )
    if report.in_scope_accuracy is not None:
        rows.append(("in-scope accuracy", f"{report.in_scope_accuracy:.4f}"))
        rows.append(("out-of-scope recall", f"{report.oos_recall:.4f}"))
    rows.append(("training time", f"{report.train_seconds:.1f} s"))
    rows.append(
        ("prediction p50 / p95", f"{report.predict_p50_ms:.2f} / {report.predict_p95_ms:.2f} ms")
    )
    for name, value in rows:
        typer.echo(f"{name:>24}: {value}")
    for pair in report.confused_pairs:
        typer.echo(f"{'confused':>24}: {pair.gold} → {pair.predicted} ({pair.count}×)")


def nlu_eval(
    train_file: Path, test_file: Path, oos_label: str | None, seed: int, output: str
) -> None:
    try:
        train_set = load_jsonl(train_file)
        test_set = load_jsonl(test_file)
    except DataFormatError as error:
        raise fail_usage(str(error)) from None
    if not train_set or not test_set:
        raise fail_usage("the training and the test file each need at least one example")
    try:
        report = evaluate(train_set, test_set, Config(seed=seed), oos_label)
    except RESOURCE_FAILURES as error:
        raise fail_usage(resource_failure("training", error)) from None
    _print_report(report, output)


def nlu_cv(project: Path, folds: int, output: str) -> None:
    try:
        compiled = compile_project(project)
    except ProjectNotFound as error:
        raise fail_usage(f"[E0007] {error}") from None
    if compiled.assistant is None:
        report(compiled, OutputFormat.text)
        raise typer.Exit(EXIT_PROBLEMS)
    assistant = compiled.assistant
    examples = [e for intent in assistant.intents for e in intent.examples]
    if folds < 2 or folds > len(examples):
        raise fail_usage(f"--folds must be between 2 and {len(examples)}")
    try:
        outcome = cross_validate(examples, assistant.entities, assistant.config, folds)
    except RESOURCE_FAILURES as error:
        raise fail_usage(resource_failure("training", error)) from None
    _print_report(outcome, output)
