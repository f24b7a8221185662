"""Stories, rules and conversation tests: resolve their steps, expand includes and
or-branches into linear stories, and find conflicts and steps that can never happen."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from assistc.compiler.actions import BUILTIN_ACTIONS
from assistc.compiler.forms import form_test_step
from assistc.compiler.references import Scope
from assistc.compiler.reuse import (
    Answers,
    Checked,
    Memo,
    Reads,
    Watched,
    check_once,
    resolve_all,
)
from assistc.compiler.symbols import Namespace
from assistc.dsl import ast
from assistc.dsl.diagnostics import Diagnostic, Label
from assistc.runtime import ir
from assistc.runtime.dialogue.payloads import parse_payload

MAX_BRANCHES = 64
"""Or-branches multiply; past this many linear stories per story we stop expanding."""
MAX_INCLUDE_DEPTH = 32

D = TypeVar("D", ast.StoryDecl, ast.RuleDecl, ast.TestDecl)
R = TypeVar("R")


@dataclass
class DialogueResult:
    stories: list[ir.Story]
    rules: list[ir.Rule]
    tests: list[ir.ConversationTest]


RuleKey = tuple[tuple[str, ...], str]
"""A rule's situation (conditions and steps up to its prediction) and the prediction."""


@dataclass(frozen=True)
class _Located:
    """An IR step with the span it came from, for diagnostics."""

    step: ir.Step
    span: ast.Span


_Path = tuple[ir.Story, list[_Located]]
"""One linear story, and its steps with their spans."""


@dataclass
class DialogueMemo:
    """What the dialogue pass keeps between compiles (see `compiler.reuse`): stories,
    rules and tests per declaration, and what the checks across them found."""

    stories: Memo[list[_Path]] = field(default_factory=Memo)
    rules: Memo[tuple[ir.Rule, RuleKey | None]] = field(default_factory=Memo)
    tests: Memo[ir.ConversationTest] = field(default_factory=Memo)
    rule_conflicts: Checked = field(default_factory=Checked)
    """Read: the rules' declarations and keys (the same while `rules.version` is)."""
    story_checks: Checked = field(default_factory=Checked)
    """Read: the stories' paths, the slots, the responses and `max_history`."""


