"""The parser: the AST is pinned, the fast lexer agrees with Lark's own, errors are exact."""

from __future__ import annotations

from pathlib import Path

import pytest
from lark.exceptions import UnexpectedToken

from assistc.dsl import ast
from assistc.dsl import parser as parser_module
from assistc.dsl.expected import MISTAKES, Mistake, MistakeCatalogue
from assistc.dsl.lexer import LexFallback
from assistc.dsl.parser import parse_module

DATA = Path(__file__).parent / "data"

# Every construct once, with the layouts the lexer must get right: comments after code and
# on their own lines (indented or not), tabs, CRLF, a parameter list over several lines
# with `)` at column 0, a keyword used as a name, and titles with digits and spaces.
VARIED = (
    "# leading comment\n"
    "\n"
    "use stdlib.smalltalk  # trailing\n"
    "config:\n"
    "\tseed = -3\n"
    "\tratio = 1.25\n"
    "entity text: enum\r\n"
    "  in\r\n"
    '  "x y" = "a\\"b", "c\\\\d\\n"\r\n'
    'slot intent: list[text] = [1, 2.5, true, false, null, x, "s"]\n'
    "  from text\n"
    "  from entity text:in\n"
    "  from entity text:in in f when asked if intent a | when\n"
    "  from intent asked = 1 when asked\n"
    "  from text in f unless intent if | unless\n"
    "action f(\n"
    "  a: text,\n"
    "  b: list[int],\n"
    ") -> (c: text):\n"
    '  python "a.py" function g\n'
    "response r:\n"
    '  "hi" if a != 2 and not b and c >= 1.5\n'
    "      # a comment in a nested block\n"
    '    button "ok" -> affirm(text:in="x", n=2)\n'
    "story 1st story, v2  :\n"
    "  user a | b()\n"
    "  include other story\n"
    "rule r 2:\n"
    "  when form f active\n"
    "  user x\n"
    "test t:\n"
    '  user "x" as y\n'
    '  bot "text"\n'
    "  slot s = [a, b]\n"
    "  form f\n"
    "  form completes completes with with = 1, b = x\n"
)


def _exact(text: str, path: str = "f.assist") -> list[ast.Decl]:
    """The declarations as Lark's contextual lexer and Indenter produce them."""
    return parser_module._parse_text(parser_module._exact_lark(), text, path)


def _fast(text: str, path: str = "f.assist") -> list[ast.Decl]:
    return parser_module._parse_text(parser_module._fast_parser(), text, path)


def test_ast_of_the_complete_sample_is_pinned() -> None:
    """The AST (spans included) of t1.assist, as the first version of the parser built it."""
    module, diagnostics = parse_module((DATA / "t1.assist").read_text(), "t1.assist")
    assert diagnostics == []
    pinned = (DATA / "t1.ast.txt").read_text().splitlines()
    assert [repr(decl) for decl in module.decls] == pinned


@pytest.mark.parametrize("name", ["t1.assist", "varied"])
def test_fast_lexer_gives_the_same_ast_as_larks_lexer(name: str) -> None:
    text = VARIED if name == "varied" else (DATA / name).read_text()
    fast = _fast(text)
    assert fast == _exact(text)
    assert len(fast) > 5


# Lines of a string alone, which the fast lexer joins into STRING_LINES tokens: runs cut
# by a deeper block, comments, blank lines, trailing spaces, `generate`, a dedent; CRLF,
# tabs as wide as the spaces before them, escapes, the end of the text.
STRING_RUNS = (
    'intent a:\n  "x"\n  "y"\n  generate 3\n  "z"\nintent b:\n  "w"\n',
    'intent a:\n  "x"  # note\n\n  # own line\n  "y" \n        \n  "z"\n',
    'intent a:\n        "x"\n\t"y"\n        "z"\n\t"w"\n',
    'intent a:\r\n  "x"\r\n  "y"\r\n  "z"\r\n',
    'intent a:\n  "a \\" b"\n  "c\\\\"\n  "\\n"\n',
    'response r:\n  "a"\n  "b"\n    button "ok" -> yes\n  "c" if x\n  "d"\n  "e"\n',
    'response r:\n  "a" if x\n    image "i"\n  "d"\n  "e"\nstory s:\n  user a\n',
)


