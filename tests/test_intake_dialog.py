"""The resident's intake dialog beyond the straight path: photos, changing the category or
the place, unclear categories, withdrawing, the office placing a case by hand."""

from __future__ import annotations

from sqlalchemy import select

from bot.simulator import Simulation
from casework.cases import CaseDraft
from casework.identities import identity_for
from casework.outbox import post
from handlers.notifications import render
from storage.db import transaction
from storage.models import Case


def only_case(sim: Simulation) -> Case:
    with transaction(sim.app.sessions) as session:
        return session.scalars(select(Case)).one()


async def test_a_photo_and_a_location_are_kept_with_the_case(sqlite_sim: Simulation):
    sent = await sqlite_sim.send("resident:a", photo="file-abc")
    assert [s.text for s in sent] == ["已收到照片（共1张）。", "请用文字简要描述您遇到的问题。"]
    asked = await sqlite_sim.say("resident:a", "路灯坏了")
    assert asked[-1].text.startswith("请问问题发生在哪个乡镇？也可以直接发送位置")
    located = await sqlite_sim.send("resident:a", location=(24.770, 110.495))
    assert located[0].text == "已收到位置：阳朔镇东岭村。"
    assert "【位置】阳朔镇东岭村" in located[-1].text
    assert "【照片】1张" in located[-1].text
    await sqlite_sim.say("resident:a", "确认提交")
    case = only_case(sqlite_sim)
    assert (case.photos, case.latitude, case.longitude) == (["file-abc"], 24.770, 110.495)
    assert case.grid_code == "G-DL-01"


async def test_the_resident_changes_the_proposed_category(sqlite_sim: Simulation):
    await sqlite_sim.say("resident:a", "东岭村的路灯坏了")
    options = await sqlite_sim.say("resident:a", "修改类别")
    assert options[0].text.startswith("请选择问题类别")
    assert options[0].choices[0] == "城乡建设"  # the proposal first
    number = options[0].choices.index("交通运输") + 1
    summary = await sqlite_sim.say("resident:a", str(number))
    assert "【类别】交通运输" in summary[0].text
    await sqlite_sim.say("resident:a", "确认提交")
    assert only_case(sqlite_sim).category == "交通运输"


async def test_the_resident_changes_the_place(sqlite_sim: Simulation):
    await sqlite_sim.say("resident:a", "东岭村的路灯坏了")
    townships = await sqlite_sim.say("resident:a", "修改位置")
    await sqlite_sim.say("resident:a", str(townships[0].choices.index("白沙镇") + 1))
    summary = await sqlite_sim.say("resident:a", "遇龙村")
    assert "【位置】白沙镇遇龙村" in summary[0].text


async def test_an_unclear_message_asks_for_the_category_first(sqlite_sim: Simulation):
    asked = await sqlite_sim.say("resident:a", "东岭村这边的事情想找代表说一说")
    assert asked[0].text.startswith("请选择问题类别")
    assert len(asked[0].choices) == 10  # every category, to choose from
    summary = await sqlite_sim.say("resident:a", "城乡建设")
    assert "【类别】城乡建设" in summary[0].text


async def test_more_text_while_confirming_is_added_to_the_description(sqlite_sim: Simulation):
    await sqlite_sim.say("resident:a", "东岭村的路灯坏了")
    summary = await sqlite_sim.say("resident:a", "已经坏了一个星期")
    assert "【问题】东岭村的路灯坏了\n已经坏了一个星期" in summary[0].text


async def test_cancel_drops_the_draft(sqlite_sim: Simulation):
    await sqlite_sim.say("resident:a", "东岭村的路灯坏了")
    sent = await sqlite_sim.say("resident:a", "取消")
    assert sent[0].text.startswith("已取消，本次内容未提交。")
    with transaction(sqlite_sim.app.sessions) as session:
        assert session.scalars(select(Case)).all() == []


