"""Say what the parser expected in words, not token names, and name common mistakes."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from lark import Token
from lark.exceptions import UnexpectedToken

_WORDS: dict[str, str] = {
    "NAME": "a name",
    "TITLE": "a title",
    "STRING": 'a quoted string ("…")',
    "STRING_LINES": 'a quoted string ("…")',  # only the fast lexer makes this token
    "INT": "a whole number",
    "FLOAT": "a number",
    "COMPARE": "a comparison (==, !=, <, <=, >, >=)",
    "_NL": "the end of the line",
    "_INDENT": "an indented block",
    "_DEDENT": "the end of the indented block",
    "COLON": "`:`",
    "EQUAL": "`=`",
    "COMMA": "`,`",
    "LPAR": "`(`",
    "RPAR": "`)`",
    "LSQB": "`[`",
    "RSQB": "`]`",
    "DOT": "`.`",
    "VBAR": "`|`",
    "__ANON_0": "`->`",
    "$END": "the end of the file",
}


def _word(terminal: str) -> str:
    if terminal in _WORDS:
        return _WORDS[terminal]
    if terminal.startswith("__ANON"):
        return "`->`"
    return f"`{terminal.lower()}`"


def describe_expected(terminals: Iterable[str]) -> str:
    """`expected a name or `:`` — sorted so the message is stable."""
    words = sorted({_word(t) for t in terminals})
    if not words:
        return "check the syntax of this line against docs/language.md"
    if len(words) > 8:
        words = [*words[:8], "…"]
    if len(words) == 1:
        return f"expected {words[0]}"
    return "expected " + ", ".join(words[:-1]) + " or " + words[-1]


def describe_token(token: Token) -> str:
    """The token found, in words, quoting what was written."""
    if token.type == "_NL":
        return "end of line"
    if token.type == "_INDENT":
        return "indentation"
    if token.type == "_DEDENT":
        return "end of block"
    text = str(token.value).split("\n", 1)[0]
    if token.type == "STRING":
        return f"string {text}"
    if token.type in ("INT", "FLOAT"):
        return f"number {text}"
    if token.type == "NAME":
        return f"name `{text}`"
    return f"`{text}`"


# --------------------------------------------------------------------------- common mistakes


@dataclass(frozen=True)
class Mistake:
    """A frequent syntax error, told in words. `message` may name what was `{found}`."""

    message: str
    hint: str
    examples: tuple[str, ...]
    """Small sources that make this mistake; each must fail to parse."""
    any_token: bool = False
    """Match every token in the failing state, not only the kinds the examples show."""


_STEPS = (
    *("user a", "user a | b", "user a(x=1)", "bot b", "run c", "form d", "slot e = 1"),
    "include other story",
)
_CONDITIONS = ("when conversation starts", "when form f active", "when x", "when x == 1")
_TEST_STEPS = (
    *('user "hi"', 'user "hi" as greet', "bot b", 'bot "hi"', "run c", "slot e = 1", "form f"),
    *("form f completes", "form f completes with e = 1"),
)

MISTAKES: tuple[Mistake, ...] = (
    Mistake(
        "missing `:` at the end of the definition header",
        "a definition is a header ending in `:` (`intent greet:`), then its indented body",
        (
            'intent greet\n  "hi"\n',
            'response utter_hi\n  "hi"\n',
            "form order\n  ask size\n",
            "story happy path\n  user greet\n",
            "rule say hi\n  user greet\n",
            'test greeting\n  user "hi"\n',
            "config\n  seed = 1\n",
            "entity size enum\n",
            "slot size text\n",
            'action place_order()\n  python "a.py"\n',
        ),
        any_token=True,
    ),
    Mistake(
        "`{found}` does not start a story step",
        'a step is `user INTENT`, `user "TEXT"` (stories only), `bot RESPONSE`, '
        "`run ACTION`, `form FORM`, `slot NAME = VALUE` or `include STORY`; a rule may "
        "begin with `when …` lines",
        tuple(
            f"{header}:\n{before}  say hello\n"
            for header in ("story s", "rule r")
            for before in ("", *(f"  {step}\n" for step in _STEPS))
        )
        + tuple(f"rule r:\n  {condition}\n  say hello\n" for condition in _CONDITIONS),
        any_token=True,
    ),
    Mistake(
        "a rule's user turn is an intent, not a text",
        'rules match intents: write `user INTENT`; a story may say the text (`user "TEXT"`)',
        tuple(
            f'rule r:\n{before}  user "hi"\n'
            for before in ("", "  when x\n", "  user a\n  bot b\n")
        ),
    ),
    Mistake(
        "`{found}` does not start a test step",
        'a test step is `user "TEXT" [as INTENT]`, `bot RESPONSE` or `bot "TEXT"`, '
        "`run ACTION`, `slot NAME = VALUE` or `form FORM [completes [with NAME = VALUE, …]]`",
        tuple(
            f"test t:\n{before}  say hello\n"
            for before in ("", *(f"  {step}\n" for step in _TEST_STEPS))
        ),
        any_token=True,
    ),
    Mistake(
        "an intent reached only by payload has no examples",
        "`intent NAME: payload only` is the whole declaration: delete the examples, or "
        "write `intent NAME:` with them below if the NLU should recognise the intent",
        ('intent faq: payload only\n  "what is this"\n', 'intent faq: payload only "hi"\n'),
        any_token=True,
    ),
    Mistake(
        "a condition compares with `==`, not `=`",
        "write `size == large`; a single `=` sets a value (`slot size = large`)",
        ('response r:\n  "x" if size = large\n', "rule r:\n  when size = large\n  user a\n"),
    ),
    Mistake(
        "this text needs double quotes",
        'write it as a string, "like this": examples, responses, phrases and test '
        "messages are quoted",
        tuple(
            f"intent greet:\n{before}  {text}\n"
            for before in ("", '  "hi"\n', "  generate 5\n")
            for text in ("hello there", "2 pizzas")
        )
        + tuple(
            f"response utter_hi:\n{before}  Hello!\n"
            for before in ("", *(f'  "Hi"{extra}\n' for extra in ("", " if a", " if not a")))
        )
        + ("phrase polite = please | kindly\n", "test t:\n  user hello\n"),
    ),
)


class MistakeCatalogue:
    """Lark's `match_examples` idea, precomputed: each example fails in some parser state
    with some kind of token, and an error in the same state with the same kind of token
    is the same mistake."""

    def __init__(self, parse: Callable[[str], object], mistakes: Iterable[Mistake]) -> None:
        self._by_state: dict[tuple[Any, str], Mistake] = {}
        self.unusable: list[str] = []
        """Examples that do not fail with an unexpected token (after a grammar change):
        skipped here, so a user's error is still reported; a test keeps this empty."""
        for mistake in mistakes:
            for example in mistake.examples:
                try:
                    parse(example)
                except UnexpectedToken as error:
                    kind = "*" if mistake.any_token else error.token.type
                    self._by_state.setdefault((error.state.position, kind), mistake)
                    continue
                except Exception:  # any other failure: this example teaches nothing
                    pass
                self.unusable.append(example)

    def match(self, error: UnexpectedToken) -> Mistake | None:
        if error.state is None:
            return None
        position = error.state.position
        return self._by_state.get((position, error.token.type)) or self._by_state.get(
            (position, "*")
        )
