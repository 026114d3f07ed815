"""The case loop at its edges, as residents and deputies met it (issue 12): each test is named
after what broke."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.simulator import Simulation
from casework.clock import ManualClock
from storage.db import transaction
from storage.models import Case
from tests.conftest import make_app
from tests.test_time_limits import at

TICKET = "YS-2026-000001"


def cases(sim: Simulation) -> list[Case]:
    with transaction(sim.app.sessions) as session:
        found = list(session.scalars(select(Case).order_by(Case.id)))
        for case in found:
            _ = case.events
        return found


@pytest.fixture
async def sim(sqlite_url: str, tmp_path: Path):
    clock = ManualClock(at("2026-11-23T09:00"))
    app = make_app(sqlite_url, tmp_path, clock)
    yield Simulation.attach(app, clock)
    app.engine.dispose()


async def resolved_case(sim: Simulation) -> None:
    """东岭村's irrigation ditch, handled by 黎建国 (D002) and resolved."""
    await sim.say("resident:a", "东岭村的水渠堵了，农田灌溉不了")
    await sim.say("resident:a", "确认提交")
    await sim.say("deputy:D002", f"受理 {TICKET}")
    await sim.say("deputy:D002", f"办结 {TICKET} 水渠已清淤")


# --- 4. text length ---------------------------------------------------------------------


async def test_a_long_text_is_quoted_as_an_excerpt_in_escalations(sim: Simulation):
    """A long complaint was repeated whole in every reminder to the head and the office."""
    long_text = "东岭村的路灯坏了，" + "晚上出门很不安全，" * 150
    assert 1000 < len(long_text) <= 2000
    await sim.say("resident:a", long_text)
    assigned = await sim.say("resident:a", "确认提交")
    card = next(s for s in assigned if s.chat_id == "deputy:D001")
    assert long_text in card.text  # the new deputy reads all of it
    sent = await sim.advance("3d")  # past the 签收 limit: 督办 to the head / office
    escalations = [s for s in sent if "督办" in s.text or "通报" in s.text]
    assert escalations
    for message in escalations:
        assert long_text not in message.text
        assert len(message.text) < 600
    assert any(f"全文{len(long_text)}字，见工单 {TICKET}" in s.text for s in escalations)


async def test_a_photo_caption_cannot_make_the_description_longer_than_the_limit(sim):
    await sim.say("resident:a", "东岭村的路灯坏了" + "很" * 1500)
    sent = await sim.send("resident:a", photo="p1", text="补充" * 400)
    assert any("超过2000字" in s.text for s in sent)
    await sim.say("resident:a", "确认提交")
    [case] = cases(sim)
    assert len(case.text) <= 2000


# --- 6. actions that fit the state ------------------------------------------------------


async def test_lookup_of_a_resolved_case_offers_no_actions(sim: Simulation):
    """查询 on a resolved case offered 回复居民/转办部门/办结."""
    await resolved_case(sim)
    shown = await sim.say("deputy:D002", f"查询 {TICKET}")
    assert "状态：已办结" in shown[0].text
    assert shown[0].choices == ()


async def test_lookup_of_a_transferred_case_offers_what_the_lifecycle_allows(sim: Simulation):
    await sim.say("resident:a", "东岭村的水渠堵了，农田灌溉不了")
    await sim.say("resident:a", "确认提交")
    assert (await sim.say("deputy:D002", f"查询 {TICKET}"))[0].choices == ("受理",)
    await sim.say("deputy:D002", f"受理 {TICKET}")
    await sim.say("deputy:D002", f"转办 {TICKET} 水利局")
    assert (await sim.say("deputy:D002", f"查询 {TICKET}"))[0].choices == ("回复居民", "办结")


# --- 7. dead ends -----------------------------------------------------------------------


