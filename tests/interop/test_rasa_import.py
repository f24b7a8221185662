"""`import_rasa`: the five Rasa example projects, and each mapping rule on small projects."""

from __future__ import annotations

from pathlib import Path

import pytest
from interop_helpers import (
    EXAMPLE_NAMES,
    assert_parses,
    codes,
    example_dir,
    import_files,
    messages,
)

from assistc.compiler.compile import compile_project
from assistc.compiler.rasa_import import RasaImportError, import_rasa
from assistc.runtime.dialogue.agent import Agent
from assistc.runtime.dialogue.policies import PolicyEnsemble
from assistc.runtime.dialogue.stores import InMemoryTrackerStore
from assistc.runtime.nlu.pipeline import NLUModel
from assistc.runtime.testing import TestResult, run_tests

DOMAIN_HEAD = 'version: "3.1"\n'

# ---------------------------------------------------------------------- the examples

# What the Rasa projects themselves get wrong, which `assistc check` rightly reports:
# rules' form slot has no example that could fill it. (Their intents without training
# examples, in concertbot and rules, are declared `payload only`: not a problem.)
REAL_PROBLEMS = {"rules": {"E0801"}}


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_example_imports_parses_and_checks(name: str, tmp_path: Path) -> None:
    report = import_rasa(example_dir(name), tmp_path / name)
    assert report.ok, report.summary()
    assert (tmp_path / name / "domain.assist").is_file()
    texts = {p.name: p.read_text(encoding="utf-8") for p in report.files}
    assert_parses(texts)
    result = compile_project(tmp_path / name)
    error_codes = {d.code for d in result.errors}
    assert error_codes == REAL_PROBLEMS.get(name, set()), [
        (d.code, d.message) for d in result.errors
    ]


def test_formbot_report_lists_what_was_dropped(tmp_path: Path) -> None:
    report = import_rasa(example_dir("formbot"), tmp_path / "formbot")
    dropped = " | ".join(d.message for d in report.dropped)
    assert "ignored_intents" not in dropped  # carried over as `ignore intent`
    assert "DucklingEntityExtractor" in dropped
    assert "session_config" in dropped
    domain = (tmp_path / "formbot" / "domain.assist").read_text(encoding="utf-8")
    assert "  ignore intent chitchat\n" in domain
    assert "entity number: builtin number" in domain
    assert "then utter_submit" in domain and "then utter_slots_values" in domain
    spans = {d.span.file for d in report.dropped}
    assert "config.yml" in spans  # the Duckling extractor is named there
    assistant = compile_project(tmp_path / "formbot").assistant
    assert assistant is not None
    assert [form.ignored_intents for form in assistant.forms] == [["chitchat"]]


def _project_tests(out: Path) -> list[TestResult]:
    result = compile_project(out)
    assistant = result.assistant
    assert assistant is not None, [(d.code, d.message) for d in result.errors]
    examples = [example for intent in assistant.intents for example in intent.examples]
    nlu = NLUModel.train(examples, assistant.entities, assistant.config)
    agent = Agent(assistant, nlu, PolicyEnsemble.train(assistant), InMemoryTrackerStore())
    return run_tests(agent).results


def test_formbot_test_stories_pass_and_test_what_follows_the_form(tmp_path: Path) -> None:
    import_rasa(example_dir("formbot"), tmp_path / "formbot")
    results = _project_tests(tmp_path / "formbot")
    assert [r.name for r in results if r.passed] == [
        "Happy path",
        "Happy path with message providing requested value",
        "unhappy path",
    ], [r.steps for r in results if not r.passed]
    # What the bot does once the form completes comes from the assistant (here the form's
    # `then` steps, imported from the rule "submit form"): without them every test fails.
    domain = tmp_path / "formbot" / "domain.assist"
    text = domain.read_text(encoding="utf-8")
    domain.write_text(text.replace("  then utter_submit\n", ""), encoding="utf-8")
    failed = [r for r in _project_tests(tmp_path / "formbot") if not r.passed]
    assert len(failed) == 3
    assert all(
        ("bot: utter_submit", "utter_slots_values")
        in [(step.expected, step.actual.split(":")[0]) for step in r.steps]
        for r in failed
    )


