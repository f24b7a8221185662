"""Golden files: the expected output of a test case, kept beside its input.

`assert_golden(path, actual)` compares `actual` with the file at `path` byte for byte
(line endings included). Run the tests with `ASSISTC_UPDATE_GOLDEN=1` to (re)write the
expected files instead, then review the change with `git diff` like any other edit.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

UPDATE_ENV = "ASSISTC_UPDATE_GOLDEN"


def updating() -> bool:
    """Whether this run rewrites the expected files."""
    return os.environ.get(UPDATE_ENV, "") not in ("", "0")


def assert_golden(path: Path, actual: str) -> None:
    """Fail with a diff unless `actual` equals the contents of `path` exactly."""
    if updating():
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as stream:
            stream.write(actual)
        return
    if not path.exists():
        pytest.fail(f"{path} does not exist; run with {UPDATE_ENV}=1 to create it")
    with path.open(encoding="utf-8", newline="") as stream:
        expected = stream.read()
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                fromfile=f"{path} (expected)",
                tofile="actual",
            )
        )
        pytest.fail(f"output differs from {path} (rerun with {UPDATE_ENV}=1 to accept):\n{diff}")
