"""Permanent parametric QR codes (``QR_LIMIT_STR_SCENE``): one per station and deputy."""

from __future__ import annotations

from collections.abc import Callable

from bot.settings import Settings
from storage.db import SessionFactory

__all__ = ["scene_links"]


def scene_links(settings: Settings, sessions: SessionFactory) -> Callable[[str], str]:
    """Scene → the content of its permanent WeChat QR code, created through the API; asking
    again for a scene returns the same code."""
    if not (settings.wechat_app_id and settings.wechat_app_secret):
        raise RuntimeError("WECHAT_APP_ID and WECHAT_APP_SECRET are needed for WeChat QR codes")
    from bot.channels.wechat.client import SharedTokenClient

    client = SharedTokenClient(
        settings.wechat_app_id, settings.wechat_app_secret, settings.wechat_api_base_url, sessions
    )

    def link(scene: str) -> str:
        data = {"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": scene}}}
        return str(client.qrcode.create(data)["url"])

    return link