def test_e2ebot_story_with_user_text_only_is_imported_as_a_text_turn(tmp_path: Path) -> None:
    report = import_rasa(example_dir("e2ebot"), tmp_path / "e2e")
    assert not messages(report, "W1308")
    stories = (tmp_path / "e2e" / "stories.assist").read_text(encoding="utf-8")
    assert (
        "story accepts suggestion, indirectly:\n"
        "  user greet\n"
        "  bot utter_greet\n"
        "  user search_restaurant\n"
        "  bot utter_suggest_cuisine\n"
        '  user "I can always go for sushi"\n'
        "  bot utter_search_restaurants\n"
    ) in stories
    tests = (tmp_path / "e2e" / "tests.assist").read_text(encoding="utf-8")
    assert 'user "I can always go for sushi" meaning affirm' in tests


def test_e2ebot_tests_take_the_story_intent_as_rasa_test_does(tmp_path: Path) -> None:
    """`rasa test` gives the policies a test turn's text with the story's intent, asking no
    NLU (docs/rasa.md): so does the converted test, and all four pass, the indirect
    "I can always go for sushi" (`affirm`) included."""
    import_rasa(example_dir("e2ebot"), tmp_path / "e2e")
    results = _project_tests(tmp_path / "e2e")
    assert [r.name for r in results if not r.passed] == []
    indirect = next(r for r in results if r.name == "Happy path accepts suggestion indirectly")
    assert [(s.expected, s.actual) for s in indirect.steps][-2:] == [
        ('user: "I can always go for sushi" meaning affirm', "intent affirm"),
        (
            "bot: utter_search_restaurants",
            'utter_search_restaurants: "great! here\'s what I found ..."',
        ),
    ]


def test_import_is_deterministic(tmp_path: Path) -> None:
    first = import_rasa(example_dir("formbot"), tmp_path / "a")
    second = import_rasa(example_dir("formbot"), tmp_path / "b")
    for a, b in zip(first.files, second.files, strict=True):
        assert a.read_bytes() == b.read_bytes()
    assert [d.message for d in first.diagnostics] == [d.message for d in second.diagnostics]


def test_refuses_to_overwrite_an_assistant(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "x.assist").write_text("", encoding="utf-8")
    with pytest.raises(RasaImportError):
        import_rasa(example_dir("moodbot"), tmp_path / "out")


# ---------------------------------------------------------------------- mapping rules


def test_annotations_synonyms_and_template_characters(tmp_path: Path) -> None:
    report, texts = import_files(
        tmp_path,
        {
            "domain.yml": DOMAIN_HEAD + "intents: [inform]\nentities: [city, account]\n",
            "data/nlu.yml": """
                nlu:
                - intent: inform
                  examples: |
                    - fly from [Berlin]{"entity": "city", "role": "from"} to [SF](city)
                    - my [credit card account](account) (really)
                    - the [savings](account:saving) one | or {this}
                - synonym: credit
                  examples: |
                    - credit card account
                """,
        },
    )
    assert_parses(texts)
    nlu = texts["nlu.assist"]
    assert '"fly from [Berlin](city:from) to [SF](city)"' in nlu
    assert '"my [credit card account](account=credit) \\(really\\)"' in nlu
    assert '"the [savings](account=saving) one \\| or \\{this\\}"' in nlu
    assert "roles from" in texts["domain.assist"]
    assert report.ok


def test_names_the_language_rejects_are_renamed_and_reported(tmp_path: Path) -> None:
    report, texts = import_files(
        tmp_path,
        {
            "domain.yml": DOMAIN_HEAD
            + "intents: [faq/ask-name, faq_ask_name]\n"
            + "responses:\n  utter_faq/ask-name:\n  - text: I am a bot\n",
            "data/nlu.yml": """
                nlu:
                - intent: faq/ask-name
                  examples: |
                    - what is your name
                """,
        },
    )
    assert_parses(texts)
    assert report.renames["intent faq/ask-name"] == "faq__ask_name"
    assert report.renames["response utter_faq/ask-name"] == "utter_faq__ask_name"
    assert "intent faq__ask_name:" in texts["nlu.assist"]
    assert any("renamed" in m for m in messages(report, "W1303"))


