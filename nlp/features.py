"""What the classifier counts in a message, shared by classification and learning so a
learned keyword file scores exactly as its training did."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

__all__ = ["HEAD_BOOST", "features", "head_length", "is_word"]

# The first sentence usually names the problem (留言板 titles, "东岭村的路灯坏了，…").
HEAD_BOOST = 1.5
_FIRST_SENTENCE = re.compile(r"^[^。！？!?\n；;]{1,40}")
_WORD = re.compile(r"[\w\u4e00-\u9fff]")


def head_length(text: str) -> int:
    match = _FIRST_SENTENCE.match(text)
    return match.end() if match else 0


@functools.lru_cache(maxsize=65536)
def is_word(token: str) -> bool:
    """Tokens that can carry meaning: not punctuation, spaces or bare numbers."""
    return bool(_WORD.search(token)) and not token.isdigit()


def features(tokens: Sequence[str], head_end: int, *, bigrams: bool) -> dict[str, float]:
    """Each distinct word once, 1.5 when it appears in the first sentence; with ``bigrams``
    also each pair of adjacent words as ``"a b"``."""
    found: dict[str, float] = {}
    position = 0
    previous: str | None = None
    for token in tokens:
        start, position = position, position + len(token)
        if not is_word(token):
            previous = None
            continue
        weight = HEAD_BOOST if start < head_end else 1.0
        if found.get(token, 0.0) < weight:
            found[token] = weight
        if bigrams and previous is not None:
            pair = f"{previous} {token}"
            if found.get(pair, 0.0) < weight:
                found[pair] = weight
        previous = token
    return found
