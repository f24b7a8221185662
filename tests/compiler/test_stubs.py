"""The generated action contracts and starting modules: typed, lint-clean, stable, and
never overwriting the user's code."""

from __future__ import annotations

import dataclasses
import importlib.util
import keyword
import random
import sys
import types
import typing
from pathlib import Path

import pytest
from golden import assert_golden, updating
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stub_samples import (
    GOLDEN,
    RUFF_RULES,
    SAMPLES,
    awkward,
    enum,
    param,
    pizza,
    python,
    remote_only,
    run_mypy,
    run_ruff,
    t,
)

from assistc.compiler.pycheck import ActionBinding, check_action_bindings
from assistc.compiler.stubs import (
    CONTRACTS_PATH,
    StubError,
    class_bases,
    generate_contracts,
    generate_user_module,
    python_string,
    write_stubs,
)
from assistc.dsl.ast import Span
from assistc.runtime.dialogue.actions import PythonActionExecutor
from assistc.runtime.dialogue.events import SlotSet
from assistc.runtime.dialogue.responses import ResponseRenderer
from assistc.runtime.dialogue.slots import coerce_value
from assistc.runtime.dialogue.tracker import Tracker
from assistc.runtime.ir import Action, Assistant


def generated_files(assistant: Assistant, project: Path) -> dict[str, str]:
    write_stubs(assistant, project)
    return {
        path.relative_to(project).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(project.rglob("*.py"))
    }


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One generated project per sample, shared by the slow tool runs."""
    root = tmp_path_factory.mktemp("stubs")
    folders = {}
    for name, sample in SAMPLES.items():
        folders[name] = root / name
        write_stubs(sample(), folders[name])
    return folders


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_generated_code_matches_golden_files(sample: str, tmp_path: Path) -> None:
    files = generated_files(SAMPLES[sample](), tmp_path)
    folder = GOLDEN / sample
    golden = {p.relative_to(folder).as_posix() for p in folder.rglob("*.golden")}
    assert updating() or golden == {name + ".golden" for name in files}
    for relative, text in files.items():
        assert_golden(folder / (relative + ".golden"), text)


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_generated_code_passes_mypy_strict(
    sample: str, projects: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> None:
    project = projects[sample]
    files = sorted(p.relative_to(project).as_posix() for p in project.rglob("*.py"))
    result = run_mypy(project, files, tmp_path_factory.getbasetemp() / "tools")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_generated_code_passes_ruff(sample: str, projects: dict[str, Path]) -> None:
    # Names longer than a line cannot be wrapped, so the awkward sample may exceed it.
    width = ["--line-length=88"] + (["--extend-ignore=E501"] if sample == "awkward" else [])
    checked = run_ruff(projects[sample], "check", RUFF_RULES, *width, ".")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    formatted = run_ruff(projects[sample], "format", "--check", "--diff", ".")
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr


def test_contracts_give_user_code_real_types(
    projects: dict[str, Path], tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    """A correct implementation type-checks; reading an undeclared slot, returning a
    wrong type or an enum value outside the members does not."""
    project = tmp_path / "pizza"
    write_stubs(pizza(), project)
    good = project / "actions" / "orders.py"
    good.write_text(
        "from actions._contracts import (\n"
        "    ActionContext, CheckStockInput, CheckStockOutput, PlaceOrderHandler,\n"
        "    PlaceOrderInput, PlaceOrderOutput, Size,\n)\n\n"
        "def place_order(inputs: PlaceOrderInput, ctx: ActionContext) -> PlaceOrderOutput:\n"
        "    size: Size = inputs.size or 'small'\n"
        "    ctx.utter('utter_ok', size=size)\n"
        "    return PlaceOrderOutput(order_id=str(len(inputs.toppings or [])), total=1.5)\n\n"
        "def check_stock(inputs: CheckStockInput, ctx: ActionContext) -> CheckStockOutput:\n"
        "    return CheckStockOutput(in_stock=inputs.size != 'extra large')\n\n"
        "_CHECK: PlaceOrderHandler = place_order\n"
    )
    tools = tmp_path_factory.getbasetemp() / "tools"
    result = run_mypy(project, ["actions"], tools)
    assert result.returncode == 0, result.stdout
    bad = project / "actions" / "bad.py"
    bad.write_text(
        "from actions._contracts import ActionContext, PlaceOrderInput, PlaceOrderOutput, Size\n\n"
        "def place_order(inputs: PlaceOrderInput, ctx: ActionContext) -> PlaceOrderOutput:\n"
        "    print(inputs.colour)\n"
        "    wrong: Size = 'huge'\n"
        "    return PlaceOrderOutput(order_id=1, total=2.0)\n"
    )
    result = run_mypy(project, ["actions"], tools)
    assert result.returncode == 1
    errors = [line for line in result.stdout.splitlines() if "error:" in line]
    assert [line.split(":")[1] for line in errors] == ["4", "5", "6"], result.stdout


def load_contracts(project: Path) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location("contracts_under_test", project / CONTRACTS_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def test_contracts_follow_the_runtime_calling_convention(projects: dict[str, Path]) -> None:
    """Fields are the slot names (the runtime calls `XInput(**slots)` and reads outputs
    with `dataclasses.fields`), inputs default to None and outputs are required."""
    for sample in SAMPLES.values():
        assistant = sample()
        contracts = load_contracts(projects[assistant.name])
        python_actions = [a for a in assistant.actions if a.implementation.kind == "python"]
        assert sorted(contracts.INPUT_TYPES) == sorted(a.name for a in python_actions)
        with_outputs = sorted(a.name for a in python_actions if a.outputs)
        assert sorted(contracts.OUTPUT_TYPES) == with_outputs
        for action in python_actions:
            input_class = contracts.INPUT_TYPES[action.name]
            slots = [p.slot for p in action.inputs]
            assert [f.name for f in dataclasses.fields(input_class)] == slots
            empty = input_class()
            assert all(getattr(empty, slot) is None for slot in slots)
            with pytest.raises(dataclasses.FrozenInstanceError):
                setattr(empty, "x", 1)  # noqa: B010 - the attribute is dynamic on purpose
            if action.outputs:
                output_class = contracts.OUTPUT_TYPES[action.name]
                assert [f.name for f in dataclasses.fields(output_class)] == [
                    p.slot for p in action.outputs
                ]
                with pytest.raises(TypeError):
                    output_class()


def test_enum_aliases_list_the_members_in_order(projects: dict[str, Path]) -> None:
    contracts = load_contracts(projects["awkward"])
    assert typing.get_args(contracts.Quote) == ('say "hi"', "back\\slash", "tab\tbed")
    assert typing.get_args(contracts.NoneValue) == ("yes", "no")
    assert len(typing.get_args(contracts.Colour)) == 12


def test_output_is_the_same_whatever_the_declaration_order() -> None:
    for sample in SAMPLES.values():
        assistant = sample()
        shuffled = list(assistant.actions)
        random.Random(7).shuffle(shuffled)
        other = assistant.model_copy(update={"actions": shuffled[::-1]})
        assert generate_contracts(other) == generate_contracts(assistant)
        for action in assistant.actions:
            if action.implementation.kind == "python":
                path = action.implementation.path
                assert generate_user_module(other, path) == generate_user_module(assistant, path)


def test_class_names_stay_distinct_when_action_names_collide() -> None:
    bases = class_bases(["place_order", "placeOrder", "Place_Order", "placeOrder2", "_1"])
    assert len(set(bases.values())) == 5
    assert bases["Place_Order"] == "PlaceOrder"  # first in sorted order keeps the plain name
    assert bases["placeOrder2"] == "PlaceOrder2"  # a plain name is never taken by a number
    assert bases["_1"] == "Action1"
    assert all(base[0].isalpha() for base in bases.values())


@pytest.mark.parametrize("text", ['say "hi"', "it's", "both ' and \"", "a\\b\n\t\x01", "é ü"])
def test_python_string_round_trips(text: str) -> None:
    assert eval(python_string(text)) == text


def test_user_module_is_never_overwritten(tmp_path: Path) -> None:
    first = write_stubs(pizza(), tmp_path)
    assert first.created == ("actions/__init__.py", "actions/audit.py", "actions/orders.py")
    mine = "# my own code\n"
    (tmp_path / "actions" / "orders.py").write_text(mine)
    (tmp_path / "actions" / "__init__.py").write_text(mine)
    changed = pizza().model_copy(update={"actions": pizza().actions[:1]})
    again = write_stubs(changed, tmp_path)
    assert again.created == ()
    assert again.kept == ("actions/orders.py",)
    assert (tmp_path / "actions" / "orders.py").read_text() == mine
    assert (tmp_path / "actions" / "__init__.py").read_text() == mine


def test_contracts_are_rewritten_only_when_they_change(tmp_path: Path) -> None:
    assert write_stubs(pizza(), tmp_path).contracts_changed
    contracts = tmp_path / CONTRACTS_PATH
    contracts.write_text("# stale hand edit\n")
    assert write_stubs(pizza(), tmp_path).contracts_changed
    assert contracts.read_text() == generate_contracts(pizza())
    stamp = contracts.stat().st_mtime_ns
    assert not write_stubs(pizza(), tmp_path).contracts_changed
    assert contracts.stat().st_mtime_ns == stamp
    leftovers = [p.name for p in contracts.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []
    assert contracts.stat().st_mode & 0o777 == 0o644  # not the temporary file's 0600


def test_nothing_is_written_without_python_actions(tmp_path: Path) -> None:
    report = write_stubs(remote_only(), tmp_path)
    assert report.contracts is None and report.created == ()
    assert list(tmp_path.iterdir()) == []


def test_contracts_written_before_stay_up_to_date_without_python_actions(tmp_path: Path) -> None:
    write_stubs(pizza(), tmp_path)
    report = write_stubs(remote_only(), tmp_path)
    assert report.contracts_changed
    assert "INPUT_TYPES: dict[str, type] = {}\n" in (tmp_path / CONTRACTS_PATH).read_text()


def test_files_outside_the_project_are_never_created(tmp_path: Path) -> None:
    project = tmp_path / "project"
    escape = Action(name="escape", implementation=python("../outside.py", "escape"))
    absolute = Action(name="absolute", implementation=python(str(tmp_path / "abs.py"), "a"))
    report = write_stubs(Assistant(name="x", actions=[escape, absolute]), project)
    assert report.created == ("actions/__init__.py",)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project"]


def test_unwritable_project_gives_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "actions").write_text("a file where the folder should be")
    with pytest.raises(StubError, match="cannot write"):
        write_stubs(awkward(), tmp_path)


RAW_VALUES: dict[str, list[object]] = {
    "size": ["extra large", "small"],
    "toppings": [["olives", "ham"]],
    "guests": ["3", 3, 2.5],
    "phone": ["555 0100"],
    "visits": ["4", 4.0],
    "extra": [{"any": "thing"}],
    "rank": ["2", 2],
    "sizes": [["small", "medium"]],
}
"""Values as entities and messages deliver them, per input slot of the pizza sample."""


def conforms(value: object, annotation: object) -> bool:
    """Whether `value` is an instance of a contracts annotation (the shapes they use)."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Literal:
        return value in args
    if origin in (types.UnionType, typing.Union):
        return any(conforms(value, arg) for arg in args)
    if origin is list:
        return isinstance(value, list) and all(conforms(v, args[0]) for v in value)
    if annotation is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    return annotation is object or isinstance(value, annotation)  # type: ignore[arg-type]


