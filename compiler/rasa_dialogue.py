"""Converting Rasa stories, rules and test stories into the language.

Steps map one to one where they can (`intent` → `user`, `action` → `bot`/`run`/`form`,
`slot_was_set` → `slot`, `or` → `user a | b`, `checkpoint` → `include`). A form's
completion rule becomes the form's `then` lines, and stories do not repeat those steps.
A story, rule or test with a step the language cannot express is kept whole, commented
out, with the reason: a story with a hole would teach the policy something else.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import Any

from assistc.compiler.rasa_convert import (
    ENTITY_REGEX,
    Block,
    ConverterBase,
    SlotInfo,
    as_list,
    single_key,
)
from assistc.compiler.rasa_text import comment, quote, title, value_text
from assistc.compiler.rasa_yaml import YMap

UNSUPPORTED_BUILTIN_ACTIONS = frozenset(
    {
        "action_session_start",
        "action_revert_fallback_events",
        "action_default_ask_affirmation",
        "action_default_ask_rephrase",
        "action_two_stage_fallback",
        "action_unlikely_intent",
        "action_back",
        "action_extract_slots",
        "action_validate_slot_mappings",
    }
)


STORY_KEYS = frozenset({"story", "steps", "metadata"})
MAX_VARIANTS = 64
"""Copies of one dialogue for retrieval sub-intents, at most."""


class DialogueConverter(ConverterBase):
    """Stories, rules and tests; also what the domain learns from them (form `then`
    steps, action outputs)."""

    def _find_form_completions(self) -> None:
        """A rule "when form F is active: F, active_loop null, a, b" is the form's `then`."""
        for rule in self.project.rules:
            form = self._completion_form(rule)
            if form is None:
                continue
            steps = [s for s in as_list(rule.get("steps")) if not _is_requested_slot_step(s)]
            actions = [str(s["action"]) for s in steps[2:]]
            if form in self.form_then:
                continue
            self.form_then[form] = [self.action_name(a) for a in actions]
            self.completion_rules[id(rule)] = form

    def _completion_form(self, rule: YMap) -> str | None:
        loops = [
            c.get("active_loop")
            for c in as_list(rule.get("condition"))
            if isinstance(c, dict) and "active_loop" in c
        ]
        steps = [s for s in as_list(rule.get("steps")) if not _is_requested_slot_step(s)]
        if len(loops) != 1 or not isinstance(loops[0], str) or loops[0] not in self.forms:
            return None
        if len(steps) < 3:
            return None
        form = str(loops[0])
        if not (
            isinstance(steps[0], dict)
            and steps[0].get("action") == form
            and isinstance(steps[1], dict)
            and "active_loop" in steps[1]
            and steps[1]["active_loop"] is None
            and all(isinstance(s, dict) and set(s) == {"action"} for s in steps[2:])
        ):
            return None
        return form

    def _infer_action_outputs(self) -> None:
        """Slots set right after a custom action in stories are that action's outputs."""
        for story in [*self.project.stories, *self.project.rules]:
            last_action: str | None = None
            for step in as_list(story.get("steps")):
                if not isinstance(step, dict):
                    continue
                if "action" in step:
                    last_action = str(step["action"])
                elif "slot_was_set" in step and last_action is not None:
                    for entry in as_list(step["slot_was_set"]):
                        pair = single_key(entry)
                        slot = pair[0] if pair else str(entry)
                        outputs = self.action_outputs.setdefault(last_action, [])
                        if slot in self.slot_defs and slot not in outputs:
                            outputs.append(slot)
                else:
                    last_action = None

    # ------------------------------------------------------------------ stories and rules

    def _stories(self) -> list[Block]:
        taken: set[str] = set()
        titles = {id(s): title(s.get("story", "story"), taken) for s in self.project.stories}
        starts, ends = self._checkpoints()
        blocks: list[Block] = []
        for story in self.project.stories:
            self.unknown_keys(story, STORY_KEYS, "a story")
            steps = as_list(story.get("steps"))
            producers: list[YMap | None] = [None]
            start_names = starts.get(id(story), [])
            if start_names:
                producers = [p for name in start_names for p in ends.get(name, [])] or [None]
                if producers == [None]:
                    self.note(
                        "W1302",
                        f"no story ends with checkpoint {', '.join(start_names)}",
                        story,
                    )
            first = True
            for producer in producers:
                head = titles[id(story)]
                if len(producers) > 1:
                    head = title(f"{head}, after {titles[id(producer)]}", taken)
                prefix = [f"  include {titles[id(producer)]}"] if producer is not None else []
                for suffix, variant in self._retrieval_variants(steps):
                    named = title(f"{head} ({suffix})", taken) if suffix else head
                    blocks.append(self._dialogue("story", named, story, variant, prefix, first))
                    first = False
        return blocks

    @functools.cached_property
    def retrieval(self) -> dict[str, list[str]]:
        """Retrieval intents: `faq` → its sub-intents (`ask_name`, …) from `faq/ask_name`."""
        found: dict[str, set[str]] = {}
        for item in self.project.nlu:
            parent, slash, sub = str(item.get("intent", "")).partition("/")
            if slash and parent and sub:
                found.setdefault(parent, set()).add(sub)
        return {parent: sorted(subs) for parent, subs in sorted(found.items())}

    def _retrieval_variants(self, steps: list[Any]) -> list[tuple[str, list[Any]]]:
        """A dialogue that uses a retrieval intent `faq` (and its response `utter_faq`),
        once per sub-intent, with `faq/x` and `utter_faq/x` in its place: the language
        has no response selector, so each question gets its own intent and response."""
        used = [p for p in self.retrieval if any(_uses_intent(step, p) for step in steps)]
        variants: list[tuple[str, list[Any]]] = [("", steps)]
        for parent in used:
            variants = [
                (f"{suffix} {sub}".strip(), [_specialise(s, parent, sub) for s in variant])
                for suffix, variant in variants
                for sub in self.retrieval[parent]
            ][:MAX_VARIANTS]
        return variants

    def _checkpoints(self) -> tuple[dict[int, list[str]], dict[str, list[YMap]]]:
        starts: dict[int, list[str]] = {}
        ends: dict[str, list[YMap]] = {}
        for story in self.project.stories:
            steps = as_list(story.get("steps"))
            for step in steps:
                if isinstance(step, dict) and "checkpoint" in step:
                    starts.setdefault(id(story), []).append(str(step["checkpoint"]))
                else:
                    break
            for step in reversed(steps):
                if isinstance(step, dict) and "checkpoint" in step:
                    ends.setdefault(str(step["checkpoint"]), []).append(story)
                else:
                    break
        return starts, ends

    def _rules(self) -> list[Block]:
        taken: set[str] = set()
        blocks: list[Block] = []
        for rule in self.project.rules:
            head = title(rule.get("rule", "rule"), taken)
            if id(rule) in self.fallback_rules:
                blocks.append(Block([comment(f"rule {head!r} became config fallback_action")]))
                continue
            form = self.completion_rules.get(id(rule))
            if form is not None:
                text = f"rule {head!r} became the `then` steps of form {form}"
                blocks.append(Block([comment(text)]))
                continue
            prefix: list[str] = []
            notes: list[str] = []
            if rule.get("conversation_start") is True:
                prefix.append("  when conversation starts")
            for condition in as_list(rule.get("condition")):
                prefix.extend(self._rule_condition(condition, notes))
            if rule.get("wait_for_user_input") is False:
                self.unsupported("wait_for_user_input: false", rule, notes, "  ")
            for key in sorted(
                set(rule)
                - {"rule", "steps", "condition", "conversation_start", "wait_for_user_input"}
            ):
                self.unsupported(f"rule option `{key}`", rule, notes, "  ")
            variants = self._retrieval_variants(as_list(rule.get("steps")))
            for index, (suffix, steps) in enumerate(variants):
                named = title(f"{head} ({suffix})", taken) if suffix else head
                lines = notes + prefix if index == 0 else prefix
                blocks.append(self._dialogue("rule", named, rule, steps, lines, index == 0))
        return blocks

    def _rule_condition(self, condition: Any, notes: list[str]) -> list[str]:
        pair = single_key(condition)
        if pair is None:
            self.unsupported(f"rule condition {condition!r}", condition, notes, "  ")
            return []
        key, value = pair
        if key == "active_loop":
            if value is None:
                self.unsupported(
                    "condition active_loop: null (no form active)", condition, notes, "  "
                )
                return []
            return [f"  when form {self.names('form', value)} active"]
        if key != "slot_was_set":
            self.unsupported(f"rule condition {key}", condition, notes, "  ")
            return []
        terms: list[str] = []
        for entry in as_list(value):
            entry_pair = single_key(entry)
            raw = entry_pair[0] if entry_pair else str(entry)
            if raw == "requested_slot":
                self.unsupported(
                    f"condition requested_slot: {entry_pair and entry_pair[1]}",
                    condition,
                    notes,
                    "  ",
                )
                continue
            info = self.slots.get(raw) or SlotInfo(self.names("slot", raw), "any")
            if entry_pair is None:
                terms.append(info.name)
            elif entry_pair[1] is None:
                terms.append(f"not {info.name}")
            else:
                written = value_text(entry_pair[1], info.members)
                if written is None:
                    self.unsupported(f"condition {raw} = {entry_pair[1]!r}", condition, notes, "  ")
                else:
                    terms.append(f"{info.name} == {written}")
        return [f"  when {' and '.join(terms)}"] if terms else []

    def _dialogue(
        self,
        keyword: str,
        head: str,
        item: YMap,
        steps: list[Any],
        prefix: list[str],
        report: bool,
    ) -> Block:
        """A story or rule block; when a step cannot be expressed, the whole block is kept
        commented out (a story with a hole would teach the policy something else)."""
        body: list[str] = list(prefix)
        problems: list[tuple[str, object]] = []
        state = _StoryState(texts=keyword == "story")
        for step in steps:
            problem = self._step(step, body, state)
            if problem is not None:
                problems.append((problem, step))
                body.append("  " + comment(f"step {_shown(step)}"))
        if "metadata" in item:
            body.insert(0, "  " + comment(f"metadata {item['metadata']}"))
            if report:
                self.note("W1302", "story metadata is not imported", item)
        if not any(
            line.strip().startswith(("user ", "bot ", "run ", "form ", "slot ", "include "))
            for line in body
        ):
            problems.append(("it has no steps the language can express", item))
        if problems:
            reason, where = problems[0]
            if report:
                self.note("W1308", f"{keyword} {head!r} left out: {reason}", where)
            lines = [comment(f"{keyword} {head!r} left out: {reason}"), f"# {keyword} {head}:"]
            lines.extend("#" + line for line in body)
            return Block(lines)
        return Block([f"{keyword} {head}:", *body])

    def _step(self, step: Any, body: list[str], state: _StoryState) -> str | None:
        """Append the lines for one step; return why it cannot be expressed, if so."""
        if not isinstance(step, dict):
            return f"step {step!r} is not a mapping"
        if "checkpoint" in step:
            return None if step.get("slot_was_set") is None else "checkpoint with slot_was_set"
        if "or" in step:
            return self._or_step(step["or"], body)
        if "intent" in step or "user" in step:
            if state.form is not None and not state.interrupted:
                state.interrupted = True
                self.note(
                    "W1307",
                    f"the user interrupts form {state.form}; in the language the steps after "
                    f"`form {state.form}` happen once the form is complete",
                    step,
                )
            if "intent" not in step and state.texts:
                return self._user_text_step(str(step["user"]), body)
            return self._user_step(step, body)
        if "action" in step:
            return self._action_step(str(step["action"]), body, state)
        if "active_loop" in step:
            loop = step["active_loop"]
            if loop is not None and not isinstance(loop, str):
                return f"active_loop {loop!r} is not a form name"
            if loop is None:
                state.then_left = list(self.form_then.get(str(state.form), []))
                state.form = None
            elif loop != state.form:
                if loop not in self.forms:
                    return f"active_loop {loop} is not a form"
                body.append(f"  form {self.names('form', loop)}")
                state.form = str(loop)
            return None
        if "slot_was_set" in step:
            for entry in as_list(step["slot_was_set"]):
                problem = self._slot_step(entry, body)
                if problem is not None:
                    return problem
            return None
        if "bot" in step:
            return "end-to-end bot text in a story"
        return f"unknown step {sorted(step)}"

    @staticmethod
    def _user_text_step(text: str, body: list[str]) -> str | None:
        """An end-to-end `user:` turn (text, no intent) as `user "text"`; entity
        annotations in it have no equivalent in a story."""
        plain = text.strip()
        if ENTITY_REGEX.search(plain):
            return "end-to-end user text with entity annotations"
        if not plain:
            return "empty end-to-end user text"
        body.append(f"  user {quote(plain)}")
        return None

    def _user_step(self, step: dict[str, Any], body: list[str]) -> str | None:
        if "intent" not in step:
            return "end-to-end user text without an intent"
        call = self.names("intent", step["intent"])
        args: list[str] = []
        for entity in as_list(step.get("entities")):
            arg = self._entity_arg(entity)
            if arg is None:
                return f"entity {entity!r} without a value"
            args.append(arg)
        body.append(f"  user {call}" + (f"({', '.join(args)})" if args else ""))
        return None

    def _entity_arg(self, entity: Any) -> str | None:
        if isinstance(entity, dict) and "entity" in entity:
            raw, value, role = str(entity["entity"]), entity.get("value"), entity.get("role")
        else:
            pair = single_key(entity)
            if pair is None:
                return None
            raw, value, role = pair[0], pair[1], None
        if value is None:
            return None
        members = frozenset(self.enum_entities.get(raw, []))
        written = value_text(value, members)
        if written is None:
            return None
        name = self.names("entity", raw)
        if role:
            name += ":" + self.names(f"role of {raw}", role)
        return f"{name}={written}"

    def _or_step(self, alternatives: Any, body: list[str]) -> str | None:
        calls: list[str] = []
        for alternative in as_list(alternatives):
            if not isinstance(alternative, dict) or "intent" not in alternative:
                return "`or` of steps other than intents"
            line: list[str] = []
            problem = self._user_step(alternative, line)
            if problem is not None:
                return problem
            calls.append(line[0].strip().removeprefix("user "))
        if not calls:
            return "empty `or`"
        body.append("  user " + " | ".join(calls))
        return None

    def _action_step(self, raw: str, body: list[str], state: _StoryState) -> str | None:
        if raw == "action_listen":
            return None
        if raw in UNSUPPORTED_BUILTIN_ACTIONS:
            return f"built-in action {raw} is not supported"
        if state.then_left and self.action_name(raw) == state.then_left[0]:
            state.then_left.pop(0)
            return None
        state.then_left = []
        if raw in self.forms:
            body.append(f"  form {self.names('form', raw)}")
            state.form = raw
        elif raw in self.responses or (raw.startswith("utter_") and raw not in self.actions):
            body.append(f"  bot {self.names('response', raw)}")
        else:
            body.append(f"  run {self.names('action', raw)}")
        return None

    def _slot_step(self, entry: Any, body: list[str]) -> str | None:
        pair = single_key(entry)
        raw = pair[0] if pair else str(entry)
        if raw == "requested_slot":
            body.append("  " + comment(f"requested_slot: {pair[1] if pair else ''}"))
            return None
        if pair is None:
            body.append("  " + comment(f"slot_was_set {raw} (to any value)"))
            self.note("W1302", f"slot_was_set `{raw}` without a value", entry)
            return None
        info = self.slots.get(raw) or SlotInfo(self.names("slot", raw), "any")
        written = value_text(pair[1], info.members)
        if written is None:
            body.append("  " + comment(f"slot_was_set {raw}: {json.dumps(pair[1], default=str)}"))
            self.note("W1302", f"slot value {pair[1]!r} has no literal in the language", entry)
            return None
        body.append(f"  slot {info.name} = {written}")
        return None

    # ------------------------------------------------------------------ tests

    def _payload_step(self, step: dict[str, Any], body: list[str]) -> str | None:
        """A test turn given as an intent only: sent as a `/intent{…}` payload, which
        the runtime reads without the NLU, as Rasa does."""
        entities: dict[str, Any] = {}
        for entity in as_list(step.get("entities")):
            pair = single_key(entity)
            if pair is None or pair[1] is None:
                return f"entity {entity!r} without a value"
            entities[self.names("entity", pair[0])] = pair[1]
        intent = self.names("intent", step["intent"])
        payload = "/" + intent + (json.dumps(entities) if entities else "")
        body.append(f"  user {quote(payload)} as {intent}")
        return None

    def _tests(self) -> list[Block]:
        taken: set[str] = set()
        blocks: list[Block] = []
        for story in self.project.test_stories:
            self.unknown_keys(story, STORY_KEYS, "a test story")
            head = title(story.get("story", "test"), taken)
            body: list[str] = []
            problem: tuple[str, object] | None = None
            question = ""
            state = _TestState()
            for step in as_list(story.get("steps")):
                if isinstance(step, dict) and "intent" in step:
                    question = str(step["intent"])
                elif isinstance(step, YMap) and "/" in question:
                    parent, _, sub = question.partition("/")
                    step = _specialise(step, parent, sub)
                reason = self._test_step(step, body, state)
                if reason is not None:
                    body.append("  " + comment(f"step {_shown(step)}"))
                    problem = problem or (reason, step)
            state.flush(body)
            if problem is None and not any(
                line.lstrip().startswith(("user ", "bot ", "run ", "slot ", "form "))
                for line in body
            ):
                problem = ("it has no steps", story)
            if problem is not None:
                self.note("W1308", f"test {head!r} left out: {problem[0]}", problem[1])
                lines = [comment(f"test {head!r} left out: {problem[0]}"), f"# test {head}:"]
                blocks.append(Block(lines + ["#" + line for line in body]))
            else:
                blocks.append(Block([f"test {head}:", *body]))
        return blocks

    def _test_step(self, step: Any, body: list[str], state: _TestState) -> str | None:
        """Rasa evaluates a test story by teacher forcing: it predicts each `action` from
        the story's own history, and applies `active_loop` and `slot_was_set` as given
        (actions are not run). Here the conversation is live, so a form's `action` is a
        `form F` step (it runs for real), and `active_loop: null` right after it is
        `form F completes with …` (the slots it set on the way): the stand-in for the
        answers the story does not show."""
        if not isinstance(step, dict):
            return f"step {step!r} is not a mapping"
        if "slot_was_set" in step:
            for entry in as_list(step["slot_was_set"]):
                self._test_slot(entry, body, state)
            return None
        if "active_loop" in step:
            loop = step["active_loop"]
            if loop is None and state.form is not None:
                body.append(state.completion(self.names("form", state.form)))
            elif loop is None or loop != state.form:
                state.flush(body)
                body.append("  " + comment(f"active_loop: {json.dumps(loop, default=str)}"))
            return None
        state.flush(body)
        if "user" in step:
            return self._test_user(step, body)
        if "intent" in step:
            return self._payload_step(step, body)
        if "action" in step:
            raw = str(step["action"])
            if raw in self.responses:
                body.append(f"  bot {self.names('response', raw)}")
            elif raw in self.forms:
                body.append(f"  form {self.names('form', raw)}")
                state.form, state.asks = raw, frozenset(self.required_slots(self.forms[raw]))
            elif raw != "action_listen":
                body.append(f"  run {self.names('action', raw)}")
            return None
        if "bot" in step:
            body.append(f"  bot {quote(str(step['bot']))}")
            return None
        return f"step {sorted(step)} has no test equivalent"

    def _test_user(self, step: dict[str, Any], body: list[str]) -> str | None:
        """`rasa test` asks no NLU about a test turn (only `--e2e` does): the story's
        intent and its annotated entities are the message's reading, the text goes along
        (`rasa/core/test.py`, `_predict_tracker_actions`). So text with an intent is
        `user "text" meaning intent(entity=value, …)`; text alone stays `user "text"`."""
        text = str(step["user"]).strip()
        plain = ENTITY_REGEX.sub(lambda m: m.group("text"), text)
        if "intent" not in step:
            self.note(
                "W1307",
                f"test turn {plain!r} has no intent: Rasa's policies read it by its text; here"
                " the NLU reads it too, unless a story has that text",
                step,
            )
            if plain != text:
                body.append("  " + comment(f"entities expected in {text!r} are not checked"))
            body.append(f"  user {quote(plain)}")
            return None
        args: list[str] = []
        for match in ENTITY_REGEX.finditer(text):
            label = self._annotation(match, step)
            if label is None:
                continue
            raw, role, value = label
            value = self.annotated_value(match.group("text"), value)
            members = self.enum_entities.get(raw)
            arg = self._entity_arg({"entity": raw, "value": value, "role": role or None})
            if arg is None or (members is not None and value not in members):
                return f"entity value {value!r} of {raw!r} has no literal here"
            args.append(arg)
        call = self.names("intent", step["intent"]) + (f"({', '.join(args)})" if args else "")
        body.append(f"  user {quote(plain)} meaning {call}")
        return None

    def _test_slot(self, entry: Any, body: list[str], state: _TestState) -> None:
        """A `slot_was_set` entry: after a form's action, held for its completion (if one
        follows); otherwise a `slot` check."""
        pair = single_key(entry)
        if pair is None or pair[0] == "requested_slot":
            body.append("  " + comment(f"slot_was_set {entry}"))
            return
        info = self.slots.get(pair[0]) or SlotInfo(self.names("slot", pair[0]), "any")
        written = value_text(pair[1], info.members)
        if written is None:
            body.append("  " + comment(f"slot_was_set {entry}"))
        elif state.form is not None and pair[0] in state.asks:
            state.values.append(f"{info.name} = {written}")
        else:
            body.append(f"  slot {info.name} = {written}")


