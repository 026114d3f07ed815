"""The resident's intake dialog: describe → (location, photo) → confirm category and grid →
submit. Its transitions are the table ``INTAKE`` at the bottom.

```mermaid
stateDiagram-v2
    [*] --> idle
    idle --> describing: start (QR / deep link)
    idle --> confirming: text (grid found)
    idle --> choosing_category: text (category unclear)
    idle --> choosing_township: text (grid unknown)
    describing --> confirming: text
    confirming --> confirming: location / photo / more text
    confirming --> choosing_category: 修改类别
    confirming --> choosing_township: 修改位置
    choosing_category --> confirming: category chosen
    choosing_township --> choosing_grid: township chosen
    choosing_grid --> confirming: grid chosen
    confirming --> idle: 确认提交 (ticket) / 取消
    confirming --> expired: 30 minutes idle (draft kept)
    expired --> confirming: 继续提交
```
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from casework.cases import CaseDraft
from casework.directory import EntryPoint
from handlers import actions
from handlers.metoo import follow_similar, me_too_offer
from handlers.turn import Turn
from nlp.request_types import infer_request_type

__all__ = ["INTAKE", "handle_intake", "start"]

LOW_CONFIDENCE = 0.35

Step = Callable[[Turn, list[str]], None]


# --- helpers ----------------------------------------------------------------------------


def _draft(turn: Turn) -> dict[str, Any]:
    return dict(turn.state.data.get("draft") or {})


def _save(turn: Turn, state: str, draft: dict[str, Any]) -> None:
    turn.go(state, draft=draft)


def _entry(turn: Turn, draft: dict[str, Any]) -> EntryPoint | None:
    return turn.services.directory.entry_point(draft.get("entry"))


def _grid_label(turn: Turn, grid_code: str | None) -> str:
    if not grid_code:
        return "未确定"
    directory = turn.services.directory
    for township, grids in directory.grids_by_township.items():
        for code, name in grids:
            if code == grid_code:
                township_name = dict(directory.townships).get(township, "")
                return f"{township_name}{name}"
    return grid_code


def _find_grid(turn: Turn, draft: dict[str, Any], places: list[Any]) -> str | None:
    """Grid from the QR code, else the shared location, else a place named in the text."""
    entry = _entry(turn, draft)
    if entry is not None and len(entry.grid_codes) == 1:
        return entry.grid_codes[0]
    if draft.get("lat") is not None:
        found = turn.services.directory.locator.grid_at(draft["lat"], draft["lon"])
        if found:
            return found
    if places:
        local = [p for p in places if entry is None or p.grid_code in entry.grid_codes]
        return (local or places)[0].grid_code
    return None


def _classify(turn: Turn, draft: dict[str, Any]) -> None:
    result = turn.services.classifier.classify(draft["text"])
    if not draft.get("category_chosen"):
        draft["category"] = result.category
        draft["confidence"] = round(result.confidence, 3)
        draft["keywords"] = result.keywords
    draft["ranking"] = result.top(3)
    draft["urgent"] = result.urgent
    draft["urgent_words"] = result.urgent_words
    draft["request_type"] = infer_request_type(draft["text"])
    if not draft.get("grid_chosen"):
        draft["grid"] = _find_grid(turn, draft, result.places) or draft.get("grid")


def _next_question(turn: Turn, draft: dict[str, Any]) -> None:
    """Ask for what is missing, or show the summary to confirm."""
    unclear = draft.get("confidence", 0) < LOW_CONFIDENCE and len(draft.get("ranking", [])) != 1
    if unclear and not draft.get("category_chosen"):
        return _ask_category(turn, draft)
    if not draft.get("grid"):
        return _ask_grid(turn, draft)
    _summary(turn, draft)


def _summary(turn: Turn, draft: dict[str, Any]) -> None:
    lines = [
        "请核对您要反映的问题：",
        f"【问题】{draft['text']}",
        f"【类别】{draft['category']}",
        f"【位置】{_grid_label(turn, draft.get('grid'))}",
    ]
    if draft.get("urgent"):
        lines.append(f"【紧急】是（{'、'.join(draft.get('urgent_words', []))}），将优先处理")
    if draft.get("photos"):
        lines.append(f"【照片】{len(draft['photos'])}张")
    lines.append("如需补充，可直接发送位置或照片。")
    choices = [
        ("确认提交", "intake:submit"),
        ("修改类别", "intake:category"),
        ("修改位置", "intake:grid"),
        ("取消", "intake:cancel"),
    ]
    lines, choices = me_too_offer(turn, draft, lines, choices)  # 我也遇到, if it is
    _save(turn, "confirming", draft)
    turn.reply("\n".join(lines), choices)


def _ask_category(turn: Turn, draft: dict[str, Any]) -> None:
    categories = turn.services.classifier.model.categories
    suggested = [c for c in draft.get("ranking", []) if c in categories]
    ordered = suggested + [c for c in categories if c not in suggested]
    draft["category_options"] = ordered
    _save(turn, "choosing_category", draft)
    head = "请选择问题类别" + ("（前几项为系统推荐）：" if suggested else "：")
    turn.reply(head, [(name, actions.encode("cat", str(i))) for i, name in enumerate(ordered)])


def _ask_grid(turn: Turn, draft: dict[str, Any]) -> None:
    entry = _entry(turn, draft)
    if entry is not None and len(entry.grid_codes) > 1:
        return _ask_grid_among(turn, draft, entry.grid_codes, f"{entry.name}联系以下网格")
    directory = turn.services.directory
    _save(turn, "choosing_township", draft)
    turn.reply(
        "请问问题发生在哪个乡镇？也可以直接发送位置。",
        [(name, actions.encode("tw", code)) for code, name in directory.townships],
    )


def _ask_grid_among(turn: Turn, draft: dict[str, Any], codes: tuple[str, ...], head: str) -> None:
    names = {c: n for grids in turn.services.directory.grids_by_township.values() for c, n in grids}
    labels = [(code, names.get(code, code)) for code in codes]
    _save(turn, "choosing_grid", draft)
    turn.reply(
        f"{head}，请问问题发生在哪个村（社区）？也可以直接发送位置。",
        [(label, actions.encode("grid", code)) for code, label in labels],
    )


# --- steps ------------------------------------------------------------------------------


def describe(turn: Turn, _args: list[str]) -> None:
    text = turn.text
    if not text:
        return
    identity = turn.identity
    duplicate = turn.services.casework.recent_duplicate(
        turn.session, identity.resident_id or 0, text
    )
    if duplicate is not None:
        turn.go("idle")
        turn.reply(
            f"您刚才反映的问题已登记为工单 {duplicate.ticket}，无需重复提交。"
            f"发送“查询 {duplicate.ticket}”可查看进度。"
        )
        return
    # Came in by QR code, or sent a location or photo first: keep those with the text.
    draft = {**_draft(turn), "text": text} if turn.state.state == "describing" else {"text": text}
    _classify(turn, draft)
    _next_question(turn, draft)


def add_detail(turn: Turn, _args: list[str]) -> None:
    """More text while confirming: appended to the description, then re-summarised."""
    draft = _draft(turn)
    draft["text"] = f"{draft['text']}\n{turn.text}"
    if len(draft["text"]) > 2000:
        turn.reply("补充内容后问题描述超过2000字，请精简后再补充。")
        return
    _classify(turn, draft)
    _summary(turn, draft)


def add_location(turn: Turn, _args: list[str]) -> None:
    assert turn.incoming.location is not None
    lat, lon = turn.incoming.location
    draft = _draft(turn)
    grid = turn.services.directory.locator.grid_at(lat, lon)
    draft.update(lat=lat, lon=lon)
    if grid is None:
        turn.update(draft=draft)
        turn.reply("已收到位置，但该位置不在本县已划定的网格内，稍后请您选择所在村（社区）。")
    else:
        draft.update(grid=grid, grid_chosen=True)
        turn.reply(f"已收到位置：{_grid_label(turn, grid)}。")
    _after_attachment(turn, draft)


def add_photo(turn: Turn, _args: list[str]) -> None:
    assert turn.incoming.photo is not None
    draft = _draft(turn)
    photos = [*draft.get("photos", []), turn.incoming.photo]
    draft["photos"] = photos[:9]
    turn.reply(f"已收到照片（共{len(draft['photos'])}张）。")
    caption = turn.text
    if caption:  # a photo sent with a caption: the caption describes the problem
        draft["text"] = f"{draft['text']}\n{caption}" if draft.get("text") else caption
        _classify(turn, draft)
    _after_attachment(turn, draft)


def _after_attachment(turn: Turn, draft: dict[str, Any]) -> None:
    if draft.get("text"):
        _next_question(turn, draft)
    else:
        _save(turn, "describing", draft)
        turn.reply("请用文字简要描述您遇到的问题。")


def choose_category(turn: Turn, args: list[str]) -> None:
    draft = _draft(turn)
    options = draft.get("category_options", [])
    index = int(args[0]) if args[0].isdigit() else -1
    if not 0 <= index < len(options):
        turn.reply("该选项已失效，请重新选择。")
        return _ask_category(turn, draft)
    draft.update(category=options[index], category_chosen=True, confidence=1.0)
    _next_question(turn, draft)


def choose_township(turn: Turn, args: list[str]) -> None:
    draft = _draft(turn)
    grids = turn.services.directory.grids_by_township.get(args[0])
    if not grids:
        turn.reply("该选项已失效，请重新选择。")
        return _ask_grid(turn, draft)
    _ask_grid_among(turn, draft, tuple(code for code, _ in grids), "好的")


def choose_grid(turn: Turn, args: list[str]) -> None:
    draft = _draft(turn)
    known = {c for grids in turn.services.directory.grids_by_township.values() for c, _ in grids}
    if args[0] not in known:
        turn.reply("该选项已失效，请重新选择。")
        return _ask_grid(turn, draft)
    draft.update(grid=args[0], grid_chosen=True)
    _next_question(turn, draft)


def change_category(turn: Turn, _args: list[str]) -> None:
    _ask_category(turn, _draft(turn))


def change_grid(turn: Turn, _args: list[str]) -> None:
    draft = _draft(turn)
    draft["grid_chosen"] = False
    directory = turn.services.directory
    _save(turn, "choosing_township", draft)
    turn.reply(
        "请问问题发生在哪个乡镇？也可以直接发送位置。",
        [(name, actions.encode("tw", code)) for code, name in directory.townships],
    )


def cancel_draft(turn: Turn, _args: list[str]) -> None:
    turn.go("idle")
    turn.reply("已取消，本次内容未提交。如需反映问题，请随时发送文字描述。")


def resume(turn: Turn, _args: list[str]) -> None:
    draft = _draft(turn)
    if not draft.get("text"):
        turn.go("idle")
        turn.reply("没有可继续的内容，请直接发送文字描述您的问题。")
        return
    _next_question(turn, draft)


def submit(turn: Turn, _args: list[str]) -> None:
    draft = _draft(turn)
    services = turn.services
    duplicate = services.casework.recent_duplicate(
        turn.session, turn.identity.resident_id or 0, draft["text"]
    )
    if duplicate is not None:
        turn.go("idle")
        turn.reply(f"该问题已登记为工单 {duplicate.ticket}，无需重复提交。")
        return
    case_draft = CaseDraft(
        text=draft["text"],
        category=draft["category"],
        confidence=float(draft.get("confidence", 0.0)),
        keywords=list(draft.get("keywords", [])),
        urgent=bool(draft.get("urgent")),
        request_type=draft.get("request_type", "求助"),
        grid_code=draft.get("grid"),
        entry=_entry(turn, draft),
        latitude=draft.get("lat"),
        longitude=draft.get("lon"),
        photos=list(draft.get("photos", [])),
    )
    _case, events = services.casework.submit(turn.session, turn.identity, case_draft)
    turn.go("idle")
    turn.emit(events)


def start(turn: Turn, payload: str | None) -> None:
    """A resident arrived through a QR code or deep link (or pressed Start)."""
    directory = turn.services.directory
    entry = directory.entry_point(payload)
    invite = (
        "请直接用文字描述您遇到的问题（可以附上位置和照片），我们会转给负责您所在网格的人大代表。"
    )
    if entry is None:
        turn.go("describing", draft={})
        turn.reply(f"您好！这里是{directory.county_name}人大代表联络平台。\n{invite}")
        return
    turn.go("describing", draft={"entry": entry.code})
    if entry.kind == "deputy":
        turn.reply(f"您好！您正在联系{entry.name}代表。\n{invite}")
    else:
        turn.reply(f"您好！这里是{entry.name}。\n{invite}")


# --- the table --------------------------------------------------------------------------

INTAKE: dict[str, dict[str, Step]] = {
    "idle": {"text": describe, "location": add_location, "photo": add_photo},
    "describing": {"text": describe, "location": add_location, "photo": add_photo},
    "confirming": {
        "text": add_detail,
        "location": add_location,
        "photo": add_photo,
        "intake:submit": submit,
        "intake:category": change_category,
        "intake:grid": change_grid,
        "intake:cancel": cancel_draft,
        "intake:metoo": follow_similar,
    },
    "choosing_category": {"cat": choose_category, "location": add_location},
    "choosing_township": {"tw": choose_township, "location": add_location},
    "choosing_grid": {"grid": choose_grid, "location": add_location},
    "expired": {
        "text": describe,
        "location": add_location,
        "photo": add_photo,
        "intake:resume": resume,
    },
}

_PROMPTS = {
    "choosing_category": "请回复类别前的编号，或发送“取消”。",
    "choosing_township": "请回复乡镇前的编号、发送位置，或发送“取消”。",
    "choosing_grid": "请回复村（社区）前的编号、发送位置，或发送“取消”。",
}


def handle_intake(turn: Turn) -> None:
    """Run the step the table names for this state and input; refuse anything else."""
    state = turn.state.state if turn.state.state in INTAKE else "idle"
    steps = INTAKE[state]
    if turn.action is not None:
        decoded = actions.decode(turn.action)
        if decoded is None:
            turn.reply("无法识别该按钮，请按最新的提示操作。")
            return
        verb, args = decoded
        key = f"intake:{args[0]}" if verb == "intake" else verb
        step = steps.get(key)
        if step is None:
            turn.reply("该选项已失效，请按最新的提示操作。")
            return
        return step(turn, args)
    if turn.incoming.location is not None:
        return steps["location"](turn, [])
    if turn.incoming.photo is not None:
        return steps["photo"](turn, [])
    if "text" in steps:
        return steps["text"](turn, [])
    turn.reply(_PROMPTS.get(state, "请按提示操作。"))
