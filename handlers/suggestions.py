"""Hometown suggestions in private chats: deputies answer (``答复建议 JY-… A|B|C|D 内容``, or
the buttons of a digest: 答复 n → a result code → the text), turn one into a case
(``转为工单 JY-… [村名]``) and list their station's open ones (``建议列表``); residents list
their own (``我的建议``); the office hides one (``隐藏建议 JY-… 理由``).

State (per deputy chat): ``answering_suggestion`` with the number and code, after a result
code was chosen with a button; the next text is the answer.
"""

from __future__ import annotations

import re

from casework import suggestions as sg
from casework.errors import NotPermitted, Refused
from handlers import actions
from handlers.commands import Command
from handlers.format import short
from handlers.suggestion_messages import MAX_BUTTONS, render_suggestion_event
from handlers.turn import Turn
from storage.models import Deputy, Suggestion

__all__ = ["COMMANDS", "handle_suggestions", "wants_suggestions"]

COMMANDS = frozenset(
    {
        "answer_suggestion",
        "adopt_suggestion",
        "suggestion_list",
        "my_suggestions",
        "hide_suggestion",
    }
)
_VERBS = frozenset({"sga", "sgr", "sgt"})
_STATE = "answering_suggestion"
_CODE = re.compile(r"^([A-Za-z])(?![A-Za-z])\s*(.*)$", re.S)


def wants_suggestions(turn: Turn, command: Command | None) -> bool:
    """Whether this private message is about suggestions (so this module handles it)."""
    if command is not None:
        return command.name in COMMANDS
    if turn.action is not None:
        decoded = actions.decode(turn.action)
        return decoded is not None and decoded[0] in _VERBS
    return turn.state.state == _STATE and bool(turn.text)


def handle_suggestions(turn: Turn, command: Command | None) -> None:
    if command is not None:
        match command.name:
            case "my_suggestions":
                return my_suggestions(turn)
            case "hide_suggestion":
                return hide(turn, command.ticket or "", command.rest)
            case "suggestion_list":
                return suggestion_list(turn)
            case "answer_suggestion":
                return answer_typed(turn, command.ticket or "", command.rest)
            case "adopt_suggestion":
                return adopt(turn, command.ticket or "", command.rest)
    decoded = actions.decode(turn.action) if turn.action else None
    if decoded is not None:
        verb, args = decoded
        if verb == "sga":
            return choose_code(turn, args[0])
        if verb == "sgr":
            return ask_text(turn, args[0], args[1])
        if verb == "sgt":
            return adopt(turn, args[0], "")
    if turn.state.state == _STATE:
        data = turn.state.data
        return answer(turn, data.get("number", ""), data.get("code", ""), turn.text)


# --- deputies ---------------------------------------------------------------------------


def _deputy(turn: Turn) -> Deputy:
    if turn.identity.role != "deputy" or turn.identity.deputy is None:
        raise NotPermitted("该指令仅供人大代表使用。")
    return turn.identity.deputy


def _suggestion(turn: Turn, number: str) -> Suggestion:
    if not number:
        raise Refused("请写上建议编号，例如“答复建议 JY-2026-000001 B 已列入明年计划”。")
    return sg.find(turn.session, number)


def _emit(turn: Turn, events: list) -> None:
    for event in events:
        turn.out.extend(render_suggestion_event(event))


def choose_code(turn: Turn, number: str) -> None:
    deputy = _deputy(turn)
    suggestion = _suggestion(turn, number)
    sg.check_actionable(turn.session, suggestion, deputy)
    turn.reply(
        f"建议 {suggestion.number}（{sg.supporters(suggestion)}人支持）：\n{suggestion.text}\n"
        "请选择答复类别，或转为工单交办：",
        [
            *((f"{code} {label}", actions.encode("sgr", suggestion.number, code))
              for code, label in sg.RESULTS.items()),
            ("转为工单", actions.encode("sgt", suggestion.number)),
        ],
    )  # fmt: skip


def ask_text(turn: Turn, number: str, code: str) -> None:
    deputy = _deputy(turn)
    suggestion = _suggestion(turn, number)
    sg.check_actionable(turn.session, suggestion, deputy)
    code = code.upper()
    if code not in sg.RESULTS:
        raise Refused("该选项已失效，请重新选择。")
    turn.go(_STATE, number=suggestion.number, code=code)
    turn.reply(
        f"请输入答复内容（建议 {suggestion.number}，{code} {sg.RESULTS[code]}），"
        "将发回建议所在的群并告知提出人和附议人；发送“取消”放弃。"
    )


