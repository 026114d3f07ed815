"""``grid-intake demo``: play a resident, a deputy or the office in the terminal.

SQLite in the data folder, the sample county, the console channel and a clock you move
with ``/advance``; jobs run on that clock as they would in the worker.
"""

from __future__ import annotations

import asyncio
import logging
import shlex
import sys
import uuid
from pathlib import Path
from typing import TextIO

from bot.bootstrap import SAMPLE_COUNTY, App, build_app
from bot.channels.console import ConsoleChannel
from bot.demo_dashboard import DEMO_ACCOUNT, DEMO_PASSWORD, demo_account, serve_dashboard
from bot.scheduler import VirtualScheduler
from bot.settings import Settings
from bot.simulator import CHANNEL
from casework.clock import ManualClock, SystemClock, parse_duration
from casework.identities import bind_deputy, bind_office
from handlers.incoming import Incoming
from storage.db import transaction
from storage.models import Deputy

__all__ = ["DemoSession", "run_demo"]

DEMO_HELP = """\
你现在扮演一位居民，直接输入文字即可与机器人对话。
  /scan ST-DL          扫描联络站或代表的二维码（也可写 /start ST-DL）
  /loc 24.776 110.496  发送位置（纬度 经度）
  /photo 路灯.jpg      发送一张照片
  /as resident:小王    切换为居民“小王”
  /as deputy:D001      切换为代表 D001（查看代表列表：/deputies）
  /as office           切换为代表工委
  /advance 2d          拨快时钟（如 30m、26h、2d），到期的提醒随之发送
  /time                当前（模拟）时间
  /quit                退出
数字（如 1）表示选择最近一条消息中的选项。"""


class DemoSession:
    def __init__(self, app: App, clock: ManualClock, out: TextIO) -> None:
        self.app = app
        self.clock = clock
        self.out = out
        self.actor = "resident:小王"
        self.names: dict[str, str] = {"office": "代表工委"}
        with transaction(app.sessions) as session:
            now = clock.now()
            for deputy in session.query(Deputy).order_by(Deputy.code):
                bind_deputy(session, CHANNEL, f"deputy:{deputy.code}", deputy.code, now)
                self.names[f"deputy:{deputy.code}"] = f"{deputy.name}代表"
            bind_office(session, CHANNEL, "office", now)
        console = ConsoleChannel(out, self._label)
        self.sender = app.sender({CHANNEL: console})
        self.scheduler = VirtualScheduler(app.jobs, clock, self.sender.drain)

    def _label(self, chat_id: str) -> str:
        name = self.names.get(chat_id) or chat_id.partition(":")[2]
        return f"{name}（{chat_id}）"

    def _print(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    async def handle_line(self, line: str) -> bool:
        """Act on one line the user typed; False when the demo should end."""
        line = line.strip()
        if not line:
            return True
        if line.startswith("/") and not line.startswith(("/accept", "/reply", "/transfer",
                                                         "/resolve", "/mycases", "/status",
                                                         "/cancel", "/help", "/withdraw",
                                                         "/assign", "/unassigned")):  # fmt: skip
            return await self._demo_command(line)
        await self._send(text=line)
        return True

    async def _demo_command(self, line: str) -> bool:
        try:
            word, *args = shlex.split(line)
        except ValueError:
            word, args = line.split()[0], []
        match word:
            case "/quit" | "/exit":
                return False
            case "/as" if args:
                who = args[0]
                if who == "office" or who.startswith(("resident:", "deputy:")):
                    if who.startswith("deputy:") and who not in self.names:
                        self._print(f"没有代表 {who}；/deputies 查看列表")
                    else:
                        self.actor = who
                        self._print(f"你现在是 {self._label(who)}")
                else:
                    self._print("用法：/as resident:名字 | /as deputy:D001 | /as office")
            case "/scan" | "/start":
                await self._send(start=args[0] if args else "")
            case "/loc" if len(args) == 2:
                try:
                    await self._send(location=(float(args[0]), float(args[1])))
                except ValueError:
                    self._print("用法：/loc 纬度 经度，例如 /loc 24.776 110.496")
            case "/photo":
                await self._send(photo=args[0] if args else "photo.jpg")
            case "/advance" if args:
                try:
                    delta = parse_duration(args[0])
                except ValueError as error:
                    self._print(str(error))
                    return True
                await self.scheduler.advance(delta)
                self._print(f"（时钟已拨到 {self._now()}）")
            case "/time":
                self._print(self._now())
            case "/deputies":
                for chat, name in self.names.items():
                    if chat.startswith("deputy:"):
                        self._print(f"  {chat}  {name}")
            case _:
                self._print(DEMO_HELP)
        return True

    def _now(self) -> str:
        zone = self.app.services.casework.calendar.zone
        return self.clock.now().astimezone(zone).strftime("%Y-%m-%d %H:%M")

    async def _send(self, **fields: object) -> None:
        incoming = Incoming(
            channel=CHANNEL,
            chat_id=self.actor,
            user_id=self.actor,
            message_id=uuid.uuid4().hex,
            display_name=self.actor.partition(":")[2],
            **fields,  # type: ignore[arg-type]
        )
        self.app.dispatcher.handle(incoming)
        await self.sender.drain()


def log_to_file(settings: Settings) -> Path:
    """The demo's logs go to a file of the data folder: stderr shares the terminal with the
    conversation, and a warning between two chat lines reads like a message of the bot."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = settings.data_dir / "grid-intake.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    logging.captureWarnings(True)
    return path


def run_demo(settings: Settings, *, county_file: Path | None = None) -> int:
    log_path = log_to_file(settings)
    clock = ManualClock(SystemClock().now().replace(microsecond=0))
    app = build_app(settings, clock, county_file=county_file or SAMPLE_COUNTY)
    demo = DemoSession(app, clock, sys.stdout)
    demo_account(app)
    print(
        f"grid-intake 演示 — {app.services.directory.county_name}，数据库：{settings.database_url}"
        f"，日志：{log_path}"
    )
    print(DEMO_HELP)
    return asyncio.run(_loop(demo, web=True))


async def _loop(demo: DemoSession, *, web: bool = False) -> int:
    stop = asyncio.Event()
    served = await serve_dashboard(demo.app, demo.sender.drain, stop) if web else None
    if web:
        if served is None:
            host, port = demo.app.settings.http_host_port
            print(
                f"（代表工委工作台未启动：{host}:{port} 已被占用；"
                "可设置 GRID_INTAKE_HTTP=host:port）"
            )
        else:
            print(f"代表工委工作台：{served.address}  账号：{DEMO_ACCOUNT}  密码：{DEMO_PASSWORD}")
    try:
        while True:
            try:
                line = await asyncio.to_thread(input, f"[{demo.actor}] > ")
            except EOFError:
                print()
                return 0
            if not await demo.handle_line(line):
                return 0
    finally:
        stop.set()
        if served is not None:
            await asyncio.wait_for(served.task, 10)
