"""Typed answers to the latest choices: "2", "２", "2.", "第2个", the label itself ("骥马村"), or
a unique part of it ("骥马"). WeChat shows choices only as numbered lists, and some people
type the words: both must work like pressing the button."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

__all__ = ["looks_like_number", "match_choice", "number_of"]

_NUMBER = re.compile(r"^(?:第)?(\d{1,2})(?:个|项|号)?[.。、)）]?$")
_SLACK = 4  # characters a label may be padded with (我选, 谢谢) and still be that choice
_NOISE = re.compile(r"[\s,，.。、!！?？:：;；'\"“”‘’()（）【】\[\]]")


def _fold(text: str) -> str:
    return _NOISE.sub("", unicodedata.normalize("NFKC", text)).lower()


def number_of(text: str) -> int | None:
    """The number a typed reply means ("２" and "第2个" are 2), or None."""
    match = _NUMBER.match(unicodedata.normalize("NFKC", text).strip())
    return int(match.group(1)) if match else None


def looks_like_number(text: str) -> bool:
    return number_of(text) is not None


def match_choice(choices: Sequence[Sequence[Any]], text: str) -> str | None:
    """The action of the choice ``text`` names, or None."""
    if not text or not choices:
        return None
    number = number_of(text)
    if number is not None:
        return choices[number - 1][1] if 1 <= number <= len(choices) else None
    wanted = _fold(text)
    if not wanted:
        return None
    labels = [(_fold(str(label)), action) for label, action in choices]
    for label, action in labels:
        if label == wanted:
            return action
    if len(wanted) < 2:
        return None
    # A unique part of a label (骥马 → 骥马村), or a label inside a few more words (选骥马村,
    # 非常满意谢谢) — not inside a sentence, which is a message of its own.
    partial = [
        (label, action)
        for label, action in labels
        if wanted in label or (label in wanted and len(wanted) <= len(label) + _SLACK)
    ]
    if len(partial) == 1:
        return partial[0][1]
    # 非常满意 also contains 满意: the label that contains every other match wins.
    widest = [(lb, a) for lb, a in partial if all(other in lb for other, _ in partial)]
    return widest[0][1] if len(widest) == 1 else None
