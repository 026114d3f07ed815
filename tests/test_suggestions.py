"""Hometown suggestions: numbers, merging repeats, supports, answers, cases, hiding, 我的建议,
and every refusal of issue 9's "Bad input" — each in Chinese, each changing nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.simulator import Simulation
from storage.db import transaction
from storage.models import Case, Suggestion, SuggestionEvent, Support

GROUP = "group:dl-home"
LIGHT = "东岭村村口那几盏路灯坏了快一个月了，晚上黑乎乎的"
LIGHT_AGAIN = "东岭村口的路灯坏了快一个月，晚上黑乎乎的，希望尽快修好"
ROAD = "骥马村到镇上的那段路坑坑洼洼，摩托车经常摔，希望修一修"


async def bind(sim: Simulation, group: str = GROUP, station: str = "ST-DL") -> None:
    sent = await sim.step({"from": group, "start": station})
    assert sent[0].text.startswith("本群已绑定为")


async def post(sim: Simulation, user: str, text: str, group: str = GROUP, **extra) -> list[str]:
    sent = await sim.step({"from": group, "user": user, "text": text, **extra})
    return [s.text for s in sent]


def snapshot(sim: Simulation) -> tuple:
    """Everything a refusal must leave as it was."""
    with transaction(sim.app.sessions) as session:
        rows = session.execute(
            select(
                Suggestion.number, Suggestion.status, Suggestion.result, Suggestion.case_id
            ).order_by(Suggestion.id)
        ).all()
        return (
            [tuple(r) for r in rows],
            session.scalar(select(func.count()).select_from(Support)),
            session.scalar(select(func.count()).select_from(SuggestionEvent)),
            session.scalar(select(func.count()).select_from(Case)),
        )


@pytest.fixture
async def loop(sqlite_sim: Simulation) -> Simulation:
    """ST-DL's group with two suggestions: JY-2026-000001 (wang, 路灯), JY-2026-000002 (zhao)."""
    await bind(sqlite_sim)
    await sqlite_sim.say("resident:wang", "我的建议")  # wang also has a private chat
    await post(sqlite_sim, "wang", f"#建议 {LIGHT}")
    await post(sqlite_sim, "zhao", f"#建议 {ROAD}")
    return sqlite_sim


# --- numbers, merging, supports -----------------------------------------------------------


async def test_numbers_count_per_year_and_are_printed_in_the_acknowledgement(loop: Simulation):
    loop.clock.advance(timedelta(days=40))  # 2027-01-02
    sent = await post(loop, "li", "#建议 村里广场舞音响太吵，建议规定结束时间")
    assert sent[0].startswith("已收到li的建议 JY-2027-000001（")


async def test_a_repeat_is_merged_and_its_author_told_which_number_it_joined(loop: Simulation):
    sent = await post(loop, "li", f"#建议 {LIGHT_AGAIN}")
    assert sent == [
        "已收到li的建议 JY-2026-000003：与建议 JY-2026-000001"
        "（“东岭村村口那几盏路灯坏了快一个月了，晚…”）内容相同，"
        "已合并，计为对 JY-2026-000001 的附议（现2人支持）。谢谢！\n"
        "如不是同一件事，请回复本消息“不同”，将单独登记。"
    ]
    with transaction(loop.app.sessions) as session:
        repeat = session.scalars(
            select(Suggestion).where(Suggestion.number == "JY-2026-000003")
        ).one()
        assert (repeat.status, repeat.merged_into.number) == ("merged", "JY-2026-000001")
        assert [e.kind for e in repeat.events] == ["collected", "merged"]


async def test_a_wrong_merge_is_undone_by_its_author(loop: Simulation):
    await post(loop, "li", f"#建议 {LIGHT_AGAIN}")
    assert await post(loop, "sun", "不同", reply_to_bot=True) == ["您最近没有被合并的建议。"]
    sent = await post(loop, "li", "不同", reply_to_bot=True)
    assert sent[0].startswith(
        "好的，li的建议 JY-2026-000003（“东岭村口的路灯坏了快一个月，晚上黑乎乎…”）已单独登记"
    )
    with transaction(loop.app.sessions) as session:
        repeat = session.scalars(
            select(Suggestion).where(Suggestion.number == "JY-2026-000003")
        ).one()
        assert (repeat.status, repeat.merged_into_id) == ("collected", None)
        assert [e.kind for e in repeat.events] == ["collected", "merged", "split"]
        assert session.scalar(select(func.count()).select_from(Support)) == 0


