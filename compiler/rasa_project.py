"""Finding and classifying the YAML files of a Rasa 3.x project.

Rasa decides what a file is by its keys, not its name (a domain may be split over many
files, NLU data and stories may share one), so we do the same: every `.yml`/`.yaml` file
under the project is read and its top-level keys are sorted into domain, training data,
test stories, model configuration and endpoints. Test stories are stories in a `tests/`
folder or in a file whose name starts with `test_`, as in Rasa.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistc.compiler.rasa_yaml import YamlError, YList, YMap, YStr, load_yaml
from assistc.dsl.ast import Span
from assistc.dsl.diagnostics import Diagnostic

DOMAIN_KEYS = frozenset(
    {"intents", "entities", "slots", "responses", "actions", "forms", "session_config", "config"}
)
DATA_KEYS = frozenset({"nlu", "stories", "rules"})
CONFIG_KEYS = frozenset({"pipeline", "policies", "recipe", "language", "assistant_id"})
ENDPOINT_KEYS = frozenset(
    {"action_endpoint", "tracker_store", "event_broker", "nlg", "lock_store", "models"}
)
CHANNEL_FILES = frozenset({"credentials.yml", "credentials.yaml"})
SKIPPED_DIRS = frozenset({"models", "results", "actions", "node_modules", "__pycache__"})
DICT_DOMAIN_KEYS = ("slots", "responses", "forms", "session_config", "config")
LIST_DOMAIN_KEYS = ("intents", "entities", "actions")


@dataclass
class RasaProject:
    """Everything read from a Rasa project, merged across files, with positions kept."""

    root: Path
    domain: dict[str, Any] = field(default_factory=dict)
    nlu: list[YMap] = field(default_factory=list)
    stories: list[YMap] = field(default_factory=list)
    rules: list[YMap] = field(default_factory=list)
    test_stories: list[YMap] = field(default_factory=list)
    config: YMap = field(default_factory=YMap)
    endpoints: YMap = field(default_factory=YMap)
    files: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def file_start(display: str) -> Span:
    return Span(display, 1, 1, 1, 1)


def read_project(root: Path) -> RasaProject:
    """Read every YAML file of the project; problems become diagnostics, never raises."""
    project = RasaProject(root)
    for path in _yaml_files(root):
        display = path.relative_to(root).as_posix()
        project.files.append(display)
        try:
            data = load_yaml(path, display)
        except YamlError as error:
            project.diagnostics.append(error.diagnostic)
            continue
        if data is None:
            continue
        if not isinstance(data, YMap):
            project.diagnostics.append(
                Diagnostic(
                    "W1304", f"{display} is not a YAML mapping; skipped", file_start(display)
                )
            )
            continue
        _classify(project, path, display, data)
    for folder in ("data", "tests"):
        for path in sorted((root / folder).rglob("*.md")) if (root / folder).is_dir() else []:
            display = path.relative_to(root).as_posix()
            project.diagnostics.append(
                Diagnostic(
                    "W1302",
                    f"{display}: Markdown training data (Rasa 1/2) is not read; convert it "
                    "with `rasa data convert` first",
                    file_start(display),
                )
            )
    return project


def _yaml_files(root: Path) -> list[Path]:
    found: list[Path] = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).parts
        if any(part.startswith(".") or part in SKIPPED_DIRS for part in relative[:-1]):
            continue
        if path.suffix in (".yml", ".yaml") and path.is_file():
            found.append(path)
    return found


def _is_test_file(path: Path, root: Path) -> bool:
    return "tests" in path.relative_to(root).parts[:-1] or path.name.startswith("test_")


def _classify(project: RasaProject, path: Path, display: str, data: YMap) -> None:
    keys = set(data)
    if path.name in CHANNEL_FILES:
        project.diagnostics.append(
            Diagnostic(
                "W1302",
                f"{display}: channel credentials are not imported "
                "(the runtime serves Rasa's REST channel)",
                file_start(display),
            )
        )
        return
    if keys & CONFIG_KEYS and not keys & (DOMAIN_KEYS | DATA_KEYS):
        project.config.update(data)
        project.config.key_spans.update(data.key_spans)
        return
    if keys & ENDPOINT_KEYS:
        project.endpoints.update(data)
        project.endpoints.key_spans.update(data.key_spans)
        return
    known = DOMAIN_KEYS | DATA_KEYS | {"version"}
    for key in sorted(keys - known):
        project.diagnostics.append(
            Diagnostic("W1305", f"unknown key `{key}` ignored", data.key_spans[key])
        )
    is_test = _is_test_file(path, project.root)
    for key in ("nlu", "stories", "rules"):
        if key not in data:
            continue
        items = data[key]
        if items is None:
            continue
        if not isinstance(items, YList):
            project.diagnostics.append(
                Diagnostic("W1304", f"`{key}` should be a list; skipped", data.key_spans[key])
            )
            continue
        good = [item for item in items if _is_mapping_item(project, key, item, data)]
        if key == "stories" and is_test:
            project.test_stories.extend(good)
        else:
            target: list[YMap] = getattr(project, key)
            target.extend(good)
    _merge_domain(project, data)


def _is_mapping_item(project: RasaProject, key: str, item: Any, parent: YMap) -> bool:
    if isinstance(item, YMap):
        return True
    span = item.span() if isinstance(item, YStr | YList) else parent.key_spans[key]
    project.diagnostics.append(
        Diagnostic("W1304", f"an item of `{key}` is not a mapping; skipped", span)
    )
    return False


def _merge_domain(project: RasaProject, data: YMap) -> None:
    """Merge one file's domain keys: lists are concatenated, mappings merged."""
    shapes: list[tuple[str, type[YList] | type[YMap], str]]
    shapes = [(key, YList, "a list") for key in LIST_DOMAIN_KEYS]
    shapes += [(key, YMap, "a mapping") for key in DICT_DOMAIN_KEYS]
    for key, shape, described in shapes:
        value = data.get(key)
        if value is None:
            continue
        if not isinstance(value, shape):
            project.diagnostics.append(
                Diagnostic("W1304", f"`{key}` should be {described}; skipped", data.key_spans[key])
            )
        elif isinstance(value, YList):
            project.domain.setdefault(key, YList()).extend(value)
        else:
            merged = project.domain.get(key)
            if merged is None:
                merged = project.domain[key] = YMap()
                merged.file, merged.line, merged.col = value.file, value.line, value.col
            merged.update(value)
            merged.key_spans.update(value.key_spans)
