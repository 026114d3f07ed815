"""What the classifier counts in a message, shared by classification and learning so a
learned keyword file scores exactly as its training did."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

__all__ = [
    "CHAR_LENGTHS",
    "FEATURE_KINDS",
    "HEAD_BOOST",
    "char_features",
    "char_grams",
    "features",
    "head_length",
    "is_word",
]

# What a keyword file's keys are matched against: jieba words ("words", the hand-written
# file) or character strings found anywhere in the text ("chars", learned files by default:
# no tokenizer at all, so a message costs one set of slices and dictionary lookups).
FEATURE_KINDS = ("words", "chars")
# What `nlp learn` counts in a character file: single characters and pairs.
CHAR_LENGTHS = (1, 2)

# The first sentence usually names the problem (留言板 titles, "东岭村的路灯坏了，…").
HEAD_BOOST = 1.5
_FIRST_SENTENCE = re.compile(r"^[^。！？!?\n；;]{1,40}")
_WORD = re.compile(r"[\w\u4e00-\u9fff]")
# Runs of Chinese characters (n-grams never cross punctuation, digits or Latin text), and
# Latin words, which count whole and in lower case (wy, xq, KTV).
_HAN_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


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


def features(
    tokens: Sequence[str],
    head: tuple[int, int],
    *,
    bigrams: bool,
    locatives: frozenset[str] = frozenset(),
    locative_factor: float = 1.0,
) -> dict[str, float]:
    """Each distinct word once, 1.5 when it appears in the first sentence; with ``bigrams``
    also each pair of adjacent words as ``"a b"``. A word directly followed by one of
    ``locatives`` (医院 in 医院门口, 学校 in 学校的旁边) only names a place: it counts
    ``locative_factor`` times. A word keeps its strongest occurrence."""
    head_start, head_end = head
    found: dict[str, float] = {}
    position = 0
    previous: str | None = None
    last = len(tokens) - 1
    for number, token in enumerate(tokens):
        start, position = position, position + len(token)
        if not is_word(token):
            previous = None
            continue
        weight = HEAD_BOOST if head_start <= start < head_end else 1.0
        if locatives and number < last:
            following = tokens[number + 1]
            if following == "的" and number + 1 < last:
                following = tokens[number + 2]
            if following in locatives:
                weight *= locative_factor
        if found.get(token, 0.0) < weight:
            found[token] = weight
        if bigrams and previous is not None:
            pair = f"{previous} {token}"
            if found.get(pair, 0.0) < weight:
                found[pair] = weight
        previous = token
    return found


def char_grams(text: str, lengths: Sequence[int]) -> set[str]:
    """Every run of ``n`` Chinese characters in ``text`` for each ``n`` in ``lengths``, and
    every Latin word (lower case)."""
    found: set[str] = {word.lower() for word in _LATIN_WORD.findall(text)}
    for run in _HAN_RUN.findall(text):
        for n in lengths:
            if n == 1:
                found.update(run)
            elif len(run) >= n:
                found.update([run[i : i + n] for i in range(len(run) - n + 1)])
    return found


def char_features(text: str, lengths: Sequence[int] = CHAR_LENGTHS) -> dict[str, float]:
    """Each distinct character string of ``lengths`` once, 1.5 when it is in the first
    sentence: what a character file is learned from and scored on."""
    start, end = head_length(text)
    found = dict.fromkeys(char_grams(text, lengths), 1.0)
    if end > start:
        found.update(dict.fromkeys(char_grams(text[start:end], lengths), HEAD_BOOST))
    return found
