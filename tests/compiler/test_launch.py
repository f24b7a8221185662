"""The console entry point starts loading a `check` project before the CLI is imported;
only plain `check` command lines do that, and `check` takes the loading once."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistc.compiler import sources
from assistc.compiler.launch import early_check_project


@pytest.mark.parametrize(
    ("args", "project"),
    [
        (["check"], Path(".")),
        (["check", "bot"], Path("bot")),
        (["check", "--strict", "bot", "--format", "json"], Path("bot")),
        (["check", "--format=github", "--no-strict"], Path(".")),
        (["check", "--help"], None),
        (["check", "a", "b"], None),
        (["check", "--format", "xml", "bot"], None),
        (["check", "--format"], None),
        (["check", "--verbose"], None),
        (["build", "bot"], None),
        ([], None),
    ],
)
def test_only_plain_check_command_lines_start_early(args: list[str], project: Path | None) -> None:
    assert early_check_project(args) == project


def test_an_early_loading_is_taken_once_and_a_missing_project_left_to_check(
    tmp_path: Path,
) -> None:
    (tmp_path / "main.assist").write_text('intent hi:\n  "hello"\n', encoding="utf-8")
    sources.start_early(tmp_path)
    loading = sources.take_early(tmp_path)
    assert loading is not None
    assert [f.display for f in loading.result().project_files] == ["main.assist"]
    assert sources.take_early(tmp_path) is None
    sources.start_early(tmp_path / "nowhere")  # `check` reports it (E0007)
    assert sources.take_early(tmp_path / "nowhere") is None
