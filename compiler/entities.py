"""Resolve entity declarations: load lookup tables, compile regexes, check built-ins.

The result, one `ResolvedEntity` per entity, is what later passes use to type-check
values and fill placeholders, and what lowering puts into the IR.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from assistc.compiler.suggest import did_you_mean
from assistc.compiler.symbols import SymbolTable
from assistc.dsl import ast
from assistc.dsl.diagnostics import Diagnostic
from assistc.runtime import ir

BUILTIN_EXTRACTORS = ("date", "email", "money", "number", "ordinal", "phone", "time", "url")
NUMERIC_BUILTINS = {"number": "float", "ordinal": "int"}
MAX_LOOKUP_BYTES = 50 * 1024 * 1024


@dataclass
class ResolvedEntity:
    decl: ast.EntityDecl
    ir: ir.Entity
    pattern: re.Pattern[str] | None = None
    canonical: dict[str, str] = field(default_factory=dict)
    """Lower-cased surface form (member or synonym) → canonical member, for enums."""

    @property
    def name(self) -> str:
        return self.decl.name.text

    def fill_values(self) -> list[tuple[str, str | None]]:
        """(surface text, canonical value if different) pairs that can fill a
        placeholder: members, synonyms, lookup rows or samples."""
        pairs: list[tuple[str, str | None]] = []
        for value in self.ir.values:
            pairs.append((value.name, None))
            pairs.extend((synonym, value.name) for synonym in value.synonyms)
        return pairs


EntityMemo = dict[str, tuple[ast.EntityDecl, ResolvedEntity, list[Diagnostic]]]
"""Entity name → its declaration, resolved entity and diagnostics; kept by long-running
callers (the dev loop)."""


def resolve_entities(
    table: SymbolTable, root: Path, memo: EntityMemo | None = None
) -> tuple[dict[str, ResolvedEntity], list[Diagnostic]]:
    """Every entity; with `memo`, one whose declaration is the same object as last time
    is reused, unless it is a lookup table (its file may have changed)."""
    resolved: dict[str, ResolvedEntity] = {}
    diagnostics: list[Diagnostic] = []
    kept = dict(memo or {})
    for decl in table.entities.values():
        name = decl.name.text
        entry = kept.get(name)
        if entry is None or entry[0] is not decl or decl.kind == "lookup":
            entry = (decl, *_resolve(decl, root))
        if memo is not None:
            memo[name] = entry
        resolved[name] = entry[1]
        diagnostics.extend(entry[2])
    if memo is not None:
        for gone in memo.keys() - resolved.keys():
            del memo[gone]
    return resolved, diagnostics


def _resolve(decl: ast.EntityDecl, root: Path) -> tuple[ResolvedEntity, list[Diagnostic]]:
    problems: list[Diagnostic] = []
    values = _member_values(decl, problems)
    pattern: re.Pattern[str] | None = None
    builtin: str | None = None
    if decl.kind == "lookup" and isinstance(decl.source, ast.StringLit):
        values = values + _load_lookup(decl.source, root, problems)
    elif decl.kind == "regex" and isinstance(decl.source, ast.StringLit):
        pattern = _compile(decl.source, problems)
        if pattern is not None:
            for value in values:
                if not pattern.fullmatch(value.name):
                    problems.append(
                        Diagnostic(
                            "E0603",
                            f'sample "{value.name}" does not match the entity\'s pattern',
                            _member_span(decl, value.name),
                            hint="change the sample or the pattern",
                        )
                    )
    elif decl.kind == "builtin" and isinstance(decl.source, ast.Name):
        builtin = decl.source.text
        if builtin not in BUILTIN_EXTRACTORS:
            problems.append(
                Diagnostic(
                    "E0113",
                    f"no built-in extractor named `{builtin}`",
                    decl.source.span,
                    hint=did_you_mean(builtin, BUILTIN_EXTRACTORS)
                    or "available: " + ", ".join(BUILTIN_EXTRACTORS),
                )
            )
    entity = ir.Entity(
        name=decl.name.text,
        kind=decl.kind,
        values=values,
        pattern=pattern.pattern if pattern else None,
        builtin=builtin,
        roles=sorted({role.text for role in decl.roles}),
    )
    canonical: dict[str, str] = {}
    if decl.kind == "enum":
        for value in values:
            canonical[value.name.lower()] = value.name
            for synonym in value.synonyms:
                canonical.setdefault(synonym.lower(), value.name)
    return ResolvedEntity(decl, entity, pattern, canonical), problems


def _member_values(decl: ast.EntityDecl, problems: list[Diagnostic]) -> list[ir.EnumValue]:
    seen: dict[str, ast.Name] = {}
    values: list[ir.EnumValue] = []
    for member in decl.members:
        if member.name.text in seen:
            problems.append(
                Diagnostic(
                    "E0201",
                    f"`{member.name.text}` is listed twice in entity `{decl.name.text}`",
                    member.name.span,
                )
            )
            continue
        seen[member.name.text] = member.name
        values.append(
            ir.EnumValue(name=member.name.text, synonyms=[s.value for s in member.synonyms])
        )
    if decl.kind == "enum" and not values:
        problems.append(
            Diagnostic(
                "E0503",
                f"enum `{decl.name.text}` has no members",
                decl.name.span,
                hint="list the members on indented lines below the declaration",
            )
        )
    return values


def _member_span(decl: ast.EntityDecl, name: str) -> ast.Span:
    for member in decl.members:
        if member.name.text == name:
            return member.name.span
    return decl.name.span


def _compile(source: ast.StringLit, problems: list[Diagnostic]) -> re.Pattern[str] | None:
    try:
        return re.compile(source.value)
    except re.error as error:
        position = error.pos if error.pos is not None else 0
        span = source.offset_span(position, min(position + 1, len(source.value)))
        problems.append(
            Diagnostic(
                "E0501",
                f"invalid regex: {error.msg}",
                span,
                hint="patterns use Python `re` syntax",
            )
        )
        return None
    except RecursionError:
        problems.append(Diagnostic("E0501", "invalid regex: nested too deeply", source.span))
        return None


def lookup_path(source: ast.StringLit, root: Path) -> Path:
    """Lookup files are relative to the folder of the `.assist` file naming them."""
    return root / Path(source.span.file).parent / source.value


def _load_lookup(
    source: ast.StringLit, root: Path, problems: list[Diagnostic]
) -> list[ir.EnumValue]:
    path = lookup_path(source, root)
    try:
        if path.is_dir():
            raise IsADirectoryError(21, "it is a folder")
        if path.stat().st_size > MAX_LOOKUP_BYTES:
            raise OSError(27, f"larger than {MAX_LOOKUP_BYTES:,} bytes")
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        reason = (
            "it is not UTF-8"
            if isinstance(error, UnicodeDecodeError)
            else (error.strerror or str(error))
        )
        problems.append(
            Diagnostic(
                "E0502",
                f'cannot read lookup file "{source.value}": {reason}',
                source.span,
                hint="the path is relative to the folder of this .assist file",
            )
        )
        return []
    rows = sorted(
        {line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")}
    )
    if not rows:
        problems.append(
            Diagnostic(
                "E0503",
                f'lookup file "{source.value}" has no values',
                source.span,
                hint="write one value per line",
            )
        )
    return [ir.EnumValue(name=row) for row in rows]
