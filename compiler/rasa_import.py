"""`import_rasa`: turn a Rasa 3.x project into an assistant written in the language.

The importer reads the project (`rasa_project`), converts each part to source text and
writes `domain.assist` (config, entities, slots, responses, forms, actions), `nlu.assist`,
`stories.assist`, `rules.assist` and `tests.assist`, plus lookup tables under `data/`.
Whatever has no equivalent is kept as a `# rasa: …` comment where it was, and reported as
a diagnostic with the YAML file, line and column: nothing is dropped silently.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistc.compiler.rasa_convert import (
    ENTITY_REGEX,
    Block,
    SlotInfo,
    as_list,
    number,
    single_key,
)
from assistc.compiler.rasa_dialogue import UNSUPPORTED_BUILTIN_ACTIONS, DialogueConverter
from assistc.compiler.rasa_project import file_start, read_project
from assistc.compiler.rasa_text import (
    comment,
    escape_interpolation,
    escape_template,
    is_name,
    quote,
    value_text,
)
from assistc.compiler.rasa_yaml import YMap
from assistc.dsl.ast import Span
from assistc.dsl.diagnostics import Diagnostic
from assistc.dsl.formatter import format_source

DEFAULT_ACTION_URL = "http://localhost:5055/webhook"
DEFAULT_FALLBACK = "action_default_fallback"
RASA_BUILTIN_INTENTS = frozenset({"nlu_fallback", "restart", "session_start", "back"})
SUPPORTED_BUILTIN_ACTIONS = frozenset(
    {"action_restart", "action_default_fallback", "action_deactivate_loop"}
)
DUCKLING = {
    "number": "number",
    "ordinal": "ordinal",
    "time": "date",
    "email": "email",
    "url": "url",
    "phone-number": "phone",
    "amount-of-money": "money",
}
SLOT_TYPES = {"text": "text", "bool": "bool", "float": "float", "any": "any"}
BUTTON_PAYLOAD = re.compile(r"^/(?P<intent>[^{@]+)(?P<entities>\{.*\})?(?:@[0-9.]+)?$", re.S)
NLU_KEYS = frozenset({"intent", "synonym", "regex", "lookup", "examples", "metadata"})
SLOT_KEYS = frozenset(
    {
        "type",
        "values",
        "min_value",
        "max_value",
        "initial_value",
        "influence_conversation",
        "mappings",
    }
)
VARIATION_KEYS = frozenset({"text", "buttons", "image", "condition"})


class RasaImportError(Exception):
    """Importing cannot start (no such folder, output folder already holds sources)."""


@dataclass
class ImportReport:
    """What an import wrote and everything it could not carry over."""

    out_dir: Path
    source_dir: Path
    """The Rasa project; diagnostics' file names are relative to it."""
    files: list[Path] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    renames: dict[str, str] = field(default_factory=dict)
    """`"<kind> <rasa name>"` → the name used in the language."""

    @property
    def ok(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)

    @property
    def dropped(self) -> list[Diagnostic]:
        """Rasa features without an equivalent (kept as comments)."""
        return [d for d in self.diagnostics if d.code in ("W1302", "W1308")]

    def summary(self) -> str:
        """A short text for the terminal: files written, then every diagnostic in file
        order, with paths the user can open."""
        lines = [f"wrote {len(self.files)} files to {self.out_dir}"]
        for diagnostic in sorted(self.diagnostics, key=lambda d: d.sort_key()):
            span = diagnostic.span
            where = f"{self.source_dir / span.file}:{span.line}:{span.col}"
            lines.append(f"{where}: {diagnostic.code} {diagnostic.message}")
        return "\n".join(lines)


def import_rasa(rasa_dir: Path, out_dir: Path) -> ImportReport:
    """Convert the Rasa project in `rasa_dir` into `.assist` files in `out_dir`.

    Raises `RasaImportError` only when importing cannot start; every problem in the Rasa
    files becomes a diagnostic in the report."""
    if not rasa_dir.is_dir():
        raise RasaImportError(f"{rasa_dir} is not a folder")
    if out_dir.exists() and any(out_dir.rglob("*.assist")):
        raise RasaImportError(f"{out_dir} already holds .assist files; import into a new folder")
    project = read_project(rasa_dir)
    report = ImportReport(out_dir, rasa_dir)
    report.diagnostics.extend(project.diagnostics)
    if not project.files:
        report.diagnostics.append(
            Diagnostic("E1306", f"no Rasa YAML files in {rasa_dir}", Span("", 1, 1, 1, 1))
        )
        return report
    converter = _Converter(project, report.diagnostics)
    outputs = converter.run()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for relative, text in outputs.items():
            path = out_dir / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            if relative.endswith(".assist"):
                text = format_source(text, relative)
            path.write_text(text, encoding="utf-8")
            report.files.append(path)
    except OSError as error:
        raise RasaImportError(f"cannot write to {out_dir}: {error.strerror or error}") from None
    report.renames = {f"{kind} {raw}": new for (kind, raw), new in converter.names.renames.items()}
    # Examples are read twice (entity tables, then intents): report each problem once.
    report.diagnostics = list(dict.fromkeys(report.diagnostics))
    return report


