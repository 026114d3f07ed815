"""The bot's username from its token (issue 11, item 5): with only TELEGRAM_BOT_TOKEN set,
invites and posters ask the (fake) Bot API's getMe once and keep the answer in the database."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, update
from sqlalchemy.orm import sessionmaker

from bot.channels.telegram.fake_api import BOT_USER, FakeBotApi
from bot.channels.telegram.username import remember_username
from bot.cli import main
from storage.db import transaction
from storage.models import SharedValue
from tests.test_serve import free_port

USERNAME = BOT_USER["username"]


@pytest.fixture
def only_the_token(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.delenv("TELEGRAM_BOT_USERNAME", raising=False)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:ABC")
    return monkeypatch


def get_me_calls(fake: FakeBotApi) -> int:
    return sum(1 for method, _params in fake.calls if method.lower() == "getme")


async def invite(url: str) -> int:
    # The command runs its own event loop (asyncio.run); the fake serves from this one.
    return await asyncio.to_thread(main, ["deputy", "invite", "D001", "--db", url])


async def test_an_invite_works_with_only_the_token(only_the_token, sqlite_url: str, capsys):
    async with FakeBotApi() as fake:
        only_the_token.setenv("TELEGRAM_API_BASE_URL", fake.server_root)
        assert await invite(sqlite_url) == 0
        assert await invite(sqlite_url) == 0
        assert get_me_calls(fake) == 1  # the second one read the cache
    links = [line for line in capsys.readouterr().out.splitlines() if "t.me" in line]
    assert len(links) == 2
    for link in links:
        assert re.fullmatch(rf"https://t\.me/{USERNAME}\?start=inv-[A-Za-z0-9_-]{{24}}", link)


async def test_a_stale_cache_is_used_when_telegram_cannot_be_reached(
    only_the_token, sqlite_url: str, capsys
):
    only_the_token.setenv("TELEGRAM_API_BASE_URL", f"http://127.0.0.1:{free_port()}")
    sessions = sessionmaker(create_engine(sqlite_url))
    remember_username(sessions, "123:ABC", "old_name_bot")
    with transaction(sessions) as session:
        session.execute(
            update(SharedValue).values(expires_at=datetime.now(UTC) - timedelta(days=3))
        )
    assert await invite(sqlite_url) == 0
    assert "https://t.me/old_name_bot?start=inv-" in capsys.readouterr().out


async def test_nothing_cached_and_telegram_unreachable_is_one_line(
    only_the_token, sqlite_url: str, capsys
):
    only_the_token.setenv("TELEGRAM_API_BASE_URL", f"http://127.0.0.1:{free_port()}")
    assert await invite(sqlite_url) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("grid-intake: could not ask Telegram for the bot's username")
    assert err[0].endswith("set TELEGRAM_BOT_USERNAME or --bot-username")


async def test_the_username_setting_wins_and_asks_nobody(only_the_token, sqlite_url, capsys):
    async with FakeBotApi() as fake:
        only_the_token.setenv("TELEGRAM_API_BASE_URL", fake.server_root)
        only_the_token.setenv("TELEGRAM_BOT_USERNAME", "@ys_bot")
        assert await invite(sqlite_url) == 0
        assert get_me_calls(fake) == 0
    assert "https://t.me/ys_bot?start=inv-" in capsys.readouterr().out


async def test_a_poster_with_only_the_token(only_the_token, sqlite_url: str, tmp_path: Path):
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    poster = tmp_path / "st-dl.png"
    args = ["qr", "telegram", "--station", "ST-DL", "-o", str(poster), "--db", sqlite_url]
    async with FakeBotApi() as fake:
        only_the_token.setenv("TELEGRAM_API_BASE_URL", fake.server_root)
        assert await asyncio.to_thread(main, args) == 0
    (decoded,) = zxingcpp.read_barcodes(Image.open(poster))
    assert decoded.text == f"https://t.me/{USERNAME}?start=ST-DL"
