"""The static check of the user's Python actions against their `.assist` declarations.

It reads the action modules with `ast` and never imports or runs them: checking must be
fast, side-effect free and safe on half-written code. It reports what would break at
run time or under mypy after a declaration changes: a missing file or function, a
function the runtime cannot call as `fn(inputs, ctx)`, annotations naming another
action's classes, `inputs.<slot>` for a slot the action does not receive, and
`<X>Output(...)` calls whose keywords do not match the declared outputs.
"""

from __future__ import annotations

import ast
import importlib.util
import keyword
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from assistc.compiler.stubs import CONTRACTS_PATH, class_bases, module_path
from assistc.compiler.suggest import did_you_mean
from assistc.dsl.ast import Span
from assistc.dsl.diagnostics import Diagnostic, Label
from assistc.runtime.ir import Action, PythonImplementation


@dataclass(frozen=True)
class ActionBinding:
    """One Python action as the check needs it: its declared slots, where its code is, and
    where it is declared (for the secondary label)."""

    name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    path: str
    """The action file, relative to the project (as written after `python`)."""
    function: str
    decl_span: Span
    impl_span: Span | None = None
    """The `python "…"` line, where problems of the file or the function name point; the
    declaration's span when absent."""

    @classmethod
    def from_action(
        cls, action: Action, decl_span: Span, impl_span: Span | None = None
    ) -> ActionBinding | None:
        """The binding of an IR action, or None when it is not a Python action."""
        impl = action.implementation
        if not isinstance(impl, PythonImplementation):
            return None
        return cls(
            name=action.name,
            inputs=tuple(p.slot for p in action.inputs),
            outputs=tuple(p.slot for p in action.outputs),
            path=impl.path,
            function=impl.function,
            decl_span=decl_span,
            impl_span=impl_span,
        )


def check_action_bindings(
    bindings: Sequence[ActionBinding],
    project_dir: Path,
    *,
    responses: Collection[str] | None = None,
    slots: Collection[str] | None = None,
) -> list[Diagnostic]:
    """Diagnostics for every Python action whose code does not match its declaration.

    Pass all Python actions of the assistant at once: the class names (`PlaceOrderInput`)
    are decided over the whole set, as in the generated contracts. With `responses`
    (and `slots`), `ctx.utter("name")` (and `ctx.slots["name"]`) with literal names are
    checked against the assistant's responses (and slots) too."""
    bases = class_bases(b.name for b in bindings)
    outputs = {bases[b.name] + "Output": b for b in bindings if b.outputs}
    known = _Known(
        bases,
        outputs,
        None if responses is None else frozenset(responses),
        None if slots is None else frozenset(slots),
    )
    diagnostics = [d for b in bindings for d in _keyword_slots(b)]
    by_file: dict[str, list[ActionBinding]] = {}
    for binding in bindings:
        by_file.setdefault(binding.path, []).append(binding)
    for path, bound in sorted(by_file.items()):
        module = _load(path, bound, project_dir, diagnostics)
        if module is not None:
            diagnostics += _check_module(module, bound, known)
    return sorted(diagnostics, key=Diagnostic.sort_key)


@dataclass(frozen=True)
class _Known:
    """What the code is compared with, beyond each action's own declaration."""

    bases: dict[str, str]
    outputs: dict[str, ActionBinding]
    """Output class name → the action it belongs to."""
    responses: frozenset[str] | None
    slots: frozenset[str] | None