@pytest.mark.parametrize("text", STRING_RUNS)
def test_lines_of_strings_give_the_same_ast_as_larks_lexer(text: str) -> None:
    fast = _fast(text)
    assert fast == _exact(text)
    assert all(decl.span.file == "f.assist" for decl in fast)


def test_slot_mapping_options_are_read_in_order() -> None:
    """`in F`, `when asked` and `if/unless intent …` each land in their own field, and
    the mapping's span runs to the last name."""
    module, diagnostics = parse_module(
        "slot s: text\n"
        "  from entity city:to in trip when asked if intent inform | book\n"
        "  from intent deny = none when asked\n"
        "  from text unless intent stop\n",
        "m.assist",
    )
    assert diagnostics == []
    (slot,) = module.decls
    assert isinstance(slot, ast.SlotDecl)
    entity, intent, text = slot.mappings
    assert isinstance(entity, ast.EntityMapping)
    assert (entity.role and entity.role.text, entity.form and entity.form.text) == ("to", "trip")
    assert entity.asked
    assert entity.filter is not None and not entity.filter.exclude
    assert [name.text for name in entity.filter.intents] == ["inform", "book"]
    assert (entity.span.line, entity.span.col, entity.span.end_col) == (2, 15, 65)
    assert isinstance(intent, ast.IntentMapping)
    assert intent.asked and intent.form is None
    assert isinstance(text, ast.TextMapping)
    assert text.filter is not None and text.filter.exclude
    assert [name.text for name in text.filter.intents] == ["stop"]
    assert (text.span.col, text.span.end_col) == (8, 31)


def test_form_ignores_intents_from_every_ignore_line() -> None:
    """`ignore intent a | b` may be written more than once, anywhere among the form's
    lines, and its names may be keywords; the form's span runs to the last line."""
    text = """form f:
  ignore intent ask | ignore
  ask s "S?"
  then done
  ignore intent then
"""
    assert _fast(text) == _exact(text)
    (form,) = _fast(text)
    assert isinstance(form, ast.FormDecl)
    assert [name.text for name in form.ignored] == ["ask", "ignore", "then"]
    assert [name.text for name in form.then] == ["done"]
    assert (form.span.end_line, form.span.end_col) == (5, 21)


def test_varied_layout_parses_cleanly() -> None:
    module, diagnostics = parse_module(VARIED, "v.assist")
    assert diagnostics == []
    kinds = [type(decl).__name__ for decl in module.decls]
    assert kinds == [
        "UseDecl", "ConfigDecl", "EntityDecl", "SlotDecl", "ActionDecl", "ResponseDecl",
        "StoryDecl", "RuleDecl", "TestDecl",
    ]  # fmt: skip
    story = module.decls[6]
    assert isinstance(story, ast.StoryDecl)
    assert story.title.text == "1st story, v2"


def test_form_steps_of_a_test() -> None:
    module, diagnostics = parse_module(VARIED, "v.assist")
    assert diagnostics == []
    test = module.decls[-1]
    assert isinstance(test, ast.TestDecl)
    runs, completes = test.steps[-2:]
    assert isinstance(runs, ast.TestFormNode) and isinstance(completes, ast.TestFormNode)
    assert (runs.form.text, runs.completes, runs.values) == ("f", False, ())
    assert (completes.form.text, completes.completes) == ("completes", True)
    assert [(name.text, value.data) for name, value in completes.values] == [
        ("with", 1),
        ("b", "x"),
    ]
    assert (completes.span.line, completes.span.col, completes.span.end_col) == (36, 8, 48)