async def test_not_fixed_after_the_recheck_expired_says_how_to_reopen(sim: Simulation):
    """A 3 (未解决) after the 4-week check expired got "目前没有待回访的问题" and nothing else."""
    await resolved_case(sim)
    await sim.say("resident:a", "4")
    await sim.advance("28d")  # the recheck is asked
    await sim.advance("8d")  # and expires unanswered
    sent = await sim.say("resident:a", "3")
    assert f"重新反映 {TICKET} 原因" in sent[0].text
    assert "直接发送文字描述" in sent[0].text
    # …and doing what it says works.
    reopened = await sim.say("resident:a", f"重新反映 {TICKET} 下雨又堵了")
    assert any(s.chat_id == "deputy:D002" and "居民申请重新办理" in s.text for s in reopened)
    [case] = cases(sim)
    assert (case.status, case.round) == ("reopened", 1)


async def test_reopening_asks_why_when_no_reason_is_given(sim: Simulation):
    await resolved_case(sim)
    asked = await sim.say("resident:a", "重新反映 ys-2026-1")
    assert "请简要说明原因" in asked[0].text
    await sim.say("resident:a", "还是堵着")
    assert cases(sim)[0].status == "reopened"


async def test_reopening_a_case_closed_long_ago_says_to_report_it_anew(sim: Simulation):
    await resolved_case(sim)
    await sim.say("resident:a", "5")
    await sim.advance("28d")
    await sim.say("resident:a", "1")  # 已解决: closed
    await sim.advance("31d")
    sent = await sim.say("resident:a", f"重新反映 {TICKET} 又坏了")
    assert "超过30天" in sent[0].text
    assert cases(sim)[0].status == "closed"


async def test_a_rating_after_the_window_says_what_can_be_done(sim: Simulation):
    await resolved_case(sim)
    await sim.advance("8d")  # closed as 未评价
    sent = await sim.send("resident:a", action=f"rate:{TICKET}:5")
    assert "目前没有待评价的办理结果" in sent[0].text
    assert f"重新反映 {TICKET}" in sent[0].text


# --- 9. numbered choices that jam -------------------------------------------------------


async def test_a_wrong_answer_at_the_village_prompt_keeps_the_choices(sim: Simulation):
    """After a refusal, even "2" and the exact label 骥马村 were refused forever."""
    await sim.send("resident:a", start="ST-DL")
    asked = await sim.say("resident:a", "路灯坏了，晚上很黑")
    assert "骥马村" in asked[-1].choices
    refused = await sim.say("resident:a", "99")
    assert "没有这个选项" in refused[0].text
    chosen = await sim.say("resident:a", "骥马村")
    assert "【位置】阳朔镇骥马村" in chosen[-1].text


async def test_a_number_after_a_refusal_still_means_its_choice(sim: Simulation):
    await sim.send("resident:a", start="ST-DL")
    await sim.say("resident:a", "路灯坏了，晚上很黑")
    await sim.say("resident:a", "12")  # refused
    chosen = await sim.say("resident:a", "2")
    assert "【位置】阳朔镇骥马村" in chosen[-1].text


async def test_categories_after_a_refusal_accept_a_number_or_a_label(sim: Simulation):
    asked = await sim.say("resident:a", "有个事情想问问怎么办才好")
    assert "请选择问题类别" in asked[-1].text
    assert "没有这个选项" in (await sim.say("resident:a", "12"))[0].text
    assert "没有这个类别" in (await sim.say("resident:a", "随便"))[0].text
    chosen = await sim.say("resident:a", "卫生计生")
    assert chosen[-1].text.startswith(("请问您所在的乡镇", "请核对"))


async def test_a_label_typed_in_part_or_in_full_width_works_like_its_number(sim: Simulation):
    await sim.say("resident:a", "路灯坏了，晚上很黑")  # no place: the township question
    asked = await sim.say("resident:a", "阳朔")  # part of 阳朔镇
    assert "东岭村" in asked[-1].choices
    chosen = await sim.say("resident:a", "２")  # full-width 2
    assert "【位置】阳朔镇骥马村" in chosen[-1].text


