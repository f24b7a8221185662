"""`build` fails cleanly: a clear error, and nothing half-written."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assistc.compiler.build import BuildError, write_build
from assistc.compiler.compile import compile_project

REPO = Path(__file__).resolve().parents[2]


def _booking(tmp_path: Path) -> Path:
    project = tmp_path / "booking"
    shutil.copytree(
        REPO / "examples" / "booking", project, ignore=shutil.ignore_patterns(".assistc")
    )
    return project


def test_an_unwritable_build_folder_is_a_clear_error_and_leaves_the_old_build(
    tmp_path: Path,
) -> None:
    project = _booking(tmp_path)
    result = compile_project(project)
    assert result.assistant is not None
    write_build(project, result.assistant, result.stats)
    before = (project / ".assistc" / "build" / "ir.json").read_bytes()
    (project / ".assistc" / "build").chmod(0o500)
    blocker = project / ".assistc"
    # A file where the build's parent folder must be: no build can be written there.
    shutil.rmtree(blocker)
    blocker.write_text("not a folder")
    with pytest.raises(BuildError, match="cannot"):
        write_build(project, result.assistant, result.stats)
    assert blocker.read_text() == "not a folder"
    assert before  # the first build was complete


def test_a_user_action_file_that_is_a_folder_is_a_clear_error(tmp_path: Path) -> None:
    project = _booking(tmp_path)
    (project / "actions" / "booking.py").unlink()
    (project / "actions" / "booking.py").mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "assistc.compiler", "build", str(project)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    assert "booking.py" in done.stdout + done.stderr
    assert not (project / ".assistc" / "build").exists()