def test_a_keyword_glued_to_a_word_is_an_error_not_a_split() -> None:
    """`userbot` would be `user bot` to Lark's contextual lexer (a keyword, then a name),
    silently; the parser reports the word instead, with the split as a hint."""
    text = "story s:\n  userbot\n"
    with pytest.raises(LexFallback):
        _fast(text)
    assert _exact(text, "g.assist")  # what Lark alone would have accepted
    module, diagnostics = parse_module(text, "g.assist")
    assert module.decls == []
    assert [(d.code, d.span.line, d.span.col) for d in diagnostics] == [("E0001", 2, 3)]
    assert diagnostics[0].hint == "put a space after the keyword: `user bot`"


@pytest.mark.parametrize(
    ("text", "code", "line", "col"),
    [
        ('intent a:\n  "never closed\n', "E0002", 2, 3),
        ("intent a:\n  $\n", "E0004", 2, 3),
        ('intent a:\n    "x"\n  "y"\n', "E0003", 3, 1),
        ("story s:\n  bot\n", "E0001", 2, 6),
        ("slot s: text\n  from intent\n", "E0001", 2, 14),
    ],
)
def test_syntax_errors_keep_their_code_and_position(
    text: str, code: str, line: int, col: int
) -> None:
    module, diagnostics = parse_module(text, "e.assist")
    assert [(d.code, d.span.line, d.span.col) for d in diagnostics] == [(code, line, col)]
    assert module.decls == []


def test_each_broken_definition_is_reported_and_the_others_kept() -> None:
    text = 'intent a:\n  "x"\nintent b:\n  "y\nslot s: text\nstory t:\n  bot\nslot u: int\n'
    module, diagnostics = parse_module(text, "m.assist")
    assert [(d.code, d.span.line) for d in diagnostics] == [("E0002", 4), ("E0001", 7)]
    names = [
        decl.name.text for decl in module.decls if isinstance(decl, ast.IntentDecl | ast.SlotDecl)
    ]
    assert names == ["a", "s", "u"]


def test_spans_point_at_the_source() -> None:
    text = 'intent greet:\n  "hello there"\nresponse r:\n  "x" if n == 2\n'
    module, _ = parse_module(text, "s.assist")
    intent, response = module.decls
    assert isinstance(intent, ast.IntentDecl) and isinstance(response, ast.ResponseDecl)
    assert intent.name.span == ast.Span("s.assist", 1, 8, 1, 13)
    assert intent.examples[0].span == ast.Span("s.assist", 2, 3, 2, 16)
    term = response.variations[0].condition[0]
    assert (term.op, term.span) == ("==", ast.Span("s.assist", 4, 10, 4, 16))


def test_every_catalogue_example_is_recognised_as_its_own_mistake() -> None:
    catalogue = MistakeCatalogue(parser_module._exact_lark().parse, MISTAKES)
    assert catalogue.unusable == []
    for mistake in MISTAKES:
        for example in mistake.examples:
            with pytest.raises(UnexpectedToken) as caught:
                parser_module._exact_lark().parse(example)
            assert catalogue.match(caught.value) is mistake, example


def test_a_payload_only_intent_is_one_line_without_examples() -> None:
    text = 'intent faq: payload only  # buttons send /faq\nintent payload:\n  "only"\n'
    decls = _exact(text)
    assert decls == _fast(text)
    faq, named_payload = decls
    assert isinstance(faq, ast.IntentDecl) and isinstance(named_payload, ast.IntentDecl)
    assert (faq.name.text, faq.examples, faq.generate, faq.payload_only) == ("faq", (), None, True)
    # `payload` and `only` are keywords only after `intent NAME:`
    assert (named_payload.name.text, named_payload.payload_only) == ("payload", False)
    assert [e.value for e in named_payload.examples] == ["only"]


