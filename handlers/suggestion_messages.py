"""Who hears what about hometown suggestions: suggestion events → messages.

Answers go back to every group the suggestion (or a repeat of it) came from, quoting it and
its number, and privately to its author and supporters who have a private chat with the
bot. Digests go to the station's deputies, split into parts of at most ``PART_LIMIT``
characters.

Why split here and not in the channel: a digest part must be its own outbox row, so that
each part is sent exactly once and a crash between two parts resends neither; and when the
row is written its recipient (``deputy:D001``) is still a name that may resolve to chats on
several channels. So the limit is the smallest of the channels': WeChat takes 2,048 bytes
of text per message, 682 Chinese characters in UTF-8 (Telegram takes 4,096); 600 leaves
room for the header.
"""

from __future__ import annotations

from collections.abc import Sequence

from casework.outbox import Message
from casework.suggestion_events import (
    DigestItem,
    DigestPrepared,
    SuggestionAdopted,
    SuggestionAnswered,
    SuggestionDigested,
    SuggestionEvent,
    SuggestionHidden,
)
from casework.suggestions import RESULTS, STATUS_LABELS
from handlers import actions
from handlers.format import short
from storage.models import HometownGroup, Suggestion

__all__ = [
    "ANSWER_HELP",
    "MAX_BUTTONS",
    "PART_LIMIT",
    "group_chat",
    "month_label",
    "render_suggestion_event",
    "split_lines",
    "suggestion_line",
]

PART_LIMIT = 600
MAX_BUTTONS = 20  # beyond these, the typed commands

ANSWER_HELP = (
    "答复：点“答复 序号”，或发送“答复建议 编号 类别 内容”，类别 A 已解决或采纳、"
    "B 正在办理或已列入计划、C 因条件限制暂时难以解决、D 留作参考；"
    "转为工单：发送“转为工单 编号”。"
)
OFFICE_HELP = "代表答复后会发回建议所在的群。隐藏不当内容：发送“隐藏建议 编号 理由”。"


def group_chat(group: HometownGroup) -> str:
    return f"chat:{group.channel}:{group.chat_id}"


def month_label(month: str) -> str:
    year, number = month.split("-")
    return f"{year}年{int(number)}月"


def suggestion_line(item: DigestItem, index: int, *, with_station: bool = False) -> str:
    s = item.suggestion
    where = f"｜{s.station.name}" if with_station else ""
    state = STATUS_LABELS.get(s.status, s.status)
    if s.result:
        state += f"（{s.result}）"
    return f"{index}. {s.number}{where}｜{short(s.text, 30)}｜{item.supporters}人支持｜{state}"


def split_lines(header: str, lines: Sequence[str], limit: int = PART_LIMIT) -> list[str]:
    """Lines into messages of at most ``limit`` characters, each starting with the header
    (numbered "（1/3）" when there are several); a line longer than a part is cut."""
    room = limit - len(header) - 8
    parts: list[list[str]] = [[]]
    size = 0
    for line in lines:
        line = line if len(line) <= room else line[: room - 1] + "…"
        if parts[-1] and size + len(line) + 1 > room:
            parts.append([])
            size = 0
        parts[-1].append(line)
        size += len(line) + 1
    if len(parts) == 1:
        return ["\n".join([header, *parts[0]])]
    return ["\n".join([f"{header}（{i}/{len(parts)}）", *part]) for i, part in enumerate(parts, 1)]


def _digest(event: DigestPrepared) -> list[Message]:
    scope = event.station.name if event.station is not None else "全县"
    header = f"【建议汇总｜{scope}｜{month_label(event.month)}】"
    county = event.station is None
    lines = [
        f"本月新收建议{len(event.new)}条（内容相同的已合并，计为附议），"
        f"往月尚未答复{len(event.earlier)}条。"
    ]
    if event.note:
        lines.append(event.note)
    ordered: list[DigestItem] = []
    category = None
    for item in event.new:
        if item.suggestion.category != category:
            category = item.suggestion.category
            lines.append(f"〔{category}〕")
        ordered.append(item)
        lines.append(suggestion_line(item, len(ordered), with_station=county))
    if event.earlier:
        lines.append("〔往月尚未答复〕")
    for item in event.earlier:
        ordered.append(item)
        lines.append(suggestion_line(item, len(ordered), with_station=county))
    if not ordered:
        lines.append("本月没有新的建议，也没有尚未答复的往月建议。")
    out: list[Message] = []
    for recipient in event.recipients:
        office = recipient == "office"
        footer = [OFFICE_HELP if office else ANSWER_HELP] if ordered else []
        parts = split_lines(header, [*lines, *footer])
        # Buttons on the last part only, numbered as the lines: a typed "2" is "答复 2".
        buttons = [] if office else _answer_buttons(ordered)
        for number, text in enumerate(parts, start=1):
            out.append(Message(recipient, text, buttons if number == len(parts) else ()))
    return out


def _answer_buttons(items: Sequence[DigestItem]) -> list[tuple[str, str]]:
    return [
        (f"答复 {i}", actions.encode("sga", item.suggestion.number))
        for i, item in enumerate(items[:MAX_BUTTONS], start=1)
    ]


def _quote(suggestion: Suggestion) -> str:
    author = suggestion.author_name or "群友"
    return f"建议 {suggestion.number}（{author}：{short(suggestion.text, 40)}）"


def render_suggestion_event(event: SuggestionEvent) -> list[Message]:
    match event:
        case SuggestionAnswered(suggestion=s, deputy=deputy, groups=groups, people=people):
            result = f"{s.result} {RESULTS[s.result or 'D']}"
            public = f"【建议答复】{_quote(s)}\n{deputy.name}代表答复（{result}）：\n{s.answer}"
            out = [Message(group_chat(g), public) for g in groups]
            for person in people:
                role = "提出" if person.id == s.author_identity_id else "附议"
                out.append(
                    Message(
                        f"identity:{person.id}",
                        f"您{role}的建议 {s.number} 已获答复。\n“{short(s.text, 40)}”\n"
                        f"{deputy.name}代表答复（{result}）：\n{s.answer}",
                    )
                )
            return out
        case SuggestionAdopted(suggestion=s, case=case, deputy=deputy, groups=groups, people=p):
            public = (
                f"【建议转办】{_quote(s)}\n已由{deputy.name}代表转为工单 {case.ticket}，"
                "按居民反映问题的程序交办办理，办理结果将在此告知。"
            )
            out = [Message(group_chat(g), public) for g in groups]
            for person in p:
                if person.id == s.author_identity_id:
                    text = f"您提出的建议 {s.number} 已转为工单 {case.ticket}，办理进展将告知您。"
                else:
                    text = (
                        f"您附议的建议 {s.number} 已转为工单 {case.ticket}，"
                        "您已自动关注该工单，办理进展将告知您。"
                    )
                out.append(Message(f"identity:{person.id}", text, case_id=case.id))
            return out
        case SuggestionHidden(suggestion=s, reason=reason, people=people):
            return [
                Message(
                    f"identity:{person.id}",
                    f"您的建议 {s.number}（“{short(s.text, 20)}”）已被代表工委隐藏，"
                    f"不再列入汇总。理由：{reason}",
                )
                for person in people
            ]
        case SuggestionDigested(suggestion=s, people=people):
            return [
                Message(
                    f"identity:{person.id}",
                    f"您的建议 {s.number}（“{short(s.text, 20)}”）已汇总报送"
                    f"{s.station.name}的人大代表，答复后会第一时间告诉您。",
                )
                for person in people
            ]
        case DigestPrepared():
            return _digest(event)
    raise TypeError(f"no rendering for {event!r}")