async def test_repeats_never_merge_across_stations_or_after_ninety_days(loop: Simulation):
    await bind(loop, "group:bs-home", "ST-BS")
    other = await post(loop, "li", f"#建议 {LIGHT_AGAIN}", group="group:bs-home")
    assert other[0].startswith("已收到li的建议 JY-2026-000003（")  # its own number, not merged
    loop.clock.advance(timedelta(days=91))
    late = await post(loop, "sun", f"#建议 {LIGHT_AGAIN}")
    assert late[0].startswith("已收到sun的建议 JY-2027-000001（")


async def test_a_repeat_of_ones_own_suggestion_is_merged_without_a_support(loop: Simulation):
    loop.clock.advance(timedelta(minutes=2))
    sent = await post(loop, "wang", f"#建议 {LIGHT_AGAIN}")
    assert sent[0].startswith("wang，您的建议 JY-2026-000003 与您此前提出的 JY-2026-000001")
    with transaction(loop.app.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Support)) == 0


async def test_support_by_reply_or_by_number(loop: Simulation):
    by_reply = await post(loop, "li", "附议", reply_to_bot=True)  # the group's latest: zhao's
    assert by_reply == [
        "已记录li对建议 JY-2026-000002（“骥马村到镇上的那段路坑坑洼洼，摩托车经…”）"
        "的附议，现2人支持。"
    ]
    by_number = await post(loop, "chen", "附议 JY-2026-000001")
    assert "建议 JY-2026-000001" in by_number[0] and "现2人支持" in by_number[0]
    loop.clock.advance(timedelta(minutes=1))  # one acknowledgement per member per minute
    plus_one = await post(loop, "chen", "+1 JY-2026-000002")
    assert "建议 JY-2026-000002" in plus_one[0] and "现3人支持" in plus_one[0]
    plain = await post(loop, "sun", "附议")  # not a reply, no number: ordinary chatter
    assert plain == []


async def test_a_reply_names_the_suggestion_it_quotes(loop: Simulation):
    from handlers.incoming import Incoming

    loop.app.dispatcher.handle(
        Incoming(
            channel="console", chat_id=GROUP, user_id="resident:li", message_id="q1",
            text="+1", is_group=True, display_name="li", reply_to_bot=True,
            reply_to_text="已收到wang的建议 JY-2026-000001（城乡建设）：东岭村……",
        )
    )  # fmt: skip
    await loop.sender.drain()
    sent = loop.recorder.take()
    assert "建议 JY-2026-000001" in sent[0].text and "现2人支持" in sent[0].text


async def test_addressed_suggestions_count_only_when_addressed_to_the_bot(loop: Simulation):
    assert await post(loop, "li", "建议 村里多装几个垃圾桶") == []  # chatter
    sent = await post(loop, "li", "建议 村里多装几个垃圾桶", addressed_to_bot=True)
    assert sent[0].startswith("已收到li的建议 JY-2026-000003")
    helped = await post(loop, "sun", "你好", addressed_to_bot=True)
    assert helped[0].startswith("您好！我是“我为家乡建言献策”群的建议收集助手")


# --- bad input ----------------------------------------------------------------------------


async def test_an_empty_suggestion_is_refused(loop: Simulation):
    before = snapshot(loop)
    for text in ("#建议", "#建议   ", "/jy"):
        sent = await post(loop, "li", text)
        assert sent == ["请在“#建议”后面写上您的建议内容，例如“#建议 村口路灯坏了，希望尽快修好”。"]
    assert snapshot(loop) == before


async def test_a_suggestion_over_500_characters_is_refused(loop: Simulation):
    before = snapshot(loop)
    sent = await post(loop, "li", "#建议 " + "路灯" * 251)
    assert sent == ["建议内容有502字，超过500字的上限，请精简后再发送。"]
    assert snapshot(loop) == before


async def test_long_chatter_is_ignored_and_a_long_suggestion_refused_with_its_length(
    loop: Simulation,
):
    before = snapshot(loop)
    assert await post(loop, "li", "转发一篇文章：" + "家乡" * 1500) == []
    sent = await post(loop, "li", "#建议 " + "路灯" * 1200)
    assert sent == ["建议内容有2400字，超过500字的上限，请精简后再发送。"]
    assert snapshot(loop) == before


async def test_supporting_ones_own_suggestion_is_refused(loop: Simulation):
    before = snapshot(loop)
    sent = await post(loop, "wang", "附议 JY-2026-000001")
    assert sent == ["建议 JY-2026-000001 是您本人提出的，不能附议自己的建议。"]
    assert snapshot(loop) == before


async def test_a_second_support_is_refused(loop: Simulation):
    await post(loop, "li", "附议 JY-2026-000001")
    before = snapshot(loop)
    sent = await post(loop, "li", "附议 JY-2026-000001")
    assert sent == ["您已附议过建议 JY-2026-000001，每人对同一条建议只能附议一次。"]
    assert snapshot(loop) == before