def test_slots_mappings_and_categorical_values(tmp_path: Path) -> None:
    report, texts = import_files(
        tmp_path,
        {
            "domain.yml": DOMAIN_HEAD
            + """
intents: [inform, affirm]
entities: [size]
slots:
  size:
    type: categorical
    values: [small, extra large]
    mappings:
    - type: from_entity
      entity: size
  confirmed:
    type: bool
    initial_value: false
    mappings:
    - type: from_intent
      intent: affirm
      value: true
  notes:
    type: text
    mappings:
    - type: from_text
      conditions:
      - active_loop: order_form
        requested_slot: notes
  weird:
    type: text
    mappings:
    - type: from_intent
      intent: affirm
      value: 3
forms:
  order_form:
    required_slots: [size, notes]
responses:
  utter_ask_size:
  - text: Which size?
  utter_ask_notes:
  - text: Any notes?
""",
            "data/nlu.yml": """
                nlu:
                - intent: inform
                  examples: |
                    - a [small](size) one
                    - [xl](size) please
                - synonym: extra large
                  examples: |
                    - xl
                """,
        },
    )
    assert_parses(texts)
    domain = texts["domain.assist"]
    assert "entity size: enum" in domain
    assert '"extra large" = "xl"' in domain
    assert "slot confirmed: bool = false" in domain
    assert "from intent affirm = true" in domain
    assert "from text in order_form" in domain
    assert "slot weird: any" in domain  # a number given to a text slot widens it
    assert any("weird" in m for m in messages(report, "W1307"))


def test_mapping_conditions_and_intent_filters(tmp_path: Path) -> None:
    """Rasa's `requested_slot` condition becomes `when asked`, `intent` / `not_intent`
    become `if intent` / `unless intent`; a condition naming another slot has no
    equivalent, so that mapping is left out (applying it always would fill the slot where
    Rasa does not) and reported."""
    report, texts = import_files(
        tmp_path,
        {
            "domain.yml": DOMAIN_HEAD
            + """
intents: [inform, affirm, deny, book]
entities: [number]
slots:
  seats:
    type: float
    mappings:
    - type: from_entity
      entity: number
      intent: [inform, book]
    - type: from_intent
      intent: deny
      value: 0
      conditions:
      - active_loop: booking
        requested_slot: seats
      - active_loop: rebooking
  outdoor:
    type: bool
    mappings:
    - type: from_intent
      intent: affirm
      value: true
      conditions:
      - active_loop: booking
        requested_slot: seats
  wishes:
    type: text
    mappings:
    - type: from_text
      not_intent: deny
      conditions:
      - active_loop: booking
        requested_slot: wishes
forms:
  booking:
    required_slots: [seats, wishes]
  rebooking:
    required_slots: [seats]
responses:
  utter_ask_seats:
  - text: How many?
  utter_ask_wishes:
  - text: Wishes?
""",
        },
    )
    assert_parses(texts)
    domain = texts["domain.assist"]
    assert "  from entity number if intent inform | book\n" in domain
    assert "  from intent deny = 0 in booking when asked\n" in domain
    assert "  from intent deny = 0 in rebooking\n" in domain
    assert "  from text in booking unless intent deny\n" in domain
    assert "from intent affirm" not in domain.replace("# rasa:", "")
    assert any("requested_slot': 'seats'" in m for m in messages(report, "W1302"))


def test_stories_checkpoints_or_and_forms(tmp_path: Path) -> None:
    report, texts = import_files(
        tmp_path,
        {
            "domain.yml": DOMAIN_HEAD
            + """
intents: [greet, affirm, thanks, order]
entities: [size]
slots:
  size:
    type: text
    mappings:
    - type: from_entity
      entity: size
forms:
  order_form:
    required_slots: [size]
responses:
  utter_greet: [{text: hi}]
  utter_ok: [{text: ok}]
  utter_ask_size: [{text: "which size?"}]
  utter_done: [{text: done}]
actions: [action_check]
""",
            "data/stories.yml": """
                stories:
                - story: opening
                  steps:
                  - intent: greet
                  - action: utter_greet
                  - checkpoint: greeted
                - story: after greeting
                  steps:
                  - checkpoint: greeted
                  - or:
                    - intent: affirm
                    - intent: thanks
                  - action: utter_ok
                - story: ordering
                  steps:
                  - intent: order
                    entities:
                    - size: large
                  - action: order_form
                  - active_loop: order_form
                  - active_loop: null
                  - action: utter_done
                  - action: action_check
                  - slot_was_set:
                    - size: small
                """,
            "data/rules.yml": """
                rules:
                - rule: finish the form
                  condition:
                  - active_loop: order_form
                  steps:
                  - action: order_form
                  - active_loop: null
                  - action: utter_done
                """,
        },
    )
    assert_parses(texts)
    stories = texts["stories.assist"]
    assert "include opening" in stories
    assert "user affirm | thanks" in stories
    assert 'user order(size="large")' in stories
    assert "form order_form\n  run action_check" in stories  # `then` steps not repeated
    assert "then utter_done" in texts["domain.assist"]
    assert "action action_check() -> (size: text):" in texts["domain.assist"]
    assert "became the `then` steps" in texts["rules.assist"]
    assert report.ok
    assert not any("interrupts" in m for m in messages(report, "W1307"))


