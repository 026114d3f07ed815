"""Messages that are not a problem report: greetings, thanks, "never mind", and text with
nothing in it. They get a friendly answer instead of the category menu or a ticket."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["is_cancel", "is_greeting", "is_intent_only", "is_thanks", "meaningful_length"]

# Particles, laughter and punctuation that carry no content of their own.
_FILLER = set("啊呀呢吧哦噢嘛么哈呵嘿嘻嗯唉哎额呃啦咯喔哇~～")
_STRIP = re.compile(r"[\s\W_]+", re.UNICODE)

_GREETINGS = (
    "你好", "您好", "你们好", "大家好", "在吗", "在不在", "在么", "有人吗", "有人在吗", "有人没",
    "喂", "哈喽", "嗨", "hello", "hi", "早上好", "上午好", "下午好", "晚上好", "早", "在",
    "请问", "打扰了", "打扰一下", "老师好", "代表好", "同志", "师傅",
)  # fmt: skip
_THANKS = (
    "谢谢", "谢谢你", "谢谢您", "多谢", "感谢", "谢了", "辛苦了", "辛苦", "好的", "好", "嗯",
    "ok", "okay", "收到", "知道了", "明白了", "了解", "行", "可以", "没问题", "没事了",
    "谢谢代表", "谢谢你们",
)  # fmt: skip
# "I want to report something" with nothing reported yet.
_INTENTS = (
    "我想", "我要", "想要", "想", "要", "我", "有", "个", "一个", "一件", "件", "点", "一下", "下",
    "反映", "反应", "投诉", "举报", "咨询", "请问", "问", "求助", "帮忙", "帮帮", "麻烦", "你们",
    "问题", "事情", "事儿", "事", "情况", "诉求", "意见", "建议", "说", "找", "代表", "人大",
)  # fmt: skip
_CANCELS = (
    "取消", "算了", "不弄了", "不用了", "不要了", "不报了", "不反映了", "不提交了", "不办了",
    "不需要了", "先不了", "没事了", "不说了", "放弃",
)  # fmt: skip


def _fold(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).lower()
    folded = _STRIP.sub("", folded)
    return "".join(ch for ch in folded if ch not in _FILLER)


def _only(text: str, words: tuple[str, ...]) -> bool:
    """``text`` is made of nothing but ``words`` (repeated or combined: 你好在吗, 算了不弄了)."""
    rest = _fold(text)
    if not rest:
        return False
    for word in sorted(words, key=len, reverse=True):
        rest = rest.replace(word, "")
    return rest == ""


def is_greeting(text: str) -> bool:
    return _only(text, _GREETINGS)


def is_thanks(text: str) -> bool:
    return _only(text, _THANKS)


def is_intent_only(text: str) -> bool:
    """ "我想反映个问题": the wish to report, without the problem."""
    return len(text) <= 20 and _only(text, _INTENTS)


def is_cancel(text: str) -> bool:
    """ "算了，不弄了", "不用了": like 取消 (never a part of a longer description)."""
    return len(text) <= 20 and _only(text, _CANCELS)


def meaningful_length(text: str) -> int:
    """How many Chinese characters of content the text has (laughter, particles, latin
    letters, digits and punctuation do not count): "asdfgh 哈哈哈哈 ？？？" has none."""
    return sum(1 for ch in _fold(text) if "\u4e00" <= ch <= "\u9fff")
