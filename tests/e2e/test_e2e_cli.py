"""The commands that need no trained model, run as a user runs them: `--version`,
`--help`, `check`, `fmt`, `build` and `inspect`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import typer
from e2e_helpers import EXAMPLE_NAMES, Ran, cli, cli_many, copy_example, json_lines

from assistc import __version__
from assistc.compiler.cli import app

WARNING_ONLY = 'use stdlib.smalltalk\n\nintent lonely:\n  "just one"\n'
"""Clean but for warnings: one example only (W0402), and nothing reacts to it (W1102)."""

TWO_ERRORS = 'intent greet\n  "hi"\n\nresponse utter_x:\n  "hi {nope}"\n'
"""A syntax error on line 1 (E0001) and an unknown slot `nope` on line 5 (E0701)."""

BADLY_FORMATTED = 'intent greet:\n    "hi"\n    "hello"\nresponse   utter_hi:\n  "Hi!"\n'

WEATHER = """
slot city: text
slot forecast: text

action tell_weather(city: text) -> (forecast: text):
  python "actions/weather.py"

response utter_forecast:
  "It will be {forecast}."

intent ask_weather:
  "what's the weather"
  "weather today"
  "is it going to rain"
  "will it be sunny"
  "how is the weather"

rule weather:
  user ask_weather
  run tell_weather
  bot utter_forecast
"""
"""Appended to the greeting example: a new Python action whose module does not exist."""


def assert_no_traceback(*runs: Ran) -> None:
    for ran in runs:
        assert "Traceback" not in ran.output, ran.describe()


def write_project(folder: Path, text: str) -> Path:
    folder.mkdir()
    (folder / "main.assist").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Copies of the examples, never the examples themselves."""
    parent = tmp_path_factory.mktemp("examples")
    return {name: copy_example(name, parent) for name in EXAMPLE_NAMES}


# ---------------------------------------------------------------- version and help


def test_version_prints_the_package_version() -> None:
    ran = cli("--version")
    assert ran.code == 0, ran.describe()
    assert ran.stdout.strip() == f"assistc {__version__}"


def commands() -> dict[str, list[str]]:
    """Every command of the CLI → its subcommands (`nlu` → `eval`, `cv`; most have none)."""
    top: dict[str, object] = getattr(typer.main.get_command(app), "commands", {})
    return {name: sorted(getattr(sub, "commands", {})) for name, sub in top.items()}


def test_help_works_for_every_command() -> None:
    """One process per command (`--help` of a group lists its subcommands)."""
    found = commands()
    assert {"check", "build", "inspect", "fmt", "train", "run", "test", "dev"} <= found.keys()
    names = sorted(found)
    top, *runs = cli_many([["--help"]] + [[name, "--help"] for name in names])
    assert top.code == 0, top.describe()
    for name, ran in zip(names, runs, strict=True):
        assert ran.code == 0, ran.describe()
        assert f"assistc.compiler {name} " in ran.stdout, ran.describe()
        assert re.search(rf"^\W*{name}\s", top.stdout, re.MULTILINE), top.describe()
        for sub in found[name]:
            assert re.search(rf"^\W*{sub}\s", ran.stdout, re.MULTILINE), ran.describe()
    assert_no_traceback(top, *runs)


# ---------------------------------------------------------------- check


def test_check_passes_on_every_example(examples: dict[str, Path]) -> None:
    runs = cli_many([["check", examples[name]] for name in EXAMPLE_NAMES])
    for ran in runs:
        assert ran.code == 0, ran.describe()
        assert re.search(r"checked \d+ files?: ", ran.stdout), ran.describe()
    assert_no_traceback(*runs)


def test_check_strict_fails_on_a_warning_only(tmp_path: Path) -> None:
    project = write_project(tmp_path / "warned", WARNING_ONLY)
    relaxed, strict = cli_many([["check", project], ["check", "--strict", project]])
    assert relaxed.code == 0, relaxed.describe()
    assert "warning[W0402]" in relaxed.stdout
    assert "error[" not in relaxed.stdout
    assert strict.code == 1, strict.describe()
    assert "warning[W0402]" in strict.stdout
    assert_no_traceback(relaxed, strict)


