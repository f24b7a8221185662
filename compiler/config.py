"""The `config:` block: known keys, typed values, defaults from the IR's Config."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from assistc.compiler.suggest import did_you_mean
from assistc.compiler.symbols import SymbolTable
from assistc.compiler.types import describe_value, to_json
from assistc.dsl.diagnostics import Diagnostic, Label
from assistc.runtime import ir

_EXPECTED = {int: "a whole number", float: "a number", str: "a string", bool: "true or false"}


def resolve_config(table: SymbolTable, seed: int | None) -> tuple[ir.Config, list[Diagnostic]]:
    problems: list[Diagnostic] = []
    values: dict[str, Any] = {}
    seen: dict[str, Any] = {}
    fields = ir.Config.model_fields
    for decl in table.configs:
        for entry in decl.entries:
            key = entry.key.text
            if key not in fields:
                problems.append(
                    Diagnostic(
                        "E0112",
                        f"no config key named `{key}`",
                        entry.key.span,
                        hint=did_you_mean(key, fields) or "keys: " + ", ".join(sorted(fields)),
                    )
                )
                continue
            if key in seen:
                problems.append(
                    Diagnostic(
                        "E0201",
                        f"config key `{key}` is set more than once",
                        entry.key.span,
                        labels=(Label(seen[key].span, "first set here"),),
                    )
                )
                continue
            seen[key] = entry.key
            expected = fields[key].annotation
            data = to_json(entry.value)
            fits = (
                (expected is float and entry.value.kind in ("int", "float"))
                or (expected is int and entry.value.kind == "int")
                or (expected is str and entry.value.kind == "string")
                or (expected is bool and entry.value.kind == "bool")
            )
            if not fits:
                wanted = (
                    _EXPECTED.get(expected, "another value")
                    if isinstance(expected, type)
                    else "another value"
                )
                problems.append(
                    Diagnostic(
                        "E0605",
                        f"`{key}` must be {wanted}, not {describe_value(entry.value)}",
                        entry.value.span,
                    )
                )
                continue
            values[key] = data
    if seed is not None:
        values["seed"] = seed
    try:
        return ir.Config(**values), problems
    except ValidationError as error:  # pragma: no cover - types were checked above
        raise AssertionError(str(error)) from error
