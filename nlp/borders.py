"""Border rules: words whose category depends on the sector the message is about.

停车 is traffic on a street but property management in an estate; 装修 is housing in a
flat but a consumer dispute with a shop. A rule in the keyword file says so::

    borders:
      - note: 小区里的停车归物业管理
        when: [物业, 业主, 小区]
        words: [停车, 停车费, 车位]
        to: 城乡建设

When the message contains one of the ``when`` words (anywhere, as written) and none of the
optional ``unless`` words (a department named outright: 交警, 市场监管…), each of the
``words`` it contains counts for ``to`` — with the largest weight it has anywhere — and no
longer for the category it is listed under. The first rule that moves a word wins.

Words that only say *where* something is (医院门口, 学校旁边) are handled by ``locatives``:
a keyword directly followed by one of those words counts ``factor`` times its weight.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["BorderRule", "Locatives", "parse_borders", "parse_locatives"]


@dataclass(frozen=True)
class BorderRule:
    when: tuple[str, ...]
    words: frozenset[str]
    to: str
    note: str = ""
    unless: tuple[str, ...] = ()

    def applies(self, text: str) -> bool:
        return any(word in text for word in self.when) and not any(
            word in text for word in self.unless
        )


@dataclass(frozen=True)
class Locatives:
    words: frozenset[str] = frozenset()
    factor: float = 1.0


def _words(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise ValueError(f"{where} must be a list of words")
    words = tuple(str(w).strip() for w in value if str(w).strip())
    if not words:
        raise ValueError(f"{where} must be a list of words")
    return words


def parse_borders(raw: Any, categories: Iterable[str]) -> tuple[BorderRule, ...]:
    """The ``borders:`` list; raises ValueError naming the rule that is wrong."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ValueError("'borders' must be a list of rules")
    known = set(categories)
    rules = []
    for number, body in enumerate(raw, start=1):
        where = f"borders rule {number}"
        if not isinstance(body, Mapping):
            raise ValueError(f"{where}: expected when:, words: and to:")
        to = str(body.get("to", "")).strip()
        if to not in known:
            raise ValueError(f"{where}: 'to: {to}' is not a category of this file")
        unless = body.get("unless")
        rules.append(
            BorderRule(
                _words(body.get("when"), f"{where}: 'when'"),
                frozenset(_words(body.get("words"), f"{where}: 'words'")),
                to,
                str(body.get("note", "")),
                _words(unless, f"{where}: 'unless'") if unless is not None else (),
            )
        )
    return tuple(rules)


def parse_locatives(raw: Any) -> Locatives:
    if raw is None:
        return Locatives()
    if not isinstance(raw, Mapping):
        raise ValueError("'locatives' must map factor: and words:")
    try:
        factor = float(raw.get("factor", 1.0))
    except (TypeError, ValueError):
        raise ValueError("locatives: 'factor' must be a number") from None
    if not 0 <= factor <= 1:
        raise ValueError("locatives: 'factor' must be between 0 and 1")
    return Locatives(frozenset(_words(raw.get("words"), "locatives: 'words'")), factor)