def test_a_story_interrupting_a_form_is_flagged(tmp_path: Path) -> None:
    report, texts = import_files(
        tmp_path,
        {
            "domain.yml": DOMAIN_HEAD
            + """
intents: [order, stop]
slots:
  size: {type: text, mappings: [{type: from_text}]}
forms:
  order_form: {required_slots: [size]}
responses:
  utter_ask_size: [{text: "which size?"}]
  utter_sure: [{text: "sure?"}]
""",
            "data/stories.yml": """
                stories:
                - story: stop the form
                  steps:
                  - intent: order
                  - action: order_form
                  - active_loop: order_form
                  - intent: stop
                  - action: utter_sure
                """,
        },
    )
    assert_parses(texts)
    flagged = [d for d in report.diagnostics if "interrupts form order_form" in d.message]
    assert len(flagged) == 1 and flagged[0].span.line == 7


def test_test_stories_with_forms_become_form_steps(tmp_path: Path) -> None:
    report, texts = import_files(
        tmp_path,
        {
            "domain.yml": DOMAIN_HEAD
            + """
intents: [order, inform, stop, deny]
entities: [size]
slots:
  size: {type: text, mappings: [{type: from_entity, entity: size}]}
  notes: {type: text, mappings: [{type: from_text}]}
  vip: {type: bool, mappings: [{type: custom}]}
forms:
  order_form: {required_slots: [size, notes]}
responses:
  utter_ask_size: [{text: "which size?"}]
  utter_ask_notes: [{text: "notes?"}]
  utter_done: [{text: done}]
  utter_sure: [{text: "sure?"}]
""",
            "tests/test_stories.yml": """
                stories:
                - story: answers off-script
                  steps:
                  - user: order
                    intent: order
                  - action: order_form
                  - active_loop: order_form
                  - slot_was_set:
                    - requested_slot: size
                  - user: large
                    intent: inform
                  - action: order_form
                  - slot_was_set:
                    - size: large
                  - user: no notes
                    intent: inform
                  - action: order_form
                  - slot_was_set:
                    - notes: none
                    - vip: true
                  - active_loop: null
                  - action: utter_done
                - story: stopped
                  steps:
                  - user: order
                    intent: order
                  - action: order_form
                  - active_loop: order_form
                  - user: stop
                    intent: stop
                  - action: utter_sure
                  - user: "no"
                    intent: deny
                  - action: action_deactivate_loop
                  - active_loop: null
                """,
        },
    )
    assert_parses(texts)
    assert report.ok and not messages(report, "W1308")
    tests = texts["tests.assist"]
    # the slot the form set after a visible answer is checked; those it set on the way
    # to `active_loop: null` are the completion's (one it does not ask for stays a check)
    assert (
        '  user "large" meaning inform\n'
        "  form order_form\n"
        '  slot size = "large"\n'
        '  user "no notes" meaning inform\n'
        "  form order_form\n"
        "  slot vip = true\n"
        '  form order_form completes with notes = "none"\n'
        "  bot utter_done\n"
    ) in tests
    assert 'active_loop: "order_form"' not in tests  # `form order_form` says it
    assert "  run action_deactivate_loop\n  # rasa: active_loop: null\n" in tests
    assert "# rasa: slot_was_set {'requested_slot': 'size'}" in tests