async def test_a_resident_withdraws_a_case_before_it_is_accepted(sqlite_sim: Simulation):
    await sqlite_sim.say("resident:a", "东岭村的路灯坏了")
    await sqlite_sim.say("resident:a", "确认提交")
    sent = await sqlite_sim.say("resident:a", "撤销 YS-2026-000001")
    assert [(s.chat_id, s.text) for s in sent] == [
        ("resident:a", "工单 YS-2026-000001 已撤销。"),
        ("deputy:D001", "工单 YS-2026-000001 已由居民撤销，无需再办理。"),
    ]
    assert only_case(sqlite_sim).status == "cancelled"


async def test_the_resident_lists_their_cases(sqlite_sim: Simulation):
    await sqlite_sim.say("resident:a", "东岭村的路灯坏了")
    await sqlite_sim.say("resident:a", "确认提交")
    sent = await sqlite_sim.say("resident:a", "查询")
    assert sent[0].text == "您的工单：\nYS-2026-000001｜已交办代表｜城乡建设｜东岭村的路灯坏了"


async def test_deputy_lists_open_cases_and_gets_help(sqlite_sim: Simulation):
    await sqlite_sim.say("resident:a", "东岭村的路灯坏了")
    await sqlite_sim.say("resident:a", "确认提交")
    mine = await sqlite_sim.say("deputy:D001", "我的工单")
    assert (
        mine[0].text
        == "您的待办工单（1件）：\nYS-2026-000001｜已交办代表｜城乡建设｜东岭村的路灯坏了"
    )
    help_text = await sqlite_sim.say("deputy:D001", "你好")
    assert "受理 工单号" in help_text[0].text


async def test_the_office_assigns_a_case_routing_could_not_place(sqlite_sim: Simulation):
    app = sqlite_sim.app
    with transaction(app.sessions) as session:
        resident = identity_for(session, "console", "resident:a", sqlite_sim.clock.now())
        draft = CaseDraft(text="想反映一件事，不知道找谁", category="其他")
        _case, events = app.services.casework.submit(session, resident, draft)
        for event in events:
            for message in render(event, app.services.casework.calendar.zone, "代表工委"):
                post(session, sqlite_sim.clock.now(), message)
    await sqlite_sim.sender.drain()
    told = sqlite_sim.recorder.take()
    assert [s.chat_id for s in told] == ["resident:a", "office"]
    assert "正在为您安排代表办理" in told[0].text
    waiting = await sqlite_sim.say("office", "待交办")
    assert "YS-2026-000001" in waiting[0].text
    sent = await sqlite_sim.say("office", "交办 YS-2026-000001 D005")
    assert [s.chat_id for s in sent] == ["resident:a", "deputy:D005", "office"]
    assert "【新交办工单】" in sent[1].text
    assert only_case(sqlite_sim).deputy_code == "D005"


async def test_an_urgent_problem_is_flagged_and_due_the_same_day(sqlite_sim: Simulation):
    summary = await sqlite_sim.say("resident:a", "东岭村停电了，家里老人用氧气机")
    assert "【紧急】是（停电），将优先处理" in summary[0].text
    sent = await sqlite_sim.say("resident:a", "确认提交")
    assert "将于11月23日（周一）23:59前答复您" in sent[0].text
    assert "签收时限：11月23日（周一）11:00" in sent[1].text
    case = only_case(sqlite_sim)
    assert case.urgent is True


async def test_a_question_is_a_consultation_with_the_short_limit(sqlite_sim: Simulation):
    await sqlite_sim.say("resident:a", "请问东岭村的路灯归哪个部门管？")
    await sqlite_sim.say("resident:a", "确认提交")
    case = only_case(sqlite_sim)
    assert case.request_type == "咨询"
    # 咨询: 2 working days from Monday 09:00.
    assert case.answer_due_at.astimezone(sqlite_sim.clock.now().tzinfo).day == 25


async def test_a_photo_with_a_caption_is_the_description(sqlite_sim: Simulation):
    sent = await sqlite_sim.send("resident:a", photo="file-xyz", text="东岭村的路灯坏了")
    assert sent[0].text == "已收到照片（共1张）。"
    assert "【问题】东岭村的路灯坏了" in sent[-1].text
    assert "【照片】1张" in sent[-1].text