def test_check_json_is_one_object_per_line_with_exact_spans(tmp_path: Path) -> None:
    project = write_project(tmp_path / "broken", TWO_ERRORS)
    ran = cli("check", "--format", "json", project)
    assert ran.code == 1, ran.describe()
    found = json_lines(ran.stdout)
    assert len(found) == len(ran.stdout.splitlines())
    lines = TWO_ERRORS.splitlines()
    for diagnostic in found:
        assert {"code", "severity", "span", "message"} <= diagnostic.keys()
        assert diagnostic["severity"] == ("warning" if diagnostic["code"][0] == "W" else "error")
        span = diagnostic["span"]
        assert span["file"] == "main.assist"
        assert 1 <= span["line"] <= span["end_line"] <= len(lines)
    by_code = {diagnostic["code"]: diagnostic["span"] for diagnostic in found}
    assert {"E0001", "E0701"} <= by_code.keys()
    unknown = by_code["E0701"]
    assert unknown["line"] == 5
    assert lines[4][unknown["col"] - 1 : unknown["end_col"] - 1] == "nope"
    assert by_code["E0001"]["line"] == 1
    assert_no_traceback(ran)


def test_check_github_annotates_each_problem_at_a_path_from_the_working_folder(
    tmp_path: Path,
) -> None:
    """GitHub resolves `file=` against the workspace (where CI runs the command), so the
    path must lead there from the working folder, not from inside the project."""
    write_project(tmp_path / "broken", TWO_ERRORS)
    as_json, ran = cli_many(
        [["check", "--format", "json", "broken"], ["check", "--format", "github", "broken"]],
        cwd=tmp_path,
    )
    assert ran.code == 1, ran.describe()
    annotations = ran.stdout.splitlines()
    assert len(annotations) == len(json_lines(as_json.stdout))
    for line in annotations:
        assert re.match(r"::(error|warning) file=[^,]+,line=\d+,col=\d+,", line), line
    assert any(line.startswith("::error file=broken/main.assist,line=5,") for line in annotations)
    assert any("title=E0701::" in line for line in annotations)
    assert_no_traceback(ran)


def test_check_text_names_files_from_the_working_folder(tmp_path: Path) -> None:
    """Like rustc and mypy: `--> broken/main.assist:5:…` opens from where the user typed
    the command, and the source line under it is still found."""
    write_project(tmp_path / "broken", TWO_ERRORS)
    (outside,) = cli_many([["check", "broken"]], cwd=tmp_path)
    (inside,) = cli_many([["check"]], cwd=tmp_path / "broken")
    unknown_line = TWO_ERRORS.splitlines()[4]
    for ran, path in ((outside, "broken/main.assist"), (inside, "main.assist")):
        assert ran.code == 1, ran.describe()
        assert re.search(rf"^  --> {path}:5:\d+$", ran.stdout, re.MULTILINE), ran.describe()
        assert f"5 | {unknown_line}" in ran.stdout, ran.describe()
    assert_no_traceback(outside, inside)


