"""Do two short texts say the same thing? One measure for hometown suggestions (merged as
supports) and residents' cases (offered as 我也遇到).

Character unigrams weighted by rarity (inverse document frequency over 980 citizen
messages, ``data/char_df.yaml``), compared by cosine. Before counting, the county's place
names and the filler of requests (建议, 希望, 能不能, 麻烦…) are taken out: they are what
two *different* problems of one village share. Two texts naming different townships, or
different grids, are never the same problem, however alike the rest (东岭村的路灯坏了 /
骥马村的路灯坏了).

Measured on ``tests/data/similar_pairs.csv`` (``grid-intake suggestions similarity``);
the figures are in BENCHMARKS.md. Character unigrams beat character bigrams, jieba words
and their mixtures on those pairs: paraphrases share few exact bigrams (停水 / 断水).
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from nlp.places import Gazetteer

__all__ = [
    "OFFER",
    "SIMILAR",
    "Places",
    "TextSignature",
    "document_frequencies",
    "signature",
    "similarity",
]

# Two thresholds on the one measure, both chosen on the labelled pairs (BENCHMARKS.md).
# A suggestion at or above SIMILAR is merged without asking: precision first, since a
# wrong merge hides a suggestion while a missed one only splits its supports.
SIMILAR = 0.30
# A resident at or above OFFER is only *offered* to follow the earlier case (我也遇到) and
# decides; a wrong offer costs one tap, so recall matters more here.
OFFER = 0.20

_WEIGHTS = Path(__file__).parent / "data" / "char_df.yaml"
_HAN = re.compile(r"[\u4e00-\u9fff]")
# The wrapping of a request, not its content; longest first so 能不能 goes before 能.
_FILLER_WORDS = """
建议 希望 能不能 能否 可不可以 可以 麻烦 一下 我们 咱们 大家 请 尽快 赶紧 问题 反映
情况 谢谢 有关部门 相关部门 政府 领导 现在 已经 还是 一直 真的 非常 特别 实在 好像
这个 那个 这些 那些 什么 怎么 为什么 老家 村里 帮忙 帮助 关注 处理 解决 一些 有点
有些 了 的 地 得 吧 啊 呢 吗 嘛 呀 都 也 就 又 还 在 把 给 有 是 个 要 好 很 太 和
与 及 对 被 让 这 那 我 你 他 她 它
"""
_FILLER = sorted(_FILLER_WORDS.split(), key=len, reverse=True)


@dataclass(frozen=True)
class Places:
    """The county's place names: grids (names and places), townships, and which township
    each grid lies in, so that 福利镇 and 福利社区 agree while 福利镇 and 高田镇 do not."""

    grids: Gazetteer
    townships: Gazetteer  # township names → township codes
    township_of: Mapping[str, str]  # grid code → township code
    # Signatures already made with these places: a new suggestion is compared with every
    # open one of its station, whose texts do not change.
    cache: dict[str, TextSignature] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class TextSignature:
    """What ``similarity`` compares: weighted characters and the grids the text names."""

    weights: dict[str, float]
    norm: float
    grids: frozenset[str]
    townships: frozenset[str]


def document_frequencies(texts: Iterable[str]) -> tuple[int, Counter[str]]:
    """(number of texts, in how many of them each Chinese character occurs)."""
    counts: Counter[str] = Counter()
    total = 0
    for text in texts:
        total += 1
        counts.update(set(_HAN.findall(unicodedata.normalize("NFKC", text))))
    return total, counts


@functools.lru_cache(maxsize=1)
def _idf() -> tuple[dict[str, float], float]:
    data = yaml.safe_load(_WEIGHTS.read_text(encoding="utf-8"))
    documents = int(data["documents"])
    idf = {
        str(char): math.log((documents + 1) / (int(n) + 1)) + 1.0 for char, n in data["df"].items()
    }
    return idf, math.log(documents + 1) + 1.0  # an unseen character is the rarest


def signature(text: str, places: Places | None = None) -> TextSignature:
    """The signature of ``text``; with the county's places, place names become grids and
    townships (and leave the text)."""
    if places is not None:
        known = places.cache.get(text)
        if known is None:
            if len(places.cache) >= _CACHE_SIZE:
                places.cache.clear()
            known = places.cache[text] = _signature(text, places)
        return known
    return _signature(text, None)


_CACHE_SIZE = 20_000


def _signature(text: str, places: Places | None) -> TextSignature:
    text = unicodedata.normalize("NFKC", text)
    grids: set[str] = set()
    townships: set[str] = set()
    if places is not None:
        said = []
        for match in places.grids.find(text):
            grids.add(match.grid_code)
            townships.add(places.township_of.get(match.grid_code, ""))
            said.append(match.said)
        for match in places.townships.find(text):
            townships.add(match.grid_code)
            said.append(match.said)
        for name in sorted(said, key=len, reverse=True):
            text = text.replace(name, " ")
        townships.discard("")
    for word in _FILLER:
        text = text.replace(word, " ")
    idf, unseen = _idf()
    weights = {char: idf.get(char, unseen) for char in set(_HAN.findall(text))}
    norm = math.sqrt(sum(w * w for w in weights.values()))
    return TextSignature(weights, norm, frozenset(grids), frozenset(townships))


def similarity(a: TextSignature, b: TextSignature) -> float:
    """Cosine of the weighted characters, 0.0–1.0; 0.0 when the texts name different
    townships or different grids."""
    if a.townships and b.townships and not a.townships & b.townships:
        return 0.0
    if a.grids and b.grids and not a.grids & b.grids:
        return 0.0
    if not a.norm or not b.norm:
        return 0.0
    small, large = (a, b) if len(a.weights) <= len(b.weights) else (b, a)
    shared = sum(w * w for char, w in small.weights.items() if char in large.weights)
    return shared / (a.norm * b.norm)