# --- 10. each round its own rating ------------------------------------------------------


async def test_a_reopened_round_left_unrated_closes_as_unrated(sim: Simulation):
    """resolve, 2, reopen, resolve, 7 days: "已结案，感谢您的反馈", with round one's 2."""
    await resolved_case(sim)
    await sim.say("resident:a", "2")
    await sim.say("resident:a", "没清干净")
    await sim.say("deputy:D002", f"受理 {TICKET}")
    await sim.say("deputy:D002", f"办结 {TICKET} 已再次清淤")
    sent = await sim.advance("8d")
    told = [s.text for s in sent if s.chat_id == "resident:a"]
    assert f"工单 {TICKET} 已结案（未评价）。" in " ".join(told)
    assert not any("感谢您的反馈" in t for t in told)
    [case] = cases(sim)
    assert (case.status, case.rating) == ("closed", None)


# --- 11. small talk and nonsense --------------------------------------------------------


@pytest.mark.parametrize("said", ["你好", "在吗？", "您好，在不在"])
async def test_a_greeting_is_answered_not_given_the_category_menu(sim: Simulation, said: str):
    sent = await sim.say("resident:a", said)
    assert len(sent) == 1
    assert sent[0].text.startswith("您好！这里是阳朔县人大代表联络平台")
    assert sent[0].choices == ()
    assert cases(sim) == []
    # …and the resident's next message is a report as usual.
    summary = await sim.say("resident:a", "东岭村的路灯坏了")
    assert "请核对您要反映的问题" in summary[-1].text


async def test_thanks_is_answered_kindly(sim: Simulation):
    sent = await sim.say("resident:a", "谢谢")
    assert sent[0].text.startswith("不客气")


@pytest.mark.parametrize("said", ["asdfgh 哈哈哈哈 ？？？", "。。。", "哈哈哈"])
async def test_text_with_no_content_is_refused_politely(sim: Simulation, said: str):
    sent = await sim.say("resident:a", said)
    assert "没能看懂您的意思" in sent[0].text
    assert cases(sim) == []


@pytest.mark.parametrize("typed", ["查询 ys-2026-1", "查询 YS-2026-000001", "查询YS－2026－1"])
async def test_ticket_numbers_are_read_in_any_case_with_or_without_zeros(
    sim: Simulation, typed: str
):
    """查询 ys-2026-1 became a problem report that expired 30 minutes later."""
    await sim.say("resident:a", "东岭村的路灯坏了")
    await sim.say("resident:a", "确认提交")
    shown = await sim.say("resident:a", typed)
    assert shown[0].text.startswith(f"工单号：{TICKET}")
    assert len(cases(sim)) == 1


async def test_a_bare_number_with_nothing_asked_is_not_a_new_problem(sim: Simulation):
    """{"choose": 5} with no pending question became a new problem "5"."""
    sent = await sim.say("resident:a", "5")
    assert sent[0].text.startswith("目前没有需要您回复编号的问题。")
    assert cases(sim) == []


# --- 12. not in these villages ----------------------------------------------------------


async def test_a_problem_outside_the_stations_villages_can_say_so(sim: Simulation):
    await sim.send("resident:a", start="ST-DL")
    asked = await sim.say("resident:a", "路灯坏了，晚上很黑")
    assert asked[-1].choices[-1] == "不在以上地方"
    townships = await sim.say("resident:a", "不在以上地方")
    assert "白沙镇" in townships[-1].choices
    villages = await sim.say("resident:a", "白沙镇")
    assert "遇龙村" in villages[-1].choices
    summary = await sim.say("resident:a", "遇龙村")
    assert "【位置】白沙镇遇龙村" in summary[-1].text