class DialogueResolver:
    def __init__(
        self,
        scope: Scope,
        responses: Mapping[str, ir.Response],
        actions: Mapping[str, ir.Action],
        forms: Mapping[str, ir.Form],
        stories: Mapping[str, ast.StoryDecl],
    ) -> None:
        self.scope = scope
        self.responses = responses
        self.actions = actions
        self.forms = forms
        self.stories = stories
        self.expanded: dict[str, list[list[_Located]]] = {}
        self.expanding: set[str] = set()
        self.truncated: set[str] = set()

    def _watching(self, reads: Reads, problems: list[Diagnostic]) -> DialogueResolver:
        """A resolver for one declaration: its lookups go to `reads`, its diagnostics to
        `problems` (see `compiler.reuse`)."""
        return DialogueResolver(
            self.scope.watching(reads, problems),
            Watched("response", self.responses, reads),
            Watched("action", self.actions, reads),
            Watched("form", self.forms, reads),
            Watched("story", self.stories, reads),
        )

    @property
    def problems(self) -> list[Diagnostic]:
        return self.scope.problems

    # ------------------------------------------------------------------ steps

    def _bot(self, name: ast.Name) -> str:
        return self._named(name, want="response")

    def _run(self, name: ast.Name) -> str:
        return self._named(name, want="action")

    def _named(self, name: ast.Name, want: str) -> str:
        """A `bot` step names a response and a `run` step an action; the other kind gets
        a hint to switch the keyword, anything else is undefined."""
        is_action = name.text in self.actions or name.text in BUILTIN_ACTIONS
        is_response = name.text in self.responses
        if (is_response and want == "response") or (is_action and want == "action"):
            return name.text
        if is_response or is_action:
            other, keyword = ("action", "run") if is_action else ("response", "bot")
            used = "bot" if want == "response" else "run"
            self.problems.append(
                Diagnostic(
                    "E0114",
                    f"`{name.text}` is {'an' if other == 'action' else 'a'} {other}; "
                    f"`{used}` names {'a response' if want == 'response' else 'an action'}",
                    name.span,
                    hint=f"write `{keyword} {name.text}`",
                )
            )
            return name.text
        table = self.scope.table
        if want == "response":
            self.problems.append(self.scope.undefined(table.responses, name))
        else:
            self.problems.append(self.scope.undefined(table.actions, name))
        return name.text

    def _user_text(self, text: ast.StringLit) -> ir.UserTextStep:
        """`user "text"`: a text of only spaces could never be typed as a turn."""
        if not text.value.strip():
            self.problems.append(
                Diagnostic(
                    "E1003",
                    "a story's user text is empty",
                    text.span,
                    hint='write what the user types (`user "I\'ll take sushi"`), or an intent',
                )
            )
        return ir.UserTextStep(text=text.value)

    def _step_options(self, node: ast.StepNode) -> list[list[_Located]]:
        """The alternatives one step stands for (several for `user a | b` or an include
        of a story that has branches)."""
        if isinstance(node, ast.UserStepNode):
            options: list[list[_Located]] = []
            for alternative in node.alternatives:
                intent, entities = self.scope.user_intent(alternative)
                step = ir.UserStep(intent=intent, entities=entities)
                options.append([_Located(step, alternative.span)])
            return options
        if isinstance(node, ast.UserTextStepNode):
            return [[_Located(self._user_text(node.text), node.span)]]
        if isinstance(node, ast.BotStepNode):
            return [[_Located(ir.BotStep(action=self._bot(node.name)), node.span)]]
        if isinstance(node, ast.RunStepNode):
            return [[_Located(ir.BotStep(action=self._run(node.name)), node.span)]]
        if isinstance(node, ast.FormStepNode):
            if node.name.text not in self.forms:
                self.problems.append(self.scope.undefined(self.scope.table.forms, node.name))
            return [[_Located(ir.FormStep(form=node.name.text), node.span)]]
        if isinstance(node, ast.SlotStepNode):
            slot = self.scope.slot(node.slot)
            value = self.scope.value_for_slot(slot, node.value) if slot else None
            return [[_Located(ir.SlotStep(slot=node.slot.text, value=value), node.span)]]
        return self._include(node)

    def _include(self, node: ast.IncludeStepNode) -> list[list[_Located]]:
        story = self.stories.get(node.title.text)
        if story is None:
            self.problems.append(self.scope.undefined(self.scope.table.stories, node.title))
            return [[]]
        if len(self.expanding) >= MAX_INCLUDE_DEPTH:
            self.problems.append(
                Diagnostic(
                    "E0115",
                    f"includes nest more than {MAX_INCLUDE_DEPTH} stories deep",
                    node.title.span,
                    hint="flatten the chain: include shared prefixes directly",
                )
            )
            return [[]]
        if node.title.text in self.expanding:
            self.problems.append(
                Diagnostic(
                    "E0115",
                    f"`include {node.title.text}` makes a cycle",
                    node.title.span,
                    hint="a story cannot include itself, directly or through others",
                )
            )
            return [[]]
        return self.expand(story)

    def expand(self, story: ast.StoryDecl) -> list[list[_Located]]:
        """All linear paths of a story (or-branches and includes expanded)."""
        title = story.title.text
        if title in self.expanded:
            return self.expanded[title]
        self.expanding.add(title)
        paths: list[list[_Located]] = [[]]
        for node in story.steps:
            options = (
                self._include(node)
                if isinstance(node, ast.IncludeStepNode)
                else self._step_options(node)
            )
            paths = [path + option for path, option in itertools.product(paths, options)]
            if len(paths) > MAX_BRANCHES:
                paths = paths[:MAX_BRANCHES]
                self._too_many_branches(story)
        self.expanding.discard(title)
        self.expanded[title] = paths
        return paths

    def _too_many_branches(self, story: ast.StoryDecl) -> None:
        if story.title.text in self.truncated:
            return
        self.truncated.add(story.title.text)
        self.problems.append(
            Diagnostic(
                "W1103",
                f"story `{story.title.text}` has more than {MAX_BRANCHES} paths through its "
                f"or-branches and includes; only the first {MAX_BRANCHES} are used",
                story.title.span,
                hint="split it into several stories",
            )
        )

    # ------------------------------------------------------------------ top level

    def resolve(
        self, max_history: int, memo: DialogueMemo | None, answers: Answers
    ) -> DialogueResult:
        """Every story, rule and test; those whose declaration and lookups are unchanged
        since the compile that filled `memo` are reused from it."""
        table = self.scope.table
        stories = self._reuse(
            table.stories, DialogueResolver._paths, memo.stories if memo else None, answers
        )
        paths = [path for story_paths in stories for path in story_paths]
        rules = self._reuse(
            table.rules, DialogueResolver._keyed_rule, memo.rules if memo else None, answers
        )
        tests = self._reuse(
            table.tests, DialogueResolver._test, memo.tests if memo else None, answers
        )
        check_once(
            memo.rule_conflicts if memo else None,
            [memo.rules.version] if memo else [],
            lambda found: self._rule_conflicts(table.rules.values(), rules, found),
            self.problems,
        )
        check_once(
            memo.story_checks if memo else None,
            [max_history, self.scope.slots, self.responses, *(story for story, _ in paths)],
            lambda found: self._story_checks(paths, max_history, found),
            self.problems,
        )
        return DialogueResult([story for story, _ in paths], [rule for rule, _ in rules], tests)

    def _story_checks(self, paths: list[_Path], max_history: int, found: list[Diagnostic]) -> None:
        """Conflicts among the stories, and bot steps that can never happen."""
        self._story_conflicts(paths, max_history, found)
        fills = self._slots_filled_by_entity()
        for story, path in paths:
            self._unreachable(story.name, path, fills, found)

    def _reuse(
        self,
        namespace: Namespace[D],
        resolve: Callable[[DialogueResolver, D], R],
        memo: Memo[R] | None,
        answers: Answers,
    ) -> list[R]:
        """`resolve_all` for one kind of declaration, each resolved by a watching resolver
        of its own."""

        def watched(decl: D, reads: Reads | None, problems: list[Diagnostic]) -> R:
            if reads is None:
                return resolve(self, decl)
            if any(isinstance(step, ast.IncludeStepNode) for step in decl.steps):
                # Included stories' paths are as this resolver expanded them (which
                # include closes a cycle depends on which story it expanded first):
                # resolve it here, and keep nothing.
                reads.whole = True
                return resolve(self, decl)
            return resolve(self._watching(reads, problems), decl)

        return resolve_all(namespace, watched, memo, answers, self.problems)

    def _paths(self, decl: ast.StoryDecl) -> list[_Path]:
        """The story's linear paths, named `title` or `title #n`."""
        paths = self.expand(decl)
        named = []
        for index, path in enumerate(paths, start=1):
            name = decl.title.text if len(paths) == 1 else f"{decl.title.text} #{index}"
            named.append((ir.Story(name=name, steps=[located.step for located in path]), path))
        return named

    def _keyed_rule(self, decl: ast.RuleDecl) -> tuple[ir.Rule, RuleKey | None]:
        return self._rule(decl), _rule_key(decl)

    def _rule(self, decl: ast.RuleDecl) -> ir.Rule:
        steps: list[ir.Step] = []
        for node in decl.steps:
            options = self._step_options(node)
            if len(options) > 1:
                self.problems.append(
                    Diagnostic(
                        "E0001",
                        "rules cannot branch; write one rule per alternative",
                        node.span,
                    )
                )
            steps.extend(located.step for located in options[0])
        if decl.active_form is not None and decl.active_form.text not in self.forms:
            self.problems.append(self.scope.undefined(self.scope.table.forms, decl.active_form))
        return ir.Rule(
            name=decl.title.text,
            conversation_start=decl.conversation_start,
            conditions=self.scope.condition(decl.conditions),
            active_form=decl.active_form.text if decl.active_form else None,
            steps=steps,
        )

    def _test(self, decl: ast.TestDecl) -> ir.ConversationTest:
        steps: list[ir.TestStep] = []
        for node in decl.steps:
            if isinstance(node, ast.TestUserNode):
                intent = None
                if node.intent is not None:
                    intent = node.intent.text
                    if not self.scope.has_intent(intent):
                        self.problems.append(
                            self.scope.undefined(self.scope.table.intents, node.intent)
                        )
                    elif self.scope.payload_only(intent) and not parse_payload(
                        node.text.value, (intent,)
                    ):
                        self.problems.append(
                            Diagnostic(
                                "E0404",
                                f"`{intent}` is reached only by payload: the NLU can never "
                                f'read "{node.text.value}" as it',
                                node.intent.span,
                                hint=f'send its payload instead (`user "/{intent}"`), or give '
                                f"`{intent}` examples",
                            )
                        )
                meaning = None
                if node.meaning is not None:
                    given, entities = self.scope.user_intent(node.meaning)
                    meaning = ir.UserStep(intent=given, entities=entities)
                steps.append(ir.TestUser(text=node.text.value, intent=intent, meaning=meaning))
            elif isinstance(node, ast.TestBotNode):
                if isinstance(node.expected, ast.StringLit):
                    steps.append(ir.TestBot(text=node.expected.value))
                else:
                    steps.append(ir.TestBot(response=self._bot(node.expected)))
            elif isinstance(node, ast.TestRunNode):
                steps.append(ir.TestBot(action=self._run(node.name)))
            elif isinstance(node, ast.TestFormNode):
                steps.append(form_test_step(node, self.scope, self.forms))
            else:
                slot = self.scope.slot(node.slot)
                value = self.scope.value_for_slot(slot, node.value) if slot else None
                steps.append(ir.TestSlot(slot=node.slot.text, value=value))
        return ir.ConversationTest(name=decl.title.text, steps=steps)

    # ------------------------------------------------------------------ analysis

    def _story_conflicts(
        self, stories: list[_Path], max_history: int, found: list[Diagnostic]
    ) -> None:
        """The same recent history must always lead to the same next action."""
        seen: dict[tuple[str, ...], tuple[str, str, ast.Span]] = {}
        reported: set[tuple[str, str]] = set()
        for story, path in stories:
            name = story.name
            history: list[str] = []
            for index, located in enumerate(path):
                step = located.step
                nxt = _predicted(step, path[index + 1] if index + 1 < len(path) else None)
                history.append(_event_key(step))
                if nxt is None:
                    continue
                key = tuple(history[-max_history * 2 :])
                following = path[index + 1].span
                previous = seen.get(key)
                if previous is None:
                    seen[key] = (nxt, name, following)
                    continue
                if previous[0] != nxt and (previous[1], name) not in reported:
                    reported.add((previous[1], name))
                    found.append(
                        Diagnostic(
                            "E1001",
                            f"after the same conversation, story `{name}` does "
                            f"`{nxt}` but story `{previous[1]}` does `{previous[0]}`",
                            following,
                            labels=(Label(previous[2], f"`{previous[1]}` does this instead"),),
                            hint="make the histories differ (a slot or an entity), or "
                            "make the stories agree",
                        )
                    )

    def _rule_conflicts(
        self,
        decls: list[ast.RuleDecl],
        rules: list[tuple[ir.Rule, RuleKey | None]],
        found: list[Diagnostic],
    ) -> None:
        """Rules that answer the same situation differently."""
        seen: dict[tuple[str, ...], tuple[str, ast.RuleDecl]] = {}
        for decl, (_, rule) in zip(decls, rules, strict=True):
            if rule is None:
                continue
            key, action = rule
            previous = seen.get(key)
            if previous is None:
                seen[key] = (action, decl)
            elif previous[0] != action:
                found.append(
                    Diagnostic(
                        "E1002",
                        f"rules `{previous[1].title.text}` and `{decl.title.text}` answer the "
                        f"same situation differently (`{previous[0]}` vs `{action}`)",
                        decl.title.span,
                        labels=(Label(previous[1].title.span, "the other rule"),),
                        hint="add a condition (`when …`) that tells them apart, or delete one",
                    )
                )

    def _slots_filled_by_entity(self) -> dict[str, list[str]]:
        """Entity → the slots (in the scope's order) that some mapping fills from it."""
        fills: dict[str, list[str]] = {}
        for slot_name, slot in self.scope.slots.items():
            entities = {m.entity for m in slot.ir.mappings if m.kind == "entity" and m.entity}
            for entity in entities:
                fills.setdefault(entity, []).append(slot_name)
        return fills

    def _unreachable(
        self,
        name: str,
        path: list[_Located],
        fills: dict[str, list[str]],
        found: list[Diagnostic],
    ) -> None:
        """A bot step naming a response none of whose variations can be chosen, given the
        slot values the story itself has set (`fills`: `_slots_filled_by_entity`)."""
        known: dict[str, ir.JsonValue] = {}
        for located in path:
            step = located.step
            if isinstance(step, ir.SlotStep):
                known[step.slot] = step.value
            elif isinstance(step, ir.UserStep):
                for entity in step.entities:
                    for slot_name in fills.get(entity.entity, ()):
                        known[slot_name] = entity.value
            elif isinstance(step, ir.BotStep) and step.action in self.responses:
                response = self.responses[step.action]
                if response.variations and all(
                    _definitely_false(v.condition, known) for v in response.variations
                ):
                    found.append(
                        Diagnostic(
                            "W1101",
                            f"in story `{name}`, no variation of `{step.action}` can be "
                            "chosen: the story's slot values make every condition false",
                            located.span,
                            hint="add an unconditional variation, or fix the story's slots",
                        )
                    )


