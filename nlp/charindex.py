"""Finding a character file's keys in a message with a few array operations.

A 300-character message holds about 400 distinct characters and pairs. Looking each up in a
Python dictionary of 30,000 keys costs more than everything else the classifier does, so
keys of up to three Chinese characters are numbered (one 64-bit integer per key) and the
message's characters, pairs and triples are looked up all at once in the sorted numbers.
Longer keys and Latin words (rare) go through a dictionary. The strings found are exactly
those of :func:`nlp.features.char_grams`, which learning uses.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from nlp.features import _HAN_RUN, _LATIN_WORD, HEAD_BOOST, char_grams

__all__ = ["CharIndex"]

_SHORT = 3  # keys up to this many characters are numbered
_BITS = 21  # every code point fits in 21 bits


def _is_han(points: np.ndarray) -> np.ndarray:
    # The ranges of nlp.features._HAN_RUN.
    return ((points >= 0x3400) & (points <= 0x9FFF)) | ((points >= 0xF900) & (points <= 0xFAFF))


def _code(key: str) -> int:
    """Distinct for every string of one to three characters."""
    points = [ord(ch) for ch in key]
    if len(points) == 1:
        return points[0]
    if len(points) == 2:
        return (points[0] + 1) << _BITS | points[1]
    return (points[0] + 1) << 2 * _BITS | points[1] << _BITS | points[2]


class CharIndex:
    def __init__(self, rows: Mapping[str, int]) -> None:
        short = {
            key: row for key, row in rows.items() if len(key) <= _SHORT and _HAN_RUN.fullmatch(key)
        }
        codes = np.array([_code(k) for k in short], dtype=np.uint64)
        order = np.argsort(codes)
        # A sentinel above every code: a search never runs off the end.
        self._codes = np.append(codes[order], np.uint64(2**64 - 1))
        self._rows = np.append(np.array(list(short.values()), dtype=np.intp)[order], -1)
        self._lengths = sorted({len(k) for k in short})
        self._others = {k: r for k, r in rows.items() if k not in short}
        self._other_lengths = sorted({len(k) for k in self._others if not k.isascii()})
        self._latin = any(k.isascii() for k in self._others)

    def find(self, text: str, head: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """Rows of the distinct keys found in ``text``, and their boosts: ``HEAD_BOOST``
        for a key found inside ``head`` (start, end), 1 otherwise."""
        points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        han = _is_han(points)
        start, end = head
        positions = np.arange(points.size)
        codes, heads = [], []
        for n in self._lengths:
            if points.size < n:
                continue
            last = points.size - n + 1
            valid = han[:last].copy()
            code = points[:last].copy()
            if n > 1:
                code += 1
            for k in range(1, n):
                valid &= han[k : k + last]
                code = code << _BITS | points[k : k + last]
            codes.append(code[valid])
            heads.append(((positions[:last] >= start) & (positions[:last] + n <= end))[valid])
        rows = np.zeros(0, dtype=np.intp)
        boosts = np.zeros(0)
        if codes:
            every, in_head = self._distinct(np.concatenate(codes), np.concatenate(heads))
            # Needles in order: the binary searches then walk the keys in one direction,
            # which keeps them in the cache (3× faster than in text order on a busy box).
            at = np.searchsorted(self._codes, every)
            hit = self._codes[at] == every
            rows = self._rows[at[hit]]
            boosts = np.where(in_head[hit], HEAD_BOOST, 1.0)
        if self._others:
            rows, boosts = self._add_others(text, head, rows, boosts)
        return rows, boosts

    def _distinct(self, codes: np.ndarray, in_head: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each code once, in order, marked as in the head if any occurrence is."""
        if self._lengths[-1] < 3:  # codes under 2**43: the head flag fits in the lowest bit
            both = np.sort(codes << 1 | (~in_head).astype(np.uint64))
            codes, in_head = both >> 1, (both & 1) == 0
        else:
            order = np.lexsort((~in_head, codes))
            codes, in_head = codes[order], in_head[order]
        first = np.empty(codes.size, dtype=bool)
        first[:1] = True
        np.not_equal(codes[1:], codes[:-1], out=first[1:])
        return codes[first], in_head[first]

    def _add_others(
        self, text: str, head: tuple[int, int], rows: np.ndarray, boosts: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Longer keys and Latin words, through the dictionary (as char_grams finds them)."""
        others = self._others
        lengths = self._other_lengths

        def found(part: str) -> list[int]:
            grams = char_grams(part, lengths) if lengths else set()
            if self._latin:
                grams |= {w.lower() for w in _LATIN_WORD.findall(part)}
            return [others[g] for g in grams if g in others]

        start, end = head
        extra = [(r, 1.0) for r in found(text)]
        if end > start:
            extra += [(r, HEAD_BOOST) for r in found(text[start:end])]
        if not extra:
            return rows, boosts
        strongest: dict[int, float] = {}
        for row, boost in extra:
            strongest[row] = max(boost, strongest.get(row, 0.0))
        return (
            np.concatenate([rows, np.fromiter(strongest, dtype=np.intp)]),
            np.concatenate([boosts, np.fromiter(strongest.values(), dtype=float)]),
        )
