"""Responses: variations, conditions, slot interpolation and buttons."""

from __future__ import annotations

from assistc.compiler.references import Scope, button_payload
from assistc.compiler.reuse import Answers, Memo, Reads, resolve_all
from assistc.compiler.suggest import did_you_mean
from assistc.dsl import ast
from assistc.dsl import templates as tpl
from assistc.dsl.diagnostics import Diagnostic
from assistc.runtime import ir


def resolve_responses(
    scope: Scope, memo: Memo[ir.Response] | None, answers: Answers
) -> dict[str, ir.Response]:
    """Each response declaration's IR; those whose declaration and lookups are
    unchanged since the compile that filled `memo` are reused from it."""

    def resolve(
        decl: ast.ResponseDecl, reads: Reads | None, found: list[Diagnostic]
    ) -> ir.Response:
        watching = scope if reads is None else scope.watching(reads, found)
        variations = [_variation(v, watching) for v in decl.variations]
        return ir.Response(name=decl.name.text, variations=variations)

    resolved = resolve_all(scope.table.responses, resolve, memo, answers, scope.problems)
    return {response.name: response for response in resolved}


def check_interpolation(text: ast.StringLit, scope: Scope) -> None:
    """Every `{slot}` in a response text must name a slot."""
    try:
        found = tpl.interpolations(text.value)
    except tpl.TemplateError as error:
        scope.problems.append(error.diagnostic(text))
        return
    for ref in found:
        if ref.name not in scope.slots:
            scope.problems.append(
                Diagnostic(
                    "E0701",
                    f"the response uses `{{{ref.name}}}`, but there is no slot `{ref.name}`",
                    text.offset_span(ref.start, ref.end),
                    hint=did_you_mean(ref.name, scope.slots)
                    or "declare the slot, or write `{{` for a literal brace",
                )
            )


def _variation(node: ast.VariationNode, scope: Scope) -> ir.Variation:
    check_interpolation(node.text, scope)
    buttons = []
    for button in node.buttons:
        intent, entities = scope.user_intent(button.payload)
        buttons.append(
            ir.Button(title=button.title.value, payload=button_payload(intent, entities))
        )
    return ir.Variation(
        text=node.text.value,
        condition=scope.condition(node.condition),
        buttons=buttons,
        image=node.image.value if node.image else None,
    )


def inline_response(name: str, text: ast.StringLit, scope: Scope) -> ir.Response:
    """A response made from a prompt written inline (in a form)."""
    check_interpolation(text, scope)
    return ir.Response(name=name, variations=[ir.Variation(text=text.value)])
