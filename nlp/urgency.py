"""Urgency: words that make a case same-day (停电, 漏气, 塌…), unless negated (没有漏气了)."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["URGENT_WORDS", "Urgency", "detect_urgency"]

URGENT_WORDS: tuple[str, ...] = (
    "停电", "断电", "停水", "断水", "没水", "漏气", "燃气泄漏", "煤气泄漏", "闻到煤气", "着火",
    "起火", "火灾", "失火", "冒烟", "坍塌", "塌方", "倒塌", "塌陷", "要塌", "滑坡", "泥石流",
    "排污", "偷排", "污水外溢", "化粪池", "落水", "溺水", "掉进河", "触电", "电线掉", "漏电",
    "人身安全", "有危险", "危房", "被困", "受伤", "爆炸", "中毒", "洪水", "内涝", "被淹",
)  # fmt: skip

# A negation shortly before the word cancels it: 没有漏气了, 已经不停电, 并未塌方.
_NEGATIONS = ("没有", "没", "无", "不再", "未", "不会", "并未", "已经不", "不是")
_WINDOW = 4
_CLAUSE_BREAK = re.compile(r"[，,。.；;！!？?\n]")


@dataclass(frozen=True)
class Urgency:
    urgent: bool
    words: tuple[str, ...]


_ANY_URGENT = re.compile(
    "|".join(re.escape(w) for w in sorted(URGENT_WORDS, key=len, reverse=True))
)


def detect_urgency(text: str) -> Urgency:
    found: list[str] = []
    for match in _ANY_URGENT.finditer(text):
        word = match.group(0)
        if word in found:
            continue
        # Only a negation in the same clause counts: "没人管，漏气了" is still urgent.
        clause = _CLAUSE_BREAK.split(text[max(0, match.start() - 20) : match.start()])[-1]
        before = clause[-_WINDOW:]
        if any(neg in before for neg in _NEGATIONS):
            continue
        found.append(word)
    return Urgency(bool(found), tuple(found))