def test_check_reports_e0007_with_exit_2_for_a_folder_without_sources(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    empty, missing = cli_many([["check", tmp_path / "empty"], ["check", tmp_path / "nowhere"]])
    for ran in (empty, missing):
        assert ran.code == 2, ran.describe()
        assert "E0007" in ran.stderr
    assert_no_traceback(empty, missing)


# ---------------------------------------------------------------- fmt


def test_fmt_check_diff_and_rewrite(tmp_path: Path) -> None:
    source = tmp_path / "messy.assist"
    source.write_text(BADLY_FORMATTED, encoding="utf-8")
    check, diff = cli_many([["fmt", "--check", source], ["fmt", "--diff", source]])
    assert check.code == 1, check.describe()
    assert "would reformat" in check.stdout
    assert "--- " in diff.stdout and "+++ " in diff.stdout, diff.describe()
    added = [
        line[1:]
        for line in diff.stdout.splitlines()
        if line.startswith("+") and not line.startswith("+++")
    ]
    assert '  "hi"' in added and "response utter_hi:" in added
    assert source.read_text(encoding="utf-8") == BADLY_FORMATTED  # --check, --diff: no change

    rewrite = cli("fmt", source)
    assert rewrite.code == 0, rewrite.describe()
    formatted = source.read_text(encoding="utf-8")
    assert formatted != BADLY_FORMATTED
    assert all(line in formatted.splitlines() for line in added)
    again = cli("fmt", "--check", source)
    assert again.code == 0, again.describe()
    assert source.read_text(encoding="utf-8") == formatted
    assert_no_traceback(check, diff, rewrite, again)


def test_fmt_formats_a_folder_but_leaves_a_file_with_syntax_errors_alone(tmp_path: Path) -> None:
    (tmp_path / "messy.assist").write_text(BADLY_FORMATTED, encoding="utf-8")
    (tmp_path / "broken.assist").write_text(TWO_ERRORS, encoding="utf-8")
    ran = cli("fmt", tmp_path)
    assert ran.code == 1, ran.describe()
    assert "error[E0001]" in ran.stdout and "broken.assist: not formatted" in ran.stdout
    assert (tmp_path / "broken.assist").read_text(encoding="utf-8") == TWO_ERRORS
    assert (tmp_path / "messy.assist").read_text(encoding="utf-8") != BADLY_FORMATTED
    assert_no_traceback(ran)


# ---------------------------------------------------------------- build and inspect


def test_build_writes_the_ir_and_exact_training_data(examples: dict[str, Path]) -> None:
    project = examples["booking"]
    ran = cli("build", project)
    assert ran.code == 0, ran.describe()
    build = project / ".assistc" / "build"
    ir = json.loads((build / "ir.json").read_text(encoding="utf-8"))
    assert ir["name"] == "booking"
    rows = json_lines((build / "data" / "train.jsonl").read_text(encoding="utf-8"))
    count = re.search(r"(\d+) examples", ran.stdout)
    assert count and int(count[1]) == len(rows), ran.describe()
    entities = {entity["name"]: entity for entity in ir["entities"]}
    annotated = 0
    for row in rows:
        assert set(row) == {"text", "intent", "entities"}, row
        text = row["text"]
        for entity in row["entities"]:
            surface = text[entity["start"] : entity["end"]]
            assert surface and surface == surface.strip() and surface == entity["value"], row
            if "canonical" in entity:  # an enum synonym: the member it stands for
                members = {
                    member["name"]: {member["name"], *member["synonyms"]}
                    for member in entities[entity["entity"]]["values"]
                }
                synonyms = {word.lower() for word in members[entity["canonical"]]}
                assert surface.lower() in synonyms, row
            annotated += 1
    assert annotated > 0
    from_ir = sorted(
        (example["text"], example["intent"])
        for intent in ir["intents"]
        for example in intent["examples"]
    )
    assert sorted((row["text"], row["intent"]) for row in rows) == from_ir

    inspected = cli("inspect", project)
    assert inspected.code == 0, inspected.describe()
    assert json.loads(inspected.stdout) == ir
    assert_no_traceback(ran, inspected)


def test_build_creates_a_missing_action_module_once_and_never_overwrites_it(
    tmp_path: Path,
) -> None:
    project = copy_example("greeting", tmp_path)
    with (project / "greeting.assist").open("a", encoding="utf-8") as source:
        source.write(WEATHER)
    module = project / "actions" / "weather.py"

    first = cli("build", project.name, cwd=tmp_path)
    assert first.code == 0, first.describe()
    assert "created greeting/actions/weather.py " in first.stdout  # from the working folder
    stub = module.read_text(encoding="utf-8")
    assert "def tell_weather(" in stub and "NotImplementedError" in stub
    assert (project / "actions" / "_contracts.py").is_file()

    mine = stub.replace(
        'raise NotImplementedError("action tell_weather is not written yet")',
        ('return TellWeatherOutput(forecast="sunny")'),
    )
    assert mine != stub
    module.write_text(mine, encoding="utf-8")
    second = cli("build", project)
    assert second.code == 0, second.describe()
    assert "created" not in second.stdout
    assert module.read_text(encoding="utf-8") == mine

    # A second action bound to the same, existing module: the module stays the user's.
    with (project / "greeting.assist").open("a", encoding="utf-8") as source:
        source.write('\naction tell_time() -> (forecast: text):\n  python "actions/weather.py"\n')
    third = cli("build", project)
    assert third.code == 1, third.describe()
    assert "E0902" in third.stdout
    assert module.read_text(encoding="utf-8") == mine
    assert_no_traceback(first, second, third)


def test_build_with_errors_writes_nothing(tmp_path: Path) -> None:
    project = copy_example("greeting", tmp_path)
    with (project / "greeting.assist").open("a", encoding="utf-8") as source:
        source.write(WEATHER + '\nresponse utter_oops:\n  "{no_such_slot}"\n')
    ran = cli("build", project)
    assert ran.code == 1, ran.describe()
    assert "E0701" in ran.stdout
    assert not (project / ".assistc" / "build").exists()
    assert not (project / "actions").exists()
    assert_no_traceback(ran)
