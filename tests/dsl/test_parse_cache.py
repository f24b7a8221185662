"""The parse cache: same answers as parsing, from memory or disk, rebuilt when broken."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistc.dsl import parse_cache
from assistc.dsl.ast import Span
from assistc.dsl.claims import can_fork
from assistc.dsl.diagnostics import Diagnostic
from assistc.dsl.parse_cache import (
    clear_memory_cache,
    parse_file_cached,
    parse_many,
    parse_text_cached,
)
from assistc.dsl.parser import parse_module

SAMPLE = (Path(__file__).parent / "data" / "t1.assist").read_text()


@pytest.fixture(autouse=True)
def _empty_memory() -> Iterator[None]:
    clear_memory_cache()
    yield
    clear_memory_cache()


def _no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(text: str, path: str) -> None:
        raise AssertionError(f"{path} was parsed, not taken from the cache")

    monkeypatch.setattr(parse_cache, "parse_module", refuse)


def test_a_second_process_reads_the_disk_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "a.assist"
    source.write_text(SAMPLE)
    cache = tmp_path / "cache"
    first = parse_file_cached(source, cache, display="a.assist")
    assert first == parse_module(SAMPLE, "a.assist")
    assert len(list(cache.glob("*.pickle"))) == 1
    clear_memory_cache()  # as if a new process started
    _no_parsing(monkeypatch)
    assert parse_file_cached(source, cache, display="a.assist") == first


def test_memory_hits_are_independent_copies(monkeypatch: pytest.MonkeyPatch) -> None:
    module, problems = parse_text_cached(SAMPLE, "m.assist")
    expected = len(module.decls)
    module.decls.clear()
    problems.append(Diagnostic("E0001", "added by the caller", Span("m.assist", 1, 1, 1, 2)))
    _no_parsing(monkeypatch)
    again, again_problems = parse_text_cached(SAMPLE, "m.assist")
    assert len(again.decls) == expected
    assert again_problems == []


def test_a_corrupt_entry_is_ignored_and_rewritten(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    parse_text_cached(SAMPLE, "c.assist", cache)
    (entry,) = cache.glob("*.pickle")
    entry.write_bytes(b"not a pickle")
    clear_memory_cache()
    assert parse_text_cached(SAMPLE, "c.assist", cache) == parse_module(SAMPLE, "c.assist")
    assert entry.read_bytes() != b"not a pickle"


def test_an_edited_file_replaces_its_entry_and_diagnostics_are_cached(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    parse_text_cached(SAMPLE, "e.assist", cache)
    broken = SAMPLE.replace('"i want a {size} pizza"', '"i want a {size} pizza')
    clear_memory_cache()
    module, problems = parse_text_cached(broken, "e.assist", cache)
    assert [p.code for p in problems] == ["E0002"]
    assert len(list(cache.glob("*.pickle"))) == 1
    clear_memory_cache()
    assert parse_text_cached(broken, "e.assist", cache) == (module, problems)


def test_the_path_in_spans_is_part_of_the_key() -> None:
    one, _ = parse_text_cached(SAMPLE, "one.assist")
    two, _ = parse_text_cached(SAMPLE, "two.assist")
    assert one.path == "one.assist" and two.path == "two.assist"
    assert one.decls[0].span.file == "one.assist"
    assert two.decls[0].span.file == "two.assist"


def test_an_unreadable_file_is_a_diagnostic(tmp_path: Path) -> None:
    source = tmp_path / "bad.assist"
    source.write_bytes(b'intent a:\n  "caf\xe9"\n')
    module, problems = parse_file_cached(source, None, display="bad.assist")
    assert module.decls == []
    assert [(p.code, p.span.file) for p in problems] == [("E0005", "bad.assist")]
    assert "UTF-8" in problems[0].message


def test_parallel_parsing_gives_the_same_results_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parse_cache, "PARALLEL_MIN_BYTES", 1)
    sources = [(f"f{i}.assist", SAMPLE.replace("order", f"order{i}")) for i in range(5)]
    sources.append(("broken.assist", 'intent a:\n  "x\n'))
    cache = tmp_path / "cache"
    results = parse_many(sources, cache, jobs=2)
    assert results == [parse_module(text, display) for display, text in sources]
    assert len(list(cache.glob("*.pickle"))) == len(sources)
    clear_memory_cache()
    _no_parsing(monkeypatch)
    assert parse_many(sources, cache, jobs=2) == results


@pytest.mark.parametrize("broken", [False, True])
def test_a_big_file_is_cut_into_pieces_and_joined_exactly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, broken: bool
) -> None:
    """Pieces are cut at top-level definitions; clean pieces join into the whole file's
    AST, and a file with an error is parsed whole so recovery and messages are the same."""
    monkeypatch.setattr(parse_cache, "PARALLEL_MIN_BYTES", 1)
    monkeypatch.setattr(parse_cache, "PIECE_MIN_BYTES", 1)
    text = "\n".join(SAMPLE.replace("order", f"order{i}") for i in range(6))
    if broken:
        text = text.replace("  bot utter_greet\n", "  bot\n", 1)
    pieces = parse_cache._pieces(text, 3)
    assert len(pieces) == 3
    assert all(piece.count("\n") <= text.count("\n") for piece in pieces)
    (result,) = parse_many([("big.assist", text)], tmp_path, jobs=3)
    assert result == parse_module(text, "big.assist")
    assert bool(result[1]) is broken
    clear_memory_cache()  # the joined result was stored whole
    _no_parsing(monkeypatch)
    assert parse_many([("big.assist", text)], tmp_path, jobs=3) == [result]


def test_without_worker_processes_everything_is_parsed_here(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_processes(*args: object, **kwargs: object) -> None:
        raise OSError("cannot fork")

    monkeypatch.setattr(parse_cache, "PARALLEL_MIN_BYTES", 1)
    monkeypatch.setattr(parse_cache, "SharedJobs", no_processes)
    sources = [("a.assist", SAMPLE), ("b.assist", SAMPLE.replace("order", "buy"))]
    assert parse_many(sources, None, jobs=2) == [parse_module(t, d) for d, t in sources]


def _logging_parses(monkeypatch: pytest.MonkeyPatch, log: Path, die_after: int | None) -> None:
    """Each process appends `pid display` to `log` for each file it parses (slowly, so both
    take part); the worker dies after parsing `die_after` files."""
    parent = os.getpid()
    parsed = []

    def logging(text: str, path: str) -> object:
        if os.getpid() != parent and len(parsed) == die_after:
            os._exit(1)
        parsed.append(path)
        with log.open("a") as stream:
            stream.write(f"{os.getpid()} {path}\n")
        time.sleep(0.005)
        return parse_module(text, path)

    monkeypatch.setattr(parse_cache, "PARALLEL_MIN_BYTES", 1)
    monkeypatch.setattr(parse_cache, "parse_module", logging)


@pytest.mark.skipif(not can_fork(), reason="the worker is forked")
@pytest.mark.parametrize("die_after", [None, 0, 3])
def test_the_worker_and_this_process_parse_each_file_once_even_if_it_dies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, die_after: int | None
) -> None:
    """Both processes claim files from either end of one list; what a worker that died
    claimed and did not deliver is parsed here. The results, diagnostics and stored
    entries are those of parsing in one process."""
    sources = [(f"f{i:02}.assist", SAMPLE.replace("order", f"order{i}")) for i in range(30)]
    sources[7] = ("broken.assist", 'intent a:\n  "x\n')
    expected = [parse_module(text, display) for display, text in sources]
    log = tmp_path / "parsed.log"
    _logging_parses(monkeypatch, log, die_after)
    cache = tmp_path / "cache"
    assert parse_many(sources, cache, jobs=2) == expected
    parsed = [line.split() for line in log.read_text().splitlines()]
    by_process = {pid for pid, _ in parsed}
    if die_after is None:
        assert sorted(path for _, path in parsed) == sorted(display for display, _ in sources)
        assert len(by_process) == 2  # both took part
    else:  # the file the worker died on was parsed again here
        assert {path for _, path in parsed} == {display for display, _ in sources}
        assert len(parsed) <= len(sources) + 1
    assert len(list(cache.glob("*.pickle"))) == len(sources)
    clear_memory_cache()
    _no_parsing(monkeypatch)
    assert parse_many(sources, cache, jobs=2) == expected


LINE_EDITS = st.sampled_from(["delete", "repeat", "blank", "comment", "garbage", "append"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(LINE_EDITS, st.integers(0, 200)), min_size=1, max_size=4))
def test_an_edited_file_parses_as_a_whole_file_does(edits: list[tuple[str, int]]) -> None:
    """After each edit, the file parsed from its last parse (changed definitions only)
    is what parsing the whole file gives: definitions, spans and diagnostics."""
    clear_memory_cache()
    text = SAMPLE
    assert parse_text_cached(text, "e.assist") == parse_module(text, "e.assist")
    for edit, at in edits:
        lines = text.splitlines(keepends=True)
        at %= len(lines)
        new = {
            "delete": [],
            "repeat": [lines[at], lines[at]],
            "blank": ["\n", lines[at]],
            "comment": ["# note\n", lines[at]],
            "garbage": ["oops(\n", lines[at]],
            "append": [lines[at].rstrip("\n") + " x\n"],
        }[edit]
        text = "".join([*lines[:at], *new, *lines[at + 1 :]])
        assert parse_text_cached(text, "e.assist") == parse_module(text, "e.assist")


def test_an_edited_file_has_only_its_changed_definitions_parsed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first edit parses every piece; later ones only those that changed."""
    parse_text_cached(SAMPLE, "e.assist")
    parse_text_cached(SAMPLE.replace("seed = 7", "seed = 8"), "e.assist")
    parsed: list[str] = []

    def recording(text: str, path: str) -> object:
        parsed.append(text.lstrip("\n"))
        return parse_module(text, path)

    monkeypatch.setattr(parse_cache, "parse_module", recording)
    edited = SAMPLE.replace("seed = 7", "seed = 8").replace('  "Hello"\n', '  "Hi there"\n')
    assert parse_text_cached(edited, "e.assist") == parse_module(edited, "e.assist")
    assert len(parsed) == 1
    assert parsed[0].startswith("response utter_greet:")
