"""WeChat end to end: the callback answers within the budget with the first reply; the rest
goes out as customer-service messages through the outbox, sent once."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.routing import Route

from bot.channels.wechat.callback import WeChatCallback
from bot.channels.wechat.client import SharedTokenClient
from bot.channels.wechat.fake_api import FakeWeChatApi
from bot.channels.wechat.outbound import WeChatChannel, open_window
from bot.simulator import Simulation
from storage.db import transaction
from storage.models import OutboxMessage
from tests.test_wechat_callback import OPENID, TOKEN, post, reply_text, text_xml


async def test_passive_reply_first_then_customer_service_messages(sqlite_sim: Simulation):
    app = sqlite_sim.app
    async with FakeWeChatApi() as fake:
        client = SharedTokenClient(fake.appid, fake.secret, fake.base_url, app.sessions)
        channel = WeChatChannel(client, app.sessions)
        sender = app.sender({"wechat": channel})
        callback = WeChatCallback(
            TOKEN, app.dispatcher, sender.take_for_reply,
            on_user_action=lambda openid: open_window(app.sessions, openid),
        )  # fmt: skip
        web = Starlette(routes=[Route("/wechat", callback.post, methods=["POST"])])
        transport = httpx.ASGITransport(app=web)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            summary = await post(http, text_xml("东岭村的路灯坏了", msg_id=11), safe=False)
            assert "【类别】城乡建设" in reply_text(summary, safe=False)
            receipt = await post(http, text_xml("1", msg_id=12), safe=False)
        assert "工单号：YS-2026-000001" in reply_text(receipt, safe=False)
        await sender.drain()
        with transaction(app.sessions) as session:
            rows = session.scalars(
                select(OutboxMessage).where(OutboxMessage.channel == "wechat")
            ).all()
        assert [r.status for r in rows] == ["sent", "sent"]  # both passive: nothing left
        assert fake.custom_sent == []
        # A message the deputy triggers later goes as a customer-service message.
        await sqlite_sim.say("deputy:D001", "受理 YS-2026-000001")
        await sender.drain()
        assert fake.custom_sent == [(OPENID, "工单 YS-2026-000001：莫小兰代表已签收，正在办理。")]
