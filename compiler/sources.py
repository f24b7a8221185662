"""Find and read an assistant's sources: the project's `.assist` files and the standard
library modules they `use`.

Reading never raises: unreadable files, bad encodings and symlink loops become
diagnostics, and a file that cannot be read simply contributes no definitions.
"""

from __future__ import annotations

import codecs
import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from assistc.dsl import ast
from assistc.dsl.diagnostics import Diagnostic
from assistc.dsl.parse_cache import PendingParses, parse_many

PARSE_CACHE_DIR = Path(".assistc") / "cache" / "parse"
"""The project's parse cache, below its folder."""
STDLIB_DIR = Path(__file__).resolve().parent.parent / "stdlib"
STDLIB_PREFIX = "stdlib"
MAX_FILE_BYTES = 10 * 1024 * 1024
SKIPPED_DIRS = {"node_modules", "__pycache__"}


class ProjectNotFound(Exception):
    """The path given is not an assistant: no such folder, or no `.assist` files in it."""


@dataclass
class SourceFile:
    display: str
    """The path shown in diagnostics: relative to the project, `/`-separated."""
    path: Path
    text: str
    module_name: str


@dataclass
class LoadedSources:
    root: Path
    files: list[SourceFile] = field(default_factory=list)
    modules: list[ast.Module] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def text_of(self, display: str) -> str | None:
        """The text of a file named in a diagnostic: a source, or another project file
        (the user's Python actions)."""
        for source in self.files:
            if source.display == display:
                return source.text
        path = self.root / display
        try:
            return path.read_text(encoding="utf-8") if path.is_file() else None
        except (OSError, UnicodeDecodeError):
            return None

    @property
    def project_files(self) -> list[SourceFile]:
        """The project's own sources (not the stdlib modules it uses)."""
        return [f for f in self.files if not f.display.startswith("<")]


def find_sources(root: Path) -> list[Path]:
    """Every `.assist` file below `root`, sorted; hidden folders (`.assistc`, `.git`,
    virtual environments) are skipped, and symlinked folders are not followed, so a
    symlink loop cannot hang the walk."""
    if root.is_file():
        return [root]
    found: list[Path] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIPPED_DIRS)
        found.extend(Path(folder) / name for name in files if name.endswith(".assist"))
    return sorted(found)


def start_loading(root: Path, *, disk_cache: bool = True) -> PendingSources:
    """Start loading the project at `root` (see `PendingSources`), with the project's parse
    cache (`PARSE_CACHE_DIR`) unless `disk_cache` is off. `assistc check` calls this
    before it imports the compiler, so a worker parses while that runs."""
    base = root if root.is_dir() else root.parent
    return PendingSources(root, base / PARSE_CACHE_DIR if disk_cache else None)


_EARLY: dict[Path, PendingSources] = {}


def start_early(root: Path) -> None:
    """`start_loading(root)` before the command line is read (`compiler.launch`); a
    project that cannot be loaded is left for the command to report."""
    with contextlib.suppress(ProjectNotFound):
        _EARLY[root] = start_loading(root)


def take_early(root: Path) -> PendingSources | None:
    """The loading `start_early` began for `root`, once."""
    return _EARLY.pop(root, None)


def load_sources(root: Path, cache_dir: Path | None = None) -> LoadedSources:
    """Read and parse the project at `root` and the stdlib modules it uses."""
    return PendingSources(root, cache_dir).result()


class PendingSources:
    """Loading a project in two steps: the project's files are read and their parsing
    starts when this is made (`dsl.parse_cache.PendingParses`: results are kept in this
    process, so the dev loop re-parses only edited files, and, with `cache_dir`, on disk;
    when much is left to parse, a worker process shares it); `result()` finishes it and
    adds the stdlib modules the files use. Raises `ProjectNotFound`."""

    def __init__(self, root: Path, cache_dir: Path | None) -> None:
        if not root.exists():
            raise ProjectNotFound(f"{root}: no such file or folder")
        paths = find_sources(root)
        if not paths:
            raise ProjectNotFound(f"{root}: no .assist files here")
        base = root if root.is_dir() else root.parent
        self.cache_dir = cache_dir
        self.loaded = LoadedSources(base)
        project = []
        for path in paths:
            display = path.relative_to(base).as_posix()
            project.append((path, display, display.removesuffix(".assist").replace("/", ".")))
        self.readable = _read_files(self.loaded, project)
        self.parsing = PendingParses([(f.display, f.text) for f in self.readable], cache_dir)

    def result(self) -> LoadedSources:
        _add_parsed(self.loaded, self.readable, self.parsing.results())
        _add_stdlib(self.loaded, self.cache_dir)
        return self.loaded


