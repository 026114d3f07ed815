"""QQ groups over the webhook on 127.0.0.1: binding with a one-time code, suggestions by
@-mention, passive replies within the group's 5 minutes and 5 replies, active messages
within the month's quota, and what does not fit waiting for the next @-mention."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from casework.clock import SystemClock
from casework.identities import create_invite
from casework.outbox import Message, post
from storage.db import transaction
from storage.models import GroupBindCode, HometownGroup
from tests.qq.conftest import QQBench

GROUP, DEPUTY = "group:GROUP0001", "user:DEPUTY0002"


async def bind_deputy(qq: QQBench, code: str = "D001") -> None:
    with transaction(qq.app.sessions) as session:
        token = create_invite(session, code, SystemClock().now())
    assert await qq.deliver(qq.fake.c2c_message("DEPUTY0002", f"inv-{token}")) == 200


async def group_code(qq: QQBench) -> str:
    assert await qq.deliver(qq.fake.c2c_message("DEPUTY0002", "群绑定码")) == 200
    answer = qq.fake.texts_to(DEPUTY)[-1]
    return re.search(r"验证码：(\d{6})", answer).group(1)


async def in_group(qq: QQBench, member: str, text: str) -> None:
    assert await qq.deliver(qq.fake.group_at_message("GROUP0001", member, text)) == 200


def answers(qq: QQBench) -> list[tuple[str, bool]]:
    return [(s.content, s.passive) for s in qq.fake.sent if s.content.startswith("建议答复")]


def bound_station(qq: QQBench) -> str | None:
    with transaction(qq.app.sessions) as session:
        return session.scalars(select(HometownGroup.station_code)).one_or_none()


async def test_a_deputy_binds_the_group_with_a_code_and_members_suggest(qq: QQBench):
    await bind_deputy(qq)
    code = await group_code(qq)
    assert f"绑定 ST-DL {code}" in qq.fake.texts_to(DEPUTY)[-1]
    await in_group(qq, "MEMBER_DEPUTY", f"绑定 ST-DL {code}")
    assert qq.fake.texts_to(GROUP)[-1].startswith("本群已绑定为东岭片区人大代表联络站")
    assert bound_station(qq) == "ST-DL"
    await in_group(qq, "MEMBER_WANG", "#建议 村里的路该修了")
    assert qq.fake.texts_to(GROUP)[-1].startswith("已收到")
    assert all(s.passive for s in qq.fake.sent if s.chat_id == GROUP)


async def test_without_a_valid_code_nobody_binds_the_group(qq: QQBench):
    assert await qq.deliver(qq.fake.c2c_message("RESIDENT0001", "群绑定码")) == 200
    assert qq.fake.texts_to("user:RESIDENT0001") == ["群绑定码只发给代表和代表工委工作人员。"]
    await bind_deputy(qq)
    await in_group(qq, "MEMBER_WANG", "绑定 ST-DL")
    assert "群绑定码" in qq.fake.texts_to(GROUP)[-1]
    await in_group(qq, "MEMBER_WANG", "绑定 ST-DL 000000")
    assert qq.fake.texts_to(GROUP)[-1].startswith("验证码无效或已过期")
    code = await group_code(qq)
    await in_group(qq, "MEMBER_WANG", f"绑定 ST-LJ {code}")  # not a station of D001's
    assert "不能把本群绑定到" in qq.fake.texts_to(GROUP)[-1]
    assert bound_station(qq) is None
    await in_group(qq, "MEMBER_DEPUTY", f"绑定 ST-DL {code}")
    assert bound_station(qq) == "ST-DL"
    await in_group(qq, "MEMBER_WANG", f"绑定 ST-LJ {code}")  # spent
    assert qq.fake.texts_to(GROUP)[-1].startswith("验证码无效或已过期")
    qq.time.advance(minutes=1)
    new_code = await group_code(qq)
    with transaction(qq.app.sessions) as session:
        session.get(GroupBindCode, new_code).expires_at -= timedelta(minutes=11)
    await in_group(qq, "MEMBER_DEPUTY", f"绑定 D001 {new_code}")
    assert qq.fake.texts_to(GROUP)[-1].startswith("验证码无效或已过期")


async def test_a_group_message_after_five_minutes_goes_active_then_waits(qq: QQBench):
    qq.fake.active_quota = 2
    await in_group(qq, "MEMBER_WANG", "你好")  # ordinary chatter: no reply, but a target
    qq.time.advance(minutes=5, seconds=1)
    with transaction(qq.app.sessions) as session:
        for i in range(3):
            post(session, SystemClock().now(), Message(f"chat:qq:{GROUP}", f"建议答复{i}"))
    await qq.flush()
    assert answers(qq) == [("建议答复0", False), ("建议答复1", False)]
    assert "waiting" in qq.rows(text="建议答复2")[0].error
    await in_group(qq, "MEMBER_LI", "你好")  # the next @-mention
    assert answers(qq)[-1] == ("建议答复2", True)


async def test_at_most_five_passive_replies_to_one_message(qq: QQBench):
    qq.fake.active_quota = 0
    await in_group(qq, "MEMBER_WANG", "你好")
    replies = len(qq.fake.sent)  # the bot's own answer to the mention, if any
    with transaction(qq.app.sessions) as session:
        for i in range(7):
            post(session, SystemClock().now(), Message(f"chat:qq:{GROUP}", f"第{i}条"))
    await qq.flush()
    assert [s.msg_seq for s in qq.fake.sent] == [1, 2, 3, 4, 5]
    assert len([s for s in qq.fake.sent if s.content.startswith("第")]) == 5 - replies
    await in_group(qq, "MEMBER_LI", "你好")
    assert [s.content for s in qq.fake.sent if s.content.startswith("第")][-1] == "第6条"
    assert {r.status for r in qq.rows(channel="qq")} == {"sent"}


async def test_a_bound_group_collects_a_suggestion_a_member_supports_the_deputy_answers(
    qq: QQBench,
):
    """The done-when, over the network stack on 127.0.0.1: a group bound by a deputy
    collects a suggestion, a member supports it, the deputy answers it, the group sees it."""
    await bind_deputy(qq)
    code = await group_code(qq)
    await in_group(qq, "MEMBER_DEPUTY", f"绑定 ST-DL {code}")
    await in_group(qq, "MEMBER_WANG", "建议 东岭村村口那几盏路灯坏了，晚上走路看不见")
    ack = qq.fake.texts_to(GROUP)[-1]
    assert ack.startswith("已收到") and "（城乡建设）" in ack
    number = re.search(r"JY-\d{4}-\d{6}", ack).group(0)
    await in_group(qq, "MEMBER_LI", f"附议 {number}")
    assert "现2人支持" in qq.fake.texts_to(GROUP)[-1]
    # The deputy answers in the private chat, later than the group's 5 minutes and with no
    # active message left: the answer waits for the group's next @-mention.
    qq.fake.active_allowed = False
    qq.time.advance(minutes=6)
    assert await qq.deliver(
        qq.fake.c2c_message("DEPUTY0002", f"答复建议 {number} B 已联系供电所，本月底前更换")
    ) == 200  # fmt: skip
    assert qq.fake.texts_to(DEPUTY)[-1].startswith(f"已答复建议 {number}")
    assert not any(t.startswith("【建议答复】") for t in qq.fake.texts_to(GROUP))
    await in_group(qq, "MEMBER_ZHAO", "你好")  # the next @-mention
    answer = next(t for t in qq.fake.texts_to(GROUP) if t.startswith("【建议答复】"))
    assert number in answer and "已联系供电所，本月底前更换" in answer
    assert [s.passive for s in qq.fake.sent if s.content == answer] == [True]
    # Group members have no private chat the bot could use: nothing was addressed to one,
    # nothing failed, nothing is left waiting.
    rows = qq.rows()
    assert not [r for r in rows if (r.chat_id or "").startswith("member:")]
    assert {r.status for r in rows} == {"sent"}
