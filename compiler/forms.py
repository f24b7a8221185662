"""Forms: the slots they ask for, prompts, validation constraints, completion steps."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace

from assistc.compiler.references import Scope
from assistc.compiler.responses import inline_response
from assistc.compiler.reuse import same_objects
from assistc.compiler.types import check_value
from assistc.dsl import ast
from assistc.dsl.diagnostics import Diagnostic, Label
from assistc.runtime import ir
from assistc.runtime.dialogue.slots import satisfies

NUMERIC_KINDS = ("int", "float", "any")


@dataclass
class FormsMemo:
    """The last compile's forms and the responses they added, with what they read."""

    inputs: list[object] | None = None
    """None when nothing is kept (there were problems: a hint may weigh any name)."""
    forms: dict[str, ir.Form] = field(default_factory=dict)
    added: dict[str, ir.Response] = field(default_factory=dict)


def resolve_forms(
    scope: Scope, responses: dict[str, ir.Response], memo: FormsMemo | None = None
) -> dict[str, ir.Form]:
    """IR forms; inline prompts and messages become responses added to `responses`.
    With `memo`, the last compile's are reused while what they read is the same objects:
    the forms' declarations, the slots and entities (mappings that `reuse.keep_equal`
    hands back while unchanged), the responses and the actions' names."""
    table = scope.table
    inputs = [scope.slots, scope.entities, *table.forms.values(), *responses.values()]
    inputs.extend(table.actions.items)
    # The entries of the intents forms ignore: one that appears or goes is a new object.
    inputs.extend(
        table.intents.items.get(name.text) for decl in table.forms.values() for name in decl.ignored
    )
    if memo is not None and memo.inputs is not None and same_objects(inputs, memo.inputs):
        responses.update(memo.added)
        return memo.forms
    before = dict(responses)
    found: list[Diagnostic] = []
    forms = _resolve_forms(replace(scope, problems=found), responses)
    scope.problems.extend(found)
    if memo is not None:
        memo.inputs = None if found else inputs
        memo.forms = forms
        memo.added = {name: r for name, r in responses.items() if before.get(name) is not r}
    return forms


def _resolve_forms(scope: Scope, responses: dict[str, ir.Response]) -> dict[str, ir.Form]:
    forms: dict[str, ir.Form] = {}
    for decl in scope.table.forms.values():
        slots = [
            form_slot
            for ask in decl.asks
            if (form_slot := _ask(decl, ask, scope, responses)) is not None
        ]
        seen: dict[str, ast.Name] = {}
        for ask in decl.asks:
            if ask.slot.text in seen:
                scope.problems.append(
                    Diagnostic(
                        "E0201",
                        f"form `{decl.name.text}` asks for `{ask.slot.text}` twice",
                        ask.slot.span,
                        labels=(Label(seen[ask.slot.text].span, "first asked here"),),
                    )
                )
            seen[ask.slot.text] = ask.slot
        for step in decl.then:
            if step.text not in responses and step.text not in scope.table.actions:
                scope.problems.append(scope.table.undefined(scope.table.actions, step))
        for intent in decl.ignored:
            if not scope.table.has_intent(intent.text):
                scope.problems.append(scope.table.undefined(scope.table.intents, intent))
        validate = f"validate_{decl.name.text}"
        forms[decl.name.text] = ir.Form(
            name=decl.name.text,
            slots=slots,
            on_complete=[step.text for step in decl.then],
            validation=validate if validate in scope.table.actions else None,
            ignored_intents=sorted({intent.text for intent in decl.ignored}),
        )
    return forms


def _ask(
    form: ast.FormDecl,
    ask: ast.AskNode,
    scope: Scope,
    responses: dict[str, ir.Response],
) -> ir.FormSlot | None:
    slot = scope.slot(ask.slot)
    if slot is None:
        return None
    name = ask.slot.text
    prompt = _prompt(form, ask, scope, responses)
    constraint, invalid = _constraints(form, ask, slot.ir, scope, responses)
    return ir.FormSlot(slot=name, prompt=prompt, constraint=constraint, invalid_response=invalid)


