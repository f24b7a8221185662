"""Regex building helpers shared by the extractors."""

from __future__ import annotations

import re
from collections.abc import Iterable

_Trie = dict[str, "_Trie"]
_END = ""
"""Key marking that a word ends at this node."""


def word_alternation(words: Iterable[str]) -> str:
    """A regex matching any of `words`, longer ones first, shaped as a trie.

    Python's `re` tries the branches of `a|b|c` one by one; factoring out common prefixes
    (`t(?:en|wo|hree)`) lets a position be rejected after a character or two instead of
    after trying every word, which keeps long adversarial inputs cheap.
    """
    trie: _Trie = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[_END] = {}
    return _pattern(trie)


def _pattern(node: _Trie) -> str:
    branches = [re.escape(char) + _pattern(child) for char, child in sorted(node.items()) if char]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
    return f"(?:{body})?" if _END in node else body
