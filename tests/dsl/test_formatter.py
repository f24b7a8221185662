"""The formatter's API: one text (`format_source`, `format_text`) and files (`format_paths`)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from assistc.dsl import formatter
from assistc.dsl.diagnostics import CODES
from assistc.dsl.formatter import format_paths, format_source, format_text, quote, unquote
from assistc.dsl.parser import parse_module

MESSY = 'intent   greet :\n  "hello"   # hi\n  generate   5\nslot x : text\n'
CLEAN = 'intent greet:\n  "hello"  # hi\n  generate 5\n\nslot x: text\n'
BROKEN = 'intent greet:\n  "hello\n'


def test_messy_text_becomes_canonical() -> None:
    assert format_source(MESSY, "a.assist") == CLEAN


def test_a_payload_only_intent_is_formatted_on_one_line() -> None:
    messy = "intent   faq :payload    only   # reached by buttons\r\n"
    assert format_source(messy, "a.assist") == "intent faq: payload only  # reached by buttons\n"


def test_canonical_text_is_unchanged() -> None:
    assert format_source(CLEAN, "a.assist") == CLEAN


def test_syntax_error_leaves_text_and_reports() -> None:
    result = format_text(BROKEN, "a.assist")
    assert result.text == BROKEN
    assert result.diagnostics
    assert all(d.code in CODES for d in result.diagnostics)


def test_line_endings_tabs_and_final_newline() -> None:
    text = 'config:\r\n\tseed = 3\r\n\tlanguage = "en"'
    assert format_source(text, "a.assist") == 'config:\n  seed = 3\n  language = "en"\n'


def test_a_last_lone_carriage_return_ends_the_line_as_for_the_parser() -> None:
    assert format_source("\r", "a.assist") == ""
    assert format_source("use a\r\nuse b\r", "a.assist") == "use a\nuse b\n"


def test_empty_and_comment_only_files() -> None:
    assert format_source("\n\n  \n", "a.assist") == ""
    assert format_source("# only\n\n\n   # comments\n", "a.assist") == "# only\n\n# comments\n"


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ("plain", '"plain"'),
        ('say "hi"', r'"say \"hi\""'),
        ("a\tb\nc", r'"a\tb\nc"'),
        (r"\d+", r'"\d+"'),
        ("\\", r'"\\"'),
        ("\\n", r'"\\n"'),
        ('\\"', r'"\\\""'),
    ],
)
def test_quote_is_canonical_and_round_trips(value: str, literal: str) -> None:
    assert quote(value) == literal
    assert unquote(literal) == value
    module, diagnostics = parse_module(f"phrase p = {literal}\n", "a.assist")
    assert not diagnostics
    assert module.decls[0].alternatives[0].value == value  # type: ignore[union-attr]


def test_a_layout_that_changes_meaning_is_never_returned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(formatter, "layout", lambda entries: 'intent other:\n  "x"\n')
    result = format_text(CLEAN, "a.assist")
    assert result.text == CLEAN
    assert result.internal_error is not None


# --------------------------------------------------------------------------- files


def _project(root: Path) -> dict[str, Path]:
    files = {
        "clean": root / "clean.assist",
        "messy": root / "sub" / "messy.assist",
        "broken": root / "broken.assist",
        "binary": root / "binary.assist",
        "hidden": root / ".assistc" / "generated.assist",
        "other": root / "notes.txt",
    }
    for path in files.values():
        path.parent.mkdir(parents=True, exist_ok=True)
    files["clean"].write_text(CLEAN, encoding="utf-8")
    files["messy"].write_text(MESSY, encoding="utf-8")
    files["broken"].write_text(BROKEN, encoding="utf-8")
    files["binary"].write_bytes(b"intent \xff\xfe:\n")
    files["hidden"].write_text(MESSY, encoding="utf-8")
    files["other"].write_text(MESSY, encoding="utf-8")
    return files


def test_check_reports_without_writing(tmp_path: Path) -> None:
    files = _project(tmp_path)
    result = format_paths([tmp_path], check=True)
    assert result.changed == [files["messy"]]
    assert {o.path for o in result.errors} == {files["broken"], files["binary"]}
    assert result.exit_code == 1
    assert files["messy"].read_text(encoding="utf-8") == MESSY
    assert all(o.path != files["hidden"] for o in result.files)
    binary = next(o for o in result.files if o.path == files["binary"])
    assert [d.code for d in binary.diagnostics] == ["E0005"]


def test_diff_shows_the_change_without_writing(tmp_path: Path) -> None:
    files = _project(tmp_path)
    result = format_paths([files["messy"], files["clean"]], diff=True)
    messy = next(o for o in result.files if o.path == files["messy"])
    assert messy.status == "would_reformat"
    assert messy.diff is not None
    assert "-intent   greet :" in messy.diff
    assert "+intent greet:" in messy.diff
    assert files["messy"].read_text(encoding="utf-8") == MESSY
    assert result.exit_code == 0


def test_write_formats_atomically_and_keeps_mode(tmp_path: Path) -> None:
    files = _project(tmp_path)
    files["messy"].chmod(0o640)
    result = format_paths([tmp_path])
    assert result.changed == [files["messy"]]
    assert files["messy"].read_text(encoding="utf-8") == CLEAN
    assert stat.S_IMODE(files["messy"].stat().st_mode) == 0o640
    assert files["broken"].read_text(encoding="utf-8") == BROKEN
    assert not [p for p in tmp_path.rglob("*.tmp")]
    assert result.exit_code == 1  # the broken and binary files
    again = format_paths([files["messy"], files["clean"]], check=True)
    assert again.changed == []
    assert again.exit_code == 0


def test_a_symlinked_file_stays_a_link(tmp_path: Path) -> None:
    target = tmp_path / "real.assist"
    target.write_text(MESSY, encoding="utf-8")
    link = tmp_path / "link.assist"
    link.symlink_to(target)
    format_paths([link])
    assert link.is_symlink()
    assert target.read_text(encoding="utf-8") == CLEAN


def test_missing_path_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    result = format_paths([tmp_path / "nope.assist"])
    assert [o.status for o in result.files] == ["error"]
    assert result.files[0].diagnostics[0].code == "E0005"


def test_a_story_text_turn_is_formatted_like_a_test_turn() -> None:
    messy = 'story s:\n  user   "Sushi, \\"please\\""   # yes\n  bot utter_x\n'
    clean = 'story s:\n  user "Sushi, \\"please\\""  # yes\n  bot utter_x\n'
    assert format_source(messy, "a.assist") == clean
    assert format_source(clean, "a.assist") == clean