def _keyword_slots(binding: ActionBinding) -> list[Diagnostic]:
    """Slots named like Python keywords cannot be dataclass fields (`inputs.class`), nor
    can names starting with `__` (Python mangles them inside the class)."""
    return [
        Diagnostic(
            "E0903",
            f"action `{binding.name}`: slot `{slot}` "
            + ("is a Python keyword" if keyword.iskeyword(slot) else "starts with `__`")
            + " and cannot be a field of its Python contract",
            binding.decl_span,
            hint="rename the slot",
        )
        for slot in (*binding.inputs, *binding.outputs)
        if keyword.iskeyword(slot) or slot.startswith("__")
    ]


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class _Module:
    path: str
    tree: ast.Module
    lines: list[str]

    def span(self, node: ast.expr | ast.stmt | ast.arg | ast.keyword) -> Span:
        end_line = node.end_lineno or node.lineno
        end_col = node.end_col_offset if node.end_col_offset is not None else node.col_offset
        return Span(
            self.path,
            node.lineno,
            self.column(node.lineno, node.col_offset),
            end_line,
            self.column(end_line, end_col),
        )

    def column(self, line: int, byte_offset: int) -> int:
        """1-based character column of an `ast` offset (which counts UTF-8 bytes)."""
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return len(text.encode("utf-8")[:byte_offset].decode("utf-8", errors="replace")) + 1

    def header_span(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> Span:
        """`def name`: where a problem of the whole function points."""
        start = self.column(node.lineno, node.col_offset)
        text = self.lines[node.lineno - 1] if node.lineno <= len(self.lines) else ""
        found = text.find(node.name, start - 1)
        end = found + len(node.name) + 1 if found >= 0 else start + 3
        return Span(self.path, node.lineno, start, node.lineno, end)


def _declared_here(bound: Iterable[ActionBinding]) -> tuple[Label, ...]:
    return tuple(Label(b.decl_span, f"action `{b.name}` is declared here") for b in bound)


def _load(
    path: str, bound: list[ActionBinding], project_dir: Path, diagnostics: list[Diagnostic]
) -> _Module | None:
    """Parse the action file, or add the diagnostics that say why it cannot be read."""
    relative = module_path(path)
    if relative is None:
        reason = (
            "is generated by assistc; implement the action in another file"
            if PurePosixPath(path.replace("\\", "/")) == PurePosixPath(CONTRACTS_PATH)
            else "must be a relative `.py` path inside the assistant's folder"
        )
        diagnostics += [_file_problem(b, f"`{path}` {reason}") for b in bound]
        return None
    file = project_dir / relative
    try:
        raw = file.read_bytes()
    except OSError as error:
        if file.exists():
            problem = f"`{path}` cannot be read ({error.strerror})"
            diagnostics += [_file_problem(b, problem) for b in bound]
        else:
            hint = "`assistc build` creates it with a typed stub for each of its actions"
            diagnostics += [_file_problem(b, f"`{path}` does not exist", hint) for b in bound]
        return None
    display = relative.as_posix()
    try:
        source = importlib.util.decode_source(raw)
        tree = ast.parse(source, filename=display)
    except SyntaxError as error:
        diagnostics.append(_syntax_error(display, error, bound))
        return None
    except (UnicodeDecodeError, ValueError) as error:
        diagnostics.append(
            Diagnostic(
                "E0904",
                f"`{display}` cannot be read as Python source: {error}",
                Span(display, 1, 1, 1, 2),
                _declared_here(bound),
            )
        )
        return None
    return _Module(display, tree, re.split(r"\r\n|\r|\n", source))


def _file_problem(binding: ActionBinding, problem: str, hint: str | None = None) -> Diagnostic:
    return Diagnostic(
        "E0901",
        f"action `{binding.name}`: {problem}",
        binding.impl_span or binding.decl_span,
        hint=hint,
    )


def _syntax_error(path: str, error: SyntaxError, bound: list[ActionBinding]) -> Diagnostic:
    line = error.lineno or 1
    col = error.offset or 1
    end_line = error.end_lineno or line
    end_col = error.end_offset if error.end_offset and end_line >= line else col
    if end_line == line and end_col <= col:
        end_col = col + 1
    return Diagnostic(
        "E0904",
        f"`{path}` does not parse: {error.msg}",
        Span(path, line, col, end_line, end_col),
        _declared_here(bound),
    )


# --------------------------------------------------------------------------- checking


_Binding = ast.FunctionDef | ast.AsyncFunctionDef | None
"""What a module-level name is bound to last: a function, or something else (None)."""


_BLOCKS = (ast.If, ast.Try, ast.TryStar, ast.With, ast.For, ast.While)


def _module_names(body: list[ast.stmt], names: dict[str, _Binding]) -> bool:
    """Record the names the module binds at top level; True when a `*` import may bind
    any name. Descends into `if`/`try`/`with` blocks, where definitions are common."""
    starred = False
    for stmt in body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            names[stmt.name] = stmt
        elif isinstance(stmt, ast.ClassDef):
            names[stmt.name] = None
        elif isinstance(stmt, ast.Import | ast.ImportFrom):
            for alias in stmt.names:
                if alias.name == "*":
                    starred = True
                else:
                    names[alias.asname or alias.name.split(".")[0]] = None
        elif isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                for node in ast.walk(target):
                    if isinstance(node, ast.Name):
                        names[node.id] = None
        if isinstance(stmt, _BLOCKS):
            inner = [stmt.body, getattr(stmt, "orelse", []), getattr(stmt, "finalbody", [])]
            inner += [h.body for h in getattr(stmt, "handlers", [])]
            for statements in inner:
                starred |= _module_names(statements, names)
    return starred


def _check_module(module: _Module, bound: list[ActionBinding], known: _Known) -> list[Diagnostic]:
    names: dict[str, _Binding] = {}
    starred = _module_names(module.tree.body, names)
    diagnostics: list[Diagnostic] = []
    by_function: dict[str, list[ActionBinding]] = {}
    for binding in bound:
        by_function.setdefault(binding.function, []).append(binding)
    for function, sharing in sorted(by_function.items()):
        if function not in names:
            if not starred:
                diagnostics += [_missing(module, b, names, known.bases) for b in sharing]
            continue
        node = names[function]
        if node is not None:
            diagnostics += _check_function(module, node, sharing, known)
    diagnostics += _check_output_calls(module, known.outputs)
    return diagnostics


def expected_signature(binding: ActionBinding, bases: dict[str, str]) -> str:
    """The `def` line the generated stub has for this action."""
    base = bases[binding.name]
    result = base + "Output" if binding.outputs else "None"
    return f"def {binding.function}(inputs: {base}Input, ctx: ActionContext) -> {result}"


def _missing(
    module: _Module, binding: ActionBinding, names: dict[str, _Binding], bases: dict[str, str]
) -> Diagnostic:
    functions = sorted(n for n, node in names.items() if node is not None)
    hint = did_you_mean(binding.function, functions) or (
        f"add `{expected_signature(binding, bases)}` to {module.path}"
    )
    return Diagnostic(
        "E0902",
        f"action `{binding.name}`: `{module.path}` has no function `{binding.function}`",
        binding.impl_span or binding.decl_span,
        hint=hint,
    )


def _contract_names(node: ast.expr | None, suffix: str) -> set[str]:
    """The contract classes (names ending in `suffix`) and `None` that an annotation
    mentions: `c.PlaceOrderInput | "Other"` → {PlaceOrderInput}. Annotations naming none
    of them (`Any`, `Mapping[str, object]`) are the user's choice and are not checked."""
    found: set[str] = set()
    for sub in ast.walk(node) if node is not None else []:
        if isinstance(sub, ast.Name | ast.Attribute):
            name = sub.id if isinstance(sub, ast.Name) else sub.attr
            found |= {name} if name.endswith(suffix) and name != suffix else set()
        elif isinstance(sub, ast.Constant) and sub.value is None:
            found.add("None")
        elif isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            try:
                found |= _contract_names(ast.parse(sub.value, mode="eval").body, suffix)
            except SyntaxError:
                continue
    return found


def _accepts_two_positional(args: ast.arguments) -> bool:
    positional = [*args.posonlyargs, *args.args]
    required = len(positional) - len(args.defaults)
    kw_required = any(d is None for d in args.kw_defaults)
    fits = len(positional) >= 2 or args.vararg is not None
    return required <= 2 and fits and not kw_required


def _check_function(
    module: _Module,
    node: ast.FunctionDef | ast.AsyncFunctionDef,
    sharing: list[ActionBinding],
    known: _Known,
) -> list[Diagnostic]:
    """The signature, the `inputs.<slot>` reads and the `ctx` uses of a function bound
    to `sharing`."""
    bases = known.bases
    labels = _declared_here(sharing)
    hint = "expected `" + "` or `".join(expected_signature(b, bases) for b in sharing) + "`"

    def problem(span: Span, message: str) -> Diagnostic:
        return Diagnostic("E0903", f"`{node.name}` {message}", span, labels, hint)

    if isinstance(node, ast.AsyncFunctionDef):
        return [problem(module.header_span(node), "is `async`; actions are called synchronously")]
    if not _accepts_two_positional(node.args):
        return [problem(module.header_span(node), "cannot be called as `(inputs, ctx)`")]
    positional = [*node.args.posonlyargs, *node.args.args]
    if not positional:
        return []  # `def f(*args)`: nothing names the inputs
    found: list[Diagnostic] = []
    first = positional[0]
    mentioned = _contract_names(first.annotation, "Input")
    for binding in sharing:
        expected = bases[binding.name] + "Input"
        if first.annotation is not None and mentioned and expected not in mentioned:
            found.append(
                problem(
                    module.span(first.annotation),
                    f"takes `{ast.unparse(first.annotation)}`, action `{binding.name}` "
                    f"passes `{expected}`",
                )
            )
    returns = _contract_names(node.returns, "Output")
    for binding in sharing:
        expected = bases[binding.name] + "Output" if binding.outputs else "None"
        if node.returns is None and binding.outputs:
            found.append(
                problem(
                    module.header_span(node),
                    f"has no return annotation; action `{binding.name}` returns `{expected}`",
                )
            )
        elif node.returns is not None and returns and expected not in returns:
            found.append(
                problem(
                    module.span(node.returns),
                    f"returns `{ast.unparse(node.returns)}`, action `{binding.name}` "
                    f"returns `{expected}`",
                )
            )
    body = list(ast.walk(node))
    found += _check_input_reads(module, body, first.arg, sharing)
    if len(positional) > 1:
        found += _check_context_uses(module, body, positional[1].arg, sharing, known)
    return found


def _check_input_reads(
    module: _Module,
    body: list[ast.AST],
    inputs: str,
    sharing: list[ActionBinding],
) -> list[Diagnostic]:
    """`inputs.<name>` where no action bound to the function has that input slot."""
    slots = sorted({slot for b in sharing for slot in b.inputs})
    declared = set(slots)
    actions = " or ".join(f"`{b.name}`" for b in sharing)
    found = []
    for sub in body:
        if (
            isinstance(sub, ast.Attribute)
            and isinstance(sub.value, ast.Name)
            and sub.value.id == inputs
            and not sub.attr.startswith("_")
            and sub.attr not in declared
        ):
            found.append(
                Diagnostic(
                    "E0903",
                    f"action {actions} has no input slot `{sub.attr}`",
                    module.span(sub),
                    _declared_here(sharing),
                    did_you_mean(sub.attr, slots) or _slot_list("input", slots),
                )
            )
    return found


def _check_context_uses(
    module: _Module,
    body: list[ast.AST],
    ctx: str,
    sharing: list[ActionBinding],
    known: _Known,
) -> list[Diagnostic]:
    """`ctx.utter("name")` and `ctx.slots["name"]` / `ctx.slots.get("name")` with literal
    names that the assistant does not define."""
    found = []
    for sub in body:
        used = _context_use(sub, ctx)
        if used is None:
            continue
        kind, name_node = used
        defined = known.responses if kind == "response" else known.slots
        name = name_node.value
        if defined is None or not isinstance(name, str) or name in defined:
            continue
        code = "E0104" if kind == "response" else "E0103"
        found.append(
            Diagnostic(
                code,
                f"undefined {kind} `{name}`",
                module.span(name_node),
                _declared_here(sharing),
                did_you_mean(name, defined),
            )
        )
    return found


def _context_use(node: ast.AST, ctx: str) -> tuple[str, ast.Constant] | None:
    """("response", name) for `ctx.utter(name)`, ("slot", name) for `ctx.slots[name]` and
    `ctx.slots.get(name)`, when the name is a literal."""

    def is_ctx_attr(expr: ast.expr, attr: str) -> bool:
        return (
            isinstance(expr, ast.Attribute)
            and expr.attr == attr
            and isinstance(expr.value, ast.Name)
            and expr.value.id == ctx
        )

    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
        func = node.func
        if is_ctx_attr(func, "utter"):
            return "response", node.args[0]
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "get"
            and is_ctx_attr(func.value, "slots")
        ):
            return "slot", node.args[0]
    if (
        isinstance(node, ast.Subscript)
        and is_ctx_attr(node.value, "slots")
        and isinstance(node.slice, ast.Constant)
    ):
        return "slot", node.slice
    return None