def text_turns_that_are_examples(
    stories: dict[str, ast.StoryDecl], intents: list[ir.Intent]
) -> list[Diagnostic]:
    """Stories' `user "text"` turns whose text is an example of an intent: `user <intent>`
    says the same more plainly, unless the story means that text only (W1105)."""
    turns = [
        step
        for decl in stories.values()
        for step in decl.steps
        if isinstance(step, ast.UserTextStepNode)
    ]
    if not turns:
        return []
    intent_of = {
        ir.user_text_key(example.text): intent.name
        for intent in intents
        for example in intent.examples
    }
    found: list[Diagnostic] = []
    for step in turns:
        intent = intent_of.get(ir.user_text_key(step.text.value))
        if intent is not None:
            found.append(
                Diagnostic(
                    "W1105",
                    f"the text is an example of intent `{intent}`",
                    step.text.span,
                    hint=f"write `user {intent}`, unless only this exact text is meant",
                )
            )
    return found


def _rule_key(decl: ast.RuleDecl) -> RuleKey | None:
    """(conditions + steps up to the first bot action after a user turn, that action).

    Bot steps before the first user turn are context ("after the bot did X"), as in
    Rasa, not what the rule predicts."""
    key = [f"start={decl.conversation_start}", f"form={decl.active_form}"]
    key.extend(
        sorted(f"{t.slot.text}{t.op}{t.value.data if t.value else ''}" for t in decl.conditions)
    )
    heard_user = False
    for node in decl.steps:
        if isinstance(node, ast.UserStepNode):
            heard_user = True
            first = node.alternatives[0]
            args = ",".join(sorted(f"{a.entity.text}={a.value.data}" for a in first.args))
            key.append(f"user:{first.intent.text}({args})")
        elif isinstance(node, ast.BotStepNode | ast.RunStepNode | ast.FormStepNode):
            if heard_user or decl.conversation_start:
                return tuple(key), node.name.text
            key.append(f"bot:{node.name.text}")
        elif isinstance(node, ast.SlotStepNode):
            key.append(f"slot:{node.slot.text}={node.value.data}")
    return None


