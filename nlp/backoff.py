"""The short-text fallback: the likeliest category of a message no keyword matched.

A resident types "营业执招丢了" (a typo), "小巴车塞得满满的" or "执照办理": no keyword of
the file is in it, yet any clerk knows where it goes. Two kinds of weak evidence, used only
when the keywords found nothing:

- each category's ``backoff:`` words in the keyword file (小区, 车, 医…), found anywhere in
  the text, each its points (a list gives every word one point);
- pairs of characters taken from the words of the keywords themselves: 营业 occurs only in
  商贸旅游's keywords (营业执照, 营业时间…), 理费 only in 城乡建设's (物业管理费), so a
  message with 营业 leans to 商贸旅游. Pairs are taken inside the dictionary words a
  keyword is made of (暖气不热 gives 暖气, not 气不), and a pair counts its category's
  share of the keyword weight it occurs in, only when that share is at least
  ``DECISIVE_SHARE``; pairs of the general words every message uses (我们, 问题…) never
  count.

The result is a guess, and says so: its confidence stays under 0.3, so intake asks the
resident to confirm whenever more than one category came up.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from nlp.features import char_grams
from nlp.tokenizer import make_tokenizer

__all__ = ["DECISIVE_SHARE", "Backoff", "Guess"]

DECISIVE_SHARE = 0.8
MAX_CONFIDENCE = 0.3
# A guess needs half a point at the least: one single-character backoff word will do.
MIN_SCORE = 0.5

# Pairs that occur inside keywords but say nothing about the topic.
_GENERAL = frozenset((
    "我们", "你们", "他们", "一个", "没有", "什么", "可以", "不是", "这个", "那个", "现在", "今天",
    "时候", "问题", "反映", "希望", "请问", "你好", "谢谢", "情况", "怎么", "政府", "领导",
    "部门", "相关", "解决", "市民", "单位", "公司", "服务", "不能", "不给", "不让", "不到", "一直",
    "已经", "还是", "就是", "知道", "需要", "能不", "不了", "了吗", "是否", "如何", "哪里", "多少",
    "个月", "一下", "一些", "有关", "工作", "管理", "要求", "进行", "存在", "严重", "影响", "处理",
    "导致", "问下", "咨询", "投诉", "举报", "建议", "求助", "关于", "恳请",
))  # fmt: skip


@dataclass(frozen=True)
class Guess:
    category: str
    confidence: float
    words: list[str]  # the nouns and character pairs that suggested it, strongest first
    ranking: list[tuple[str, float]]


class Backoff:
    def __init__(
        self, weights: Mapping[str, Mapping[str, float]], nouns: Mapping[str, Mapping[str, float]]
    ) -> None:
        self._order = {name: number for number, name in enumerate(weights)}
        self._nouns = {
            c: sorted(words.items(), key=lambda item: len(item[0]), reverse=True)
            for c, words in nouns.items()
        }
        mass: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        plain = make_tokenizer(())  # jieba's own dictionary: the words inside a keyword
        for category, table in weights.items():
            for keyword, weight in table.items():
                if weight <= 0 or " " in keyword:
                    continue
                pairs = set().union(*(char_grams(w, (2,)) for w in plain.lcut(keyword)))
                for pair in pairs:
                    mass[pair][category] += weight
        self._pairs: dict[str, tuple[str, float]] = {}
        for pair, by_category in mass.items():
            if pair in _GENERAL:
                continue
            category, best = max(by_category.items(), key=lambda item: (item[1], item[0]))
            share = best / sum(by_category.values())
            if share >= DECISIVE_SHARE:
                self._pairs[pair] = (category, share)

    def guess(self, text: str, allowed: set[str] | None = None, *, never: str = "") -> Guess | None:
        """The likeliest category, or None; never ``never`` (the fallback category: a guess
        that says 其他 says nothing, and intake then asks the resident outright)."""
        scores: dict[str, float] = defaultdict(float)
        evidence: dict[str, list[tuple[float, str]]] = defaultdict(list)
        covered = ""  # a longer backoff word hides the shorter ones inside it
        for category, words in self._nouns.items():
            for word, points in words:
                if word in text and word not in covered:
                    scores[category] += points
                    evidence[category].append((points, word))
                    covered += word + "|"
        for pair in char_grams(text, (2,)):
            found = self._pairs.get(pair)
            if found and pair not in covered:
                category, share = found
                scores[category] += share
                evidence[category].append((share, pair))
        ranking = sorted(
            ((c, s) for c, s in scores.items() if (allowed is None or c in allowed) and c != never),
            key=lambda item: (-item[1], self._order.get(item[0], len(self._order))),
        )
        if not ranking or ranking[0][1] < MIN_SCORE:
            return None
        best, score = ranking[0]
        runner_up = ranking[1][1] if len(ranking) > 1 else 0.0
        words = [w for _s, w in sorted(evidence[best], key=lambda e: (-e[0], e[1]))]
        return Guess(best, MAX_CONFIDENCE * score / (score + runner_up), words, ranking)
