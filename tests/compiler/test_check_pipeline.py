"""`assistc check` with its work shared by two processes (a forked worker parses files and
generates intents while this process imports and runs the other passes) reports exactly
what one process reports, cold and from the caches; and the real command, which ends its
process with `os._exit`, still flushes all its output and exits with the right code."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistc.compiler import examples
from assistc.compiler.cli import app
from assistc.dsl import claims, parse_cache
from assistc.dsl.claims import can_fork
from assistc.dsl.parse_cache import clear_memory_cache

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(path.name for path in (REPO / "examples").iterdir() if path.is_dir())


def generated_project(root: Path, files: int = 6, intents: int = 12) -> Path:
    """Files of intents with templates, plus a few problems across files."""
    root.mkdir()
    for n in range(files):
        parts = [
            f"entity colour{n}: enum\n  red{n}\n  blue{n}\n",
            f'phrase polite{n} = "please" | ""\n',
        ]
        parts.extend(
            f'intent ask{n}_{i}:\n  "(show|give) me item {n} {i} in {{colour{n}}} {{polite{n}}}"\n'
            f'  "item {n} {i}"\n  generate 20\n'
            for i in range(intents)
        )
        (root / f"module_{n}.assist").write_text("\n".join(parts), encoding="utf-8")
    (root / "problems.assist").write_text(
        'intent copied:\n  "item 0 0"\n  "{nowhere} [x](colour0)"\n  generate 50\n',
        encoding="utf-8",
    )
    (root / "broken.assist").write_text('intent broken:\n  "unterminated\n', encoding="utf-8")
    return root


def run_check(project: Path, *args: str) -> tuple[int, str]:
    clear_memory_cache()  # as a new process starts
    result = CliRunner().invoke(app, ["check", str(project), *args])
    return result.exit_code, result.output


def outputs(project: Path) -> list[tuple[int, str]]:
    """Text and JSON reports, each of a cold check and then of one from the caches."""
    reports = []
    for args in ([], ["--format", "json"]):
        shutil.rmtree(project / ".assistc", ignore_errors=True)
        reports += [run_check(project, *args), run_check(project, *args)]
    return reports


@pytest.mark.skipif(not can_fork(), reason="the worker is forked")
@pytest.mark.parametrize("name", [*EXAMPLES, "generated"])
def test_shared_work_reports_byte_for_byte_what_one_process_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    if name == "generated":
        project = generated_project(tmp_path / name)
    else:
        project = Path(shutil.copytree(REPO / "examples" / name, tmp_path / name))
    with monkeypatch.context() as alone:
        alone.setattr(parse_cache, "can_fork", lambda: False)
        alone.setattr(examples, "can_fork", lambda: False)
        expected = outputs(project)
    started = []
    worker = claims.Worker

    def starting(task: Callable[[claims.Send], None]) -> claims.Worker:
        started.append(task)
        return worker(task)

    monkeypatch.setattr(claims, "Worker", starting)
    monkeypatch.setattr(parse_cache, "PARALLEL_MIN_BYTES", 1)
    monkeypatch.setattr(examples, "PARALLEL_MIN_EXAMPLES", 1)
    assert outputs(project) == expected
    assert len(started) >= 2  # parsing and generating were shared
    if name == "generated":
        assert expected[0][0] == 1
        assert all(code in expected[0][1] for code in ("E0002", "E0401", "W0403"))


def test_the_real_command_flushes_its_output_and_exits_with_its_code(tmp_path: Path) -> None:
    """Many diagnostics (more than a pipe holds), the exit code, and the usage error."""
    project = generated_project(tmp_path / "project", files=3, intents=150)
    (project / "broken.assist").unlink()
    (project / "problems.assist").write_text("config:\n  min_examples = 30\n", encoding="utf-8")
    command = [sys.executable, "-m", "assistc.compiler", "check", str(project)]
    for extra, code in (([], 0), (["--strict"], 1), (["--format", "json"], 0)):
        done = subprocess.run([*command, *extra], capture_output=True, text=True, timeout=120)
        assert (done.returncode, done.stderr) == (code, "")
        assert (code, done.stdout) == run_check(project, *extra)
    assert len(done.stdout) > 100_000
    missing = subprocess.run([*command[:-1], str(tmp_path / "nowhere")], capture_output=True)
    assert missing.returncode == 2
    assert b"[E0007]" in missing.stderr


def test_the_end_runs_exit_functions_and_waits_for_threads() -> None:
    script = """
import atexit, sys, threading, time
from assistc.compiler.cli import end
atexit.register(lambda: print("exit functions ran"))
def late():
    time.sleep(0.2)
    print("thread done")
if sys.argv[1] == "thread":
    threading.Thread(target=late).start()
print("output", end="")
end(int(sys.argv[2]))
"""
    for mode, code, output in (
        ("alone", 3, "outputexit functions ran\n"),
        ("thread", 4, "outputthread done\nexit functions ran\n"),
    ):
        done = subprocess.run(
            [sys.executable, "-c", script, mode, str(code)], capture_output=True, text=True
        )
        assert (done.returncode, done.stdout, done.stderr) == (code, output, "")