@dataclass
class _TestState:
    """A test story's form whose action ran last, and the slots set since."""

    form: str | None = None
    asks: frozenset[str] = frozenset()
    values: list[str] = field(default_factory=list)

    def completion(self, name: str) -> str:
        values = f" with {', '.join(self.values)}" if self.values else ""
        self.form, self.values = None, []
        return f"  form {name} completes{values}"

    def flush(self, body: list[str]) -> None:
        """No completion follows: the slots the form set are checks after its turn."""
        body.extend(f"  slot {value}" for value in self.values)
        self.form, self.values = None, []


@dataclass
class _StoryState:
    texts: bool
    """End-to-end user text may be written as `user "text"` (in stories, not rules)."""
    form: str | None = None
    interrupted: bool = False
    then_left: list[str] = field(default_factory=list)


def _is_requested_slot_step(step: Any) -> bool:
    if not isinstance(step, dict) or "slot_was_set" not in step:
        return False
    entries = as_list(step["slot_was_set"])
    return all((single_key(e) or ("",))[0] == "requested_slot" for e in entries)


def _shown(step: Any) -> str:
    """A step as one line of JSON, for a comment."""
    return json.dumps(step, default=str, ensure_ascii=False)


def _uses_intent(step: Any, intent: str) -> bool:
    if not isinstance(step, dict):
        return False
    if step.get("intent") == intent:
        return True
    return any(_uses_intent(alternative, intent) for alternative in as_list(step.get("or")))


def _specialise(step: Any, parent: str, sub: str) -> Any:
    """`step` with the retrieval intent `parent` and its response as sub-intent `sub`."""
    if not isinstance(step, YMap):
        return step
    changed = YMap(step)
    changed.key_spans = step.key_spans
    changed.file, changed.line, changed.col = step.file, step.line, step.col
    if step.get("intent") == parent:
        changed["intent"] = f"{parent}/{sub}"
    if step.get("action") == f"utter_{parent}":
        changed["action"] = f"utter_{parent}/{sub}"
    if "or" in step:
        changed["or"] = [_specialise(a, parent, sub) for a in as_list(step["or"])]
    return changed