def test_contract_types_agree_with_the_runtimes_slot_values(projects: dict[str, Path]) -> None:
    assistant = pizza()
    contracts = load_contracts(projects["pizza"])
    entities = {e.name: e for e in assistant.entities}
    wrong = []
    for action in assistant.actions:
        if action.name not in contracts.INPUT_TYPES:
            continue
        hints = typing.get_type_hints(contracts.INPUT_TYPES[action.name])
        for given_param in action.inputs:
            slot = given_param.slot
            for raw in RAW_VALUES[slot]:
                value = coerce_value(raw, given_param.type, entities)
                if not conforms(value, hints[slot]):
                    wrong.append((action.name, slot, raw, value, hints[slot]))
    assert wrong == []


def test_the_runtime_runs_an_action_written_against_the_contracts(tmp_path: Path) -> None:
    """End to end with the real executor: the user's function receives the generated
    Input class and its Output becomes SlotSet events."""
    assistant = pizza()
    write_stubs(assistant, tmp_path)
    (tmp_path / "actions" / "orders.py").write_text(
        "from actions._contracts import ActionContext, PlaceOrderInput, PlaceOrderOutput\n\n"
        "def place_order(inputs: PlaceOrderInput, ctx: ActionContext) -> PlaceOrderOutput:\n"
        "    ctx.send(f'{type(inputs).__name__} {inputs.size} {inputs.toppings}')\n"
        "    return PlaceOrderOutput(order_id='PZ1', total=12.5)\n"
    )
    tracker = Tracker(
        "u", [SlotSet(name="size", value="small"), SlotSet(name="toppings", value=["ham"])]
    )
    action = next(a for a in assistant.actions if a.name == "place_order")
    result = PythonActionExecutor(tmp_path).run(
        action, tracker, assistant, ResponseRenderer(assistant)
    )
    assert [m.text for m in result.messages] == ["PlaceOrderInput small ['ham']"]
    assert {(e.name, e.value) for e in result.events if isinstance(e, SlotSet)} == {
        ("order_id", "PZ1"),
        ("total", 12.5),
    }


