"""The compiler's front door: sources → checked model → IR, with every diagnostic.

Passes run in dependency order (config, entities, slots, intents, responses, forms,
actions, dialogue); each reports what it finds and carries on, so one run shows every
independent problem. The IR is produced only when there are no errors.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from assistc.compiler.actions import resolve_actions
from assistc.compiler.config import resolve_config
from assistc.compiler.dialogue import (
    DialogueMemo,
    DialogueResolver,
    text_turns_that_are_examples,
)
from assistc.compiler.entities import EntityMemo, ResolvedEntity, resolve_entities
from assistc.compiler.examples import IntentCache, IntentStats, PendingExamples
from assistc.compiler.forms import FormsMemo, resolve_forms, unasked_mappings
from assistc.compiler.intent_cache import FileEntries
from assistc.compiler.pycheck import ActionBinding, check_action_bindings
from assistc.compiler.references import Scope
from assistc.compiler.responses import resolve_responses
from assistc.compiler.reuse import Answers, Memo, keep_equal, reuse_decls
from assistc.compiler.slots import ResolvedSlot, SlotMemo, resolve_slots
from assistc.compiler.sources import (
    LoadedSources,
    PendingSources,
    start_loading,
    stdlib_modules,
)
from assistc.compiler.stubs import write_stubs
from assistc.compiler.suggest import did_you_mean
from assistc.compiler.symbols import BUILTIN_INTENTS, SymbolsMemo, SymbolTable, build_symbols
from assistc.compiler.usage import UsedNames, unused_definitions
from assistc.dsl import ast
from assistc.dsl.diagnostics import Diagnostic
from assistc.dsl.parser import gc_paused
from assistc.runtime import ir

INTENT_CACHE_DIR = Path(".assistc") / "cache" / "intents"


@dataclass
class CompileCache:
    """What a long-running caller (the dev loop) keeps between compiles, so that a
    re-check redoes only what an edit changed. Parse results are cached by
    `dsl.parse_cache` (by file text); the rest is keyed as `compiler.reuse` explains."""

    decls: dict[str, list[ast.Decl]] = field(default_factory=dict)
    """File → its declarations: an edited file's unchanged ones keep their objects."""
    symbols: SymbolsMemo = field(default_factory=SymbolsMemo)
    """File → its definitions by namespace, while its declarations are the same."""
    intents: IntentCache = field(default_factory=IntentCache)
    """Per intent: its declaration and a fingerprint of the entities, phrases and config."""
    entity_decls: EntityMemo = field(default_factory=dict)
    """Per entity: its declaration (lookup tables are read again each time)."""
    slot_decls: SlotMemo = field(default_factory=SlotMemo)
    """Per slot: its declaration, while the entities and the intents' and forms' names
    are the same."""
    # The last compile's resolved names, kept while equal (`reuse.keep_equal`), so that
    # the answers a kept result depends on can be compared by identity:
    entities: dict[str, ResolvedEntity] = field(default_factory=dict)
    slots: dict[str, ResolvedSlot] = field(default_factory=dict)
    responses: dict[str, ir.Response] = field(default_factory=dict)
    forms: dict[str, ir.Form] = field(default_factory=dict)
    actions: dict[str, ir.Action] = field(default_factory=dict)
    stories: dict[str, ast.StoryDecl] = field(default_factory=dict)
    # Per declaration: its declaration and the names it looked up (`reuse.Memo`):
    response_decls: Memo[ir.Response] = field(default_factory=Memo)
    dialogue: DialogueMemo = field(default_factory=DialogueMemo)
    forms_memo: FormsMemo = field(default_factory=FormsMemo)
    """All forms: their declarations, and the slots, entities, responses and actions."""
    usage: UsedNames = field(default_factory=UsedNames)
    """The names each list of IR objects uses, while its objects are the same."""


@dataclass
class CompileResult:
    sources: LoadedSources
    diagnostics: list[Diagnostic]
    assistant: ir.Assistant | None = None
    """The IR; None when there are errors."""
    stats: dict[str, IntentStats] = field(default_factory=dict)
    table: SymbolTable | None = None

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]


_by_name = operator.attrgetter("name")