def _read_files(loaded: LoadedSources, files: list[tuple[Path, str, str]]) -> list[SourceFile]:
    """Read (path, display, module name) files: the readable ones, in order; each of the
    others adds its diagnostic and an empty module to `loaded`."""
    readable: list[SourceFile] = []
    for path, display, module_name in files:
        text, problem = read_text(path, display)
        if problem is not None:
            loaded.diagnostics.append(problem)
            loaded.modules.append(ast.Module(display))
            continue
        assert text is not None
        readable.append(SourceFile(display, path, text, module_name))
    return readable


def _add_parsed(
    loaded: LoadedSources,
    readable: list[SourceFile],
    results: list[tuple[ast.Module, list[Diagnostic]]],
) -> None:
    for source, (module, diagnostics) in zip(readable, results, strict=True):
        loaded.files.append(source)
        loaded.modules.append(module)
        loaded.diagnostics.extend(diagnostics)


def _add_files(
    loaded: LoadedSources, files: list[tuple[Path, str, str]], cache_dir: Path | None
) -> None:
    """Read and parse (path, display, module name) files."""
    readable = _read_files(loaded, files)
    _add_parsed(loaded, readable, parse_many([(f.display, f.text) for f in readable], cache_dir))


def read_text(path: Path, display: str) -> tuple[str | None, Diagnostic | None]:
    """UTF-8 text of a source file (a BOM is allowed), or the diagnostic that says why not."""
    where = ast.Span(display, 1, 1, 1, 2)
    try:
        with open(path, "rb") as stream:  # (pathlib's calls cost more, 200 files a check)
            size = os.fstat(stream.fileno()).st_size
            if size > MAX_FILE_BYTES:
                return None, Diagnostic(
                    "E0005",
                    f"file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}",
                    where,
                    hint="split it into several .assist files",
                )
            data = stream.read()
    except OSError as error:
        reason = error.strerror or str(error)
        return None, Diagnostic("E0005", f"cannot read this file: {reason}", where)
    try:
        # (the same as "utf-8-sig", whose codec is slower, when there is no BOM)
        text = data.decode("utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        col = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        return None, Diagnostic(
            "E0005",
            f"this file is not UTF-8 (byte 0x{data[error.start]:02x} at line {line}, column {col})",
            ast.Span(display, line, col, line, col + 1),
            hint="save the file as UTF-8",
        )
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        return None, Diagnostic(
            "E0005",
            "this file contains NUL bytes; it looks binary",
            ast.Span(display, line, 1, line, 2),
        )
    if "\r" in text:  # searching is cheaper than replacing in every file
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, None


def stdlib_modules() -> dict[str, Path]:
    """`stdlib.smalltalk` → its file, for every module shipped with the language."""
    return {f"{STDLIB_PREFIX}.{path.stem}": path for path in sorted(STDLIB_DIR.glob("*.assist"))}


def _add_stdlib(loaded: LoadedSources, cache_dir: Path | None) -> None:
    """Load the stdlib modules named by `use`, transitively."""
    available = stdlib_modules()
    done: set[str] = set()
    index = 0
    while index < len(loaded.modules):
        wanted: list[tuple[Path, str, str]] = []
        used = [name for module in loaded.modules[index:] for name in _uses(module)]
        for name in used:
            if name in available and name not in done:
                done.add(name)
                wanted.append((available[name], f"<{name.replace('.', '/')}.assist>", name))
        index = len(loaded.modules)
        _add_files(loaded, wanted, cache_dir)


_USES: dict[str, tuple[list[ast.Decl], list[str]]] = {}
"""Module path → its declarations when last read and the modules they `use`: the parse
cache hands back the same objects for an unchanged file, and comparing the lists costs
far less than looking at every declaration of a big project on each re-check."""


def _uses(module: ast.Module) -> list[str]:
    last = _USES.get(module.path)
    if last is not None and last[0] == module.decls:
        return last[1]
    uses = [decl.module for decl in module.decls if type(decl) is ast.UseDecl]
    _USES[module.path] = (list(module.decls), uses)
    return uses