IDENTIFIER = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True)
SLOT_NAME = IDENTIFIER.filter(lambda name: not keyword.iskeyword(name) and name[:2] != "__")
"""Names the static check accepts for action slots (keywords and `__x` it reports)."""


@st.composite
def assistants(draw: st.DrawFn) -> Assistant:
    """Assistants with arbitrary identifiers: colliding, shadowing, keyword-like names."""
    enums = draw(st.lists(IDENTIFIER, max_size=4, unique=True))
    members = st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=4, unique=True)
    entities = [enum(name, *draw(members)) for name in enums]
    kinds = ["text", "bool", "int", "float", "any"]
    slot_types = st.sampled_from([t(k) for k in kinds] + [t("entity", e) for e in enums])
    types_ = st.one_of(slot_types, slot_types.map(lambda item: t("list", item=item)))
    params = st.lists(st.tuples(SLOT_NAME, types_), max_size=4, unique_by=lambda p: p[0])
    names = draw(st.lists(IDENTIFIER, min_size=1, max_size=5, unique=True))
    actions = [
        Action(
            name=name,
            inputs=[param(s, st_) for s, st_ in draw(params)],
            outputs=[param(s, st_) for s, st_ in draw(params)],
            implementation=python(f"actions/m{draw(st.integers(0, 2))}.py", name),
        )
        for name in names
    ]
    return Assistant(name="generated", entities=entities, actions=actions)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(assistant=assistants())
