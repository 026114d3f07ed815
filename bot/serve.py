"""``grid-intake run``: the web app, the outbox sender and the scheduler in one event loop,
or split for the Procfile (``run web`` / ``run worker``)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
import signal
import socket
import sys
from collections.abc import Callable
from typing import Any

import uvicorn

from bot.access_log import QueryStringsDropped
from bot.bootstrap import App, build_app
from bot.channels.base import Channel
from bot.channels.qq.setup import build_qq
from bot.channels.telegram.runner import TelegramReceiver
from bot.channels.telegram.startup import bring_up, settings_problem
from bot.channels.telegram.stored import UpdateWorker, store_update
from bot.cli.common import UserError
from bot.scheduler import start_scheduler
from bot.settings import Settings
from bot.web import make_web_app
from casework.clock import SystemClock
from casework.identities import migrate_chat
from storage.db import SessionFactory, transaction

__all__ = ["serve", "settle_memory"]

log = logging.getLogger(__name__)

PLAIN_MODE_WARNING = (
    "WeChat runs in PLAIN mode (no WECHAT_AES_KEY): the signature does not cover the message, "
    "so anyone holding one signed callback URL can post messages as any user for 5 minutes. "
    "Switch the Official Account to safe mode (安全模式) and set WECHAT_AES_KEY."
)


def telegram_channel(settings: Settings, sessions: SessionFactory) -> Any:
    """The Telegram channel when a token is set: python-telegram-bot (``TELEGRAM_BACKEND=ptb``,
    the default) or aiogram (``aiogram``, extra ``[aiogram]``)."""
    if not settings.telegram_bot_token:
        return None

    def migrated(old: str, new: str) -> None:
        with transaction(sessions) as session:
            migrate_chat(session, "telegram", old, new)

    token, root = settings.telegram_bot_token, settings.telegram_api_base_url
    if settings.telegram_backend == "ptb":
        from bot.channels.telegram.ptb import PtbTelegram

        return PtbTelegram(token, root, on_migrated=migrated)
    if settings.telegram_backend == "aiogram":
        try:
            from bot.channels.telegram.aiogram_backend import AiogramTelegram
        except ImportError:
            raise SystemExit(
                "TELEGRAM_BACKEND=aiogram needs: pip install 'grid-intake[aiogram]'"
            ) from None
        return AiogramTelegram(token, root, on_migrated=migrated)
    raise SystemExit(f"TELEGRAM_BACKEND must be ptb or aiogram, not {settings.telegram_backend!r}")


def office_dashboard(app: App) -> Any:
    """The office's web dashboard at /office/ (office.dashboard), on this app's services."""
    from office.dashboard import Dashboard, make_dashboard

    settings = app.settings
    return make_dashboard(
        Dashboard(
            app.sessions, app.services, app.clock,
            secret=settings.office_secret, https_only=settings.office_https,
        )
    )  # fmt: skip


def serve(settings: Settings, part: str, *, scheduler: bool) -> int:
    listener = bind_http(*settings.http_host_port) if part in ("all", "web") else None
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        return runner.run(_serve(settings, part, scheduler=scheduler, listener=listener))


def settle_memory() -> None:
    """Move what start-up made (modules, the county, the model: about 160,000 objects) out
    of the garbage collector's sight: a full collection over them took about 100 ms, paid by
    whichever request was running (the webhook's p99, issue 15)."""
    gc.collect()
    gc.freeze()


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop where it is installed (a dependency except on Windows): the webhook's p50 fell
    by about a fifth with it and uvicorn's httptools parser (issue 15, BENCHMARKS.md)."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def bind_http(host: str, port: int) -> socket.socket:
    """The web app's socket, bound before anything starts: a busy port is one clear line,
    not a uvicorn traceback after the rest has started."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise UserError(
            f"无法监听 {host}:{port}（{error.strerror}）：该端口可能已被其他程序占用；"
            "请停止它，或用 GRID_INTAKE_HTTP=host:port 换一个端口"
        ) from None
    sock.set_inheritable(True)
    return sock


async def _serve(
    settings: Settings, part: str, *, scheduler: bool, listener: socket.socket | None = None
) -> int:
    # Handlers first: a SIGTERM during start-up still ends the process cleanly.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    if problem := settings_problem(settings):
        print(f"grid-intake: {problem}", file=sys.stderr)
        return 1
    app = build_app(settings, SystemClock())
    telegram = telegram_channel(settings, app.sessions)
    channels: dict[str, Channel] = {}
    receiver = None
    if telegram is not None:
        channels["telegram"] = telegram
        receiver = TelegramReceiver(telegram, app.dispatcher, telegram.on_migrated)
    wechat_callback = None
    if settings.wechat_app_id and settings.wechat_app_secret and settings.wechat_token:
        from bot.channels.wechat.callback import WeChatCallback
        from bot.channels.wechat.client import SharedTokenClient
        from bot.channels.wechat.outbound import WeChatChannel, open_window

        client = SharedTokenClient(
            settings.wechat_app_id,
            settings.wechat_app_secret,
            settings.wechat_api_base_url,
            app.sessions,
        )
        channels["wechat"] = WeChatChannel(
            client, app.sessions, templates=settings.wechat_templates
        )
        wechat_callback = WeChatCallback(
            settings.wechat_token,
            app.dispatcher,
            app.sender({}).take_for_reply,
            aes_key=settings.wechat_aes_key,
            app_id=settings.wechat_app_id,
            on_user_action=lambda openid: open_window(app.sessions, openid),
        )
        if not settings.wechat_aes_key:
            log.warning(PLAIN_MODE_WARNING)
    qq = build_qq(settings, app)
    if qq is not None:
        channels["qq"] = qq.channel
    if not channels:
        log.warning(
            "no channel is configured (TELEGRAM_BOT_TOKEN, WECHAT_APP_ID, QQ_APP_ID); "
            "serving health only"
        )
    tasks = []
    running_scheduler = None
    if telegram is not None and receiver is not None:
        # In the background: an unreachable Bot API must not keep the rest from serving.
        up = bring_up(telegram, receiver, settings, part, stop, app.sessions)
        tasks.append(asyncio.create_task(up))
    if qq is not None and qq.gateway is not None and part in ("all", "worker"):
        tasks.append(asyncio.create_task(qq.gateway.run(stop)))  # one gateway connection
    webhook = receiver is not None and bool(settings.telegram_webhook_url)
    if part in ("all", "worker"):
        sender = app.sender(channels)
        if receiver is not None:  # one sender: the replies share its pacing per chat
            receiver.send_now = sender.send_now
        tasks.append(asyncio.create_task(sender.run(stop)))
        if webhook and receiver is not None:
            worker = UpdateWorker(app.sessions, receiver, app.clock)
            tasks.append(asyncio.create_task(worker.run(stop)))
        if scheduler:
            running_scheduler = start_scheduler(app.jobs, settings.tz)
    if part in ("all", "web"):
        host, port = settings.http_host_port
        config = uvicorn.Config(
            make_web_app(
                app.engine,
                channels=sorted(channels),
                telegram=receiver if settings.telegram_webhook_url else None,
                telegram_secret=settings.telegram_webhook_secret,
                wechat=wechat_callback,
                qq=qq.webhook if qq is not None else None,
                office=office_dashboard(app),
                telegram_store=(
                    functools.partial(store_update, app.engine, app.clock) if webhook else None
                ),
            ),
            host=host,
            port=port,
            log_level="info",
        )
        # WeChat's signature, timestamp and nonce ride in the query string: not in the logs.
        logging.getLogger("uvicorn.access").addFilter(QueryStringsDropped(("/wechat",)))
        server = uvicorn.Server(config)
        server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        sockets = [listener] if listener is not None else None
        tasks.append(asyncio.create_task(server.serve(sockets=sockets)))

        async def stop_server() -> None:
            await stop.wait()
            server.should_exit = True

        tasks.append(asyncio.create_task(stop_server()))
    settle_memory()
    print(f"grid-intake {part}: running (channels: {', '.join(channels) or 'none'})", flush=True)
    await stop.wait()
    if running_scheduler is not None:
        running_scheduler.shutdown(wait=False)
    await asyncio.gather(*tasks, return_exceptions=True)
    if receiver is not None:  # replies sent at once: finish, rather than cut mid-send
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(receiver.settle(), timeout=5)
    if telegram is not None:
        await telegram.stop()
    if qq is not None:
        await qq.api.close()
    return 0
