"""Typed stubs for Python actions: the contracts module and the user's starting files.

Generation gap: `actions/_contracts.py` belongs to the compiler and is rewritten on every
build (only when its text changes, so file watchers stay quiet), while the user's action
modules are created once, when missing, and never touched again. The user's code imports
its types from the contracts, so a changed declaration shows up as a type error in their
editor (and in `compiler.pycheck`) instead of at run time.

Choices the runtime's Python action executor relies on:
- field names are the slot names, so the runtime builds `XInput(**slots)` and reads
  outputs with `dataclasses.fields`;
- inputs default to None (a slot may be unset); outputs have no default;
- classes are `kw_only`, so reordering a declaration never silently swaps values;
- only Python actions get contracts (remote actions live in a Rasa action server);
- an action without outputs has no Output class and its handler returns None;
- `actions/__init__.py` is created when missing: a regular package keeps mypy, pytest
  and editors mapping `actions/orders.py` to `actions.orders` without extra flags, and a
  stray `actions` namespace package elsewhere on `sys.path` cannot merge into it;
- a new user function raises NotImplementedError: a typed default would quietly set
  slots to made-up values, an exception makes the runtime log it and say sorry.
"""

from __future__ import annotations

import functools
import keyword
import os
import re
import tempfile
import textwrap
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from assistc.runtime.ir import Action, Assistant, Entity, PythonImplementation, SlotType

if TYPE_CHECKING:
    import jinja2

CONTRACTS_PATH = "actions/_contracts.py"
"""Where the contracts module lives, relative to the assistant's folder."""
CONTRACTS_MODULE = "actions._contracts"
LINE_LENGTH = 88
"""Width the generated code fits in (ruff's default), so it is stable under formatters."""

_BUILTIN_TYPES = {"text": "str", "bool": "bool", "int": "int", "float": "float", "any": "object"}
_BUILTIN_ENTITY_TYPES = {"number": "float", "ordinal": "int"}
"""Built-in extractors whose values are not strings; every other entity value is a str."""
_MODULE_NAMES = frozenset(
    {"ActionContext", "Callable", "INPUT_TYPES", "Literal", "OUTPUT_TYPES", "builtins"}
)
"""Names the contracts module defines or imports, which generated names must avoid."""


class StubError(Exception):
    """A stub file could not be written; the message says which and why."""


# --------------------------------------------------------------------------- naming


