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


# A greeting is not the problem: "尊敬的领导：您好！我家楼下饭店油烟……" boosts the 油烟 part.
_SALUTATION = re.compile(
    r"^\s*(?:尊敬的[^：:，,！!。]{0,12}[：:，,]\s*)?(?:(?:您|你们|大家)好[！!，,。：:]?\s*)?"
)


def head_length(text: str) -> tuple[int, int]:
    """Where the first sentence is, as (start, end) character offsets, after a greeting."""
    start = _SALUTATION.match(text).end()  # type: ignore[union-attr]  # always matches
    match = _FIRST_SENTENCE.match(text, start)
    return (start, match.end()) if match else (start, start)


@functools.lru_cache(maxsize=65536)
def is_word(token: str) -> bool:
    """Tokens that can carry meaning: not punctuation, spaces or bare numbers."""
    return bool(_WORD.search(token)) and not token.isdigit()


def features(tokens: Sequence[str], head: tuple[int, int], *, bigrams: bool) -> dict[str, float]:
    """Each distinct word once, 1.5 when it appears in the first sentence; with ``bigrams``
    also each pair of adjacent words as ``"a b"``."""
    head_start, head_end = head
    found: dict[str, float] = {}
    position = 0
    previous: str | None = None
    for token in tokens:
        start, position = position, position + len(token)
        if not is_word(token):
            previous = None
            continue
        weight = HEAD_BOOST if head_start <= start < head_end else 1.0
        if found.get(token, 0.0) < weight:
            found[token] = weight
        if bigrams and previous is not None:
            pair = f"{previous} {token}"
            if found.get(pair, 0.0) < weight:
                found[pair] = weight
        previous = token
    return found