def _prompt(
    form: ast.FormDecl, ask: ast.AskNode, scope: Scope, responses: dict[str, ir.Response]
) -> str:
    form_name, slot = form.name.text, ask.slot.text
    if isinstance(ask.prompt, ast.StringLit):
        name = f"utter_ask_{form_name}_{slot}"
        responses[name] = inline_response(name, ask.prompt, scope)
        return name
    if isinstance(ask.prompt, ast.Name):
        known = ask.prompt.text in responses or ask.prompt.text in scope.table.actions
        if not known:
            scope.problems.append(scope.table.undefined(scope.table.responses, ask.prompt))
        return ask.prompt.text
    for candidate in (  # Rasa's search order
        f"action_ask_{form_name}_{slot}",
        f"utter_ask_{form_name}_{slot}",
        f"action_ask_{slot}",
        f"utter_ask_{slot}",
    ):
        if candidate in responses or candidate in scope.table.actions:
            return candidate
    scope.problems.append(
        Diagnostic(
            "E0802",
            f"form `{form_name}` asks for `{slot}` but has no prompt for it",
            ask.slot.span,
            hint=f'write  ask {slot} "Your question?"  or define response utter_ask_{slot}',
        )
    )
    return f"utter_ask_{slot}"


def _constraints(
    form: ast.FormDecl,
    ask: ast.AskNode,
    slot: ir.Slot,
    scope: Scope,
    responses: dict[str, ir.Response],
) -> tuple[ir.Constraint, str | None]:
    minimum: float | None = None
    maximum: float | None = None
    bounds: dict[str, ast.ConstraintNode] = {}
    pattern: str | None = None
    one_of: list[ir.JsonValue] | None = None
    invalid: str | None = None
    numeric = slot.type.kind in NUMERIC_KINDS or _numeric_entity(slot.type, scope)
    for node in ask.constraints:
        if node.kind in ("min", "max"):
            if not numeric:
                scope.problems.append(
                    Diagnostic(
                        "E0603",
                        f"`{node.kind}` needs a number slot, but `{slot.name}` is {slot.type}",
                        node.span,
                    )
                )
                continue
            bound = float(node.values[0].data)  # type: ignore[arg-type]
            bounds[node.kind] = node
            if node.kind == "min":
                minimum = bound
            else:
                maximum = bound
        elif node.kind == "matches":
            pattern = str(node.values[0].data)
            try:
                re.compile(pattern)
            except re.error as error:
                scope.problems.append(
                    Diagnostic("E0501", f"invalid regex: {error.msg}", node.values[0].span)
                )
        elif node.kind == "one_of":
            one_of = [_member(value, slot, scope) for value in node.values]
        else:
            invalid = _invalid_response(form, ask, node.values[0], scope, responses)
    if minimum is not None and maximum is not None and minimum > maximum:
        first, second = sorted(bounds.values(), key=lambda n: (n.span.line, n.span.col))
        scope.problems.append(_contradiction(minimum, maximum, second, first))
    return ir.Constraint(minimum=minimum, maximum=maximum, pattern=pattern, one_of=one_of), invalid


def _contradiction(
    minimum: float, maximum: float, node: ast.ConstraintNode, other: ast.ConstraintNode
) -> Diagnostic:
    return Diagnostic(
        "E0604",
        f"no value can be at least {minimum:g} and at most {maximum:g}",
        node.span,
        labels=(Label(other.span, f"the {other.kind}imum is set here"),),
        hint="swap the bounds",
    )


def _numeric_entity(slot_type: ir.SlotType, scope: Scope) -> bool:
    entity = scope.entities.get(slot_type.entity or "")
    return entity is not None and entity.ir.builtin in ("number", "ordinal")


def _member(value: ast.Value, slot: ir.Slot, scope: Scope) -> ir.JsonValue:
    item_type = slot.type.item if slot.type.kind == "list" and slot.type.item else slot.type
    converted, problem, hint = check_value(value, item_type, scope.entities)
    if problem:
        scope.problems.append(
            Diagnostic("E0603", f"slot `{slot.name}`: {problem}", value.span, hint=hint)
        )
    return converted