def test_rule_conditions_and_unsupported_options(tmp_path: Path) -> None:
    report, texts = import_files(
        tmp_path,
        {
            "domain.yml": DOMAIN_HEAD
            + """
intents: [greet]
slots:
  vip:
    type: bool
    mappings: [{type: custom}]
responses:
  utter_greet:
  - {text: hi, channel: slack}
  - {text: "hello {vip}", condition: [{type: slot, name: vip, value: true}]}
""",
            "data/rules.yml": """
                rules:
                - rule: greet vips
                  conversation_start: true
                  condition:
                  - slot_was_set:
                    - vip: true
                  steps:
                  - intent: greet
                  - action: utter_greet
                  wait_for_user_input: false
                - rule: two stage
                  steps:
                  - intent: greet
                  - action: action_two_stage_fallback
                """,
        },
    )
    assert_parses(texts)
    rules = texts["rules.assist"]
    assert "when conversation starts" in rules and "when vip == true" in rules
    assert "# rasa: wait_for_user_input: false" in rules
    assert '"hello {vip}" if vip == true' in texts["domain.assist"]
    assert any("channel" in m for m in messages(report, "W1302"))
    assert any("two stage" in m for m in messages(report, "W1308"))
    assert "# rule two stage:" in rules


def test_bad_yaml_and_unknown_keys_are_diagnostics(tmp_path: Path) -> None:
    report, texts = import_files(
        tmp_path,
        {
            "domain.yml": DOMAIN_HEAD + "intents: [greet]\nwhatever: 1\n",
            "data/broken.yml": "nlu:\n- intent: greet\n  examples: [oops\n",
        },
    )
    broken = [d for d in report.diagnostics if d.code == "E1301"]
    assert broken and broken[0].span.file == "data/broken.yml" and broken[0].span.line > 1
    unknown = [d for d in report.diagnostics if d.code == "W1305"]
    assert unknown and unknown[0].span.line == 3 and "whatever" in unknown[0].message
    assert not report.ok
    assert "W1302" not in codes(report)  # greet has no examples: declared payload only
    assert any("intent greet: payload only\n" in text for text in texts.values())
    assert_parses(texts)


def test_buttons_images_and_test_stories(tmp_path: Path) -> None:
    report, texts = import_files(
        tmp_path,
        {
            "domain.yml": DOMAIN_HEAD
            + """
intents: [greet, mood]
entities: [feeling]
responses:
  utter_greet:
  - text: "How are you? {{not a slot}}"
    image: https://example.com/x.png
    buttons:
    - {title: Great, payload: '/mood{"feeling": "great"}'}
    - {title: Text, payload: just text}
""",
            "tests/test_stories.yml": """
                stories:
                - story: greets
                  steps:
                  - user: |
                      hello [there](feeling)
                    intent: greet
                  - action: utter_greet
                  - bot: How are you?
                  - intent: mood
                    entities:
                    - feeling: great
                """,
        },
    )
    assert_parses(texts)
    domain = texts["domain.assist"]
    assert 'button "Great" -> mood(feeling="great")' in domain
    assert 'image "https://example.com/x.png"' in domain
    assert "text payload" in " ".join(messages(report, "W1302"))
    tests = texts["tests.assist"]
    assert 'user "hello there" meaning greet(feeling="there")' in tests
    assert "bot utter_greet" in tests and 'bot "How are you?"' in tests
    assert 'user "/mood{\\"feeling\\": \\"great\\"}" as mood' in tests


def test_lookup_regex_and_fallback_rule_import_and_check(tmp_path: Path) -> None:
    report, texts = import_files(
        tmp_path,
        {
            "domain.yml": DOMAIN_HEAD
            + """
intents: [inform]
entities: [city, zip]
responses:
  utter_sorry: [{text: "Sorry?"}]
  utter_ok: [{text: "ok"}]
""",
            "config.yml": """
                language: en
                pipeline:
                - name: FallbackClassifier
                  threshold: 0.45
                policies:
                - name: RulePolicy
                  core_fallback_action_name: action_default_fallback
                """,
            "data/nlu.yml": """
                nlu:
                - intent: inform
                  examples: |
                    - to [Berlin](city)
                    - from [Paris](city)
                    - zip [12345](zip)
                    - code [54321](zip)
                    - I live in [Rome](city)
                - lookup: city
                  examples: |
                    - Berlin
                    - Paris
                    - Rome
                - regex: zip
                  examples: |
                    - \\d{5}
                """,
            "data/rules.yml": """
                rules:
                - rule: fallback
                  steps:
                  - intent: nlu_fallback
                  - action: utter_sorry
                - rule: inform
                  steps:
                  - intent: inform
                  - action: utter_ok
                """,
        },
    )
    domain = texts["domain.assist"]
    assert 'entity city: lookup "data/city.txt"' in domain
    assert 'entity zip: regex "\\d{5}"' in domain
    assert texts["data/city.txt"] == "Berlin\nParis\nRome\n"
    assert "nlu_fallback_threshold = 0.45" in domain
    assert 'fallback_action = "utter_sorry"' in domain
    assert "became config fallback_action" in texts["rules.assist"]
    assert report.ok
    result = compile_project(tmp_path / "out")
    assert result.errors == [], [(d.code, d.message) for d in result.errors]
    assert result.assistant is not None
    assert result.assistant.config.fallback_action == "utter_sorry"


