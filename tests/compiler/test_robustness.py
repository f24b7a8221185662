"""No input makes `check` crash: mutated examples, bad bytes, odd folders."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistc.compiler.compile import compile_project
from assistc.dsl.diagnostics import CODES

REPO = Path(__file__).resolve().parents[2]
SOURCES = sorted((REPO / "examples").rglob("*.assist"))
TEXTS = [p.read_text(encoding="utf-8") for p in SOURCES]
NOISE = st.sampled_from(
    [
        '"',
        ":",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        "|",
        "\t",
        "  ",
        "\n",
        "#",
        "=",
        "->",
        "\x00",
        "é",
        "\u2028",
        "if",
        "user",
        "\\",
    ]
)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(TEXTS))
    lines = text.splitlines(keepends=True)
    for _ in range(draw(st.integers(0, 3))):
        if lines:
            del lines[draw(st.integers(0, len(lines) - 1))]
    text = "".join(lines)
    if draw(st.booleans()):
        text = text[: draw(st.integers(0, len(text)))]
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(NOISE) + text[at:]
    return text


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(source=mutated())
def test_check_never_raises_on_mutated_sources(source: str, tmp_path: Path) -> None:
    (tmp_path / "main.assist").write_text(source, encoding="utf-8")
    result = compile_project(tmp_path)
    for diagnostic in result.diagnostics:
        assert diagnostic.code in CODES
        assert diagnostic.span.line >= 1 and diagnostic.span.col >= 1
    assert (result.assistant is None) == bool(result.errors)


def run_check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assistc.compiler", "check", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_no_traceback(done: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in done.stdout + done.stderr


def test_random_bytes_and_wrong_encoding(tmp_path: Path) -> None:
    (tmp_path / "a.assist").write_bytes(os.urandom(2000))
    (tmp_path / "b.assist").write_bytes('intent caf\u00e9:\n  "h\u00e9"\n'.encode("latin-1"))
    done = run_check(str(tmp_path))
    assert_no_traceback(done)
    assert done.returncode == 1
    assert "E0005" in done.stdout


def test_huge_line_and_deep_nesting(tmp_path: Path) -> None:
    deep = "(" * 5000 + "a" + ")" * 5000
    (tmp_path / "a.assist").write_text(
        f'intent a:\n  "{deep}"\n' + 'intent b:\n  "' + "x" * 200_000 + '"\n', encoding="utf-8"
    )
    done = run_check(str(tmp_path))
    assert_no_traceback(done)
    assert done.returncode == 1


def test_symlink_loop_and_broken_link(tmp_path: Path) -> None:
    (tmp_path / "main.assist").write_text('intent a:\n  "hello"\n', encoding="utf-8")
    (tmp_path / "loop").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "gone.assist").symlink_to(tmp_path / "nowhere.assist")
    done = run_check(str(tmp_path))
    assert_no_traceback(done)
    assert done.returncode == 1
    assert "E0005" in done.stdout


@pytest.mark.parametrize("kind", ["empty", "missing"])
def test_folder_without_sources_is_a_usage_error(tmp_path: Path, kind: str) -> None:
    target = tmp_path if kind == "empty" else tmp_path / "nope"
    done = run_check(str(target))
    assert_no_traceback(done)
    assert done.returncode == 2
    assert "E0007" in done.stderr


def test_deep_include_chains_and_many_branches(tmp_path: Path) -> None:
    parts = [
        'intent a:\n  "one"\n  "two"\n  "three"\n  "four"\n  "five"\n',
        'response utter_x:\n  "x"\n',
    ]
    for index in range(300):
        parts.append(f"story s{index}:\n  include s{index + 1}\n  user a | a | a\n")
    parts.append("story s300:\n  bot utter_x\n")
    (tmp_path / "main.assist").write_text("\n".join(parts), encoding="utf-8")
    result = compile_project(tmp_path)
    codes = {d.code for d in result.diagnostics}
    assert codes <= set(CODES)
    assert {"E0115", "W1103"} <= codes  # too deep, and too many branches