def answer_typed(turn: Turn, number: str, rest: str) -> None:
    rest = rest.strip()
    if not rest:
        return choose_code(turn, number)
    parsed = _CODE.match(rest)
    if parsed is None or parsed.group(1).upper() not in sg.RESULTS:
        codes = "；".join(f"{k} {v}" for k, v in sg.RESULTS.items())
        raise Refused(
            f"答复类别只能是 A、B、C、D（{codes}），格式：答复建议 {number or '编号'} 类别 内容。"
        )
    code, text = parsed.group(1).upper(), parsed.group(2).strip()
    if not text:
        return ask_text(turn, number, code)
    answer(turn, number, code, text)


def answer(turn: Turn, number: str, code: str, text: str) -> None:
    deputy = _deputy(turn)
    suggestion = _suggestion(turn, number)
    events = sg.answer(turn.session, suggestion, deputy, code, text, turn.now)
    turn.go("idle")
    answered = events[0]
    told = len(answered.people)
    turn.reply(
        f"已答复建议 {suggestion.number}（{code} {sg.RESULTS[code]}），"
        f"已在{len(answered.groups)}个群内公布，并私信告知提出人和附议人{told}人。"
    )
    _emit(turn, events)


def adopt(turn: Turn, number: str, place: str) -> None:
    deputy = _deputy(turn)
    suggestion = _suggestion(turn, number)
    directory = turn.services.directory
    entry = directory.entry_point(suggestion.station_code)
    station_grids = set(entry.grid_codes) if entry is not None else set()
    grid = None
    for words in (place, suggestion.text):
        found = [
            m.grid_code for m in directory.gazetteer.find(words) if m.grid_code in station_grids
        ]
        if found:
            grid = found[0]
            break
    case_events, events = sg.adopt(
        turn.services.casework, turn.session, suggestion, deputy, turn.now,
        entry=entry, grid_code=grid,
    )  # fmt: skip
    turn.go("idle")
    adopted = events[0]
    turn.reply(f"已将建议 {suggestion.number} 转为工单 {adopted.case.ticket}，按程序交办。")
    turn.emit(case_events)
    _emit(turn, events)


def suggestion_list(turn: Turn) -> None:
    identity = turn.identity
    if identity.role == "office":
        entries = turn.services.directory.entry_points.values()
        stations = {e.code for e in entries if e.kind == "station"}
        open_ = sg.open_for_stations(turn.session, stations)
    else:
        deputy = _deputy(turn)
        open_ = sg.open_for_stations(turn.session, {s.code for s in deputy.stations}, deputy.code)
    if not open_:
        turn.reply("目前没有待答复的建议。")
        return
    lines = [
        f"{i}. {s.number}｜{short(s.text, 24)}｜{sg.supporters(s)}人支持｜"
        f"{sg.STATUS_LABELS[s.status]}"
        for i, s in enumerate(open_, start=1)
    ]
    buttons = (
        []
        if identity.role == "office"
        else [
            (f"答复 {i}", actions.encode("sga", s.number))
            for i, s in enumerate(open_[:MAX_BUTTONS], start=1)
        ]
    )
    turn.reply(f"待答复的建议（{len(open_)}条）：\n" + "\n".join(lines), buttons)


# --- residents and the office ---------------------------------------------------------------


def _state_of(s: Suggestion) -> str:
    if s.merged_into is not None:
        root = sg.root_of(s)
        return f"已合并到 {root.number}（{sg.STATUS_LABELS[root.status]}）" + _answer_of(root)
    return sg.STATUS_LABELS[s.status] + _answer_of(s)


def _answer_of(s: Suggestion) -> str:
    if s.case is not None:
        return f"，工单 {s.case.ticket}"
    if s.result:
        return f"\n   答复（{s.result} {sg.RESULTS[s.result]}）：{short(s.answer or '', 60)}"
    return ""


def my_suggestions(turn: Turn) -> None:
    mine = sg.suggestions_of(turn.session, turn.identity)
    backed = sg.supported_by(turn.session, turn.identity)
    if not mine and not backed:
        turn.reply("您还没有提出或附议过建议。在家乡群里发送“#建议 内容”即可提出建议。")
        return
    lines = []
    if mine:
        lines.append(f"您提出的建议（{len(mine)}条）：")
        lines += [f"· {s.number}｜{short(s.text, 20)}｜{_state_of(s)}" for s in mine[-10:]]
    if backed:
        lines.append(f"您附议的建议（{len(backed)}条）：")
        lines += [f"· {s.number}｜{short(s.text, 20)}｜{_state_of(s)}" for s in backed[-10:]]
    turn.reply("\n".join(lines))


def hide(turn: Turn, number: str, reason: str) -> None:
    if turn.identity.role != "office":
        raise NotPermitted("该指令仅供代表工委使用。")
    suggestion = _suggestion(turn, number)
    events = sg.hide(turn.session, suggestion, reason, turn.now)
    turn.reply(f"已隐藏建议 {suggestion.number}，不再列入汇总。理由：{reason.strip()}")
    _emit(turn, events)