def _slot_list(kind: str, slots: Sequence[str]) -> str:
    listed = ", ".join(f"`{s}`" for s in slots)
    return f"its {kind} slots are {listed}" if slots else f"it has no {kind} slots"


def _check_output_calls(module: _Module, outputs: dict[str, ActionBinding]) -> list[Diagnostic]:
    """`XOutput(...)` calls whose keywords are not exactly the declared output slots."""
    found: list[Diagnostic] = []
    for call in ast.walk(module.tree):
        if not isinstance(call, ast.Call):
            continue
        func = call.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        binding = outputs.get(name) if isinstance(name, str) else None
        if binding is None:
            continue
        labels = _declared_here([binding])
        declared = list(binding.outputs)
        if call.args:
            found.append(
                Diagnostic(
                    "E0903",
                    f"`{name}` takes keyword arguments only",
                    module.span(call),
                    labels,
                    "write each output as `slot=value`",
                )
            )
        given = [k.arg for k in call.keywords]
        for given_kw, arg in zip(call.keywords, given, strict=True):
            if arg is not None and arg not in declared:
                found.append(
                    Diagnostic(
                        "E0903",
                        f"action `{binding.name}` has no output slot `{arg}`",
                        module.span(given_kw),
                        labels,
                        did_you_mean(arg, declared) or _slot_list("output", declared),
                    )
                )
        missing = [slot for slot in declared if slot not in given]
        if missing and None not in given and not call.args:
            listed = ", ".join(f"`{s}`" for s in missing)
            found.append(
                Diagnostic(
                    "E0903",
                    f"`{name}(...)` misses output slot{'s' if len(missing) > 1 else ''} {listed}"
                    f" of action `{binding.name}`",
                    module.span(call),
                    labels,
                )
            )
    return found
