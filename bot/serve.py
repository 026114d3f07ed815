"""``grid-intake run``: the web app, the outbox sender and the scheduler in one event loop,
or split for the Procfile (``run web`` / ``run worker``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

import uvicorn

from bot.bootstrap import build_app
from bot.channels.base import Channel
from bot.scheduler import start_scheduler
from bot.settings import Settings
from bot.web import make_web_app
from casework.clock import SystemClock

__all__ = ["serve"]

log = logging.getLogger(__name__)


def enabled_channels(settings: Settings) -> dict[str, Channel]:
    """Channels whose settings are present. Telegram and WeChat adapters plug in here."""
    return {}


def serve(settings: Settings, part: str, *, scheduler: bool) -> int:
    return asyncio.run(_serve(settings, part, scheduler=scheduler))


async def _serve(settings: Settings, part: str, *, scheduler: bool) -> int:
    # Handlers first: a SIGTERM during start-up still ends the process cleanly.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    app = build_app(settings, SystemClock())
    channels = enabled_channels(settings)
    if not channels:
        log.warning(
            "no channel is configured (TELEGRAM_BOT_TOKEN, WECHAT_APP_ID); serving health only"
        )
    tasks = []
    running_scheduler = None
    if part in ("all", "worker"):
        tasks.append(asyncio.create_task(app.sender(channels).run(stop)))
        if scheduler:
            running_scheduler = start_scheduler(app.jobs, settings.tz)
    if part in ("all", "web"):
        host, port = settings.http_host_port
        config = uvicorn.Config(
            make_web_app(app.engine, channels=sorted(channels)),
            host=host,
            port=port,
            log_level="info",
        )
        server = uvicorn.Server(config)
        server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        tasks.append(asyncio.create_task(server.serve()))

        async def stop_server() -> None:
            await stop.wait()
            server.should_exit = True

        tasks.append(asyncio.create_task(stop_server()))
    print(f"grid-intake {part}: running (channels: {', '.join(channels) or 'none'})", flush=True)
    await stop.wait()
    if running_scheduler is not None:
        running_scheduler.shutdown(wait=False)
    await asyncio.gather(*tasks, return_exceptions=True)
    return 0
