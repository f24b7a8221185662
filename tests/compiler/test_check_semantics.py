"""Checker behaviours not covered by one golden case each."""

from __future__ import annotations

from pathlib import Path

from assistc.compiler.compile import compile_project


def check(tmp_path: Path, source: str) -> list[str]:
    (tmp_path / "main.assist").write_text(source, encoding="utf-8")
    return [d.code for d in compile_project(tmp_path, sample_templates=False).diagnostics]


def test_the_runtimes_nlu_fallback_intent_is_known(tmp_path: Path) -> None:
    source = (
        'intent greet:\n  "hi"\n  "hello"\n  "hey"\n  "yo"\n  "hiya"\n'
        'response utter_sorry:\n  "Sorry?"\nresponse utter_hi:\n  "Hi"\n'
        "rule fallback:\n  user nlu_fallback\n  bot utter_sorry\n"
        "rule hi:\n  user greet\n  bot utter_hi\n"
    )
    assert check(tmp_path, source) == []


def test_stdlib_definitions_are_never_reported_unused(tmp_path: Path) -> None:
    source = 'use stdlib.smalltalk\nuse stdlib.entities\nresponse utter_hi:\n  "Hi"\n'
    source += "rule hi:\n  user greet\n  bot utter_hi\n"
    assert check(tmp_path, source) == []


def test_a_typo_is_reported_once_not_at_every_use(tmp_path: Path) -> None:
    source = (
        "slot guests: integer\n"
        'response utter_n:\n  "{guests} guests"\n'
        "story s:\n  slot guests = 3\n  bot utter_n\n"
    )
    assert check(tmp_path, source) == ["E0111"]


def test_testing_a_slot_with_an_initial_value_for_being_set_is_flagged(tmp_path: Path) -> None:
    source = (
        "slot vegan: bool = false\n"
        'response utter_v:\n  "Vegan!" if vegan\n  "Vegan!" if vegan == true\n'
        "story s:\n  bot utter_v\n"
    )
    assert check(tmp_path, source) == ["W1104"]


def test_mappings_can_be_limited_to_a_form(tmp_path: Path) -> None:
    source = (
        "entity size: enum\n  small\n  large\n"
        "slot size: size\n  from entity size in order\n  from intent pick = small in ordr\n"
        'form order:\n  ask size "Which size?"\n'
        'intent pick:\n  "a small one"\n  "small"\n  "the small"\n  "small please"\n'
        '  "[tiny](size=small)"\n'
        "story s:\n  user pick\n  form order\n"
    )
    (tmp_path / "main.assist").write_text(source, encoding="utf-8")
    result = compile_project(tmp_path, sample_templates=False)
    assert [d.code for d in result.diagnostics] == ["E0106"]  # `ordr`, with a hint
    assert result.diagnostics[0].hint == "did you mean `order`?"
    (tmp_path / "main.assist").write_text(source.replace("in ordr", "in order"), "utf-8")
    assistant = compile_project(tmp_path, sample_templates=False).assistant
    assert assistant is not None
    mappings = assistant.slots[0].mappings
    assert [(m.kind, m.form) for m in mappings] == [("entity", "order"), ("intent", "order")]


def test_a_forms_validation_and_prompt_actions_follow_rasas_names(tmp_path: Path) -> None:
    source = (
        'intent order:\n  "order"\n  "an order"\n  "order please"\n  "i order"\n  "order now"\n'
        "slot size: text\n  from text in order_form\nslot notes: text\n  from text in order_form\n"
        'response utter_ask_notes:\n  "Notes?"\n'
        'action validate_order_form() -> (size: text):\n  remote "http://127.0.0.1:5055/webhook"\n'
        'action action_ask_size():\n  remote "http://127.0.0.1:5055/webhook"\n'
        'action action_ask_notes():\n  remote "http://127.0.0.1:5055/webhook"\n'
        "form order_form:\n  ask size\n  ask notes utter_ask_notes\n"
        "rule r:\n  user order\n  form order_form\n"
    )
    (tmp_path / "main.assist").write_text(source, encoding="utf-8")
    result = compile_project(tmp_path, sample_templates=False)
    assert [d.code for d in result.diagnostics] == ["W1102"]  # action_ask_notes: unused
    assert result.assistant is not None
    [form] = result.assistant.forms
    assert form.validation == "validate_order_form"
    assert [s.prompt for s in form.slots] == ["action_ask_size", "utter_ask_notes"]


def test_a_payload_only_intent_compiles_without_examples_or_warnings(tmp_path: Path) -> None:
    source = (
        'intent faq: payload only\nresponse utter_faq:\n  "FAQ"\n'
        'response utter_menu:\n  "Menu"\n    button "FAQ" -> faq\n'
        "rule faq:\n  user faq\n  bot utter_faq\n"
        "rule menu:\n  user nlu_fallback\n  bot utter_menu\n"
    )
    assert check(tmp_path, source) == []  # no W0402: no examples is the point
    assistant = compile_project(tmp_path).assistant
    assert assistant is not None
    [faq] = assistant.intents
    assert (faq.name, faq.examples, faq.payload_only) == ("faq", [], True)