@pytest.mark.parametrize("said", ["在县城，不在村里", "西街"])
async def test_typed_words_at_the_village_prompt_are_understood(sim: Simulation, said: str):
    await sim.send("resident:a", start="ST-DL")
    await sim.say("resident:a", "路灯坏了，晚上很黑")
    sent = await sim.say("resident:a", said)
    if said == "西街":  # a place of the county: taken directly
        assert "【位置】阳朔镇西街社区" in sent[-1].text
    else:  # "not there": the whole county
        assert "阳朔镇" in sent[-1].choices


# --- 19. urgent danger ------------------------------------------------------------------


async def test_danger_to_life_gets_the_emergency_numbers_in_the_first_reply(sim: Simulation):
    """塌方 with houses below was flagged urgent, with no word about calling 119."""
    sent = await sim.say("resident:a", "东岭村后山塌方了，下面有好几户人家")
    assert "119" in sent[0].text and "撤离" in sent[0].text
    assert "请核对您要反映的问题" in sent[-1].text


@pytest.mark.parametrize(
    ("said", "number"),
    [
        ("东岭村有户人家着火了", "119"),
        ("东岭村有人打架，还动了刀，有人受伤", "110"),
        ("东岭村有人受伤了，流了很多血", "120"),
        ("东岭村闻到煤气味，好像漏气了", "燃气公司"),
    ],
)
async def test_each_danger_names_its_emergency_number(sim: Simulation, said: str, number: str):
    sent = await sim.say("resident:a", said)
    assert number in sent[0].text


async def test_a_negated_danger_gets_no_alarm(sim: Simulation):
    sent = await sim.say("resident:a", "东岭村的路灯坏了，没有着火，就是不亮")
    assert "紧急提醒" not in sent[0].text


# --- words and small gaps ---------------------------------------------------------------


async def test_submission_says_registered_not_accepted(sim: Simulation):
    """ "已受理" was said at submission, before any deputy's 受理."""
    await sim.say("resident:a", "东岭村的路灯坏了")
    sent = await sim.say("resident:a", "确认提交")
    told = next(s.text for s in sent if s.chat_id == "resident:a")
    assert told.startswith(f"您反映的问题已登记，工单号：{TICKET}")
    assert "受理" not in told
    shown = await sim.say("resident:a", f"查询 {TICKET}")
    assert "状态：已交办代表" in shown[0].text


async def test_a_question_about_a_person_asks_where_they_live(sim: Simulation):
    """ "问题发生在哪个乡镇？" fits a pothole, not a medical-insurance question."""
    sent = await sim.say("resident:a", "我的医保报销比例是多少，怎么报销")
    assert sent[-1].text.startswith("请问您所在的乡镇？")


@pytest.mark.parametrize("said", ["算了，不弄了", "不用了"])
async def test_never_mind_cancels_a_draft(sim: Simulation, said: str):
    await sim.say("resident:a", "东岭村的路灯坏了")
    sent = await sim.say("resident:a", said)
    assert sent[0].text.startswith("已取消，本次内容未提交。")
    await sim.say("resident:a", "1")  # the old 确认提交 means nothing now
    assert cases(sim) == []


async def test_a_department_is_found_by_its_short_name(sim: Simulation):
    """转办 … 人社局 said "没有找到'人社局'"."""
    await sim.say("resident:a", "东岭村的水渠堵了，农田灌溉不了")
    await sim.say("resident:a", "确认提交")
    await sim.say("deputy:D002", f"受理 {TICKET}")
    sent = await sim.say("deputy:D002", f"转办 {TICKET} 人社局")
    assert any("县人力资源和社会保障局" in s.text for s in sent)
    assert cases(sim)[0].department_code == "DEP-RS"


async def test_the_rating_question_says_until_when(sim: Simulation):
    """ "7天内未评价将按'未评价'结案" did not say from when."""
    await sim.say("resident:a", "东岭村的水渠堵了，农田灌溉不了")
    await sim.say("resident:a", "确认提交")
    await sim.say("deputy:D002", f"受理 {TICKET}")
    sent = await sim.say("deputy:D002", f"办结 {TICKET} 水渠已清淤")
    question = next(s for s in sent if "请您评价" in s.text)
    assert "11月30日（周一）09:00前未评价的，将按“未评价”结案" in question.text
    reminder = await sim.advance("25h")
    assert any("11月30日（周一）09:00前" in s.text for s in reminder if s.chat_id == "resident:a")