def _event_key(step: ir.Step) -> str:
    if isinstance(step, ir.UserStep):
        entities = ",".join(sorted(e.entity for e in step.entities))
        return f"user:{step.intent}({entities})"
    if isinstance(step, ir.UserTextStep):
        return f"user:{ir.user_text_key(step.text)!r}"
    if isinstance(step, ir.BotStep):
        return f"bot:{step.action}"
    if isinstance(step, ir.FormStep):
        return f"form:{step.form}"
    return f"slot:{step.slot}={step.value!r}"


def _predicted(step: ir.Step, following: _Located | None) -> str | None:
    """The action the policy must predict after `step`, if the story says."""
    if following is None:
        return None
    nxt = following.step
    if isinstance(nxt, ir.BotStep):
        return nxt.action
    if isinstance(nxt, ir.FormStep):
        return f"form {nxt.form}"
    user_turn = (ir.UserStep, ir.UserTextStep)
    if isinstance(nxt, user_turn) and not isinstance(step, user_turn):
        return "action_listen"
    return None


def _definitely_false(condition: list[ir.SlotTest], known: dict[str, ir.JsonValue]) -> bool:
    for test in condition:
        if test.slot not in known:
            continue
        value = known[test.slot]
        unset = value is None or value == []
        if test.op == "set" and unset:
            return True
        if test.op == "unset" and not unset:
            return True
        if test.op == "==" and value != test.value:
            return True
        if test.op == "!=" and value == test.value:
            return True
    return False