async def test_a_repeat_counts_as_the_members_support(loop: Simulation):
    await post(loop, "li", f"#建议 {LIGHT_AGAIN}")
    before = snapshot(loop)
    sent = await post(loop, "li", "附议 JY-2026-000001")
    assert sent == ["您已附议过建议 JY-2026-000001，每人对同一条建议只能附议一次。"]
    assert snapshot(loop) == before


async def test_an_unknown_number_is_refused(loop: Simulation):
    before = snapshot(loop)
    assert await post(loop, "li", "附议 JY-2026-999999") == [
        "没有找到建议 JY-2026-999999，请核对编号。"
    ]
    sent = await loop.say("deputy:D001", "答复建议 JY-2026-999999 B 正在办")
    assert sent[0].text == "没有找到建议 JY-2026-999999，请核对编号。"
    assert snapshot(loop) == before


async def test_an_unknown_result_code_is_refused(loop: Simulation):
    before = snapshot(loop)
    for words in ("E 已经在修了", "已经在修了", "AB 好"):
        sent = await loop.say("deputy:D001", f"答复建议 JY-2026-000001 {words}")
        assert sent[0].text.startswith("答复类别只能是 A、B、C、D（A 已解决或采纳；B 正在办理")
    assert snapshot(loop) == before


async def test_another_stations_deputy_may_not_answer_or_adopt(loop: Simulation):
    before = snapshot(loop)
    expected = "建议 JY-2026-000001 由东岭片区人大代表联络站收集，您不是该站的代表，不能办理。"
    answer = await loop.say("deputy:D010", "答复建议 JY-2026-000001 A 已解决")  # 白沙片区
    adopt = await loop.say("deputy:D010", "转为工单 JY-2026-000001")
    assert [answer[0].text, adopt[0].text] == [expected, expected]
    assert snapshot(loop) == before


async def test_a_resident_may_not_answer(loop: Simulation):
    before = snapshot(loop)
    sent = await loop.say("resident:wang", "答复建议 JY-2026-000001 A 我自己修好了")
    assert sent[0].text == "该指令仅供人大代表使用。"
    assert snapshot(loop) == before


async def test_turning_a_suggestion_into_a_case_twice_is_refused(loop: Simulation):
    first = await loop.say("deputy:D001", "转为工单 JY-2026-000001")
    assert first[0].text == "已将建议 JY-2026-000001 转为工单 YS-2026-000001，按程序交办。"
    before = snapshot(loop)
    again = await loop.say("deputy:D002", "转为工单 JY-2026-000001")
    assert again[0].text == "建议 JY-2026-000001 已转为工单 YS-2026-000001，不能重复转办。"
    assert snapshot(loop) == before


async def test_at_most_ten_suggestions_a_day(loop: Simulation):
    topics = [
        "村里广场舞太吵", "流浪狗太多咬人", "村卫生室没医生", "孩子上学没校车", "河边没有护栏",
        "过年返乡车票难买", "老人被电话诈骗", "村里还是旱厕", "垃圾池太少",
    ]  # fmt: skip
    for topic in topics:  # wang already posted one today
        loop.clock.advance(timedelta(minutes=2))
        assert (await post(loop, "wang", f"#建议 {topic}"))[0].startswith("已收到wang的建议")
    before = snapshot(loop)
    eleventh = await post(loop, "wang", "#建议 希望多办招聘会")
    assert eleventh == [
        "感谢您的热心！每人每天最多提交10条建议，您今天已经提交了10条，请明天再提交。"
    ]
    assert snapshot(loop) == before
    loop.clock.advance(timedelta(hours=16))  # the next day
    assert (await post(loop, "wang", "#建议 希望多办招聘会"))[0].startswith("已收到wang的建议")


async def test_answering_a_merged_repeat_points_to_the_original(loop: Simulation):
    await post(loop, "li", f"#建议 {LIGHT_AGAIN}")
    before = snapshot(loop)
    sent = await loop.say("deputy:D001", "答复建议 JY-2026-000003 B 正在办")
    assert sent[0].text == "建议 JY-2026-000003 已合并到 JY-2026-000001，请对 JY-2026-000001 办理。"
    assert snapshot(loop) == before


async def test_a_closed_suggestion_is_not_answered_again_nor_supported(loop: Simulation):
    await loop.say("deputy:D001", "答复建议 JY-2026-000001 A 路灯已全部更换")
    before = snapshot(loop)
    again = await loop.say("deputy:D002", "答复建议 JY-2026-000001 B 再看看")
    assert again[0].text == "建议 JY-2026-000001 已答复（A 已解决或采纳），不能重复答复。"
    support = await post(loop, "li", "附议 JY-2026-000001")
    assert support == ["建议 JY-2026-000001 已答复，无需再附议。谢谢关注！"]
    assert snapshot(loop) == before


