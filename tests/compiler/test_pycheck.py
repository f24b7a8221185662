"""The static check of action code: each problem kind, at the right place in the user's
file, and exactly the functions a changed declaration breaks."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from stub_samples import SAMPLES, awkward, param, pizza, python, t

from assistc.compiler.pycheck import ActionBinding, check_action_bindings
from assistc.compiler.stubs import write_stubs
from assistc.dsl.ast import Span
from assistc.dsl.diagnostics import CODES, Diagnostic
from assistc.runtime.ir import Action, Assistant


def decl_span(index: int) -> Span:
    return Span("main.assist", 10 * index + 1, 1, 10 * index + 1, 7)


def impl_span(index: int) -> Span:
    return Span("main.assist", 10 * index + 2, 3, 10 * index + 2, 30)


def bindings(assistant: Assistant) -> list[ActionBinding]:
    found = []
    for index, action in enumerate(assistant.actions):
        binding = ActionBinding.from_action(action, decl_span(index), impl_span(index))
        if binding is not None:
            found.append(binding)
    return found


def check(assistant: Assistant, project: Path, **known: list[str]) -> list[Diagnostic]:
    return check_action_bindings(bindings(assistant), project, **known)


def where(diagnostics: list[Diagnostic]) -> list[tuple[str, str, int, int]]:
    return [(d.code, d.span.file, d.span.line, d.span.col) for d in diagnostics]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_stubs(pizza(), tmp_path)
    return tmp_path


def write(project: Path, relative: str, source: str) -> None:
    (project / relative).write_text(textwrap.dedent(source).lstrip(), encoding="utf-8")


HEADER = "from actions._contracts import *\n"


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_generated_stubs_pass_the_check(sample: str, tmp_path: Path) -> None:
    write_stubs(SAMPLES[sample](), tmp_path)
    assert check(SAMPLES[sample](), tmp_path) == []


def test_every_code_used_is_documented() -> None:
    assert {"E0901", "E0902", "E0903", "E0904"} <= set(CODES)


def test_missing_module_points_at_the_declaration(project: Path) -> None:
    (project / "actions" / "audit.py").unlink()
    found = check(pizza(), project)
    # log_order and log_visit (actions 3 and 2) share the missing file
    assert [(d.code, d.span) for d in found] == [
        ("E0901", impl_span(2)),
        ("E0901", impl_span(3)),
    ]
    assert "`actions/audit.py` does not exist" in found[0].message
    assert found[0].hint is not None and "assistc build" in found[0].hint


def test_path_outside_the_project_is_reported(tmp_path: Path) -> None:
    action = Action(name="a", implementation=python("../a.py", "a"))
    found = check(Assistant(name="x", actions=[action]), tmp_path)
    assert [(d.code, d.span) for d in found] == [("E0901", impl_span(0))]
    assert "relative `.py` path" in found[0].message


def test_syntax_error_has_pythons_line_and_column(project: Path) -> None:
    source = 'def place_order(inputs, ctx):\n    name = "é"; x = = 1\n'
    write(project, "actions/orders.py", source)
    with pytest.raises(SyntaxError) as python_says:
        compile(source, "orders.py", "exec")
    found = check(pizza(), project)
    assert where(found) == [
        ("E0904", "actions/orders.py", python_says.value.lineno, python_says.value.offset)
    ]
    # The column counts characters: "é" is two bytes but one column.
    assert found[0].span.col == source.splitlines()[1].index("= 1") + 1
    assert {label.span for label in found[0].labels} == {decl_span(0), decl_span(1)}


def test_undecodable_file_is_reported_not_raised(project: Path) -> None:
    (project / "actions" / "orders.py").write_bytes(b"x = '\xff'\n")
    assert [d.code for d in check(pizza(), project)] == ["E0904"]


def test_missing_function_suggests_a_close_name(project: Path) -> None:
    write(
        project,
        "actions/orders.py",
        """
        def check_stok(inputs, ctx): ...
        def place_ordr(inputs, ctx): ...
        def helper(): ...
        """,
    )
    found = check(pizza(), project)
    assert [(d.code, d.span, d.hint) for d in found] == [
        ("E0902", impl_span(0), "did you mean `place_ordr`?"),
        ("E0902", impl_span(1), "did you mean `check_stok`?"),
    ]


def test_missing_function_without_a_close_name_shows_the_expected_def(project: Path) -> None:
    write(project, "actions/orders.py", "def unrelated(): ...\n")
    found = check(pizza(), project)
    expected = "def check_stock(inputs: CheckStockInput, ctx: ActionContext) -> CheckStockOutput"
    assert found[1].hint == f"add `{expected}` to actions/orders.py"


def test_names_bound_other_ways_are_not_missing(project: Path) -> None:
    write(
        project,
        "actions/orders.py",
        """
        from actions.impl import place_order
        if True:
            check_stock = place_order
        """,
    )
    write(project, "actions/audit.py", "from actions.impl import *\n")
    assert check(pizza(), project) == []


def test_module_is_read_not_run(project: Path) -> None:
    marker = project / "ran"
    write(project, "actions/orders.py", f"open({str(marker)!r}, 'w').close()\n")
    assert [d.code for d in check(pizza(), project)] == ["E0902", "E0902"]
    assert not marker.exists()


SIGNATURE_PROBLEMS = {
    "too few parameters": ("def place_order(inputs):", 1, 1),
    "too many parameters": ("def place_order(inputs, ctx, more):", 1, 1),
    "required keyword": ("def place_order(inputs, ctx, *, more):", 1, 1),
    "async": ("async def place_order(inputs, ctx):", 1, 1),
    "wrong input class": (
        "def place_order(inputs: CheckStockInput, ctx) -> PlaceOrderOutput:",
        1,
        25,
    ),
    "wrong output class": (
        "def place_order(inputs, ctx) -> CheckStockOutput:",
        1,
        33,
    ),
    "missing return annotation": ("def place_order(inputs: PlaceOrderInput, ctx):", 1, 1),
    "None while outputs are declared": ("def place_order(inputs, ctx) -> None:", 1, 33),
}


@pytest.mark.parametrize("case", sorted(SIGNATURE_PROBLEMS))
def test_signature_mismatch_points_into_the_users_file(case: str, project: Path) -> None:
    header, line, col = SIGNATURE_PROBLEMS[case]
    write(
        project,
        "actions/orders.py",
        f"{header}\n    return None\n"
        "def check_stock(inputs: CheckStockInput, ctx: ActionContext) -> CheckStockOutput:\n"
        "    return CheckStockOutput(in_stock=True)\n",
    )
    found = check(pizza(), project)
    assert where(found) == [("E0903", "actions/orders.py", line, col)]
    assert found[0].labels[0].span == decl_span(0)
    expected = "def place_order(inputs: PlaceOrderInput, ctx: ActionContext) -> PlaceOrderOutput"
    assert found[0].hint == f"expected `{expected}`"


ACCEPTED_SIGNATURES = [
    "def place_order(inputs, ctx) -> PlaceOrderOutput:",
    "def place_order(inputs: 'PlaceOrderInput', ctx: ActionContext) -> 'PlaceOrderOutput':",
    "def place_order(i: contracts.PlaceOrderInput, c) -> contracts.PlaceOrderOutput:",
    "def place_order(inputs, ctx, extra=None) -> PlaceOrderOutput | None:",
    "def place_order(*args) -> PlaceOrderOutput:",
    "def place_order(inputs, /, ctx, *, flag=False) -> PlaceOrderOutput:",
    "def place_order(inputs: Any, ctx: object) -> Mapping[str, object]:",
    "def place_order(inputs: SimpleNamespace, ctx) -> 'dict[str, Any]':",
]


@pytest.mark.parametrize("header", ACCEPTED_SIGNATURES)
def test_signatures_the_runtime_can_call_are_accepted(header: str, project: Path) -> None:
    write(project, "actions/orders.py", f"{header}\n    ...\ndef check_stock(i, c): ...\n")
    found = check(pizza(), project)
    assert [d.message for d in found] == [
        "`check_stock` has no return annotation; action `check_stock` returns `CheckStockOutput`"
    ]


def test_action_without_outputs_must_not_promise_a_result(project: Path) -> None:
    write(
        project,
        "actions/audit.py",
        """
        def record(inputs: LogOrderInput | LogVisitInput, ctx) -> PlaceOrderOutput:
            ...
        """,
    )
    found = check(pizza(), project)
    assert where(found) == [("E0903", "actions/audit.py", 1, 59)] * 2
    assert {d.message for d in found} == {
        f"`record` returns `PlaceOrderOutput`, action `{name}` returns `None`"
        for name in ("log_order", "log_visit")
    }


def test_reading_an_undeclared_input_slot(project: Path) -> None:
    write(
        project,
        "actions/orders.py",
        """
        def place_order(inputs: PlaceOrderInput, ctx: ActionContext) -> PlaceOrderOutput:
            print(inputs.size, inputs.topings, inputs.__class__)
            return PlaceOrderOutput(order_id="1", total=1.0)
        def check_stock(data, ctx) -> CheckStockOutput:
            return CheckStockOutput(in_stock=data.colour == "red")
        """,
    )
    found = check(pizza(), project)
    assert where(found) == [
        ("E0903", "actions/orders.py", 2, 24),
        ("E0903", "actions/orders.py", 5, 38),
    ]
    assert found[0].message == "action `place_order` has no input slot `topings`"
    assert found[0].hint == "did you mean `toppings`?"
    assert found[1].hint == "its input slots are `size`"


def test_output_construction_must_match_the_declared_outputs(project: Path) -> None:
    write(
        project,
        "actions/orders.py",
        """
        import actions._contracts as c
        def place_order(inputs, ctx) -> PlaceOrderOutput:
            return PlaceOrderOutput(order_id="1", totl=2.0)
        def check_stock(inputs, ctx) -> CheckStockOutput:
            return c.CheckStockOutput(True)
        def build(values) -> PlaceOrderOutput:
            return PlaceOrderOutput(**values)
        """,
    )
    found = check(pizza(), project)
    assert [(d.span.line, d.span.col, d.message) for d in found] == [
        (3, 12, "`PlaceOrderOutput(...)` misses output slot `total` of action `place_order`"),
        (3, 43, "action `place_order` has no output slot `totl`"),
        (5, 12, "`CheckStockOutput` takes keyword arguments only"),
    ]
    assert found[1].hint == "did you mean `total`?"


def test_slot_named_like_a_python_keyword(tmp_path: Path) -> None:
    action = Action(
        name="a",
        inputs=[param("class", t("text"))],
        implementation=python("actions/a.py", "a"),
    )
    assistant = Assistant(name="x", actions=[action])
    write_stubs(assistant, tmp_path)
    found = check(assistant, tmp_path)
    assert [(d.code, d.span) for d in found] == [("E0903", decl_span(0))]


WRITTEN_BY_THE_USER = {
    "actions/orders.py": """
        from actions._contracts import *
        def place_order(inputs: PlaceOrderInput, ctx: ActionContext) -> PlaceOrderOutput:
            guests = inputs.guests or 1
            return PlaceOrderOutput(order_id=str(inputs.phone), total=guests * 9.5)
        def check_stock(inputs: CheckStockInput, ctx: ActionContext) -> CheckStockOutput:
            return CheckStockOutput(in_stock=inputs.size != "extra large")
        """,
    "actions/audit.py": """
        from actions._contracts import *
        def record(inputs: LogOrderInput | LogVisitInput, ctx: ActionContext) -> None:
            ctx.send(str(inputs))
        """,
}


def changed(assistant: Assistant, name: str, **update: object) -> Assistant:
    actions = [a.model_copy(update=update) if a.name == name else a for a in assistant.actions]
    return assistant.model_copy(update={"actions": actions})


def test_a_changed_declaration_reports_exactly_the_broken_functions(project: Path) -> None:
    for relative, source in WRITTEN_BY_THE_USER.items():
        write(project, relative, source)
    before = pizza()
    assert check(before, project) == []
    place_order, check_stock = before.actions[0], before.actions[1]
    # place_order: input `phone` renamed to `mobile`; check_stock gains an input (nothing
    # breaks), its output is renamed; log_visit loses an input its function never reads.
    after = changed(
        before,
        "place_order",
        inputs=[*place_order.inputs[:3], param("mobile", t("entity", "phone"))],
    )
    after = changed(after, "check_stock", inputs=[*check_stock.inputs, param("guests", t("int"))])
    after = changed(after, "check_stock", outputs=[param("available", t("bool"))])
    after = changed(after, "log_visit", inputs=[param("visits", t("int"))])
    found = check(after, project)
    assert [(d.span.file, d.span.line, d.message) for d in found] == [
        ("actions/orders.py", 4, "action `place_order` has no input slot `phone`"),
        (
            "actions/orders.py",
            6,
            "`CheckStockOutput(...)` misses output slot `available` of action `check_stock`",
        ),
        ("actions/orders.py", 6, "action `check_stock` has no output slot `in_stock`"),
    ]
    assert found[0].hint == "its input slots are `guests`, `mobile`, `size`, `toppings`"


def test_an_action_that_gains_outputs_breaks_its_function(project: Path) -> None:
    for relative, source in WRITTEN_BY_THE_USER.items():
        write(project, relative, source)
    after = changed(pizza(), "log_visit", outputs=[param("visits", t("int"))])
    found = check(after, project)
    assert [(d.span.file, d.span.line, d.span.col) for d in found] == [("actions/audit.py", 2, 74)]
    assert found[0].message == (
        "`record` returns `None`, action `log_visit` returns `LogVisitOutput`"
    )


def test_shared_classes_follow_the_whole_action_set(tmp_path: Path) -> None:
    """Class names are decided over all actions together, as in the generated contracts,
    so `placeOrder` and `place_order` each expect their own class."""
    write_stubs(awkward(), tmp_path)
    source = (tmp_path / "actions" / "odd.py").read_text()
    wrong = source.replace("camel(inputs: PlaceOrderInput", "camel(inputs: PlaceOrder2Input")
    (tmp_path / "actions" / "odd.py").write_text(wrong)
    found = check(awkward(), tmp_path)
    assert [d.message for d in found] == [
        "`place_order_camel` takes `PlaceOrder2Input`, action `placeOrder` passes `PlaceOrderInput`"
    ]


def test_the_contracts_module_cannot_hold_an_action(tmp_path: Path) -> None:
    action = Action(name="a", implementation=python("actions/_contracts.py", "a"))
    assistant = Assistant(name="x", actions=[action])
    write_stubs(assistant, tmp_path)
    found = check(assistant, tmp_path)
    assert [(d.code, d.span) for d in found] == [("E0901", impl_span(0))]
    assert "is generated by assistc" in found[0].message


def test_unreadable_module_is_reported(project: Path) -> None:
    (project / "actions" / "audit.py").unlink()
    (project / "actions" / "audit.py").mkdir()
    found = check(pizza(), project)
    assert [d.code for d in found] == ["E0901", "E0901"]
    assert all("cannot be read" in d.message and d.hint is None for d in found)


CONTEXT_USES = """
    def place_order(inputs, context) -> PlaceOrderOutput:
        context.utter("utter_done", size=inputs.size)
        context.utter("utter_don")
        context.send("fine")
        size = context.slots["size"], context.slots.get("sise"), context.slots.get(name)
        return PlaceOrderOutput(order_id=context.slots["order"], total=1.0)
    def check_stock(inputs, ctx) -> CheckStockOutput:
        return CheckStockOutput(in_stock=ctx.slots.get("size") is not None)
    """


def test_context_uses_are_checked_against_responses_and_slots(project: Path) -> None:
    write(project, "actions/orders.py", CONTEXT_USES)
    found = check(pizza(), project, responses=["utter_done"], slots=["size", "order_id", "total"])
    assert [(d.code, d.span.line, d.span.col, d.message, d.hint) for d in found] == [
        ("E0104", 3, 19, "undefined response `utter_don`", "did you mean `utter_done`?"),
        ("E0103", 5, 53, "undefined slot `sise`", "did you mean `size`?"),
        ("E0103", 6, 52, "undefined slot `order`", None),
    ]


def test_context_uses_are_not_checked_without_names(project: Path) -> None:
    write(project, "actions/orders.py", CONTEXT_USES)
    assert check(pizza(), project) == []
