"""What to do at once when a report says someone's life may be in danger: call 119, 110 or
120 first — the bot and a deputy are for what can wait hours, not minutes."""

from __future__ import annotations

from collections.abc import Iterable

from nlp.urgency import URGENT_WORDS

__all__ = ["danger_advice"]

# (words, advice); every matching advice is given, in this order.
_ADVICE: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        ("着火", "起火", "火灾", "失火", "冒烟", "爆炸", "烧起来"),
        "发生火情请立即拨打119火警电话，并尽快离开危险区域。",
    ),
    (
        ("坍塌", "塌方", "倒塌", "塌陷", "要塌", "滑坡", "泥石流", "危房", "洪水", "被淹", "被困"),
        "如有房屋、道路或人员受到威胁，请立即撤离到安全地带，有人被困请马上拨打119。",
    ),
    (
        ("漏气", "燃气泄漏", "煤气泄漏", "闻到煤气", "天然气泄漏", "煤气味", "燃气味"),
        "疑似燃气泄漏：请立即关闭燃气阀门、打开门窗通风，不要开关电器、不要使用明火或手机，"
        "到室外后拨打燃气公司的抢修电话（见燃气表或缴费单）；情况危急请拨打119。",
    ),
    (
        ("触电", "电线掉", "漏电", "电线断"),
        "请远离掉落或漏电的电线，不要触碰；拨打95598供电抢修电话，有人触电请拨打120。",
    ),
    (
        ("受伤", "流血", "昏迷", "晕倒", "中毒", "落水", "溺水", "掉进河", "不省人事"),
        "有人受伤或生命危险，请立即拨打120急救电话（落水、被困也可拨打119）。",
    ),
    (
        ("打架", "斗殴", "抢劫", "行凶", "持刀", "砍人", "杀人", "家暴", "绑架", "正在偷", "被打"),
        "如正在发生违法犯罪或有人身危险，请立即拨打110报警。",
    ),
)


def _names(word: str, text: str, urgent: str) -> bool:
    # Urgent words count only as the classifier found them (没有漏气了 is not a leak).
    return word in urgent if word in URGENT_WORDS else word in text


def danger_advice(text: str, urgent_words: Iterable[str] = ()) -> str | None:
    """The emergency numbers to call for the dangers ``text`` names; None when it names none."""
    urgent = "|".join(urgent_words)
    found = [advice for words, advice in _ADVICE if any(_names(w, text, urgent) for w in words)]
    if not found:
        return None
    return (
        "【紧急提醒】" + "\n".join(found) + "\n本平台转交代表办理需要时间，不能代替紧急求助电话。"
    )