def test_domain_split_over_a_folder_and_markdown_data_reported(tmp_path: Path) -> None:
    report, texts = import_files(
        tmp_path,
        {
            "domain/intents.yml": DOMAIN_HEAD + "intents: [greet]\n",
            "domain/responses.yml": DOMAIN_HEAD + "responses:\n  utter_hi: [{text: hi}]\n",
            "data/nlu.yml": "nlu:\n- intent: greet\n  examples: |\n    - hello\n",
            "data/stories.md": "## old story\n* greet\n  - utter_hi\n",
        },
    )
    assert "intent greet:" in texts["nlu.assist"]
    assert "response utter_hi:" in texts["domain.assist"]
    markdown = [d for d in report.diagnostics if "Markdown" in d.message]
    assert markdown and markdown[0].span.file == "data/stories.md"


def test_unwritable_output_and_empty_projects(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(RasaImportError, match="cannot write"):
        import_rasa(example_dir("moodbot"), blocker)
    (tmp_path / "empty").mkdir()
    report = import_rasa(tmp_path / "empty", tmp_path / "out")
    assert not report.ok and codes(report) == ["E1306"]
    assert str(tmp_path / "empty") in report.summary()


def test_misspelt_keys_are_reported_where_they_are(tmp_path: Path) -> None:
    report, _ = import_files(
        tmp_path,
        {
            "domain.yml": DOMAIN_HEAD
            + "intents: [greet]\nslots:\n  s:\n    type: text\n    mapings: []\n",
            "data/nlu.yml": "nlu:\n- intent: greet\n  exampels: |\n    - hi\n",
            "data/stories.yml": "stories:\n- story: x\n  stpes: []\n",
        },
    )
    unknown = {
        (d.span.file, d.span.line, d.message) for d in report.diagnostics if d.code == "W1305"
    }
    assert ("domain.yml", 6, "unknown key `mapings` in slot `s` ignored") in unknown
    assert ("data/nlu.yml", 3, "unknown key `exampels` in an NLU item ignored") in unknown
    assert ("data/stories.yml", 3, "unknown key `stpes` in a story ignored") in unknown


def test_retrieval_intents_become_one_intent_and_rule_per_question(tmp_path: Path) -> None:
    report, texts = import_files(
        tmp_path,
        {
            "domain.yml": DOMAIN_HEAD
            + """
intents: [faq, greet]
responses:
  utter_faq/ask_name: [{text: "I am Bot."}]
  utter_faq/ask_age: [{text: "Young."}]
  utter_hi: [{text: "hi"}]
""",
            "data/nlu.yml": """
                nlu:
                - intent: faq/ask_name
                  examples: |
                    - what is your name
                - intent: faq/ask_age
                  examples: |
                    - how old are you
                - intent: greet
                  examples: |
                    - hello
                """,
            "data/rules.yml": """
                rules:
                - rule: answer faqs
                  steps:
                  - intent: faq
                  - action: utter_faq
                """,
            "data/stories.yml": """
                stories:
                - story: greet then ask
                  steps:
                  - intent: greet
                  - action: utter_hi
                  - intent: faq
                  - action: utter_faq
                """,
            "tests/test_faq.yml": """
                stories:
                - story: asks a name
                  steps:
                  - user: what's your name?
                    intent: faq/ask_name
                  - action: utter_faq
                """,
        },
    )
    assert_parses(texts)
    rules = texts["rules.assist"]
    assert "rule answer faqs (ask_age):\n  user faq__ask_age\n  bot utter_faq__ask_age" in rules
    assert "rule answer faqs (ask_name):\n  user faq__ask_name\n  bot utter_faq__ask_name" in rules
    assert "story greet then ask (ask_name):" in texts["stories.assist"]
    assert (
        'user "what\'s your name?" meaning faq__ask_name\n  bot utter_faq__ask_name'
        in texts["tests.assist"]
    )
    assert report.ok
    result = compile_project(tmp_path / "out")
    assert result.errors == [], [(d.code, d.message) for d in result.errors]


def test_each_problem_is_reported_once(tmp_path: Path) -> None:
    report, _ = import_files(
        tmp_path,
        {
            "domain.yml": DOMAIN_HEAD + "intents: [inform]\nentities: [city]\n",
            "data/nlu.yml": """
                nlu:
                - intent: inform
                  examples: |
                    - to [Rome]{"entity": "city", "group": "1"}
                    no dash here
                """,
        },
    )
    assert len(report.diagnostics) == len(set(report.diagnostics))
    assert len([d for d in report.diagnostics if "groups" in d.message]) == 1
    assert len([d for d in report.diagnostics if "without `- `" in d.message]) == 1


def test_odd_slot_types_and_enum_lookups(tmp_path: Path) -> None:
    report, texts = import_files(
        tmp_path,
        {
            "domain.yml": DOMAIN_HEAD
            + """
intents: [inform]
entities: [size]
slots:
  size:
    type: categorical
    values: [small]
    mappings: [{type: from_entity, entity: size}]
  custom:
    type: addons.MySlot
    mappings: [{type: custom}]
""",
            "data/nlu.yml": """
                nlu:
                - lookup: size
                  examples: |
                    - large
                """,
        },
    )
    assert_parses(texts)
    domain = texts["domain.assist"]
    assert "entity size: enum\n  small\n  large" in domain
    assert "# rasa: slot type `addons.MySlot` imported as `any`" in domain
    assert "slot custom: any" in domain
    assert any("merged" in m for m in messages(report, "W1307"))


def test_end_to_end_user_text_is_a_story_turn_but_not_in_rules_or_with_entities(
    tmp_path: Path,
) -> None:
    report, texts = import_files(
        tmp_path,
        {
            "domain.yml": DOMAIN_HEAD + "intents: [greet]\nentities: [cuisine]\n"
            "responses:\n  utter_greet:\n  - text: hi\n",
            "data/stories.yml": """
                stories:
                - story: typed
                  steps:
                  - user: "  Hello   there "
                  - action: utter_greet
                - story: annotated
                  steps:
                  - user: "some [sushi](cuisine)"
                  - action: utter_greet
                """,
            "data/rules.yml": """
                rules:
                - rule: typed rule
                  steps:
                  - user: "hello"
                  - action: utter_greet
                """,
        },
    )
    assert_parses(texts)
    assert 'story typed:\n  user "Hello   there"\n  bot utter_greet\n' in texts["stories.assist"]
    left_out = messages(report, "W1308")
    assert any("annotated" in m and "entity annotations" in m for m in left_out)
    assert any("typed rule" in m and "without an intent" in m for m in left_out)
    assert len(left_out) == 2


def test_test_turns_give_their_intent_and_annotated_entities(tmp_path: Path) -> None:
    """`rasa test` takes a turn's intent and annotated entities as given (docs/rasa.md):
    `meaning`, with synonym values; a value the enum lacks leaves the test out; a turn
    with text alone is an approximation (W1307)."""
    report, texts = import_files(
        tmp_path,
        {
            "domain.yml": DOMAIN_HEAD
            + """
intents: [order, greet]
entities: [size]
slots:
  size: {type: categorical, values: [small, large], mappings: [{type: from_entity, entity: size}]}
responses:
  utter_ok: [{text: ok}]
""",
            "data/nlu.yml": """
                nlu:
                - intent: order
                  examples: |
                    - a [small](size) one
                - synonym: large
                  examples: |
                    - big
                """,
            "tests/test_stories.yml": """
                stories:
                - story: given
                  steps:
                  - user: 'a [big](size) one, [small]{"entity": "size"} for you'
                    intent: order
                  - action: utter_ok
                  - user: hello
                  - action: utter_ok
                - story: huge
                  steps:
                  - user: a [huge](size) one
                    intent: order
                  - action: utter_ok
                """,
        },
    )
    assert_parses(texts)
    tests = texts["tests.assist"]
    assert 'user "a big one, small for you" meaning order(size=large, size=small)' in tests
    assert 'user "hello"\n  bot utter_ok' in tests
    assert any("'hello' has no intent" in m for m in messages(report, "W1307"))
    assert messages(report, "W1308") == [
        "test 'huge' left out: entity value 'huge' of 'size' has no literal here"
    ]
