"""The QQ channel's parts from the settings, for ``grid-intake run``: the sending channel,
and the webhook (``QQ_MODE=webhook``, the default) or the gateway (``websocket``)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.bootstrap import App
from bot.channels.qq.api import QQApi
from bot.channels.qq.gateway import QQGateway
from bot.channels.qq.outbound import QQChannel
from bot.channels.qq.receiver import QQReceiver
from bot.channels.qq.token import SharedAppToken
from bot.channels.qq.webhook import QQWebhook
from bot.settings import Settings

__all__ = ["QQParts", "build_qq"]


@dataclass
class QQParts:
    api: QQApi
    channel: QQChannel
    webhook: QQWebhook | None
    gateway: QQGateway | None


def build_qq(settings: Settings, app: App) -> QQParts | None:
    """None when ``QQ_APP_ID`` is not set."""
    if not settings.qq_app_id:
        return None
    if not settings.qq_app_secret:
        raise SystemExit("QQ_APP_ID is set but QQ_APP_SECRET is not")
    if settings.qq_mode not in ("webhook", "websocket"):
        raise SystemExit(f"QQ_MODE must be webhook or websocket, not {settings.qq_mode!r}")
    token = SharedAppToken(
        settings.qq_app_id, settings.qq_app_secret, settings.qq_token_url, app.sessions
    )
    api = QQApi(settings.qq_api_base_url, token)
    channel = QQChannel(api, app.sessions, active_quota=settings.qq_active_quota)
    receiver = QQReceiver(app.dispatcher, app.sessions, app.clock)
    webhook = QQWebhook(settings.qq_app_secret, receiver)
    gateway = QQGateway(api, receiver) if settings.qq_mode == "websocket" else None
    return QQParts(api, channel, webhook if gateway is None else None, gateway)
