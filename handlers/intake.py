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
    choosing_grid --> confirming: grid chosen (or a place named)
    choosing_grid --> choosing_township: 不在以上地方 (the whole county)
    idle --> idle: greeting / thanks / no content (answered, nothing kept)
    confirming --> idle: 确认提交 (ticket) / 取消 / 算了 / 不用了
    confirming --> expired: 30 minutes idle (draft kept)
    expired --> confirming: 继续提交
```
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from casework.cases import MAX_CASE_TEXT, CaseDraft
from casework.directory import EntryPoint
from casework.offline import find_phone
from handlers import actions
from handlers.danger import danger_advice
from handlers.metoo import follow_similar, me_too_offer
from handlers.offline import submit_offline
from handlers.receptions import reception_line
from handlers.small_talk import is_greeting, is_intent_only, is_thanks, meaningful_length
from handlers.turn import Turn
from nlp.request_types import infer_request_type

__all__ = ["INTAKE", "PLACE_CATEGORIES", "handle_intake", "start"]

LOW_CONFIDENCE = 0.35
# Categories about a place (a pothole, a river): "where did it happen?". The others (a
# medical-insurance or pension question) are about the person: "where do you live?".
PLACE_CATEGORIES = ("城乡建设", "环境保护", "交通运输", "农业农村", "商贸旅游")
ELSEWHERE = "不在以上地方"
# Fewer Chinese characters than this, and no keyword or place recognised: ask for more.
MIN_CONTENT = 4

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
    if draft.get("urgent") and not draft.get("advised"):
        advice = danger_advice(draft["text"], draft.get("urgent_words", []))
        if advice:  # danger to life: the emergency numbers before anything else
            draft["advised"] = True
            turn.reply(advice)
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
    if draft.get("offline"):
        lines[0] = "请核对代录的群众反映："
        lines.append(f"【群众电话】{draft.get('phone') or '未留'}")
    lines.append("如需补充，可直接发送位置或照片。")
    choices = [
        ("确认提交", "intake:submit"),
        ("修改类别", "intake:category"),
        ("修改位置", "intake:grid"),
        ("取消", "intake:cancel"),
    ]
    if not draft.get("offline"):
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


def _about_a_place(draft: dict[str, Any]) -> bool:
    return draft.get("category") in PLACE_CATEGORIES


def _ask_grid(turn: Turn, draft: dict[str, Any], head: str = "") -> None:
    entry = _entry(turn, draft)
    if entry is not None and len(entry.grid_codes) > 1 and not draft.get("anywhere"):
        return _ask_grid_among(
            turn, draft, entry.grid_codes, f"{head}{entry.name}联系以下网格", elsewhere=True
        )
    _ask_township(turn, draft, head)


def _ask_township(turn: Turn, draft: dict[str, Any], head: str = "") -> None:
    directory = turn.services.directory
    _save(turn, "choosing_township", draft)
    question = "请问问题发生在哪个乡镇？" if _about_a_place(draft) else "请问您所在的乡镇？"
    turn.reply(
        f"{head}{question}也可以直接发送位置，或输入村（社区）名称。",
        [(name, actions.encode("tw", code)) for code, name in directory.townships],
    )


def _ask_grid_among(
    turn: Turn,
    draft: dict[str, Any],
    codes: tuple[str, ...],
    head: str,
    *,
    elsewhere: bool = False,
) -> None:
    names = {c: n for grids in turn.services.directory.grids_by_township.values() for c, n in grids}
    labels = [(code, names.get(code, code)) for code in codes]
    draft["grid_options"] = list(codes)
    draft["elsewhere_offered"] = elsewhere
    _save(turn, "choosing_grid", draft)
    where = "问题发生在哪个村（社区）" if _about_a_place(draft) else "您所在的村（社区）是"
    choices = [(label, actions.encode("grid", code)) for code, label in labels]
    if elsewhere:  # a station's code, but the problem is elsewhere in the county
        choices.append((ELSEWHERE, "intake:elsewhere"))
    turn.reply(f"{head}，请问{where}？也可以直接发送位置。", choices)


# --- steps ------------------------------------------------------------------------------


def _small_talk(turn: Turn) -> bool:
    """Answer a greeting, thanks or a text with no content; True when answered."""
    text = turn.text
    directory = turn.services.directory
    if is_greeting(text):
        turn.refuse(
            f"您好！这里是{directory.county_name}人大代表联络平台，您反映的问题会转给负责"
            "您所在网格的人大代表办理。\n"
            "有什么问题，直接用一两句话告诉我就行，例如“东岭村的路灯坏了”，可以附上位置和照片。\n"
            "发送“查询”查看您反映过的问题，发送“帮助”查看全部用法。"
        )
        return True
    if is_thanks(text):
        turn.refuse("不客气！如还有问题需要反映，直接发送文字描述即可。")
        return True
    if is_intent_only(text):
        turn.refuse(
            "好的，请直接说说遇到了什么问题、在什么地方，例如“东岭村的路灯坏了，晚上很黑”。"
        )
        return True
    if meaningful_length(text) == 0:
        turn.refuse(
            "抱歉，没能看懂您的意思。如需反映问题，请用中文简要说明在什么地方、出了什么问题，"
            "例如“东岭村的路灯坏了”。"
        )
        return True
    return False


def _too_little(turn: Turn, draft: dict[str, Any]) -> bool:
    """A few characters with nothing recognised ("帮帮我"): ask what happened."""
    if meaningful_length(draft["text"]) >= MIN_CONTENT:
        return False
    if draft.get("keywords") or draft.get("grid") or draft.get("urgent"):
        return False
    _save(turn, "describing", {**draft, "text": ""})
    turn.refuse("请再具体说一说：在什么地方、遇到了什么问题？例如“东岭村的路灯坏了，晚上很黑”。")
    return True


def describe(turn: Turn, _args: list[str]) -> None:
    text = turn.text
    if not text or _small_talk(turn):
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
    if draft.get("offline"):  # 代录: the resident's phone may be in what the deputy wrote
        draft["phone"] = draft.get("phone") or find_phone(text)
    _classify(turn, draft)
    if _too_little(turn, draft):
        return
    _next_question(turn, draft)


def add_detail(turn: Turn, _args: list[str]) -> None:
    """More text while confirming: appended to the description, then re-summarised."""
    draft = _draft(turn)
    if is_greeting(turn.text) or is_thanks(turn.text) or meaningful_length(turn.text) == 0:
        turn.refuse("如信息无误，请回复“1”确认提交；需要补充的，直接发送文字、位置或照片。")
        return
    draft["text"] = f"{draft['text']}\n{turn.text}"
    if len(draft["text"]) > MAX_CASE_TEXT:
        turn.refuse(f"补充内容后问题描述超过{MAX_CASE_TEXT}字，请精简后再补充。")
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
        text = f"{draft['text']}\n{caption}" if draft.get("text") else caption
        if len(text) > MAX_CASE_TEXT:
            turn.update(draft=draft)
            turn.refuse(f"照片已收到，但加上说明后问题描述超过{MAX_CASE_TEXT}字，说明未添加。")
            return _after_attachment(turn, draft)
        draft["text"] = text
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


def elsewhere(turn: Turn, _args: list[str]) -> None:
    """不在以上地方: choose among the whole county, township first."""
    draft = _draft(turn)
    draft["anywhere"] = True
    _ask_township(turn, draft, "好的，")


def place_named(turn: Turn, _args: list[str]) -> None:
    """Typed words at the township or village question: a place of the county (西街), "not
    there" (在县城，不在村里), or else the question again with its choices."""
    draft = _draft(turn)
    text = turn.text
    if is_greeting(text) or is_thanks(text) or meaningful_length(text) == 0:
        turn.refuse(_PROMPTS[turn.state.state])
        return
    if "不在" in text and turn.state.state == "choosing_grid" and draft.get("elsewhere_offered"):
        return elsewhere(turn, [])
    places = turn.services.classifier.classify(text).places
    if places:
        draft.update(grid=places[0].grid_code, grid_chosen=True)
        return _next_question(turn, draft)
    head = f"没有找到“{text[:20]}”。"
    if turn.state.state == "choosing_grid" and draft.get("grid_options"):
        return _ask_grid_among(
            turn,
            draft,
            tuple(draft["grid_options"]),
            head + "请从下面选择",
            elsewhere=bool(draft.get("elsewhere_offered")),
        )
    _ask_township(turn, draft, head)


def repeat_category(turn: Turn, _args: list[str]) -> None:
    """Typed words that are not a category: more of the description (东岭村的路灯坏了 after a
    vague first message) is added and classified again; anything else gets the menu again."""
    draft = _draft(turn)
    text = turn.text
    if meaningful_length(text) >= MIN_CONTENT and not (is_greeting(text) or is_thanks(text)):
        combined = f"{draft['text']}\n{text}" if draft.get("text") else text
        if len(combined) <= MAX_CASE_TEXT:
            draft["text"] = combined
            _classify(turn, draft)
            return _next_question(turn, draft)
    turn.refuse("没有这个类别，请回复类别前的编号或类别名称，或发送“取消”。")
    _ask_category(turn, draft)


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
    _ask_grid(turn, draft)


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
    if draft.get("offline"):
        return submit_offline(turn, draft, _case_draft(turn, draft))
    duplicate = services.casework.recent_duplicate(
        turn.session, turn.identity.resident_id or 0, draft["text"]
    )
    if duplicate is not None:
        turn.go("idle")
        turn.reply(f"该问题已登记为工单 {duplicate.ticket}，无需重复提交。")
        return
    _case, events = services.casework.submit(turn.session, turn.identity, _case_draft(turn, draft))
    turn.go("idle")
    turn.emit(events)


def _case_draft(turn: Turn, draft: dict[str, Any]) -> CaseDraft:
    return CaseDraft(
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
    zone = turn.services.casework.calendar.zone
    if entry.kind == "deputy":
        turn.reply(f"您好！您正在联系{entry.name}代表。\n{invite}")
    else:
        reception = reception_line(turn.session, entry.station_code, turn.now, zone)
        turn.reply(f"您好！这里是{entry.name}。\n{invite}{reception}")


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
    "choosing_category": {
        "cat": choose_category,
        "location": add_location,
        "photo": add_photo,
        "text": repeat_category,
    },
    "choosing_township": {
        "tw": choose_township,
        "location": add_location,
        "photo": add_photo,
        "text": place_named,
    },
    "choosing_grid": {
        "grid": choose_grid,
        "location": add_location,
        "photo": add_photo,
        "text": place_named,
        "intake:elsewhere": elsewhere,
    },
    "expired": {
        "text": describe,
        "location": add_location,
        "photo": add_photo,
        "intake:resume": resume,
    },
}

_PROMPTS = {
    "choosing_category": "请回复类别前的编号或类别名称，或发送“取消”。",
    "choosing_township": "请回复乡镇前的编号或名称、发送位置，或发送“取消”。",
    "choosing_grid": "请回复村（社区）前的编号或名称、发送位置，或发送“取消”。",
}


def handle_intake(turn: Turn) -> None:
    """Run the step the table names for this state and input; refuse anything else."""
    state = turn.state.state if turn.state.state in INTAKE else "idle"
    steps = INTAKE[state]
    if turn.action is not None:
        decoded = actions.decode(turn.action)
        if decoded is None:
            turn.refuse("无法识别该按钮，请按最新的提示操作。")
            return
        verb, args = decoded
        key = f"intake:{args[0]}" if verb == "intake" else verb
        step = steps.get(key)
        if step is None:
            turn.refuse("该选项已失效，请按最新的提示操作。")
            return
        return step(turn, args)
    if turn.incoming.location is not None:
        return steps["location"](turn, [])
    if turn.incoming.photo is not None:
        return steps["photo"](turn, [])
    if "text" in steps:
        return steps["text"](turn, [])
    turn.refuse(_PROMPTS.get(state, "请按提示操作。"))