COLON = "missing `:` at the end of the definition header"
PAYLOAD_ONLY = "an intent reached only by payload has no examples"
COMPARE = "a condition compares with `==`, not `=`"
QUOTES = "this text needs double quotes"


@pytest.mark.parametrize(
    ("text", "message", "hint_part"),
    [
        ('intent greet\n  "hi"\n', COLON, "`intent greet:`"),
        ("slot size text\n", COLON, "indented body"),
        ("story s:\n  user a\n  bot b\n  say hi\n", "`say` does not start a story step", "bot"),
        ("rule r:\n  when x\n  ask y\n", "`ask` does not start a story step", "`when …`"),
        ('test t:\n  user "hi"\n  expect x\n', "`expect` does not start a test step", "user"),
        ('response r:\n  "x" if a == 1 and b = 2\n', COMPARE, "`size == large`"),
        ("rule r:\n  when size = large\n  user a\n", COMPARE, "sets a value"),
        ('intent greet:\n  "hi"\n  hello there\n', QUOTES, '"like this"'),
        ('response r:\n  "x" if a\n  Hi there\n', QUOTES, "quoted"),
        ("intent greet:\n  'hi'\n", 'unexpected character "\'"', "double quotes"),
        ('intent faq: payload only\n  "faq"\n', PAYLOAD_ONLY, "delete the examples"),
        ('intent faq: payload only "faq"\n', PAYLOAD_ONLY, "`intent NAME:`"),
    ],
)
def test_common_mistakes_are_named(text: str, message: str, hint_part: str) -> None:
    _, diagnostics = parse_module(text, "x.assist")
    assert len(diagnostics) == 1
    assert diagnostics[0].message == message
    assert hint_part in (diagnostics[0].hint or "")


def test_other_errors_still_say_what_was_expected() -> None:
    _, diagnostics = parse_module("slot s: text\n  from intent\n", "x.assist")
    assert [(d.message, d.hint) for d in diagnostics] == [
        ("unexpected end of line", "expected a name")
    ]


def test_fast_node_constructors_build_equal_nodes() -> None:
    span = parser_module._span("f", 1, 2, 3, 4)
    assert span == ast.Span("f", 1, 2, 3, 4)
    assert hash(span) == hash(ast.Span("f", 1, 2, 3, 4))
    assert parser_module._name_node("n", span) == ast.Name("n", span)
    assert parser_module._string_lit("s", span) == ast.StringLit("s", span)
    assert parser_module._value("int", 3, span) == ast.Value("int", 3, span)
    with pytest.raises(AttributeError):
        span.line = 5  # type: ignore[misc]


def test_a_changed_node_class_falls_back_to_its_own_constructor() -> None:
    assert parser_module._fast_constructor("_x", ast.Span, "file", "line") is ast.Span


def test_a_catalogue_example_that_parses_is_skipped_not_fatal() -> None:
    example = 'intent a:\n  "x"\n'
    catalogue = MistakeCatalogue(parser_module._exact_lark().parse, [Mistake("m", "h", (example,))])
    assert catalogue.unusable == [example]


def test_a_story_user_turn_may_be_a_text_but_a_rules_may_not() -> None:
    module, problems = parse_module(
        'story s:\n  user greet\n  user "I can always go for sushi"\n  bot utter_x\n', "a.assist"
    )
    assert problems == []
    story = module.decls[0]
    assert isinstance(story, ast.StoryDecl)
    step = story.steps[1]
    assert isinstance(step, ast.UserTextStepNode)
    assert step.text.value == "I can always go for sushi"
    assert (step.span.line, step.span.col, step.span.end_col) == (3, 8, 35)
    _, problems = parse_module('rule r:\n  user "hi"\n  bot utter_x\n', "a.assist")
    assert [(d.code, d.span.line, d.message) for d in problems] == [
        ("E0001", 2, "a rule's user turn is an intent, not a text")
    ]
