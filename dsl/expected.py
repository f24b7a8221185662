"""Say what the parser expected in words, not token names."""

from __future__ import annotations

from collections.abc import Iterable

from lark import Token

_WORDS: dict[str, str] = {
    "NAME": "a name",
    "TITLE": "a title",
    "STRING": 'a quoted string ("…")',
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