def _invalid_response(
    form: ast.FormDecl,
    ask: ast.AskNode,
    value: ast.Value,
    scope: Scope,
    responses: dict[str, ir.Response],
) -> str:
    if value.kind == "string":
        name = f"utter_invalid_{form.name.text}_{ask.slot.text}"
        literal = ast.StringLit(str(value.data), value.span)
        responses[name] = inline_response(name, literal, scope)
        return name
    name = str(value.data)
    if name not in responses:
        scope.problems.append(
            scope.table.undefined(scope.table.responses, ast.Name(name, value.span))
        )
    return name


def form_test_step(
    node: ast.TestFormNode, scope: Scope, forms: Mapping[str, ir.Form]
) -> ir.TestForm:
    """A test's `form F [completes with s = v, …]`. The values must be slots the form asks
    for, each given once, and values the form would accept: a completion no user could
    bring about would test a conversation that cannot happen."""
    form = forms.get(node.form.text)
    if form is None:
        scope.problems.append(scope.undefined(scope.table.forms, node.form))
    asked = {form_slot.slot: form_slot for form_slot in form.slots} if form else {}
    values: dict[str, ir.JsonValue] = {}
    for name, value in node.values:
        slot = scope.slot(name)
        if slot is None:
            continue
        converted = scope.value_for_slot(slot, value)
        problem = _completion_problem(node.form.text, name.text, converted, asked, values)
        if form is not None and problem is not None:
            scope.problems.append(Diagnostic(problem[0], problem[1], name.span, hint=problem[2]))
        values[name.text] = converted
    return ir.TestForm(form=node.form.text, completes=node.completes, values=values)


def _completion_problem(
    form: str,
    slot: str,
    value: ir.JsonValue,
    asked: dict[str, ir.FormSlot],
    given: dict[str, ir.JsonValue],
) -> tuple[str, str, str | None] | None:
    if slot not in asked:
        known = ", ".join(asked) or "none"
        return "E0803", f"form `{form}` does not ask for `{slot}`", f"it asks for: {known}"
    if slot in given:
        return "E0803", f"`{slot}` is given twice", None
    constraint = asked[slot].constraint
    if value is not None and not satisfies(value, constraint):
        return "E0804", f"form `{form}` would reject {value!r} for `{slot}`", _accepts(constraint)
    return None


def _accepts(constraint: ir.Constraint) -> str:
    parts = []
    if constraint.one_of is not None:
        parts.append("one of " + ", ".join(map(repr, constraint.one_of)))
    if constraint.minimum is not None:
        parts.append(f"at least {constraint.minimum:g}")
    if constraint.maximum is not None:
        parts.append(f"at most {constraint.maximum:g}")
    if constraint.pattern is not None:
        parts.append(f"matching {constraint.pattern!r}")
    return "it accepts values " + " and ".join(parts)


def unasked_mappings(
    forms: Mapping[str, ir.Form], slots: Iterable[ast.SlotDecl]
) -> Iterator[Diagnostic]:
    """W0805 for mappings that apply only while a form asks for their slot (`from text`,
    `… when asked`) on a slot that no form (or not the named one) asks for: they never
    fill anything."""
    asking: dict[str, set[str]] = {}
    for form in forms.values():
        for form_slot in form.slots:
            asking.setdefault(form_slot.slot, set()).add(form.name)
    for decl in slots:
        for mapping in decl.mappings:
            if not isinstance(mapping, ast.TextMapping) and not mapping.asked:
                continue
            slot = decl.name.text
            askers = asking.get(slot, set())
            if mapping.form is None and not askers:
                message, where = f"no form asks for slot `{slot}`", "a form"
            elif mapping.form is not None and mapping.form.text in forms.keys() - askers:
                where = f"form `{mapping.form.text}`"
                message = f"{where} does not ask for slot `{slot}`"
            else:
                continue
            yield Diagnostic(
                "W0805",
                f"this mapping applies only while a form asks for its slot, but {message}",
                mapping.span,
                hint=f"add `ask {slot}` to {where}, or map the slot another way",
            )
