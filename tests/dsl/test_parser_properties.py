"""Property tests of the parser and the formatter.

Random programs covering every construct are built twice from the same choices: once in
the canonical layout (the formatter's documented output) and once messy (random spacing,
indentation widths, tabs, blank lines, CRLF, alternative string escapes and number
spellings, split bracket lists). Then: both parse without diagnostics to the same AST
(ignoring spans); formatting the messy text gives exactly the canonical text; formatting
is idempotent; every comment survives. And mutated real files (lines deleted, cut short,
odd characters inserted) never make the parser or the formatter raise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistc.dsl.diagnostics import CODES
from assistc.dsl.formatter import format_source, format_text, without_spans
from assistc.dsl.parser import parse_module

KEYWORDS = frozenset(
    "use config entity enum lookup regex builtin text roles slot from intent in phrase "  # noqa: SIM905
    "generate response button image if and not form ask min max matches one of invalid "
    "then action python function remote story rule when conversation starts active user "
    "bot run include test as true false null payload only".split()
)
Draw = st.DrawFn


@dataclass
class Atom:
    """One token as the canonical layout writes it and as the messy one does."""

    canonical: str
    messy: str
    space: bool
    """Whether the canonical layout puts a space before it."""
    messy_space: str


@dataclass
class Line:
    depth: int
    atoms: list[Atom]
    comment: str | None = None
    comments_above: list[str] = field(default_factory=list)
    blank_before: bool = False
    split_at: list[int] = field(default_factory=list)
    """Messy only: atom indices before which the line breaks (inside brackets)."""


@dataclass
class Definition:
    kind: str
    lines: list[Line]
    comments_above: list[str] = field(default_factory=list)
    gap: bool = True
    """A blank line before it; only optional between groupable definitions."""


# --------------------------------------------------------------------------- atoms


@st.composite
def _messy_space(draw: Draw, space: bool) -> str:
    if space:
        return draw(st.sampled_from([" ", "  ", "\t", " \f "]))
    return draw(st.sampled_from(["", "", " ", "\t"]))


def atom(draw: Draw, text: str, space: bool = True, messy: str | None = None) -> Atom:
    return Atom(text, text if messy is None else messy, space, draw(_messy_space(space)))


NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True).filter(lambda n: n not in KEYWORDS)

STRING_PIECES: list[tuple[str, str, list[str]]] = [
    # value, canonical literal, other ways to write it
    ("a", "a", []),
    ("pizza", "pizza", []),
    (" ", " ", []),
    ("{size}", "{size}", []),
    ("(a|b)", "(a|b)", []),
    ("[x](e)", "[x](e)", []),
    ("#", "#", []),
    (":", ":", []),
    ("é", "é", []),
    ('"', '\\"', []),
    ("\t", "\\t", ["\t"]),
    ("\n", "\\n", []),
    ("\\d", "\\d", ["\\\\d"]),
    ("\\n", "\\\\n", []),
    ("\\\\x", "\\\\\\x", ["\\\\\\\\x"]),
]


@st.composite
def string_atom(draw: Draw, space: bool = True) -> Atom:
    pieces = draw(st.lists(st.sampled_from(STRING_PIECES), max_size=3))
    canonical = "".join(c for _, c, _ in pieces)
    messy = "".join(draw(st.sampled_from([c, *others])) for _, c, others in pieces)
    return atom(draw, f'"{canonical}"', space, f'"{messy}"')


@st.composite
def name_atom(draw: Draw, space: bool = True) -> Atom:
    return atom(draw, draw(NAMES), space)


@st.composite
def number_atom(draw: Draw, space: bool = True) -> Atom:
    value = draw(st.integers(-99, 999))
    zeros = "0" * draw(st.integers(0, 2))
    sign = "-" if value < 0 else ""
    if draw(st.booleans()):
        return atom(draw, str(value), space, f"{sign}{zeros}{abs(value)}")
    fraction = draw(st.sampled_from(["5", "25", "0"]))
    text = f"{value}.{fraction}"
    return atom(draw, text, space, f"{sign}{zeros}{abs(value)}.{fraction}{zeros}")


def punct(draw: Draw, text: str, space: bool) -> Atom:
    return atom(draw, text, space)


@st.composite
def value_atoms(draw: Draw, space: bool = True, nested: bool = True) -> list[Atom]:
    kind = draw(st.sampled_from(["string", "number", "bool", "null", "name", "list"]))
    if kind == "string":
        return [draw(string_atom(space))]
    if kind == "number":
        return [draw(number_atom(space))]
    if kind == "bool":
        return [atom(draw, draw(st.sampled_from(["true", "false"])), space)]
    if kind == "null":
        return [atom(draw, "null", space)]
    if kind == "name" or not nested:
        return [draw(name_atom(space))]
    items = draw(st.lists(value_atoms(nested=False), max_size=3))
    out = [punct(draw, "[", space)]
    for index, item in enumerate(items):
        if index:
            out.append(punct(draw, ",", False))
        item[0].space = index > 0
        out.extend(item)
    out.append(punct(draw, "]", False))
    return out


def words(draw: Draw, *texts: str) -> list[Atom]:
    return [atom(draw, text, index > 0) for index, text in enumerate(texts)]


@st.composite
def type_atoms(draw: Draw) -> list[Atom]:
    base = draw(st.sampled_from(["text", "bool", "int", "float", "any", None]))
    name = atom(draw, base or draw(NAMES))
    if draw(st.booleans()):
        return [name]
    return [
        atom(draw, "list"),
        punct(draw, "[", False),
        atom(draw, name.canonical, False),
        punct(draw, "]", False),
    ]


@st.composite
def title_atom(draw: Draw) -> Atom:
    first = draw(st.from_regex(r"[A-Za-z0-9_]", fullmatch=True))
    rest = draw(st.from_regex(r"[a-z0-9 ,'\"()\-]{0,20}", fullmatch=True)).rstrip()
    return atom(draw, first + rest)


# --------------------------------------------------------------------------- lines


@st.composite
def condition_atoms(draw: Draw) -> list[Atom]:
    out: list[Atom] = []
    for index in range(draw(st.integers(1, 3))):
        if index:
            out.append(atom(draw, "and"))
        form = draw(st.sampled_from(["set", "unset", "compare"]))
        if form == "unset":
            out.append(atom(draw, "not"))
        out.append(draw(name_atom()))
        if form == "compare":
            out.append(punct(draw, draw(st.sampled_from(["==", "!=", "<", "<=", ">", ">="])), True))
            out.extend(draw(value_atoms(nested=False)))
    return out


@st.composite
def user_intent_atoms(draw: Draw, space: bool = True, max_args: int = 2) -> list[Atom]:
    out = [draw(name_atom(space))]
    args = draw(st.lists(st.tuples(NAMES, st.none() | NAMES), max_size=max_args))
    if not args and draw(st.booleans()):
        return out
    out.append(punct(draw, "(", False))
    for index, (entity, role) in enumerate(args):
        if index:
            out.append(punct(draw, ",", False))
        out.append(atom(draw, entity, index > 0))
        if role is not None:
            out += [punct(draw, ":", False), atom(draw, role, False)]
        out.append(punct(draw, "=", False))
        out.extend(draw(value_atoms(space=False, nested=False)))
    out.append(punct(draw, ")", False))
    return out


def line(depth: int, atoms: list[Atom]) -> Line:
    return Line(depth, atoms)


@st.composite
def use_def(draw: Draw) -> Definition:
    parts = draw(st.lists(NAMES, min_size=1, max_size=3))
    atoms = [atom(draw, "use"), atom(draw, parts[0])]
    for part in parts[1:]:
        atoms += [punct(draw, ".", False), atom(draw, part, False)]
    return Definition("use", [line(0, atoms)])


@st.composite
def config_def(draw: Draw) -> Definition:
    keys = draw(st.lists(NAMES, min_size=1, max_size=3))
    body = [
        line(1, [atom(draw, k, False), punct(draw, "=", True), *draw(value_atoms())]) for k in keys
    ]
    return Definition("config", [line(0, [atom(draw, "config"), punct(draw, ":", False)]), *body])


@st.composite
def entity_def(draw: Draw) -> Definition:
    kind = draw(st.sampled_from(["enum", "lookup", "regex", "builtin", "text"]))
    head = [*words(draw, "entity"), draw(name_atom()), punct(draw, ":", False), atom(draw, kind)]
    if kind in ("lookup", "regex"):
        head.append(draw(string_atom()))
    elif kind == "builtin":
        head.append(draw(name_atom()))
    body: list[Line] = []
    if kind == "enum":
        for _ in range(draw(st.integers(1, 3))):
            member = draw(string_atom(False) if draw(st.booleans()) else name_atom(False))
            atoms = [member]
            synonyms = draw(st.lists(string_atom(), max_size=2))
            if synonyms:
                atoms.append(punct(draw, "=", True))
                for index, synonym in enumerate(synonyms):
                    if index:
                        atoms.append(punct(draw, ",", False))
                    atoms.append(synonym)
            body.append(line(1, atoms))
    if draw(st.booleans()):
        roles = draw(st.lists(NAMES, min_size=1, max_size=3))
        atoms = [atom(draw, "roles", False), atom(draw, roles[0])]
        for role in roles[1:]:
            atoms += [punct(draw, ",", False), atom(draw, role)]
        body.append(line(1, atoms))
    return Definition("entity", [line(0, head), *body])


@st.composite
def slot_def(draw: Draw) -> Definition:
    head = [
        atom(draw, "slot", False),
        draw(name_atom()),
        punct(draw, ":", False),
        *draw(type_atoms()),
    ]
    if draw(st.booleans()):
        head += [punct(draw, "=", True), *draw(value_atoms())]
    body: list[Line] = []
    for _ in range(draw(st.integers(0, 3))):
        form = draw(st.sampled_from(["entity", "intent", "text"]))
        atoms = words(draw, "from", form)
        if form == "entity":
            atoms.append(draw(name_atom()))
            if draw(st.booleans()):
                atoms += [punct(draw, ":", False), draw(name_atom(False))]
        elif form == "intent":
            atoms += [draw(name_atom()), punct(draw, "=", True), *draw(value_atoms())]
        elif draw(st.booleans()):
            atoms += [atom(draw, "in"), draw(name_atom())]
        body.append(line(1, atoms))
    return Definition("slot", [line(0, head), *body])


@st.composite
def phrase_def(draw: Draw) -> Definition:
    atoms = [atom(draw, "phrase", False), draw(name_atom()), punct(draw, "=", True)]
    for index in range(draw(st.integers(1, 3))):
        if index:
            atoms.append(punct(draw, "|", True))
        atoms.append(draw(string_atom()))
    return Definition("phrase", [line(0, atoms)])


@st.composite
def intent_def(draw: Draw) -> Definition:
    head = [atom(draw, "intent", False), draw(name_atom()), punct(draw, ":", False)]
    if draw(st.integers(0, 4)) == 0:  # `intent x: payload only`, one line and no body
        only = [atom(draw, "payload"), atom(draw, "only")]
        return Definition("intent", [line(0, [*head, *only])])
    body = [line(1, [draw(string_atom(False))]) for _ in range(draw(st.integers(1, 4)))]
    if draw(st.booleans()):
        body.append(
            line(1, [atom(draw, "generate", False), atom(draw, str(draw(st.integers(1, 500))))])
        )
    return Definition("intent", [line(0, head), *body])


@st.composite
def response_def(draw: Draw) -> Definition:
    body: list[Line] = []
    for _ in range(draw(st.integers(1, 3))):
        atoms = [draw(string_atom(False))]
        if draw(st.booleans()):
            atoms += [atom(draw, "if"), *draw(condition_atoms())]
        body.append(line(1, atoms))
        for _ in range(draw(st.integers(0, 2))):
            body.append(
                line(
                    2,
                    [
                        atom(draw, "button", False),
                        draw(string_atom()),
                        punct(draw, "->", True),
                        *draw(user_intent_atoms(max_args=1)),
                    ],
                )
            )
        if draw(st.booleans()):
            body.append(line(2, [atom(draw, "image", False), draw(string_atom())]))
    head = [atom(draw, "response", False), draw(name_atom()), punct(draw, ":", False)]
    return Definition("response", [line(0, head), *body])


@st.composite
def form_def(draw: Draw) -> Definition:
    body: list[Line] = []
    for _ in range(draw(st.integers(1, 3))):
        atoms = [atom(draw, "ask", False), draw(name_atom())]
        prompt = draw(st.sampled_from(["string", "name", None]))
        if prompt == "string":
            atoms.append(draw(string_atom()))
        elif prompt == "name":
            atoms.append(draw(name_atom()))
        body.append(line(1, atoms))
        for _ in range(draw(st.integers(0, 3))):
            kind = draw(st.sampled_from(["min", "max", "matches", "one of", "invalid"]))
            constraint = words(draw, *kind.split())
            if kind in ("min", "max"):
                constraint.append(draw(number_atom()))
            elif kind == "matches":
                constraint.append(draw(string_atom()))
            elif kind == "invalid":
                constraint.append(draw(string_atom() if draw(st.booleans()) else name_atom()))
            else:
                count = draw(st.integers(1, 3))
                for index in range(count):
                    if index:
                        constraint.append(punct(draw, ",", False))
                    constraint.extend(draw(value_atoms(nested=count == 1)))
            body.append(line(2, constraint))
    for _ in range(draw(st.integers(0, 2))):
        body.append(line(1, [atom(draw, "then", False), draw(name_atom())]))
    head = [atom(draw, "form", False), draw(name_atom()), punct(draw, ":", False)]
    return Definition("form", [line(0, head), *body])


@st.composite
def params(draw: Draw, max_size: int) -> tuple[list[Atom], list[int]]:
    """`(a: T, b: T)`; the atoms and where the messy layout may break lines."""
    out = [punct(draw, "(", False)]
    breaks: list[int] = []
    for index in range(draw(st.integers(0, max_size))):
        if index:
            out.append(punct(draw, ",", False))
        breaks.append(len(out))
        out += [atom(draw, draw(NAMES), index > 0), punct(draw, ":", False), *draw(type_atoms())]
    trailing_comma = draw(st.booleans())
    if breaks and trailing_comma:
        out.append(atom(draw, "", False, ","))  # dropped by the formatter
    breaks.append(len(out))
    out.append(punct(draw, ")", False))
    return out, breaks


@st.composite
def action_def(draw: Draw) -> Definition:
    head = [atom(draw, "action", False), draw(name_atom())]
    inputs, breaks = draw(params(2))
    split = [len(head) + b for b in breaks] if draw(st.booleans()) else []
    head += inputs
    if draw(st.booleans()):
        outputs, _ = draw(params(1))
        head += [punct(draw, "->", True), *outputs]
        head[-len(outputs)].space = True
    head.append(punct(draw, ":", False))
    if draw(st.booleans()):
        impl = [atom(draw, "python", False), draw(string_atom())]
        if draw(st.booleans()):
            impl += [atom(draw, "function"), draw(name_atom())]
    else:
        impl = [atom(draw, "remote", False), draw(string_atom())]
    header = line(0, head)
    header.split_at = split
    return Definition("action", [header, line(1, impl)])


@st.composite
def step_line(draw: Draw, titles: list[str]) -> Line:
    kind = draw(st.sampled_from(["user", "bot", "run", "form", "slot", "include"]))
    atoms = [atom(draw, kind, False)]
    if kind == "user":
        alternatives = draw(st.integers(1, 2))
        for index in range(alternatives):
            if index:
                atoms.append(punct(draw, "|", True))
            atoms.extend(draw(user_intent_atoms(max_args=3 - alternatives)))
    elif kind == "slot":
        atoms += [draw(name_atom()), punct(draw, "=", True), *draw(value_atoms())]
    elif kind == "include":
        atoms.append(
            draw(title_atom()) if not titles else atom(draw, draw(st.sampled_from(titles)))
        )
    else:
        atoms.append(draw(name_atom()))
    return line(1, atoms)


@st.composite
def story_def(draw: Draw, keyword: str = "story") -> Definition:
    head = [atom(draw, keyword, False), draw(title_atom()), punct(draw, ":", False)]
    body: list[Line] = []
    if keyword == "rule":
        if draw(st.booleans()):
            body.append(line(1, words(draw, "when", "conversation", "starts")))
        if draw(st.booleans()):
            body.append(
                line(1, [*words(draw, "when", "form"), draw(name_atom()), atom(draw, "active")])
            )
        if draw(st.booleans()):
            body.append(line(1, [atom(draw, "when", False), *draw(condition_atoms())]))
    body += draw(st.lists(step_line([]), min_size=1, max_size=4))
    return Definition(keyword, [line(0, head), *body])


@st.composite
def conversation_test_def(draw: Draw) -> Definition:
    head = [atom(draw, "test", False), draw(title_atom()), punct(draw, ":", False)]
    body: list[Line] = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["user", "bot", "run", "slot"]))
        atoms = [atom(draw, kind, False)]
        if kind == "user":
            atoms.append(draw(string_atom()))
            if draw(st.booleans()):
                atoms += [atom(draw, "as"), draw(name_atom())]
        elif kind == "bot":
            atoms.append(draw(string_atom() if draw(st.booleans()) else name_atom()))
        elif kind == "run":
            atoms.append(draw(name_atom()))
        else:
            atoms += [draw(name_atom()), punct(draw, "=", True), *draw(value_atoms())]
        body.append(line(1, atoms))
    return Definition("test", [line(0, head), *body])


DEFINITIONS: dict[str, st.SearchStrategy[Definition]] = {
    "use": use_def(),
    "config": config_def(),
    "entity": entity_def(),
    "slot": slot_def(),
    "phrase": phrase_def(),
    "intent": intent_def(),
    "response": response_def(),
    "form": form_def(),
    "action": action_def(),
    "story": story_def(),
    "rule": story_def("rule"),
    "test": conversation_test_def(),
}
GROUPABLE = {"use", "phrase", "entity", "slot"}
COMMENT_WORDS = ["note", "x: y", '"q" (a|b)', "#", "\tafter a tab"]


@dataclass
class Program:
    canonical: str
    messy: str
    comments: list[str]


@st.composite
def programs(draw: Draw, main: str) -> Program:
    """A program around definitions of kind `main`, often several in a row (grouping)."""
    kinds = [main]
    for _ in range(draw(st.integers(0, 5))):
        kinds.append(main if draw(st.booleans()) else draw(st.sampled_from(sorted(DEFINITIONS))))
    definitions = [draw(DEFINITIONS[kind]) for kind in kinds]
    comments: list[str] = []

    def new_comment() -> str:
        words = draw(st.sampled_from(COMMENT_WORDS))
        comments.append(f"#~{len(comments)}~ {words}")
        return comments[-1]

    for index, definition in enumerate(definitions):
        previous = definitions[index - 1].kind if index else None
        if definition.kind == previous and definition.kind in GROUPABLE:
            definition.gap = draw(st.booleans())
        if draw(st.integers(0, 3)) == 0:
            definition.comments_above.append(new_comment())
        for number, item in enumerate(definition.lines):
            if draw(st.integers(0, 3)) == 0:
                item.comment = new_comment()
            if number and draw(st.integers(0, 4)) == 0:
                item.comments_above.append(new_comment())
            deeper = number and item.depth > definition.lines[number - 1].depth
            item.blank_before = bool(number > 1 and not deeper and draw(st.integers(0, 5)) == 0)
    return Program(_canonical(definitions), draw(_messy(definitions)), comments)


def _canonical_line(item: Line) -> str:
    text = "".join((" " if a.space else "") + a.canonical for a in item.atoms).strip()
    return "  " * item.depth + text + (f"  {item.comment}" if item.comment else "")


def _canonical(definitions: list[Definition]) -> str:
    out: list[str] = []
    for index, definition in enumerate(definitions):
        if index and definition.gap:
            out.append("")
        out += definition.comments_above
        for item in definition.lines:
            if item.blank_before:
                out.append("")
            out += ["  " * item.depth + c for c in item.comments_above]
            out.append(_canonical_line(item))
    return "\n".join(out) + "\n"


@st.composite
def _messy(draw: Draw, definitions: list[Definition]) -> str:
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    blank = st.sampled_from(["", " ", "\t", "  \t"])
    out: list[str] = []
    for index, definition in enumerate(definitions):
        if index and definition.gap:
            out += draw(st.lists(blank, min_size=1, max_size=3))
        out += definition.comments_above
        units = draw(st.lists(st.sampled_from([" ", "  ", "    ", "\t"]), min_size=2, max_size=2))
        indents = ["", units[0], units[0] + units[1]]
        for item in definition.lines:
            if item.blank_before:
                out += draw(st.lists(blank, min_size=1, max_size=2))
            for comment in item.comments_above:
                out.append(draw(st.sampled_from(["", indents[item.depth]])) + comment)
            text = ""
            for position, piece in enumerate(item.atoms):
                if position in item.split_at:
                    text += newline + draw(st.sampled_from(["", " ", "      "]))
                text += piece.messy_space + piece.messy
            trail = draw(st.sampled_from(["", " ", "\t "]))
            if item.comment:
                trail = draw(st.sampled_from(["", " ", "\t"])) + item.comment + trail
            out.append(indents[item.depth] + text.lstrip(" \t\f") + trail)
    text = newline.join(out)
    return text + draw(st.sampled_from(["", newline]))


# --------------------------------------------------------------------------- properties


def _ast(text: str) -> object:
    module, diagnostics = parse_module(text, "p.assist")
    assert diagnostics == [], diagnostics
    return without_spans(module)


@pytest.mark.parametrize("main", sorted(DEFINITIONS))
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_formatting_is_canonical_and_keeps_meaning(main: str, data: st.DataObject) -> None:
    program = data.draw(programs(main))
    assert _ast(program.canonical) == _ast(program.messy)
    formatted = format_source(program.messy, "p.assist")
    assert formatted == program.canonical
    assert format_source(formatted, "p.assist") == formatted
    for comment in program.comments:
        assert formatted.count(comment.split()[0]) == 1


@st.composite
def split_headers(draw: Draw) -> tuple[str, list[str]]:
    """An action whose parameter list is split over lines, with comments between and
    after the parameters; and those comments."""
    comments: list[str] = []

    def comment() -> str:
        comments.append(f"#~{len(comments)}~")
        return comments[-1]

    params = draw(st.lists(st.tuples(NAMES, st.sampled_from(["text", "list[size]"])), max_size=3))
    text = "action a(" + (f"  {comment()}" if draw(st.booleans()) else "")
    for index, (name, type_name) in enumerate(params):
        if draw(st.booleans()):
            text += "\n" + draw(st.sampled_from(["", "    "])) + comment()
        comma = "," if index < len(params) - 1 or draw(st.booleans()) else ""
        text += f"\n  {name}: {type_name}{comma}"
        if draw(st.booleans()):
            text += f" {comment()}"
    if draw(st.booleans()):
        text += f"\n  {comment()}"
    text += "\n) -> (out: text):" + (f"  {comment()}" if draw(st.booleans()) else "")
    return text + '\n  python "a.py"\n', comments


@settings(max_examples=60, deadline=None)
@given(split_headers())
def test_split_lists_keep_comments_and_meaning(header: tuple[str, list[str]]) -> None:
    text, comments = header
    formatted = format_text(text, "p.assist")
    assert formatted.internal_error is None
    assert _ast(formatted.text) == _ast(text)
    assert format_source(formatted.text, "p.assist") == formatted.text
    for marker in comments:
        assert formatted.text.count(marker) == 1
    inside = [c for c in comments if text.index(c) < text.index(") ->")]
    assert (formatted.text.count("\n") > 2) == bool(inside)


# --------------------------------------------------------------------------- never a traceback

REPO = Path(__file__).parents[2]
SEEDS = sorted(
    [*(REPO / "examples").rglob("*.assist"), *(Path(__file__).parent / "golden").rglob("*.assist")]
)
ODD = [
    '"',
    ":",
    "\t",
    "\x00",
    "\r",
    "(",
    "[",
    "]",
    "#",
    "\\",
    "é",
    "\u2028",
    "\ufeff",
    "\x0b",
    "    ",
    "\n",
    "-",
    "=",
    "|",
    "\udcff",
    "𝔘",
]


@st.composite
def mutated(draw: Draw) -> str:
    seed = draw(st.sampled_from(SEEDS))
    lines = seed.read_text(encoding="utf-8").split("\n")
    for _ in range(draw(st.integers(0, 3))):
        if lines:
            del lines[draw(st.integers(0, len(lines) - 1))]
    text = "\n".join(lines)
    text = text[: draw(st.integers(0, len(text)))] if draw(st.booleans()) else text
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(ODD)) + text[at:]
    return text


def test_there_are_seed_files() -> None:
    assert len(SEEDS) >= 5


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_broken_input_never_raises(text: str) -> None:
    module, diagnostics = parse_module(text, "m.assist")
    assert all(d.code in CODES for d in diagnostics)
    result = format_text(text, "m.assist")
    formatted = result.text
    if diagnostics:
        assert formatted == text
    else:
        assert result.internal_error is None
        assert format_source(formatted, "m.assist") == formatted
        assert _ast(formatted) == without_spans(module)