def camel_case(name: str) -> str:
    """`place_order` → `PlaceOrder`; the rest of each part keeps its case."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_") if part)


def python_actions(actions: Iterable[Action]) -> list[Action]:
    """The actions implemented in Python, sorted by name."""
    chosen = [a for a in actions if isinstance(a.implementation, PythonImplementation)]
    return sorted(chosen, key=lambda action: action.name)


def class_bases(action_names: Iterable[str]) -> dict[str, str]:
    """Action name → the unique CamelCase stem of its `…Input`/`…Output`/`…Handler` names.

    Stems differ even when action names differ only in underscores or case (`place_order`,
    `placeOrder`): the first of such names (in sorted order) keeps the plain stem, the
    others get the lowest number that no other action's plain stem uses.
    """
    names = sorted(set(action_names))
    plain = {name: _stem(name, "Action") for name in names}
    taken = set(plain.values())
    bases: dict[str, str] = {}
    claimed: set[str] = set()
    for name in names:
        base = plain[name]
        if base in claimed:
            number = 2
            while f"{base}{number}" in claimed | taken:
                number += 1
            base = f"{base}{number}"
        claimed.add(base)
        bases[name] = base
    return bases


def _stem(name: str, prefix: str) -> str:
    """The CamelCase form of `name`, with `prefix` when it would not be an identifier."""
    stem = camel_case(name)
    return stem if stem[:1].isalpha() else prefix + stem


def field_name(slot: str) -> str:
    """The dataclass field for a slot; a Python keyword cannot be one, so it gets a `_`
    (`compiler.pycheck` reports such declarations, the runtime could not fill them)."""
    return slot + "_" if keyword.iskeyword(slot) else slot


@dataclass(frozen=True)
class _Names:
    """Every name the contracts module defines, decided once for the whole assistant."""

    bases: dict[str, str]
    aliases: dict[str, str]
    """Enum entity name → its Literal alias."""


def _names(assistant: Assistant, actions: Sequence[Action]) -> _Names:
    bases = class_bases(a.name for a in actions)
    taken = set(_MODULE_NAMES)
    for base in bases.values():
        taken |= {base + "Input", base + "Output", base + "Handler"}
    for action in actions:
        taken |= {p.slot for p in [*action.inputs, *action.outputs]}
    aliases: dict[str, str] = {}
    for entity in sorted(_enums(assistant), key=lambda e: e.name):
        alias = _stem(entity.name, "Enum")
        while alias in taken or keyword.iskeyword(alias):
            alias += "Value"
        taken.add(alias)
        aliases[entity.name] = alias
    return _Names(bases, aliases)


def _enums(assistant: Assistant) -> list[Entity]:
    return [e for e in assistant.entities if e.kind == "enum" and e.values]


# --------------------------------------------------------------------------- types


def _python_type(
    slot_type: SlotType, entities: dict[str, Entity], names: _Names, qualify: bool
) -> str:
    """The annotation for a slot type; `qualify` writes builtins as `builtins.str` for a
    class whose own fields shadow them."""
    prefix = "builtins." if qualify else ""
    if slot_type.kind == "list" and slot_type.item is not None:
        return f"{prefix}list[{_python_type(slot_type.item, entities, names, qualify)}]"
    if slot_type.kind == "entity":
        entity = entities.get(slot_type.entity or "")
        if entity is None:
            return prefix + "object"
        if entity.name in names.aliases:
            return names.aliases[entity.name]
        if entity.kind == "builtin":
            return prefix + _BUILTIN_ENTITY_TYPES.get(entity.builtin or "", "str")
        return prefix + "str"
    return prefix + _BUILTIN_TYPES.get(slot_type.kind, "object")


_SHADOWABLE = frozenset({"str", "bool", "int", "float", "object", "list"})


@dataclass(frozen=True)
class _Field:
    name: str
    type: str


@dataclass(frozen=True)
class _ActionView:
    """What the templates need to know about one action."""

    name: str
    path: PurePosixPath | None
    """The user's module, when its path is a safe relative one."""
    signature: str
    """The declaration as written in `.assist`, for docstrings."""
    function: str
    input_class: str
    output_class: str | None
    handler: str
    inputs: list[_Field]
    outputs: list[_Field]


def _fields(
    params: Iterable[tuple[str, SlotType]], entities: dict[str, Entity], names: _Names
) -> list[_Field]:
    params = list(params)
    qualify = any(field_name(slot) in _SHADOWABLE for slot, _ in params)
    return [
        _Field(field_name(slot), _python_type(t, entities, names, qualify)) for slot, t in params
    ]


def _signature(action: Action) -> str:
    inputs = ", ".join(f"{p.slot}: {p.type}" for p in action.inputs)
    outputs = ", ".join(f"{p.slot}: {p.type}" for p in action.outputs)
    return f"{action.name}({inputs})" + (f" -> ({outputs})" if outputs else "")


def _views(assistant: Assistant) -> tuple[list[_ActionView], _Names]:
    actions = python_actions(assistant.actions)
    names = _names(assistant, actions)
    entities = {e.name: e for e in assistant.entities}
    views = []
    for action in actions:
        assert isinstance(action.implementation, PythonImplementation)
        base = names.bases[action.name]
        views.append(
            _ActionView(
                name=action.name,
                path=module_path(action.implementation.path),
                signature=_signature(action),
                function=action.implementation.function,
                input_class=base + "Input",
                output_class=base + "Output" if action.outputs else None,
                handler=base + "Handler",
                inputs=_fields(((p.slot, p.type) for p in action.inputs), entities, names),
                outputs=_fields(((p.slot, p.type) for p in action.outputs), entities, names),
            )
        )
    return views, names


