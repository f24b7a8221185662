"""Reading Rasa's YAML files with source positions, for the importer's diagnostics.

PyYAML's composer gives nodes that know their line and column; we turn them into plain
Python data where every mapping, sequence and string remembers where it was written
(`Located.line`/`.col`, 1-based), so a problem found deep inside a story can point at
the exact YAML line. Rasa reads YAML 1.2, where only `true`/`false` are booleans
(`yes`, `no`, `on`, `off` are strings), so the loader uses the 1.2 rules for booleans.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from assistc.dsl.ast import Span
from assistc.dsl.diagnostics import Diagnostic

MAX_YAML_BYTES = 10 * 1024 * 1024


class Located:
    """Mixin for values that remember their place in a YAML file."""

    file: str = ""
    line: int = 1
    col: int = 1

    def span(self) -> Span:
        return Span(self.file, self.line, self.col, self.line, self.col + 1)


class YMap(dict[str, Any], Located):
    """A YAML mapping; `key_spans` holds where each key was written."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key_spans: dict[str, Span] = {}


class YList(list[Any], Located):
    pass


class YStr(str, Located):
    pass


_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc]
    """The (libyaml when available) safe loader with YAML 1.2 booleans (what Rasa's
    ruamel reader uses)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class YamlError(Exception):
    """A file that is not readable YAML; carries the diagnostic to report."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def span_of(value: object, fallback: Span) -> Span:
    """Where `value` was written, if it remembers; else `fallback`."""
    return value.span() if isinstance(value, Located) else fallback


def load_yaml(path: Path, display: str) -> Any:
    """The file's data with positions; raises YamlError (code E1301) if unreadable."""
    try:
        if path.stat().st_size > MAX_YAML_BYTES:
            raise OSError(27, f"larger than {MAX_YAML_BYTES:,} bytes")
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        reason = "it is not UTF-8" if isinstance(error, UnicodeDecodeError) else str(error)
        raise YamlError(
            Diagnostic("E1301", f"cannot read {display}: {reason}", Span(display, 1, 1, 1, 1))
        ) from error
    return parse_yaml(text, display)


def parse_yaml(text: str, display: str) -> Any:
    """Parse YAML text (see `load_yaml`)."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        return None if node is None else _convert(loader, node, display, set())
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = error.problem or error.context or "not valid YAML"
        raise YamlError(
            Diagnostic(
                "E1301",
                f"{display} is not valid YAML: {problem}",
                Span(display, line, col, line, col + 1),
            )
        ) from error
    except yaml.YAMLError as error:
        raise YamlError(
            Diagnostic("E1301", f"{display} is not valid YAML: {error}", Span(display, 1, 1, 1, 1))
        ) from error
    finally:
        loader.dispose()


def _place(value: Located, node: yaml.Node, display: str) -> None:
    value.file = display
    value.line = node.start_mark.line + 1
    value.col = node.start_mark.column + 1


def _convert(loader: _Loader, node: yaml.Node, display: str, active: set[int]) -> Any:
    if id(node) in active:
        raise yaml.MarkedYAMLError(
            problem="an alias refers to a node that contains it", problem_mark=node.start_mark
        )
    if isinstance(node, yaml.MappingNode):
        active.add(id(node))
        loader.flatten_mapping(node)
        mapping = YMap()
        _place(mapping, node, display)
        for key_node, value_node in node.value:
            key = _convert(loader, key_node, display, active)
            key_text = "null" if key is None else str(key)
            mapping[key_text] = _convert(loader, value_node, display, active)
            line, col = key_node.start_mark.line + 1, key_node.start_mark.column + 1
            mapping.key_spans[key_text] = Span(display, line, col, line, col + len(key_text))
        active.discard(id(node))
        return mapping
    if isinstance(node, yaml.SequenceNode):
        active.add(id(node))
        items = YList(_convert(loader, item, display, active) for item in node.value)
        _place(items, node, display)
        active.discard(id(node))
        return items
    value = loader.construct_object(node, deep=True)
    if isinstance(value, str):
        text = YStr(value)
        _place(text, node, display)
        return text
    return value
