"""Parse results cached by content, and many files parsed on both cores.

Two cache levels: in this process (the dev loop re-checks one edited file; the others are
dictionary hits) and on disk, in a folder the caller names (the project's
`.assistc/cache/parse/`), so a fresh `assistc check` of unchanged files skips parsing.

An entry's key hashes the file's text, the path written into spans, and a fingerprint of
the code that builds the AST or words its syntax errors (grammar, lexer, parser, AST,
diagnostic classes, the catalogue of common mistakes), so any change there invalidates old
entries. Entries are pickles of our own AST — our cache, never user input; one that cannot
be read is ignored and rebuilt. Each file keeps one entry.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import io
import itertools
import operator
import os
import pickle
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from assistc.dsl import ast, diagnostics
from assistc.dsl.claims import SharedJobs, can_fork
from assistc.dsl.diagnostics import Diagnostic
from assistc.dsl.entries import EntryFolder
from assistc.dsl.parser import FAST_CONSTRUCTORS, gc_paused, parse_module, top_level_chunks

Result = tuple[ast.Module, list[Diagnostic]]
FORMAT_VERSION = "1"
"""Bump when the entry layout changes (the parser's own changes are fingerprinted)."""
PARSER_FILES = (
    "assist.lark",
    "ast.py",
    "diagnostics.py",
    "expected.py",
    "lalr.py",
    "lexer.py",
    "parser.py",
)
PARALLEL_MIN_BYTES = 1_000_000
"""Below this much text to parse, starting a second process costs more than it saves."""
PIECE_MIN_BYTES = 250_000
"""When parsing in parallel, a file this big is cut into pieces for the processes."""

_memory: dict[str, tuple[str, Result]] = {}
"""Display path → (text, result): the latest parse of each file in this process (the
parser's code cannot change while it runs, so the text decides)."""
_definitions: dict[str, dict[tuple[int, str], list[ast.Decl]]] = {}
"""Display path → (first line, text) → definitions, of the pieces of the file's last
parse by `_parse_edited`."""


@functools.cache
def parser_fingerprint() -> str:
    """Changes whenever the code that turns text into an AST changes."""
    digest = hashlib.sha256(FORMAT_VERSION.encode())
    for name in PARSER_FILES:
        digest.update(Path(__file__).with_name(name).read_bytes())
    return digest.hexdigest()


def _key(text: str, display: str) -> str:
    digest = hashlib.sha256(parser_fingerprint().encode())
    digest.update(display.encode("utf-8", "surrogatepass") + b"\0")
    digest.update(text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def clear_memory_cache() -> None:
    """Forget this process's parses (the on-disk entries stay)."""
    _memory.clear()
    _definitions.clear()


def parse_text_cached(text: str, display: str, cache_dir: Path | None = None) -> Result:
    """`parse_module(text, display)`, answered from the caches when the text was parsed
    before. `cache_dir=None` uses the in-process cache only."""
    return parse_many([(display, text)], cache_dir, jobs=1)[0]


def parse_file_cached(path: Path, cache_dir: Path | None, display: str | None = None) -> Result:
    """Read and parse one file through the caches. Spans name `display` (default: `path`
    as written). A file that cannot be read gives an empty module and an E0005."""
    shown = display if display is not None else path.as_posix()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = "not valid UTF-8" if isinstance(error, UnicodeDecodeError) else error.strerror
        problem = Diagnostic("E0005", f"cannot read {shown}: {reason}", ast.Span(shown, 1, 1, 1, 1))
        return ast.Module(shown), [problem]
    return parse_text_cached(text, shown, cache_dir)


def parse_many(
    sources: Sequence[tuple[str, str]], cache_dir: Path | None = None, jobs: int | None = None
) -> list[Result]:
    """Parse `(display, text)` pairs, in order, through the caches (see `PendingParses`)."""
    return PendingParses(sources, cache_dir, jobs).results()


_Target = tuple[EntryFolder, str, str] | None
"""Where a file's parse result is stored: (cache folder, display path, key), or nowhere."""


class PendingParses:
    """`parse_many` in two steps. When the files that miss the caches add up to
    `PARALLEL_MIN_BYTES` or more (and `jobs`, default one per CPU, allows), a forked
    worker starts parsing them when this is made, so the caller can do other work (import
    the compiler) before `results()`, where this process joins in: both claim files (big
    ones cut into pieces at top-level definitions) from either end of the list
    (`dsl.claims`). Otherwise a file parsed before in this process (the dev loop's edited
    file) has only its changed definitions parsed (`_parse_edited`)."""

    def __init__(
        self, sources: Sequence[tuple[str, str]], cache_dir: Path | None, jobs: int | None = None
    ) -> None:
        self.sources = sources
        self.found: list[Result | None] = [None] * len(sources)
        self.missing: list[int] = []
        keys: dict[int, str] = {}  # only for those not in memory: hashing all costs ms
        folder = EntryFolder(cache_dir) if cache_dir else None
        for index, (display, text) in enumerate(sources):
            found = _memory.get(display)
            if found is not None and found[0] == text:
                self.found[index] = found[1]
                continue
            key = keys[index] = _key(text, display)
            loaded = _load(folder.read(display, key)) if folder else None
            if loaded is None:
                self.missing.append(index)
            else:
                self.found[index] = loaded
                _memory[display] = (text, loaded)
        self.targets = {
            i: (folder, sources[i][0], keys[i]) if folder else None for i in self.missing
        }
        self.pieces: list[tuple[int, str]] = []
        """The jobs shared with the worker: (index in `sources`, text to parse)."""
        self.shared: SharedJobs[Result] | None = None
        workers = (jobs if jobs is not None else os.cpu_count() or 1) - 1
        if workers >= 1 and can_fork() and self._missing_bytes() >= PARALLEL_MIN_BYTES:
            self.pieces = [(i, piece) for i in self.missing for piece in _pieces(sources[i][1])]
            with contextlib.suppress(OSError):  # no process to be had: parse here
                self.shared = SharedJobs(
                    len(self.pieces), self._parse_piece, self._parse_piece_there, _decoded
                )

    def _missing_bytes(self) -> int:
        return sum(len(self.sources[i][1]) for i in self.missing)

    def _job(self, n: int) -> tuple[str, str, _Target]:
        """Piece `n`'s display path, text, and where to store it (only a whole file's)."""
        index, text = self.pieces[n]
        whole = text is self.sources[index][1]
        return self.sources[index][0], text, self.targets[index] if whole else None

    def _parse_piece(self, n: int) -> Result:
        return _parse_here(*self._job(n))

    def _parse_piece_there(self, n: int) -> bytes:
        """In the worker: parse and store, and give the result pickled to send back."""
        display, text, target = self._job(n)
        blob = _dumps(parse_module(text, display))
        _write(target, blob)
        return blob

    def results(self) -> list[Result]:
        """Every file's result, in order; parsing what is left to parse here."""
        parsed = self._alone() if self.shared is None else self._shared()
        for index, result in zip(self.missing, parsed, strict=True):
            self.found[index] = result
            _memory[self.sources[index][0]] = (self.sources[index][1], result)
        return [_fresh(result) for result in self.found if result is not None]

    def _alone(self) -> list[Result]:
        if self._missing_bytes() < PARALLEL_MIN_BYTES:
            for index in list(self.missing):
                display, text = self.sources[index]
                edited = _parse_edited(display, text) if display in _memory else None
                if edited is not None:
                    self.found[index] = _stored(edited, self.targets[index])
                    _memory[display] = (text, edited)
                    self.missing.remove(index)
        return [_parse_here(*self.sources[i], self.targets[i]) for i in self.missing]

    def _shared(self) -> list[Result]:
        assert self.shared is not None
        results, self.shared = self.shared.results(), None  # (it refers back to this object)
        # The pieces are in the order of the files they come from.
        done = zip(self.pieces, results, strict=True)
        by_file = itertools.groupby(done, key=lambda piece_done: piece_done[0][0])
        return [self._joined(index, [result for _, result in parts]) for index, parts in by_file]

    def _joined(self, index: int, parts: list[Result]) -> Result:
        """One file's result from its pieces' (stored here when there were several). Clean
        pieces join into exactly what parsing the whole file gives; if any piece has a
        problem, the whole file is parsed again here, so error recovery and messages are
        those of `parse_module`."""
        if len(parts) == 1:
            return parts[0]
        display, text = self.sources[index]
        target = self.targets[index]
        if any(problems for _, problems in parts):
            return _parse_here(display, text, target)
        return _stored(
            (ast.Module(display, [d for module, _ in parts for d in module.decls]), []), target
        )


def _parse_edited(display: str, text: str) -> Result | None:
    """`parse_module(text, display)` as pieces, one per top-level definition, which join
    into what parsing the whole file gives (see `PendingParses._joined`); the pieces whose
    text and first line are those of the file's last such parse are not parsed again. None
    when a piece has problems: the whole file is parsed then, so error recovery and
    messages are those of `parse_module`."""
    last = _definitions.get(display, {})
    now: dict[tuple[int, str], list[ast.Decl]] = {}
    for line, chunk in top_level_chunks(text):
        decls = last.get((line, chunk))
        if decls is None:
            module, problems = parse_module("\n" * (line - 1) + chunk, display)
            if problems:
                return None
            decls = module.decls
        now[line, chunk] = decls
    _definitions[display] = now
    return ast.Module(display, [decl for decls in now.values() for decl in decls]), []


def _fresh(result: Result) -> Result:
    """A copy the caller may change: the module's list and the diagnostics list are new,
    the nodes (immutable) are shared."""
    module, problems = result
    return ast.Module(module.path, list(module.decls)), list(problems)


def _parse_here(display: str, text: str, target: _Target) -> Result:
    return _stored(parse_module(text, display), target)


def _stored(result: Result, target: _Target) -> Result:
    if target is not None:
        _write(target, _dumps(result))
    return result


def _write(target: _Target, blob: bytes) -> None:
    if target is not None:
        folder, display, key = target
        folder.write(display, key, blob)


def _pieces(text: str, parts: int | None = None) -> list[str]:
    """A big file cut at top-level definitions into `parts` texts of similar size (by
    default, of about half `PIECE_MIN_BYTES`, so the claims stay balanced), each padded
    with newlines so that line numbers stay right; a smaller file whole (the same object,
    which tells that its result is the file's)."""
    if len(text) < PIECE_MIN_BYTES:
        return [text]
    parts = parts or 2 * len(text) // PIECE_MIN_BYTES
    pieces: list[str] = []
    first_line, size = 1, 0
    lines: list[str] = []
    for line_number, chunk in top_level_chunks(text):
        if size >= len(text) / parts and lines:
            pieces.append("\n" * (first_line - 1) + "".join(lines))
            first_line, lines, size = line_number, [], 0
        lines.append(chunk)
        size += len(chunk)
    pieces.append("\n" * (first_line - 1) + "".join(lines))
    return pieces


# --------------------------------------------------------------------------- entries


def _fields_reducer(cls: type[Any]) -> Callable[[Any], tuple[Any, ...]]:
    names = [field.name for field in dataclasses.fields(cls)]
    make = FAST_CONSTRUCTORS.get(cls, cls)
    fields = operator.attrgetter(*names)  # reads every field in one C call
    if len(names) == 1:
        return lambda node: (make, (fields(node),))
    return lambda node: (make, fields(node))


@functools.cache
def _dispatch_table() -> dict[type[Any], Callable[[Any], tuple[Any, ...]]]:
    """Pickle each node as its constructor and field values: loading then calls it, several
    times faster than the generic path for frozen slotted dataclasses."""
    classes = [
        value
        for module in (ast, diagnostics)
        for value in vars(module).values()
        if isinstance(value, type) and dataclasses.is_dataclass(value)
    ]
    return {cls: _fields_reducer(cls) for cls in classes}


def _dumps(result: Result) -> bytes:
    module, problems = result
    stream = io.BytesIO()
    pickler = pickle.Pickler(stream, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _dispatch_table()
    with gc_paused():  # each node's field tuple would otherwise set off full collections
        pickler.dump((module.path, tuple(module.decls), tuple(problems)))
    return stream.getvalue()


def _loads(blob: bytes) -> Result:
    with gc_paused():
        path, decls, problems = pickle.loads(blob)
    return ast.Module(path, list(decls)), list(problems)


def _decoded(_: int, blob: bytes) -> Result:
    return _loads(blob)


def _load(blob: bytes | None) -> Result | None:
    if blob is None:
        return None
    try:
        return _loads(blob)
    except Exception:  # a corrupt or outdated entry is rebuilt, never fatal
        return None