# --------------------------------------------------------------------------- rendering


@functools.cache
def _environment() -> jinja2.Environment:
    # Imported here: `check` reads the contract constants of this module, never renders.
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("assistc.compiler", "templates"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters["pystr"] = python_string
    env.filters["wrapped"] = wrapped
    env.filters["docstring"] = docstring
    return env


def python_string(text: str) -> str:
    """A Python string literal for `text`, quoted as ruff format would: double quotes
    unless the text holds more of them than single quotes."""
    if _PLAIN.fullmatch(text):
        return f'"{text}"'
    quote = "'" if text.count('"') > text.count("'") else '"'
    escaped = []
    for char in text:
        if char in ("\\", quote):
            escaped.append("\\" + char)
        elif char in _ESCAPES:
            escaped.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            escaped.append(f"\\x{ord(char):02x}")
        else:
            escaped.append(char)
    return quote + "".join(escaped) + quote


_PLAIN = re.compile(r"[^\\\"'\x00-\x1f\x7f]*")
"""Text that needs no escape and reads the same in double quotes."""
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def docstring(text: str, indent: int = 0) -> str:
    """A docstring for `text` (paragraphs split by blank lines), on one line when it
    fits, else wrapped to the line length with the closing quotes on their own line."""
    pad = " " * indent
    if "\n" not in text and indent + len(text) + 6 <= LINE_LENGTH:
        return f'{pad}"""{text}"""'
    lines: list[str] = []
    for number, paragraph in enumerate(text.split("\n\n")):
        if number:
            lines.append("")
        width = LINE_LENGTH - indent - (3 if not lines else 0)
        lines += textwrap.wrap(
            " ".join(paragraph.split()),
            width=width,
            break_long_words=False,
            break_on_hyphens=False,
        )
    body = "\n".join(f"{pad}{line}" if line else "" for line in lines)
    return f'{pad}"""{body.lstrip()}\n{pad}"""'


def wrapped(items: Sequence[str], head: str, tail: str, indent: int = 0) -> str:
    """`head` + items + `tail` laid out as ruff format does: on one line when it fits, else
    the items on one indented line, else one item a line with a trailing comma. `head`
    ends with the opening bracket, `tail` starts with the closing one."""
    pad = " " * indent
    one_line = f"{pad}{head}{', '.join(items)}{tail}"
    if len(one_line) <= LINE_LENGTH:
        return one_line
    inner = f"{pad}    {', '.join(items)}"
    if len(inner) <= LINE_LENGTH:
        return f"{pad}{head}\n{inner}\n{pad}{tail}"
    body = "".join(f"{pad}    {item},\n" for item in items)
    return f"{pad}{head}\n{body}{pad}{tail}"


def generate_contracts(assistant: Assistant) -> str:
    """The source of `actions/_contracts.py` for `assistant` (deterministic)."""
    views, names = _views(assistant)
    enums = {e.name: e for e in _enums(assistant)}
    aliases = [
        (alias, entity, [python_string(v.name) for v in enums[entity].values])
        for entity, alias in sorted(names.aliases.items(), key=lambda item: item[1])
    ]
    exported = ["ActionContext", *[alias for alias, _, _ in aliases]]
    for view in views:
        exported += [view.input_class, view.handler]
        exported += [view.output_class] if view.output_class else []
    qualified = any(f.type.startswith("builtins.") for v in views for f in v.inputs + v.outputs)
    return (
        _environment()
        .get_template("contracts.py.j2")
        .render(
            assistant=" ".join(assistant.name.split()),  # a comment line: no newlines
            actions=views,
            aliases=aliases,
            exported=sorted(exported),
            needs_builtins=qualified,
        )
    )


def generate_user_module(assistant: Assistant, path: str) -> str:
    """The starting source of the user's action module `path` (relative to the project):
    one typed function per Python action bound to it. A function that implements several
    actions takes the union of their Input classes and returns the union of their
    results."""
    views, _ = _views(assistant)
    return _render_user_module(views, module_path(path))


def _render_user_module(views: Sequence[_ActionView], path: PurePosixPath | None) -> str:
    functions: dict[str, list[_ActionView]] = {}
    for view in views:
        if view.path == path:
            functions.setdefault(view.function, []).append(view)
    imported = {"ActionContext"}
    for bound in functions.values():
        imported |= {v.input_class for v in bound}
        imported |= {v.output_class for v in bound if v.output_class}
    return (
        _environment()
        .get_template("user_module.py.j2")
        .render(
            contracts=CONTRACTS_MODULE,
            functions=sorted(functions.items()),
            imported=sorted(imported),
            result_type=_result_type,
        )
    )


def _result_type(bound: Sequence[_ActionView]) -> str:
    results = sorted({v.output_class or "None" for v in bound}, key=lambda t: (t == "None", t))
    return " | ".join(results)


# --------------------------------------------------------------------------- writing


@dataclass(frozen=True)
class StubReport:
    """What `write_stubs` did; paths are relative to the project, in POSIX form."""

    contracts: str | None
    """The contracts file, or None when the assistant has no Python action (and none
    was written before)."""
    contracts_changed: bool
    created: tuple[str, ...]
    """Files that did not exist and were created now."""
    kept: tuple[str, ...]
    """The user's existing action modules, left untouched."""


def module_path(path: str) -> PurePosixPath | None:
    """The action file as a safe relative path, or None when it is absolute, leaves the
    project, is not a `.py` file or is the contracts module (the checker reports those;
    nothing is written)."""
    pure = PurePosixPath(path.replace("\\", "/"))
    if pure.is_absolute() or pure.suffix != ".py" or ".." in pure.parts or not pure.stem:
        return None
    if pure == PurePosixPath(CONTRACTS_PATH):
        return None
    return pure


def write_stubs(assistant: Assistant, project_dir: Path) -> StubReport:
    """Write the contracts module (atomically, only when changed) and create the missing
    user modules and `actions/__init__.py`. Raises StubError when a file cannot be written."""
    contracts_file = project_dir / CONTRACTS_PATH
    views, _ = _views(assistant)
    if not views and not contracts_file.exists():
        return StubReport(None, False, (), ())
    created: list[str] = []
    changed = _write_if_changed(contracts_file, generate_contracts(assistant))
    package_init = contracts_file.parent / "__init__.py"
    if _create(package_init, lambda: '"""The assistant\'s Python actions."""\n'):
        created.append(_relative(package_init, project_dir))
    kept: list[str] = []
    for path in sorted({v.path for v in views if v.path is not None}):
        if _create(project_dir / path, functools.partial(_render_user_module, views, path)):
            created.append(str(path))
        else:
            kept.append(str(path))
    return StubReport(CONTRACTS_PATH, changed, tuple(sorted(created)), tuple(kept))


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _write_if_changed(path: Path, text: str) -> bool:
    """Replace `path` by `text` through a temporary file and a rename, so readers never see
    half a file; skip the write when the content is already `text`."""
    try:
        if path.is_file() and path.read_bytes() == text.encode("utf-8"):
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            os.fchmod(handle, mode)  # mkstemp makes the file private
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
                out.write(text)
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError as error:
        raise StubError(f"cannot write {path}: {error}") from error
    return True


def _create(path: Path, text: Callable[[], str]) -> bool:
    """Create `path` with `text()` unless it exists (exclusive create: never overwrites,
    even when another process creates it at the same moment)."""
    if path.exists():
        return False
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8", newline="\n") as out:
            out.write(text())
    except FileExistsError:
        return False
    except OSError as error:
        raise StubError(f"cannot create {path}: {error}") from error
    return True
