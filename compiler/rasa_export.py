"""`export_rasa`: write a compiled assistant (the IR) as a Rasa 3.x project.

The output is what `rasa train` reads: `domain.yml` (built by the runtime's
`rasa_domain`, the same dictionary remote actions receive), `data/nlu.yml` (the generated
examples with annotations in Rasa's syntax, enum synonyms, lookup tables, regexes),
`data/stories.yml`, `data/rules.yml`, `tests/test_stories.yml`, `config.yml` and
`endpoints.yml`. What Rasa cannot express is returned as notes and written at the top of
`domain.yml` as comments.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from assistc.runtime.dialogue.rasa_domain import RASA_FORMAT_VERSION, rasa_domain
from assistc.runtime.ir import (
    Assistant,
    BotStep,
    ConversationTest,
    EntityAnnotation,
    Example,
    FormStep,
    RemoteImplementation,
    Rule,
    SlotStep,
    SlotTest,
    Step,
    TestBot,
    TestForm,
    TestSlot,
    TestUser,
    UserStep,
    UserTextStep,
)

DEFAULT_ACTION_URL = "http://localhost:5055/webhook"
DUCKLING_DIMENSIONS = {
    "number": "number",
    "ordinal": "ordinal",
    "date": "time",
    "time": "time",
    "email": "email",
    "url": "url",
    "phone": "phone-number",
    "money": "amount-of-money",
}


class _BlockText(str):
    """A string YAML writes as a `|` block (Rasa's example lists)."""


class _Dumper(yaml.SafeDumper):
    """Block style for `_BlockText`, lists indented under their key like Rasa's files."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _block(dumper: yaml.SafeDumper, data: _BlockText) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(data), style="|")


_Dumper.add_representer(_BlockText, _block)


def dump_yaml(data: dict[str, Any]) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def export_rasa(assistant: Assistant, out_dir: Path) -> list[str]:
    """Write the Rasa project; returns notes on what Rasa cannot express (also written
    as comments at the top of domain.yml)."""
    notes: list[str] = []
    domain = rasa_domain(assistant, notes)
    files = {
        "data/nlu.yml": _nlu(assistant, notes),
        "data/stories.yml": {
            "version": RASA_FORMAT_VERSION,
            "stories": [
                {"story": s.name, "steps": _steps(s.steps, assistant)} for s in assistant.stories
            ],
        },
        "data/rules.yml": {
            "version": RASA_FORMAT_VERSION,
            "rules": [
                *(_rule(r, assistant, notes) for r in assistant.rules),
                *_form_rules(assistant),
                _fallback_rule(assistant),
            ],
        },
        "tests/test_stories.yml": {
            "version": RASA_FORMAT_VERSION,
            "stories": [_test(t, assistant, notes) for t in assistant.tests],
        },
        "config.yml": _config(assistant),
        "endpoints.yml": _endpoints(assistant, notes),
    }
    _form_notes(assistant, notes)
    out_dir.mkdir(parents=True, exist_ok=True)
    header = "".join(f"# assistc: {note}\n" for note in notes)
    (out_dir / "domain.yml").write_text(header + dump_yaml(domain), encoding="utf-8")
    for relative, data in files.items():
        path = out_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump_yaml(data), encoding="utf-8")
    return notes


# --------------------------------------------------------------------------- NLU


def annotated(example: Example) -> str:
    """The example's text with Rasa annotations: `[text](entity)` or, with a role or a
    synonym value, `[text]{"entity": …, "role": …, "value": …}`."""
    out: list[str] = []
    position = 0
    for entity in sorted(example.entities, key=lambda e: e.start):
        out.append(example.text[position : entity.start])
        surface = example.text[entity.start : entity.end]
        label: dict[str, str] = {"entity": entity.entity}
        if entity.role:
            label["role"] = entity.role
        if entity.canonical and entity.canonical != surface:
            label["value"] = entity.canonical
        if len(label) == 1:
            out.append(f"[{surface}]({entity.entity})")
        else:
            out.append(f"[{surface}]{json.dumps(label, ensure_ascii=False)}")
        position = entity.end
    out.append(example.text[position:])
    return "".join(out)


def _given_turn(text: str, meaning: UserStep, test: str, notes: list[str]) -> str:
    """A test turn's text with the entities its `meaning` gives annotated where their value
    appears: `rasa test` reads a turn's entities from its annotations. A value the text
    does not hold is left out, with a note."""
    spans: list[EntityAnnotation] = []
    for entity in meaning.entities:
        value = entity.value
        plain = isinstance(value, str | int | float) and not isinstance(value, bool)
        shown = str(value) if plain else ""
        start = text.lower().find(shown.lower()) if shown else -1
        end = start + len(shown)
        if start < 0 or any(start < s.end and s.start < end for s in spans):
            notes.append(f"test {test}: entity {entity.entity} = {value!r} is not in {text!r}")
            continue
        surface = text[start:end]
        spans.append(
            EntityAnnotation(
                start=start,
                end=end,
                entity=entity.entity,
                value=surface,
                role=entity.role,
                canonical=shown if shown != surface else None,
            )
        )
    return annotated(Example(text=text, intent=meaning.intent, entities=spans))


def _examples(texts: list[str]) -> _BlockText:
    return _BlockText("".join(f"- {text}\n" for text in texts))


def _nlu(assistant: Assistant, notes: list[str]) -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    for intent in assistant.intents:
        if intent.payload_only:  # listed in the domain's intents only, as Rasa declares it
            continue
        texts = list(dict.fromkeys(annotated(e) for e in [*intent.examples, *intent.holdout]))
        if any("[" in e.text or "]" in e.text for e in intent.examples):
            notes.append(f"intent {intent.name}: examples with brackets may be misread by Rasa")
        items.append({"intent": intent.name, "examples": _examples(texts)})
    for entity in assistant.entities:
        if entity.kind in ("enum", "lookup"):
            for value in entity.values:
                if value.synonyms:
                    items.append({"synonym": value.name, "examples": _examples(value.synonyms)})
            table = [n for v in entity.values for n in (v.name, *v.synonyms)]
            items.append({"lookup": entity.name, "examples": _examples(table)})
        elif entity.kind == "regex" and entity.pattern:
            items.append({"regex": entity.name, "examples": _examples([entity.pattern])})
        elif entity.kind == "builtin" and entity.builtin != entity.name:
            dimension = DUCKLING_DIMENSIONS.get(entity.builtin or "", entity.builtin)
            notes.append(
                f"entity {entity.name}: Duckling names it `{dimension}`; "
                "rename the entity or map it in a custom component"
            )
    return {"version": RASA_FORMAT_VERSION, "nlu": items}


# --------------------------------------------------------------------------- dialogue


def _steps(steps: list[Step], assistant: Assistant, story: bool = True) -> list[dict[str, Any]]:
    """Rasa steps; in stories a form step also completes the form (its `then` actions),
    in rules it only (re)activates it, as Rasa's rules do."""
    out: list[dict[str, Any]] = []
    forms = {form.name: form for form in assistant.forms}
    for step in steps:
        if isinstance(step, UserStep):
            data: dict[str, Any] = {"intent": step.intent}
            if step.entities:
                data["entities"] = [
                    {"entity": e.entity, "value": e.value, "role": e.role}
                    if e.role
                    else {e.entity: e.value}
                    for e in step.entities
                ]
            out.append(data)
        elif isinstance(step, UserTextStep):
            out.append({"user": step.text})
        elif isinstance(step, BotStep):
            out.append({"action": step.action})
        elif isinstance(step, FormStep):
            out.append({"action": step.form})
            out.append({"active_loop": step.form})
            if story and step.form in forms:
                out.append({"active_loop": None})
                out.extend({"action": name} for name in forms[step.form].on_complete)
        elif isinstance(step, SlotStep):
            out.append({"slot_was_set": [{step.slot: step.value}]})
    return out


def _condition(test: SlotTest, rule: str, notes: list[str]) -> Any:
    """A `slot_was_set` condition entry, or None when Rasa has no equivalent."""
    if test.op == "set":
        return test.slot
    if test.op in ("==", "unset"):
        return {test.slot: test.value if test.op == "==" else None}
    notes.append(f"rule {rule}: condition `{test.slot} {test.op}` has no Rasa equivalent")
    return None


def _rule(rule: Rule, assistant: Assistant, notes: list[str]) -> dict[str, Any]:
    data: dict[str, Any] = {"rule": rule.name}
    condition: list[dict[str, Any]] = []
    if rule.active_form:
        condition.append({"active_loop": rule.active_form})
    slots: list[Any] = []
    for test in rule.conditions:
        converted = _condition(test, rule.name, notes)
        if converted is not None:
            slots.append(converted)
    if slots:
        condition.append({"slot_was_set": slots})
    if condition:
        data["condition"] = condition
    if rule.conversation_start:
        data["conversation_start"] = True
    data["steps"] = _steps(rule.steps, assistant, story=False)
    return data


def _form_rules(assistant: Assistant) -> list[dict[str, Any]]:
    """Rasa needs a rule to run a form's completion steps; ours are `then` lines."""
    return [
        {
            "rule": f"submit {form.name}",
            "condition": [{"active_loop": form.name}],
            "steps": [
                {"action": form.name},
                {"active_loop": None},
                *({"action": name} for name in form.on_complete),
            ],
        }
        for form in assistant.forms
        if form.on_complete
    ]


def _fallback_rule(assistant: Assistant) -> dict[str, Any]:
    """Our `fallback_action` also answers NLU fallbacks; Rasa needs a rule for that."""
    return {
        "rule": "nlu fallback",
        "steps": [{"intent": "nlu_fallback"}, {"action": assistant.config.fallback_action}],
    }


def _form_notes(assistant: Assistant, notes: list[str]) -> None:
    for form in assistant.forms:
        for form_slot in form.slots:
            constraint = form_slot.constraint
            if any(
                v is not None
                for v in (
                    constraint.minimum,
                    constraint.maximum,
                    constraint.pattern,
                    constraint.one_of,
                )
            ):
                notes.append(
                    f"form {form.name}: the constraints on `{form_slot.slot}` need a "
                    f"validate_{form.name} action in Rasa"
                )
            expected = {
                f"{kind}_ask_{prefix}{form_slot.slot}"
                for kind in ("utter", "action")
                for prefix in (f"{form.name}_", "")
            }
            if form_slot.prompt not in expected:
                notes.append(
                    f"form {form.name}: Rasa asks for `{form_slot.slot}` with "
                    f"utter_ask_{form_slot.slot}, not {form_slot.prompt}"
                )


def _test(test: ConversationTest, assistant: Assistant, notes: list[str]) -> dict[str, Any]:
    responses = {response.name for response in assistant.responses}
    steps: list[dict[str, Any]] = []
    previous: object = None
    active: str | None = None
    for step in test.steps:
        if isinstance(step, TestUser):
            data: dict[str, Any] = {"user": step.text}
            if step.meaning:
                data = {"user": _given_turn(step.text, step.meaning, test.name, notes)}
                data["intent"] = step.meaning.intent
            elif step.intent:
                data["intent"] = step.intent
            steps.append(data)
        elif isinstance(step, TestBot):
            if step.text is not None:
                steps.append({"bot": step.text})
            else:
                name = step.response or step.action
                steps.append({"action": name})
                if name in responses and step.response is None:
                    notes.append(f"test {test.name}: {name} is expected as an action")
        elif isinstance(step, TestSlot):
            steps.append({"slot_was_set": [{step.slot: step.value}]})
        else:
            steps.extend(_test_form(step, previous, active))
            active = None if step.completes else step.form
        previous = step
    return {"story": test.name, "steps": steps}


def _test_form(step: TestForm, previous: object, active: str | None) -> list[dict[str, Any]]:
    """`form F` is the form's action (activating it if it was not active); `form F
    completes` is what Rasa's test stories write for a form that completes unseen: its
    action (unless just written), the slots it set, `active_loop: null`."""
    if not step.completes:
        activation = [{"active_loop": step.form}] if active != step.form else []
        return [{"action": step.form}, *activation]
    ran = isinstance(previous, TestForm) and previous.form == step.form and not previous.completes
    steps: list[dict[str, Any]] = [] if ran else [{"action": step.form}]
    if step.values:
        steps.append({"slot_was_set": [{slot: v} for slot, v in step.values.items()]})
    return [*steps, {"active_loop": None}]


# --------------------------------------------------------------------------- config


def _config(assistant: Assistant) -> dict[str, Any]:
    config = assistant.config
    dimensions = sorted(
        {
            DUCKLING_DIMENSIONS[e.builtin]
            for e in assistant.entities
            if e.builtin in DUCKLING_DIMENSIONS
        }
    )
    pipeline: list[dict[str, Any]] = [
        {"name": "WhitespaceTokenizer"},
        {"name": "RegexFeaturizer"},
        {"name": "LexicalSyntacticFeaturizer"},
        {"name": "CountVectorsFeaturizer"},
        {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
        {"name": "DIETClassifier", "epochs": 100, "random_seed": config.seed},
        {"name": "RegexEntityExtractor", "use_lookup_tables": True, "use_regexes": True},
        {"name": "EntitySynonymMapper"},
    ]
    if dimensions:
        pipeline.append(
            {
                "name": "DucklingEntityExtractor",
                "url": "http://localhost:8000",
                "dimensions": dimensions,
            }
        )
    pipeline.append({"name": "FallbackClassifier", "threshold": config.nlu_fallback_threshold})
    return {
        "recipe": "default.v1",
        "assistant_id": assistant.name,
        "language": config.language,
        "pipeline": pipeline,
        "policies": [
            {"name": "MemoizationPolicy", "max_history": config.max_history},
            {
                "name": "RulePolicy",
                "core_fallback_threshold": config.core_fallback_threshold,
                "core_fallback_action_name": config.fallback_action,
                "enable_fallback_prediction": True,
            },
            {
                "name": "TEDPolicy",
                "max_history": config.max_history,
                "epochs": 100,
                "random_seed": config.seed,
            },
        ],
    }


def _endpoints(assistant: Assistant, notes: list[str]) -> dict[str, Any]:
    urls = sorted(
        {
            a.implementation.url
            for a in assistant.actions
            if isinstance(a.implementation, RemoteImplementation)
        }
    )
    python = sorted(a.name for a in assistant.actions if a.implementation.kind == "python")
    if python:
        notes.append(
            "Python actions " + ", ".join(python) + " need a rasa-sdk port (their signature is "
            "fn(inputs, ctx), not rasa_sdk.Action)"
        )
    if len(urls) > 1:
        notes.append("remote actions use several servers; Rasa calls only " + urls[0])
    return {"action_endpoint": {"url": urls[0] if urls else DEFAULT_ACTION_URL}}