def test_any_assistant_gives_working_contracts(assistant: Assistant, tmp_path: Path) -> None:
    """Whatever the names, the contracts run, keep one distinct class per action with the
    slot names as fields, and the generated stubs pass the static check."""
    project = tmp_path / str(abs(hash(assistant.to_json())))
    write_stubs(assistant, project)
    contracts = load_contracts(project)
    assert sorted(contracts.INPUT_TYPES) == sorted(a.name for a in assistant.actions)
    classes = [*contracts.INPUT_TYPES.values(), *contracts.OUTPUT_TYPES.values()]
    assert len(set(classes)) == len(classes)
    for action in assistant.actions:
        fields = [f.name for f in dataclasses.fields(contracts.INPUT_TYPES[action.name])]
        assert fields == [p.slot for p in action.inputs]
        typing.get_type_hints(contracts.INPUT_TYPES[action.name])  # annotations resolve
        if action.outputs:
            typing.get_type_hints(contracts.OUTPUT_TYPES[action.name])
    for module in sorted((project / "actions").glob("m*.py")):
        compile(module.read_text(), str(module), "exec")
    span = Span("x.assist", 1, 1, 1, 2)
    bindings = [ActionBinding.from_action(a, span) for a in assistant.actions]
    assert check_action_bindings([b for b in bindings if b], project) == []


def test_odd_assistant_names_and_undecodable_contracts_are_handled(tmp_path: Path) -> None:
    assistant = pizza().model_copy(update={"name": "two\nlines"})
    contracts = tmp_path / CONTRACTS_PATH
    contracts.parent.mkdir()
    contracts.write_bytes(b"\xff\xfe not utf-8")
    assert write_stubs(assistant, tmp_path).contracts_changed
    compile(contracts.read_text(encoding="utf-8"), str(contracts), "exec")


def test_a_module_outside_actions_also_receives_its_input_class(tmp_path: Path) -> None:
    assistant = awkward()
    write_stubs(assistant, tmp_path)
    action = next(a for a in assistant.actions if a.name.startswith("reserve_a_table"))
    (tmp_path / "handlers" / "tables.py").write_text(
        f"def {action.name}(inputs, ctx):\n"
        "    ctx.send(type(inputs).__name__)\n"
        "    return {'booking_reference_number': 'B1'}\n"
    )
    result = PythonActionExecutor(tmp_path).run(
        action, Tracker("u"), assistant, ResponseRenderer(assistant)
    )
    expected = "ReserveATableForALargePartyWithSpecialRequirementsPleaseInput"
    assert [m.text for m in result.messages] == [expected]
