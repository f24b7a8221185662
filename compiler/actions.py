"""Actions: declared signatures against the slots they read and set, and where the
implementation lives."""

from __future__ import annotations

from assistc.compiler.references import Scope
from assistc.compiler.types import resolve_type
from assistc.dsl import ast
from assistc.dsl.diagnostics import Diagnostic, Label
from assistc.runtime import ir

BUILTIN_ACTIONS = (
    "action_listen",
    "action_restart",
    "action_default_fallback",
    "action_deactivate_loop",
    "action_back",
    "action_session_start",
)


def resolve_actions(scope: Scope) -> dict[str, ir.Action]:
    actions: dict[str, ir.Action] = {}
    for decl in scope.table.actions.values():
        implementation = _implementation(decl, scope)
        if implementation is None:
            continue
        actions[decl.name.text] = ir.Action(
            name=decl.name.text,
            inputs=_params(decl.inputs, scope),
            outputs=_params(decl.outputs, scope),
            implementation=implementation,
        )
    return actions


def _params(params: tuple[ast.Param, ...], scope: Scope) -> list[ir.ActionParam]:
    resolved: list[ir.ActionParam] = []
    seen: dict[str, ast.Name] = {}
    for param in params:
        declared, problems = resolve_type(param.type, scope.entities)
        scope.problems.extend(problems)
        if param.name.text in seen:
            scope.problems.append(
                Diagnostic(
                    "E0201",
                    f"`{param.name.text}` is listed twice",
                    param.name.span,
                    labels=(Label(seen[param.name.text].span, "first listed here"),),
                )
            )
            continue
        seen[param.name.text] = param.name
        slot = scope.slot(param.name)
        if slot is not None and not problems and declared != slot.ir.type:
            scope.problems.append(
                Diagnostic(
                    "E0606",
                    f"slot `{slot.ir.name}` is {slot.ir.type}, but the action declares "
                    f"it as {declared}",
                    param.type.span,
                    labels=(Label(slot.decl.type.span, "the slot's type"),),
                    hint=f"write `{param.name.text}: {slot.ir.type}`",
                )
            )
        resolved.append(ir.ActionParam(slot=param.name.text, type=declared))
    return resolved


def _implementation(decl: ast.ActionDecl, scope: Scope) -> ir.Implementation | None:
    if len(decl.impl_spans) > 1:
        scope.problems.append(
            Diagnostic(
                "E0905",
                f"action `{decl.name.text}` has more than one implementation",
                decl.impl_spans[1],
                labels=(Label(decl.impl_spans[0], "first given here"),),
                hint='keep one `python "…"` or `remote "…"` line',
            )
        )
    if decl.python is not None:
        function = decl.function.text if decl.function else decl.name.text
        folder = _folder(decl.name.span.file)
        path = (folder + decl.python.value) if folder else decl.python.value
        return ir.PythonImplementation(path=path, function=function)
    if decl.remote is not None:
        return ir.RemoteImplementation(url=decl.remote.value)
    return None


def _folder(display: str) -> str:
    """The folder of an .assist file, relative to the project, with a trailing `/`;
    implementation paths are relative to the file that names them."""
    if "/" not in display or display.startswith("<"):
        return ""
    return display.rsplit("/", 1)[0] + "/"