# --- answers, buttons, lists ----------------------------------------------------------------


async def test_the_button_path_answers_a_suggestion(loop: Simulation):
    listed = await loop.say("deputy:D002", "建议列表")
    assert listed[0].text.startswith("待答复的建议（2条）：\n1. JY-2026-000001｜")
    assert listed[0].choices == ("答复 1", "答复 2")
    codes = await loop.say("deputy:D002", "1")  # typed: the first button
    assert codes[0].choices == (
        "A 已解决或采纳", "B 正在办理或已列入计划", "C 因条件限制暂时难以解决", "D 留作参考",
        "转为工单",
    )  # fmt: skip
    asked = await loop.send("deputy:D002", action=codes[0].actions[2])  # C
    assert asked[0].text.startswith(
        "请输入答复内容（建议 JY-2026-000001，C 因条件限制暂时难以解决）"
    )
    done = await loop.say("deputy:D002", "今年资金已用完，明年一季度安排")
    assert done[0].text.startswith("已答复建议 JY-2026-000001（C 因条件限制暂时难以解决）")
    assert [s.chat_id for s in done[1:]] == [GROUP, "resident:wang"]
    with transaction(loop.app.sessions) as session:
        first = session.scalars(
            select(Suggestion).where(Suggestion.number == "JY-2026-000001")
        ).one()
        assert (first.status, first.result, first.answered_by) == ("closed", "C", "D002")


async def test_my_suggestions_lists_what_the_member_posted_and_supported(loop: Simulation):
    await post(loop, "wang", "附议 JY-2026-000002")
    await loop.say("deputy:D001", "答复建议 JY-2026-000001 B 已报供电所")
    mine = await loop.say("resident:wang", "我的建议")
    assert mine[0].text.splitlines() == [
        "您提出的建议（1条）：",
        "· JY-2026-000001｜东岭村村口那几盏路灯坏了快一个月了，晚…｜已答复，正在办理",
        "   答复（B 正在办理或已列入计划）：已报供电所",
        "您附议的建议（1条）：",
        "· JY-2026-000002｜骥马村到镇上的那段路坑坑洼洼，摩托车经…｜已收集",
    ]


async def test_the_office_hides_a_suggestion_and_it_leaves_the_lists(loop: Simulation):
    refused = await loop.say("deputy:D001", "隐藏建议 JY-2026-000002 广告")
    assert refused[0].text == "该指令仅供代表工委使用。"
    no_reason = await loop.say("office", "隐藏建议 JY-2026-000002")
    assert no_reason[0].text == "请写明隐藏理由：隐藏建议 JY-2026-000002 理由"
    hidden = await loop.say("office", "隐藏建议 JY-2026-000001 含个人隐私信息")
    assert hidden[0].text == "已隐藏建议 JY-2026-000001，不再列入汇总。理由：含个人隐私信息"
    assert hidden[1].chat_id == "resident:wang" and "理由：含个人隐私信息" in hidden[1].text
    listed = await loop.say("deputy:D001", "建议列表")
    assert "JY-2026-000001" not in listed[0].text and "JY-2026-000002" in listed[0].text
    gone = await post(loop, "li", "附议 JY-2026-000001")
    assert gone == ["没有找到建议 JY-2026-000001，请核对编号。"]


async def test_a_case_from_a_suggestion_tells_the_group_when_resolved(loop: Simulation):
    await post(loop, "li", "附议 JY-2026-000002")
    await loop.say("resident:li", "我的建议")  # li can now be written to in private
    adopted = await loop.say("deputy:D001", "转为工单 JY-2026-000002")
    by = {s.chat_id: s.text for s in adopted}
    assert by["deputy:D004"].startswith("【新交办工单】")  # 骥马村's deputy
    assert "我也遇到：另有1位居民反映同一问题" in by["deputy:D004"]  # li follows it
    assert "resident:zhao" not in by  # the author never wrote to the bot in private
    await loop.say("deputy:D004", "受理 YS-2026-000001")
    resolved = await loop.say("deputy:D004", "办结 YS-2026-000001 已修补路面坑槽")
    by = {s.chat_id: s.text for s in resolved}
    assert by[GROUP].startswith("【建议办结】建议 JY-2026-000002")
    assert "已修补路面坑槽" in by[GROUP]
    assert by["resident:li"] == "【您关注的工单 YS-2026-000001】已办结。\n办理结果：已修补路面坑槽"