async def test_townships_are_offered_in_the_county_files_order(sim: Simulation):
    """Townships in pinyin order put the county seat last."""
    sent = await sim.say("resident:a", "路灯坏了，晚上很黑")
    assert list(sent[-1].choices[:3]) == ["阳朔镇", "白沙镇", "福利镇"]


async def test_bare_accept_takes_the_one_pending_case(sim: Simulation):
    await sim.say("resident:a", "东岭村的水渠堵了，农田灌溉不了")
    await sim.say("resident:a", "确认提交")
    sent = await sim.say("deputy:D002", "受理")
    assert any(s.chat_id == "resident:a" and "黎建国代表已签收" in s.text for s in sent)


async def test_bare_accept_with_several_pending_lists_them(sim: Simulation):
    for who, text in (("a", "东岭村的水渠堵了，农田灌溉不了"), ("b", "东岭村的鱼塘没水了")):
        await sim.say(f"resident:{who}", text)
        await sim.say(f"resident:{who}", "确认提交")
    sent = await sim.say("deputy:D002", "受理")
    assert "2件待签收" in sent[0].text
    assert sent[0].choices == ("受理 YS-2026-000001", "受理 YS-2026-000002")
    chosen = await sim.say("deputy:D002", "2")
    assert any("YS-2026-000002" in s.text and "已签收" in s.text for s in chosen)


async def test_a_heads_my_cases_lists_the_stations_overdue_cases(sim: Simulation):
    await sim.say("resident:a", "东岭村的水渠堵了，农田灌溉不了")
    await sim.say("resident:a", "确认提交")
    await sim.advance("2d")  # D002 never accepted it
    sent = await sim.say("deputy:D001", "我的工单")
    assert "本站逾期工单（1件，请督办）" in sent[0].text
    assert f"{TICKET}" in sent[0].text and "承办：黎建国" in sent[0].text


async def test_urgent_cases_are_marked_in_the_card_and_my_cases(sim: Simulation):
    await sim.say("resident:a", "东岭村后山塌方了，下面有好几户人家")
    sent = await sim.say("resident:a", "确认提交")
    card = next(s for s in sent if s.chat_id.startswith("deputy:"))
    assert card.text.startswith("【紧急】【新交办工单】")
    listed = await sim.say(card.chat_id, "我的工单")
    assert f"【紧急】{TICKET}" in listed[0].text


async def test_a_vague_opener_asks_for_the_problem_not_the_category_menu(sim: Simulation):
    sent = await sim.say("resident:a", "我想反映个问题")
    assert sent[0].text.startswith("好的，请直接说说遇到了什么问题")
    assert sent[0].choices == ()


async def test_a_fuller_description_at_the_category_menu_is_taken_as_the_description(sim):
    """At the category menu, "东岭村的路灯坏了好几天了" got "没有这个类别" in the demo."""
    asked = await sim.say("resident:a", "有个事情想问问怎么办才好")
    assert "请选择问题类别" in asked[-1].text
    sent = await sim.say("resident:a", "东岭村的路灯坏了好几天了")
    assert "【类别】城乡建设" in sent[-1].text
    assert "【位置】阳朔镇东岭村" in sent[-1].text


async def test_a_reopened_case_shows_the_last_result_as_the_last_one(sim: Simulation):
    await resolved_case(sim)
    await sim.say("resident:a", "2")
    await sim.say("resident:a", "没清干净")
    shown = await sim.say("resident:a", f"查询 {TICKET}")
    assert "上次办理结果：水渠已清淤" in shown[0].text
    assert "\n办理结果：" not in shown[0].text
