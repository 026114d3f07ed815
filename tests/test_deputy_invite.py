"""Deputy onboarding: a one-time invite link from the office binds a chat to a deputy."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from bot.cli import main
from bot.simulator import Simulation
from casework.identities import create_invite
from storage.db import transaction
from storage.models import ChatIdentity


def invite(sim: Simulation, code: str) -> str:
    with transaction(sim.app.sessions) as session:
        return create_invite(session, code, sim.clock.now())


async def test_an_invite_binds_a_new_account_once(sqlite_sim: Simulation):
    token = invite(sqlite_sim, "D005")
    sent = await sqlite_sim.send("resident:phone-of-d005", start=f"inv-{token}")
    assert sent[0].text.startswith("您好，韦宏伟代表！本账号已绑定为您的代表身份")
    mine = await sqlite_sim.say("resident:phone-of-d005", "我的工单")
    assert mine[0].text == "您目前没有待办工单。"  # a deputy now, not a resident
    again = await sqlite_sim.send("resident:someone-else", start=f"inv-{token}")
    assert again[0].text.startswith("该邀请链接已使用过")
    with transaction(sqlite_sim.app.sessions) as session:
        bound = session.scalars(
            select(ChatIdentity.external_id).where(ChatIdentity.deputy_code == "D005")
        ).all()
    assert sorted(bound) == ["deputy:D005", "resident:phone-of-d005"]


async def test_an_unknown_or_expired_invite_is_refused(sqlite_sim: Simulation):
    sent = await sqlite_sim.send("resident:x", start="inv-not-a-real-token")
    assert sent[0].text == "该邀请链接无效或已过期，请联系代表工委重新获取。"
    token = invite(sqlite_sim, "D005")
    sqlite_sim.clock.advance(timedelta(days=15))
    late = await sqlite_sim.send("resident:x", start=f"inv-{token}")
    assert late[0].text == "该邀请链接无效或已过期，请联系代表工委重新获取。"


def test_the_office_prints_an_invite_link(sqlite_url: str, capsys):
    assert main(["deputy", "invite", "D001", "--db", sqlite_url, "--bot-username", "@ys_bot"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("莫小兰（D001）的绑定链接，14天内有效，只能使用一次：")
    link = out.splitlines()[1]
    assert re.fullmatch(r"https://t\.me/ys_bot\?start=inv-[A-Za-z0-9_-]{24}", link)
    assert len(link.split("start=")[1]) <= 64  # Telegram's deep-link limit


def test_an_invite_for_an_unknown_deputy_is_a_user_error(sqlite_url: str, capsys):
    assert main(["deputy", "invite", "D999", "--db", sqlite_url, "--bot-username", "b"]) == 1
    assert "没有编号为 D999 的代表" in capsys.readouterr().err