@gc_paused()  # millions of objects, hardly any cyclic garbage: collections only cost
def compile_project(
    root: Path,
    *,
    seed: int | None = None,
    cache: CompileCache | None = None,
    ignore_missing_actions: bool = False,
    sample_templates: bool = True,
    disk_cache: bool = True,
    loading: PendingSources | None = None,
) -> CompileResult:
    """Check the assistant at `root` and lower it to IR. Raises `ProjectNotFound` when
    `root` is not an assistant; everything else is a diagnostic. `ignore_missing_actions`
    is for `build`, which creates missing action modules from a template;
    `sample_templates` off (for `check`) skips sampling examples from templates;
    `disk_cache` keeps parse results and intents' examples and diagnostics in the
    project's `.assistc/cache/`. `loading` is these sources' loading already started
    (`sources.start_loading`, with the same `disk_cache`)."""
    base = root if root.is_dir() else root.parent
    # Without a cache, declarations are resolved directly, as they always were (the
    # tests compare a re-check with that); the rest keeps its state in a throwaway one.
    kept = cache if cache is not None else CompileCache()
    sources = (loading or start_loading(root, disk_cache=disk_cache)).result()
    reuse_decls(kept.decls, sources.modules)
    problems = list(sources.diagnostics)
    stdlib_files = {m.path for m in sources.modules if m.path.startswith("<")}
    table, duplicates = build_symbols(sources.modules, stdlib_files, kept.symbols)
    problems.extend(duplicates)
    problems.extend(_check_uses(table, sources))
    config, config_problems = resolve_config(table, seed)
    problems.extend(config_problems)
    entities, entity_problems = resolve_entities(table, sources.root, kept.entity_decls)
    entities = kept.entities = keep_equal(kept.entities, entities)
    problems.extend(entity_problems)
    slots, slot_problems = resolve_slots(table, entities, kept.slot_decls)
    slots = kept.slots = keep_equal(kept.slots, slots)
    problems.extend(slot_problems)
    generating = PendingExamples(  # a worker process may generate while the passes run
        table,
        entities,
        config,
        sample_templates=sample_templates,
        cache=cache.intents if cache else None,
        disk=FileEntries(base / INTENT_CACHE_DIR, {f.display: f.text for f in sources.files})
        if disk_cache
        else None,
    )
    scope = Scope(table, entities, slots, problems)
    intents = {*table.intents.items, *BUILTIN_INTENTS}
    # a test's E0404 depends on whether its intent is payload-only, not only on its name
    payload_only = {name for name, (_, decl) in table.intents.items.items() if decl.payload_only}
    answers = Answers(slot=slots, entity=entities, intent=intents, payload_only=payload_only)
    responses = resolve_responses(scope, cache.response_decls if cache else None, answers)
    forms = resolve_forms(scope, responses, cache.forms_memo if cache else None)
    forms = kept.forms = keep_equal(kept.forms, forms)
    responses = kept.responses = keep_equal(kept.responses, responses)
    actions = kept.actions = keep_equal(kept.actions, resolve_actions(scope))
    problems.extend(
        d
        for d in check_bindings(table, actions, sources.root, responses, slots)
        if not (ignore_missing_actions and d.code == "E0901")
    )
    stories = {name: decl for name, (_, decl) in table.stories.items.items()}
    stories = kept.stories = keep_equal(kept.stories, stories)
    answers = answers.adding(response=responses, action=actions, form=forms, story=stories)
    dialogue = DialogueResolver(scope, responses, actions, forms, stories).resolve(
        config.max_history, cache.dialogue if cache else None, answers
    )
    examples = generating.result()
    problems.extend(examples.diagnostics)
    _check_fillable(forms, slots, entities, examples.intents, table, problems)
    problems.extend(unasked_mappings(forms, (slot.decl for slot in slots.values())))
    problems.extend(text_turns_that_are_examples(stories, examples.intents))
    assistant = ir.Assistant(
        name=sources.root.resolve().name,
        config=config,
        intents=examples.intents,
        entities=[entities[name].ir for name in sorted(entities)],
        slots=[slots[name].ir for name in sorted(slots)],
        responses=[responses[name] for name in sorted(responses)],
        forms=[forms[name] for name in sorted(forms)],
        actions=[actions[name] for name in sorted(actions)],
        stories=sorted(dialogue.stories, key=_by_name),
        rules=sorted(dialogue.rules, key=_by_name),
        tests=sorted(dialogue.tests, key=_by_name),
    )
    problems.extend(unused_definitions(table, assistant, examples.used_phrases, kept.usage))
    diagnostics = sorted(set(problems), key=Diagnostic.sort_key)
    has_errors = any(d.severity == "error" for d in diagnostics)
    return CompileResult(
        sources,
        diagnostics,
        None if has_errors else assistant,
        examples.stats,
        table,
    )


