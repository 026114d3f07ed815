"""Sending on WeChat against the fake API: customer-service messages inside the 48-hour
window (5 at most), template messages for what must arrive, waiting for the rest; one
access token shared by all processes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import sessionmaker

from bot.channels.base import RetryLater
from bot.channels.wechat.client import SharedTokenClient
from bot.channels.wechat.fake_api import FakeWeChatApi
from bot.channels.wechat.outbound import WeChatChannel, open_window
from storage.db import make_engine, migrate

OPENID = "oResident_0001"
TEMPLATES = {"assignment": "tpl-assign", "result": "tpl-result", "survey": "tpl-survey"}


@pytest.fixture
def sessions(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'wx.sqlite3'}")
    migrate(engine)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()


@pytest.fixture
async def fake() -> AsyncIterator[FakeWeChatApi]:
    async with FakeWeChatApi() as server:
        yield server


def channel(fake: FakeWeChatApi, sessions) -> WeChatChannel:
    client = SharedTokenClient(fake.appid, fake.secret, fake.base_url, sessions)
    return WeChatChannel(client, sessions, templates=TEMPLATES)


async def test_inside_the_window_a_customer_service_message_with_numbered_choices(fake, sessions):
    open_window(sessions, OPENID)
    await channel(fake, sessions).send(OPENID, "请核对：", [("确认提交", "intake:submit")])
    assert fake.custom_sent == [(OPENID, "请核对：\n1. 确认提交\n（回复编号即可）")]


async def test_five_per_window_then_templates_for_what_must_arrive(fake, sessions):
    wechat = channel(fake, sessions)
    open_window(sessions, OPENID)
    for i in range(5):
        await wechat.send(OPENID, f"消息{i}", [])
    with pytest.raises(RetryLater):  # an ordinary message waits for the user's next action
        await wechat.send(OPENID, "消息5", [])
    await wechat.send(OPENID, "工单 YS-2026-000001 已办结。\n办理结果：已修好", [], kind="result")
    assert len(fake.custom_sent) == 5
    (openid, template, data) = fake.template_sent[0]
    assert (openid, template) == (OPENID, "tpl-result")
    assert data["keyword1"]["value"] == "YS-2026-000001"


async def test_outside_the_window_the_assignment_goes_as_a_template(fake, sessions):
    wechat = channel(fake, sessions)
    old = datetime.now(UTC) - timedelta(hours=49)
    open_window(sessions, OPENID, at=old)
    await wechat.send(OPENID, "【新交办工单】\n工单号：YS-2026-000002", [], kind="assignment")
    assert fake.custom_sent == [] and fake.template_sent[0][1] == "tpl-assign"


async def test_45015_from_wechat_falls_back_without_losing_the_message(fake, sessions):
    wechat = channel(fake, sessions)
    open_window(sessions, OPENID)
    fake.fail_custom_for(OPENID)
    await wechat.send(OPENID, "请您评价工单 YS-2026-000003", [], kind="survey")
    assert fake.template_sent[0][1] == "tpl-survey"
    with pytest.raises(RetryLater):
        await wechat.send(OPENID, "普通消息", [])


async def test_one_token_for_all_processes_fetched_once(fake, sessions):
    first = SharedTokenClient(fake.appid, fake.secret, fake.base_url, sessions)
    second = SharedTokenClient(fake.appid, fake.secret, fake.base_url, sessions)
    open_window(sessions, OPENID)
    tokens = await asyncio.gather(
        asyncio.to_thread(lambda: first.access_token),
        asyncio.to_thread(lambda: second.access_token),
    )
    assert tokens[0] == tokens[1]
    assert fake.token_requests == 1
    await asyncio.to_thread(second.message.send_text, OPENID, "您好")
    assert fake.custom_sent == [(OPENID, "您好")]


async def test_qr_wechat_creates_permanent_scene_codes_and_posters(fake, tmp_path, monkeypatch):
    pytest.importorskip("qrcode")
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    from bot.bootstrap import SAMPLE_COUNTY
    from bot.cli import main

    db = f"sqlite:///{tmp_path / 'qr.sqlite3'}"
    monkeypatch.setenv("WECHAT_APP_ID", fake.appid)
    monkeypatch.setenv("WECHAT_APP_SECRET", fake.secret)
    monkeypatch.setenv("WECHAT_API_BASE_URL", fake.base_url)
    assert await asyncio.to_thread(main, ["--db", db, "county", "import", str(SAMPLE_COUNTY)]) == 0
    out = tmp_path / "st-dl.png"
    args = ["--db", db, "qr", "wechat", "--station", "ST-DL", "-o", str(out)]
    assert await asyncio.to_thread(main, args) == 0
    assert set(fake.qrcodes) == {"ST-DL"}
    (decoded,) = zxingcpp.read_barcodes(Image.open(out))
    assert decoded.text == fake.qrcodes["ST-DL"]
    all_args = ["--db", db, "qr", "wechat", "--all", "-o", str(tmp_path / "all")]
    assert await asyncio.to_thread(main, all_args) == 0
    assert len(fake.qrcodes) == 14 + 31  # every station and deputy


async def test_a_county_maps_its_own_template_fields(fake, sessions):
    templates = {"result": {"id": "tpl-9", "fields": {"thing1": "ticket", "thing2": "headline"}}}
    client = SharedTokenClient(fake.appid, fake.secret, fake.base_url, sessions)
    wechat = WeChatChannel(client, sessions, templates=templates)
    await wechat.send(OPENID, "工单 YS-2026-000004 已办结。\n办理结果：已修好", [], kind="result")
    assert fake.template_sent == [
        (
            OPENID,
            "tpl-9",
            {
                "thing1": {"value": "YS-2026-000004"},
                "thing2": {"value": "工单 YS-2026-000004 已办结。"},
            },
        )
    ]


def test_templates_come_from_the_settings_as_json(monkeypatch):
    from bot.settings import Settings

    monkeypatch.setenv("WECHAT_TEMPLATES", '{"assignment": "tpl-a", "result": {"id": "tpl-r"}}')
    assert Settings(_env_file=None).wechat_templates == {
        "assignment": "tpl-a",
        "result": {"id": "tpl-r"},
    }
