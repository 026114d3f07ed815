"""One jieba tokenizer per vocabulary, so county words are segmented whole."""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable

import jieba

__all__ = ["make_tokenizer"]

jieba.setLogLevel(logging.WARNING)


def make_tokenizer(words: Iterable[str], *, frequency: int = 200_000) -> jieba.Tokenizer:
    """A jieba tokenizer that knows ``words`` (keywords, place names) as whole tokens.

    Its own instance, not jieba's global one: two counties or two keyword files in one
    process must not leak words into each other. Built once per vocabulary (loading
    jieba's dictionary takes about half a second).
    """
    return _cached(frozenset(w for w in words if w), frequency)


@functools.lru_cache(maxsize=8)
def _cached(words: frozenset[str], frequency: int) -> jieba.Tokenizer:
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word in sorted(words):
        tokenizer.add_word(word, freq=frequency)
    return tokenizer