def check_bindings(
    table: SymbolTable,
    actions: dict[str, ir.Action],
    root: Path,
    responses: dict[str, ir.Response],
    slots: dict[str, ResolvedSlot],
) -> list[Diagnostic]:
    """Read the user's Python (never run it) and compare it with the declarations."""
    bindings = []
    for name, action in sorted(actions.items()):
        decl = table.actions.get(name)
        assert decl is not None
        impl_span = decl.impl_spans[0] if decl.impl_spans else None
        binding = ActionBinding.from_action(action, decl.name.span, impl_span)
        if binding is not None:
            bindings.append(binding)
    return check_action_bindings(bindings, root, responses=responses, slots=slots)


def _check_uses(table: SymbolTable, sources: LoadedSources) -> list[Diagnostic]:
    """`use` must name a stdlib module or a project module."""
    known = set(stdlib_modules()) | {f.module_name for f in sources.files}
    problems: list[Diagnostic] = []
    for use in table.uses:
        if use.module not in known:
            problems.append(
                Diagnostic(
                    "E0108",
                    f"no module named `{use.module}`",
                    use.span,
                    hint=did_you_mean(use.module, known)
                    or "stdlib modules: " + ", ".join(sorted(stdlib_modules())),
                )
            )
    return problems


def _check_fillable(
    forms: dict[str, ir.Form],
    slots: dict[str, ResolvedSlot],
    entities: dict[str, ResolvedEntity],
    intents: list[ir.Intent],
    table: SymbolTable,
    problems: list[Diagnostic],
) -> None:
    """A form slot must be fillable from a user message: a text or intent mapping, or an
    entity mapping whose entity can be recognised (a list, pattern or built-in, or a
    free entity that some intent's examples annotate)."""
    annotated = functools.cache(  # only free entities need it; most projects have none
        lambda: {e.entity for intent in intents for x in intent.examples for e in x.entities}
    )
    for decl in table.forms.values():
        form = forms.get(decl.name.text)
        if form is None:
            continue
        for ask in decl.asks:
            resolved = slots.get(ask.slot.text)
            if resolved is None:
                continue
            slot = resolved.ir
            if any(_fills(m, form.name, entities, annotated) for m in slot.mappings):
                continue
            problems.append(
                Diagnostic(
                    "E0801",
                    f"form `{form.name}` asks for `{slot.name}`, but nothing can fill it",
                    ask.slot.span,
                    hint=_fill_hint(slot),
                )
            )


def _fills(
    mapping: ir.SlotMapping,
    form: str,
    entities: dict[str, ResolvedEntity],
    annotated: Callable[[], set[str]],
) -> bool:
    if mapping.form not in (None, form):
        return False  # applies only while another form is active
    if mapping.kind in ("intent", "text"):
        return True
    resolved = entities.get(mapping.entity or "")
    if resolved is None:
        return True  # already reported as undefined
    entity = resolved.ir
    return entity.kind != "free" or entity.name in annotated()


def _fill_hint(slot: ir.Slot) -> str:
    entity = next((m.entity for m in slot.mappings if m.entity), None)
    if entity:
        return f"annotate `{entity}` in some intent's examples, e.g. [value]({entity})"
    return "add a mapping: `from entity …`, `from intent … = …` or `from text`"


def compile_with_stubs(
    project: Path, *, seed: int | None = None, cache: CompileCache | None = None
) -> tuple[CompileResult, tuple[str, ...]]:
    """Compile, keeping the generated action contracts in step. When the only errors are
    action modules that do not exist yet, create them from the template and compile
    again. Returns the result and the modules created. Raises StubError."""
    compiled = compile_project(project, seed=seed, cache=cache)
    root = compiled.sources.root
    if compiled.errors and all(d.code == "E0901" for d in compiled.errors):
        relaxed = compile_project(project, seed=seed, cache=cache, ignore_missing_actions=True)
        if relaxed.assistant is None:  # pragma: no cover - only E0901 errors were present
            return compiled, ()
        created = write_stubs(relaxed.assistant, root).created
        return compile_project(project, seed=seed, cache=cache), created
    if compiled.assistant is not None:
        write_stubs(compiled.assistant, root)
    return compiled, ()