class _Converter(DialogueConverter):
    """The whole conversion; `run` returns file name → text."""

    # ------------------------------------------------------------------ driver

    def run(self) -> dict[str, str]:
        self._read_nlu_tables()
        self._declare_names()
        self._infer_action_outputs()
        self._find_form_completions()
        domain = [
            *self._config(),
            *self._entities(),
            *self._slots(),
            *self._responses(),
            *self._forms(),
            *self._actions(),
        ]
        files = {
            "domain.assist": domain,
            "nlu.assist": self._intents(),
            "stories.assist": self._stories(),
            "rules.assist": self._rules(),
            "tests.assist": self._tests(),
        }
        out: dict[str, str] = {}
        for name, blocks in files.items():
            if blocks:
                out[name] = "\n\n".join("\n".join(b.arranged()) for b in blocks) + "\n"
        out.update(self.outputs)
        for (kind, raw), new in sorted(self.names.renames.items()):
            self.diagnostics.append(
                Diagnostic("W1303", f"{kind} `{raw}` renamed to `{new}`", file_start("domain.yml"))
            )
        return out

    # ------------------------------------------------------------------ names

    def _declare_names(self) -> None:
        """Give declared names first pick, in a fixed order, so renames are stable."""
        nlu_intents = [str(item["intent"]) for item in self.project.nlu if "intent" in item]
        self.names.reserve("intent", [*self.domain_names("intents"), *nlu_intents])
        self.names.reserve("entity", self.domain_names("entities"))
        self.names.reserve("slot", list(self.slot_defs))
        self.names.reserve("response", list(self.responses))
        self.names.reserve("form", list(self.forms))

    # ------------------------------------------------------------------ NLU tables

    def _read_nlu_tables(self) -> None:
        for item in self.project.nlu:
            self.unknown_keys(item, NLU_KEYS, "an NLU item")
            examples = self._example_texts(item)
            if "synonym" in item:
                target = str(item["synonym"])
                for text in examples:
                    self.synonyms[text.lower()] = target
                    self.synonym_forms.setdefault(target, []).append(text)
            elif "regex" in item:
                self.regexes.setdefault(str(item["regex"]), []).extend(examples)
            elif "lookup" in item:
                self.lookups.setdefault(str(item["lookup"]), []).extend(examples)
            elif "intent" in item:
                for text in examples:
                    for match in ENTITY_REGEX.finditer(text):
                        label = self._annotation(match, item)
                        if label is not None:
                            entity, role, value = label
                            self.annotated.setdefault(entity, set()).add(
                                value or match.group("text")
                            )
                            if role:
                                self.roles.setdefault(entity, set()).add(role)

    def _example_texts(self, item: YMap) -> list[str]:
        """The examples of an NLU item: a `- ` list in a block string, or `text:` maps."""
        raw = item.get("examples")
        texts: list[str] = []
        if isinstance(raw, str):
            for line in raw.splitlines():
                stripped = line.strip()
                if not stripped:
                    continue
                if stripped.startswith("-"):
                    texts.append(stripped[1:].strip())
                else:
                    self.note("W1304", f"example line without `- `: {stripped!r}", raw)
        elif isinstance(raw, list):
            for entry in raw:
                if isinstance(entry, dict) and isinstance(entry.get("text"), str):
                    texts.append(entry["text"].strip())
                    if "metadata" in entry:
                        self.note("W1302", "example metadata is not imported", entry)
        elif raw is not None:
            self.note("W1304", "`examples` should be a block string or a list", item)
        return [text for text in texts if text]

    # ------------------------------------------------------------------ config

    def _config(self) -> list[Block]:
        config, endpoints = self.project.config, self.project.endpoints
        lines = ["config:"]
        if isinstance(config.get("language"), str):
            lines.append(f"  language = {quote(config['language'])}")
        pipeline = [c for c in as_list(config.get("pipeline")) if isinstance(c, dict)]
        policies = [p for p in as_list(config.get("policies")) if isinstance(p, dict)]
        for component in pipeline:
            threshold = number(component.get("threshold"))
            if component.get("name") == "FallbackClassifier" and threshold is not None:
                lines.append(f"  nlu_fallback_threshold = {threshold}")
        max_history: int | None = None
        core_action: str | None = None
        for policy in policies:
            history = policy.get("max_history")
            if isinstance(history, int) and not isinstance(history, bool) and max_history is None:
                max_history = history
            if policy.get("name") == "RulePolicy":
                value = number(policy.get("core_fallback_threshold"))
                if value is not None:
                    lines.append(f"  core_fallback_threshold = {value}")
                action = policy.get("core_fallback_action_name")
                core_action = action if isinstance(action, str) else None
        if max_history is not None:
            lines.append(f"  max_history = {max_history}")
        fallback = self._fallback_from_rule()
        if fallback is not None and core_action not in (None, fallback):
            self.note(
                "W1307",
                f"one fallback for both: NLU fallback rule runs {fallback}, core fallback "
                f"{core_action}; imported as fallback_action = {fallback}",
                config.key_spans.get("policies"),
            )
        chosen = fallback or core_action
        if chosen is not None and chosen != DEFAULT_FALLBACK:
            lines.append(f"  fallback_action = {quote(self.action_name(chosen))}")
        notes: list[str] = []
        names = [str(c.get("name")) for c in pipeline]
        if names:
            self.unsupported(
                "pipeline " + ", ".join(names) + " replaced by the built-in NLU pipeline",
                config.key_spans.get("pipeline"),
                notes,
                "  ",
            )
        if policies:
            self.unsupported(
                "policies "
                + ", ".join(str(p.get("name")) for p in policies)
                + " replaced by the built-in policies",
                config.key_spans.get("policies"),
                notes,
                "  ",
            )
        for key in ("recipe", "assistant_id"):
            if key in config:
                self.unsupported(f"{key}: {config[key]}", config.key_spans.get(key), notes, "  ")
        for key in sorted(set(endpoints) - {"action_endpoint"}):
            self.unsupported(
                f"endpoint `{key}` is not imported", endpoints.key_spans.get(key), notes, "  "
            )
        session = self.project.domain.get("session_config")
        if isinstance(session, dict) and session:
            described = ", ".join(f"{k}={v}" for k, v in session.items())
            self.unsupported(f"session_config {described}", session, notes, "  ")
        domain_config = self.project.domain.get("config")
        if isinstance(domain_config, dict) and domain_config:
            described = ", ".join(f"{k}={v}" for k, v in domain_config.items())
            self.unsupported(f"domain config {described}", domain_config, notes, "  ")
        if len(lines) == 1:
            lines.append('  language = "en"')
        return [Block(lines[:1] + notes + lines[1:])]

    def _fallback_from_rule(self) -> str | None:
        """The action of a rule "nlu_fallback → x" (x a response or the default fallback):
        the language's equivalent is config `fallback_action`; the rule becomes a
        comment."""
        for rule in self.project.rules:
            steps = as_list(rule.get("steps"))
            if (
                not rule.get("condition")
                and len(steps) == 2
                and isinstance(steps[0], dict)
                and steps[0] == {"intent": "nlu_fallback"}
                and isinstance(steps[1], dict)
                and (
                    steps[1].get("action") in self.responses
                    or steps[1].get("action") == DEFAULT_FALLBACK
                )
            ):
                self.fallback_rules.add(id(rule))
                return str(steps[1]["action"])
        return None

    @property
    def duckling_dims(self) -> set[str]:
        dims: set[str] = set()
        for component in as_list(self.project.config.get("pipeline")):
            if isinstance(component, dict) and component.get("name") == "DucklingEntityExtractor":
                listed = component.get("dimensions")
                dims |= set(DUCKLING) if listed is None else {str(d) for d in as_list(listed)}
        return dims

    # ------------------------------------------------------------------ entities

    def _entities(self) -> list[Block]:
        declared: dict[str, Any] = {}
        for item in as_list(self.project.domain.get("entities")):
            pair = single_key(item)
            if isinstance(item, str):
                declared.setdefault(item, item)
            elif pair is not None:
                declared.setdefault(pair[0], item)
            else:
                self.note("W1304", "an entity should be a name or `name: {roles: …}`", item)
        for raw in sorted(set(self.annotated) - set(declared)):
            declared[raw] = None
            self.note(
                "W1307",
                f"entity `{raw}` is annotated in NLU data but not declared in the domain; "
                "declared here",
                file_start("domain.yml"),
            )
        self._plan_enums()
        blocks: list[Block] = []
        dims = self.duckling_dims
        for raw, item in declared.items():
            blocks.append(self._entity(raw, item, dims))
        for raw, members in self.enum_entities.items():
            if raw not in declared:
                blocks.append(self._enum_block(raw, members, []))
        for kind, table in (("regex", self.regexes), ("lookup table", self.lookups)):
            for raw in sorted(set(table) - set(declared)):
                notes: list[str] = []
                self.unsupported(f"{kind} `{raw}` names no entity; dropped", None, notes)
                blocks.append(Block(notes))
        return blocks

    def _plan_enums(self) -> None:
        """Categorical slots become enum entities: the entity they are filled from, or a
        new `<slot>_value` entity when they are filled by actions or intents."""
        for raw, slot in self.slot_defs.items():
            if not isinstance(slot, dict) or slot.get("type") != "categorical":
                continue
            values = [str(v) for v in as_list(slot.get("values")) if v is not None]
            sources = [
                str(m.get("entity"))
                for m in as_list(slot.get("mappings"))
                if isinstance(m, dict) and m.get("type") == "from_entity" and m.get("entity")
            ]
            entity = sources[0] if len(set(sources)) == 1 else f"{raw}_value"
            values.extend(self.lookups.get(entity, []))
            known = self.enum_entities.setdefault(entity, [])
            known.extend(v for v in values if v not in known)

    def _entity(self, raw: str, item: Any, dims: set[str]) -> Block:
        name = self.names("entity", raw)
        body: list[str] = []
        settings = item.get(raw) if isinstance(item, dict) else None
        roles = sorted(self.roles.get(raw, set()))
        if isinstance(settings, dict):
            roles = sorted(set(roles) | {str(r) for r in as_list(settings.get("roles"))})
            if settings.get("groups"):
                self.unsupported("entity groups are not supported", settings, body, "  ")
            for key in sorted(set(settings) - {"roles", "groups"}):
                self.unsupported(f"entity option `{key}`", settings, body, "  ")
        if roles:
            body.append("  roles " + ", ".join(self.names(f"role of {raw}", r) for r in roles))
        if raw in dims:
            builtin = DUCKLING.get(raw)
            if builtin is not None:
                if builtin != raw:
                    self.note(
                        "W1307",
                        f"Duckling dimension `{raw}` imported as built-in `{builtin}`",
                        item,
                    )
                return Block([f"entity {name}: builtin {builtin}", *body])
            self.unsupported(
                f"Duckling dimension `{raw}` has no built-in extractor", item, body, "  "
            )
        if raw in self.enum_entities:
            if raw in self.lookups:
                self.note("W1307", f"lookup table `{raw}` merged into the enum's members", item)
            if raw in self.regexes:
                self.unsupported(f"regex for enum `{raw}` dropped", item, body, "  ")
            return self._enum_block(raw, self.enum_entities[raw], body)
        if raw in self.lookups:
            path = f"data/{name}.txt"
            values = sorted(set(self.lookups[raw]))
            self.outputs[path] = "".join(value + "\n" for value in values)
            if raw in self.regexes:
                self.unsupported(
                    f"regex for `{raw}` dropped: it has a lookup table", item, body, "  "
                )
            return Block([f"entity {name}: lookup {quote(path)}", *body])
        if raw in self.regexes:
            patterns = self.regexes[raw]
            pattern = patterns[0] if len(patterns) == 1 else "|".join(f"(?:{p})" for p in patterns)
            return Block([f"entity {name}: regex {quote(pattern)}", *body])
        if any(target in self.annotated.get(raw, set()) for target in self.synonym_forms):
            self.note(
                "W1307",
                f"synonyms of free-text entity `{raw}` are kept only as annotation values in "
                "its examples",
                item,
            )
        return Block([f"entity {name}: text", *body])

    def _enum_block(self, raw: str, members: list[str], body: list[str]) -> Block:
        name = self.names("entity", raw)
        extra = sorted(self.annotated.get(raw, set()) - set(members))
        if extra:
            self.note(
                "W1307",
                f"enum `{name}` also gets the annotated values {', '.join(extra)} "
                "(Rasa's categorical slot lists fewer)",
                file_start("domain.yml"),
            )
        lines = [f"entity {name}: enum"]
        for member in [*members, *extra]:
            written = member if is_name(member) else quote(member)
            forms = [f for f in self.synonym_forms.get(member, []) if f.lower() != member.lower()]
            synonyms = " = " + ", ".join(quote(f) for f in forms) if forms else ""
            lines.append(f"  {written}{synonyms}")
        return Block(lines + body)

    # ------------------------------------------------------------------ slots

    def _slot_type(self, raw: str, slot: YMap, notes: list[str]) -> SlotInfo:
        name = self.names("slot", raw)
        kind = str(slot.get("type", "any"))
        mappings = [m for m in as_list(slot.get("mappings")) if isinstance(m, dict)]
        entities = {str(m.get("entity")) for m in mappings if m.get("type") == "from_entity"}
        if kind == "categorical":
            entity = next(iter(entities)) if len(entities) == 1 else f"{raw}_value"
            members = frozenset(self.enum_entities.get(entity, [])) | frozenset(
                self.annotated.get(entity, set())
            )
            return SlotInfo(name, self.names("entity", entity), members)
        if kind == "list":
            return SlotInfo(name, "list[text]" if entities else "list[any]")
        if kind in SLOT_TYPES:
            return SlotInfo(name, SLOT_TYPES[kind])
        self.unsupported(f"slot type `{kind}` imported as `any`", slot, notes, "  ")
        return SlotInfo(name, "any")

    def _slot_values(self, raw: str, slot: YMap) -> list[Any]:
        """Every value the project writes into this slot (initial, mappings, stories)."""
        values: list[Any] = [slot.get("initial_value")]
        for mapping in as_list(slot.get("mappings")):
            if isinstance(mapping, dict) and mapping.get("type") == "from_intent":
                values.append(mapping.get("value"))
        for story in [*self.project.stories, *self.project.rules]:
            for step in as_list(story.get("steps")):
                for entry in as_list(step.get("slot_was_set") if isinstance(step, dict) else []):
                    pair = single_key(entry)
                    if pair is not None and pair[0] == raw:
                        values.append(pair[1])
        return values

    def _slots(self) -> list[Block]:
        blocks: list[Block] = []
        for raw, slot in self.slot_defs.items():
            if not isinstance(slot, YMap):
                self.note("W1304", f"slot `{raw}` should be a mapping; skipped", slot)
                continue
            notes = self.slot_notes.setdefault(raw, [])
            info = self._slot_type(raw, slot, notes)
            bad = [v for v in self._slot_values(raw, slot) if not info.fits(v)]
            if bad and not info.members:
                self.note(
                    "W1307",
                    f"slot `{raw}` is `{slot.get('type')}` in Rasa but is given "
                    f"{', '.join(repr(v) for v in bad[:3])}; imported as `any`",
                    slot,
                )
                info = SlotInfo(info.name, "any")
            self.slots[raw] = info
        for raw, slot in self.slot_defs.items():
            if raw in self.slots:
                blocks.append(self._slot_block(raw, slot))
        return blocks

    def _slot_block(self, raw: str, slot: YMap) -> Block:
        info = self.slots[raw]
        self.unknown_keys(slot, SLOT_KEYS, f"slot `{raw}`")
        body: list[str] = list(self.slot_notes.get(raw, []))
        head = f"slot {info.name}: {info.type_text}"
        initial = slot.get("initial_value")
        if initial is not None:
            written = value_text(initial, info.members)
            if written is None:
                self.unsupported(f"initial value {initial!r}", slot, body, "  ")
            else:
                head += f" = {written}"
        if "influence_conversation" in slot:
            flag = slot["influence_conversation"]
            self.unsupported(f"influence_conversation: {flag}", slot, body, "  ")
        for key in ("min_value", "max_value"):
            if key in slot and not self._asked_by_form(raw):
                self.unsupported(
                    f"{key}: {slot[key]} (only form slots take min/max)", slot, body, "  "
                )
        if slot.get("type") == "categorical" and "values" in slot:
            body.append("  " + comment("categorical values: the enum " + info.type_text))
        mappings = as_list(slot.get("mappings"))
        if not mappings:
            self.note("W1304", f"slot `{raw}` has no mappings (Rasa requires them)", slot)
        for mapping in mappings:
            body.extend(self._mapping_lines(raw, mapping))
        if info.members and not any(line.strip().startswith("from ") for line in body):
            self.note(
                "W1307",
                f"slot `{raw}` has an enum type and no mappings, so it is also filled from "
                f"entity `{info.type_text}`",
                slot,
            )
        return Block([head, *body])

    def _asked_by_form(self, raw: str) -> bool:
        return any(raw in self.required_slots(form) for form in self.forms.values())

    def _condition_suffixes(
        self, raw: str, conditions: list[dict[str, Any]], mapping: Any, out: list[str]
    ) -> list[str] | None:
        """The mapping's `conditions` (any one of them applies) as suffixes, one mapping
        line each: `active_loop: F` is ` in F`, and with `requested_slot` naming this slot
        also ` when asked`. None when a condition has no equivalent (kept as a comment;
        the mapping is then left out, since applying it always would fill the slot where
        Rasa does not)."""
        if not conditions:
            return [""]
        suffixes: list[str] = []
        for condition in conditions:
            loop, asked = condition.get("active_loop"), condition.get("requested_slot")
            if not isinstance(loop, str) or set(condition) - {"active_loop", "requested_slot"}:
                break
            if asked not in (None, raw):
                break
            suffix = f" in {self.names('form', loop)}" + (" when asked" if asked else "")
            if suffix not in suffixes:
                suffixes.append(suffix)
        else:
            return suffixes
        self.unsupported(f"mapping conditions {conditions}; mapping left out", mapping, out, "  ")
        return None

    def _intent_filter(self, mapping: dict[str, Any]) -> str:
        """Rasa's `intent` / `not_intent` lists of a mapping as ` if intent …` / ` unless
        intent …`; with both, Rasa only weighs `intent`."""
        for key, word in (("intent", "if"), ("not_intent", "unless")):
            intents = [str(name) for name in as_list(mapping.get(key)) if name is not None]
            if intents:
                names = " | ".join(self.names("intent", name) for name in intents)
                return f" {word} intent {names}"
        return ""

    def _mapping_lines(self, raw: str, mapping: Any) -> list[str]:
        out: list[str] = []
        if not isinstance(mapping, dict):
            self.note("W1304", f"a mapping of slot `{raw}` is not a mapping", mapping)
            return out
        kind = mapping.get("type")
        info = self.slots[raw]
        conditions = [c for c in as_list(mapping.get("conditions")) if isinstance(c, dict)]
        if "group" in mapping:
            self.unsupported(f"mapping option group: {mapping['group']}", mapping, out, "  ")
        if kind == "from_entity":
            entity = self.names("entity", mapping.get("entity"))
            role = mapping.get("role")
            target = (
                f"{entity}:{self.names('role of ' + str(mapping.get('entity')), role)}"
                if role
                else entity
            )
            for suffix in self._condition_suffixes(raw, conditions, mapping, out) or []:
                out.append(f"  from entity {target}{suffix}{self._intent_filter(mapping)}")
        elif kind == "from_intent":
            written = value_text(mapping.get("value"), info.members)
            intents = as_list(mapping.get("intent"))
            if written is None or not intents:
                self.unsupported(f"from_intent mapping {mapping}", mapping, out, "  ")
                return out
            for suffix in self._condition_suffixes(raw, conditions, mapping, out) or []:
                for intent in intents:
                    out.append(f"  from intent {self.names('intent', intent)} = {written}{suffix}")
        elif kind == "from_text":
            suffixes = self._condition_suffixes(raw, conditions, mapping, out)
            if suffixes == [""]:
                self.note(
                    "W1307",
                    f"from_text mapping of `{raw}` fills the slot only while a form asks for it",
                    mapping,
                )
            for suffix in suffixes or []:
                # `from text` applies only while a form asks for the slot: ` when asked` is implied
                suffix = suffix.removesuffix(" when asked")
                out.append(f"  from text{suffix}{self._intent_filter(mapping)}")
        elif kind == "custom":
            action = mapping.get("action")
            out.append(
                "  " + comment(f"custom mapping{f' by {action}' if action else ''}: set by actions")
            )
        else:
            self.unsupported(f"slot mapping type `{kind}`", mapping, out, "  ")
        return out

    # ------------------------------------------------------------------ responses

    def _responses(self) -> list[Block]:
        blocks: list[Block] = []
        for raw, variations in self.responses.items():
            if raw.startswith("utter_") and "/" in raw:
                self.note(
                    "W1307",
                    f"retrieval response `{raw}` is a plain response; stories and rules using "
                    "the retrieval intent are copied once per sub-intent",
                    variations,
                )
            lines = [f"response {self.names('response', raw)}:"]
            body: list[str] = []
            for variation in as_list(variations):
                body.extend(self._variation(variation))
            if not any(line.startswith('  "') for line in body):
                body.append('  ""')
            blocks.append(Block(lines + body))
        return blocks

    def _variation(self, variation: Any) -> list[str]:
        out: list[str] = []
        if not isinstance(variation, dict):
            self.unsupported(f"response variation {variation!r}", variation, out, "  ")
            return out
        for key in sorted(set(variation) - VARIATION_KEYS):
            if key == "channel":
                self.unsupported(
                    f"channel-specific variation ({variation[key]}) used for every channel",
                    variation,
                    out,
                    "  ",
                )
            else:
                self.unsupported(f"response field `{key}`", variation, out, "  ")
        text = variation.get("text")
        line = "  " + quote(escape_interpolation(str(text)) if text is not None else "")
        terms = self._condition_terms(variation.get("condition"), out)
        if terms:
            line += " if " + " and ".join(terms)
        out.append(line)
        for button in as_list(variation.get("buttons")):
            out.extend(self._button(button))
        if variation.get("image"):
            out.append(f"    image {quote(str(variation['image']))}")
        return out

    def _condition_terms(self, conditions: Any, out: list[str]) -> list[str]:
        terms: list[str] = []
        for condition in as_list(conditions):
            if not isinstance(condition, dict) or condition.get("type") != "slot":
                self.unsupported(f"response condition {condition}", condition, out, "  ")
                continue
            raw = str(condition.get("name"))
            info = self.slots.get(raw) or SlotInfo(self.names("slot", raw), "any")
            value = condition.get("value")
            if value is None:
                terms.append(f"not {info.name}")
                continue
            written = value_text(value, info.members)
            if written is None:
                self.unsupported(f"response condition {condition}", condition, out, "  ")
                continue
            terms.append(f"{info.name} == {written}")
        return terms

    def _button(self, button: Any) -> list[str]:
        out: list[str] = []
        if not isinstance(button, dict) or "title" not in button:
            self.unsupported(f"button {button!r}", button, out, "    ")
            return out
        payload = str(button.get("payload", ""))
        match = BUTTON_PAYLOAD.match(payload)
        if match is None:
            self.unsupported(
                f"button {button['title']!r} with a text payload {payload!r}", button, out, "    "
            )
            return out
        call = self.names("intent", match.group("intent").strip())
        args = self._payload_args(match.group("entities"), button, out)
        if args is not None:
            call += f"({', '.join(args)})" if args else ""
        out.append(f"    button {quote(str(button['title']))} -> {call}")
        return out

    def _payload_args(self, raw: str | None, where: object, out: list[str]) -> list[str] | None:
        if not raw:
            return []
        try:
            data = json.loads(raw)
        except json.JSONDecodeError:
            self.unsupported(f"button payload entities {raw} are not JSON", where, out, "    ")
            return []
        if not isinstance(data, dict):
            return []
        args: list[str] = []
        for key, value in data.items():
            written = value_text(value, frozenset(self.enum_entities.get(key, [])))
            if written is None:
                self.unsupported(f"button payload value {key}={value!r}", where, out, "    ")
                continue
            args.append(f"{self.names('entity', key)}={written}")
        return args

    # ------------------------------------------------------------------ forms

    def _forms(self) -> list[Block]:
        blocks: list[Block] = []
        for raw, form in self.forms.items():
            name = self.names("form", raw)
            body: list[str] = []
            if not isinstance(form, dict):
                form = YMap()
            if isinstance(form.get("required_slots"), dict):
                self.unsupported(
                    "Rasa 2 `required_slots` mappings: use the slots' own mappings",
                    form,
                    body,
                    "  ",
                )
            for key in sorted(set(form) - {"required_slots", "ignored_intents"}):
                self.unsupported(f"form option `{key}`", form, body, "  ")
            for slot in self.required_slots(form):
                body.extend(self._ask(raw, slot))
            ignored = [str(name) for name in as_list(form.get("ignored_intents")) if name]
            if ignored:
                names = " | ".join(self.names("intent", name) for name in ignored)
                body.append(f"  ignore intent {names}")
            for step in self.form_then.get(raw, []):
                body.append(f"  then {step}")
            if not any(line.startswith("  ask ") for line in body):
                self.unsupported(f"form {raw} has no required slots; skipped", form, body)
                blocks.append(Block([comment(f"form {raw}"), *body]))
                continue
            blocks.append(Block([f"form {name}:", *body]))
        return blocks

    def _ask(self, form: str, slot: str) -> list[str]:
        info = self.slots.get(slot) or SlotInfo(self.names("slot", slot), "any")
        line = f"  ask {info.name}"
        if f"utter_ask_{form}_{slot}" in self.responses:
            line += f" {self.names('response', f'utter_ask_{form}_{slot}')}"
        lines = [line]
        definition = self.slot_defs.get(slot)
        if isinstance(definition, dict):
            for key, word in (("min_value", "min"), ("max_value", "max")):
                if isinstance(definition.get(key), int | float):
                    lines.append(f"    {word} {definition[key]}")
        return lines

    # ------------------------------------------------------------------ actions

    def _actions(self) -> list[Block]:
        url = DEFAULT_ACTION_URL
        endpoint = self.project.endpoints.get("action_endpoint")
        if isinstance(endpoint, dict) and isinstance(endpoint.get("url"), str):
            url = endpoint["url"]
        blocks: list[Block] = []
        seen: set[str] = set()
        for item in as_list(self.project.domain.get("actions")):
            pair = single_key(item)
            raw = item if isinstance(item, str) else pair[0] if pair else None
            if raw is None or raw in seen:
                continue
            seen.add(raw)
            if raw in self.responses or raw in self.forms:
                continue
            if raw in SUPPORTED_BUILTIN_ACTIONS | UNSUPPORTED_BUILTIN_ACTIONS:
                continue
            lines: list[str] = []
            if raw.startswith("utter_"):
                self.note(
                    "W1304", f"action `{raw}` looks like a response but none is defined", item
                )
            if pair is not None and isinstance(pair[1], dict) and pair[1]:
                self.unsupported(f"action options {pair[1]}", item, lines)
            name = self.names("action", raw)
            outputs = [self.slots[s] for s in self.action_outputs.get(raw, []) if s in self.slots]
            signature = f"action {name}()"
            if outputs:
                signature += " -> (" + ", ".join(f"{o.name}: {o.type_text}" for o in outputs) + ")"
            self.note(
                "W1307",
                f"custom action `{raw}` becomes a remote action; its inputs are unknown"
                + (", outputs inferred from stories" if outputs else ""),
                item,
            )
            blocks.append(Block([*lines, signature + ":", f"  remote {quote(url)}"]))
            self.actions.append(raw)
        if self.actions and "action_endpoint" not in self.project.endpoints:
            self.note(
                "W1307",
                f"no action_endpoint in endpoints.yml; remote actions use {url}",
                file_start("endpoints.yml"),
            )
        return blocks

    # ------------------------------------------------------------------ intents

    def _intents(self) -> list[Block]:
        examples: dict[str, list[str]] = {}
        where: dict[str, YMap] = {}
        for raw in self.domain_names("intents"):
            examples.setdefault(raw, [])
        for item in as_list(self.project.domain.get("intents")):
            pair = single_key(item)
            if pair is not None and pair[1] and isinstance(item, YMap):
                where[pair[0]] = item
        for item in self.project.nlu:
            if "intent" not in item:
                continue
            raw = str(item["intent"])
            texts = examples.setdefault(raw, [])
            for text in self._example_texts(item):
                converted = self._example(text, item)
                if converted not in texts:
                    texts.append(converted)
            if "metadata" in item:
                self.note("W1302", f"metadata of intent `{raw}` is not imported", item)
        blocks: list[Block] = []
        for raw, texts in examples.items():
            name = self.names("intent", raw)
            notes: list[str] = []
            if raw in where:
                self.unsupported(f"intent options {where[raw][raw]}", where[raw], notes)
            if raw in RASA_BUILTIN_INTENTS and not texts:
                continue
            if raw in self.retrieval:
                subs = ", ".join(f"{raw}/{sub}" for sub in self.retrieval[raw])
                notes.append(comment(f"retrieval intent {raw} is split into {subs}"))
                blocks.append(Block(notes))
                continue
            if texts:
                blocks.append(Block([*notes, f"intent {name}:", *("  " + quote(t) for t in texts)]))
            else:  # Rasa reaches it by payload (`/name`) or another channel
                blocks.append(Block([*notes, f"intent {name}: payload only"]))
        return blocks

    def _example(self, text: str, where: object) -> str:
        """A Rasa example as a template: annotations in our syntax, the rest literal."""
        out: list[str] = []
        position = 0
        for match in ENTITY_REGEX.finditer(text):
            out.append(escape_template(text[position : match.start()]))
            position = match.end()
            surface = match.group("text")
            label = self._annotation(match, where)
            if label is None:
                out.append(escape_template(match.group(0)))
                continue
            entity, role, value = label
            value = self.annotated_value(surface, value)
            annotation = self.names("entity", entity)
            if role:
                annotation += ":" + self.names(f"role of {entity}", role)
            if value and value != surface:
                if ")" in value:
                    self.note("W1302", f"annotation value {value!r} contains `)`; dropped", where)
                else:
                    annotation += "=" + value
            out.append(f"[{escape_template(surface)}]({annotation})")
        out.append(escape_template(text[position:]))
        return "".join(out)
