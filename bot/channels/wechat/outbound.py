"""Sending on WeChat: customer-service messages inside the user's 48-hour window (at most 5
per window), template messages for what must arrive outside it (an assignment to a deputy,
a result or a survey to a resident), and for the rest a wait until the user writes again."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from bot.channels.base import Capabilities, RetryLater, numbered
from storage.db import SessionFactory, transaction
from storage.models import WeChatWindow
from storage.upsert import insert_or_update

__all__ = ["WINDOW", "WeChatChannel", "open_window"]

WINDOW = timedelta(hours=48)
QUOTA = 5
# WeChat's "outside the window" and "too many messages" errors: not a failure, a fallback.
OUT_OF_WINDOW = {45015, 45047}
_TICKET = re.compile(r"[A-Z]{1,8}-\d{4}-\d{6}")


def _now() -> datetime:
    return datetime.now(UTC)  # WeChat's window runs on the real clock


def open_window(sessions: SessionFactory, openid: str, at: datetime | None = None) -> None:
    """The user acted (wrote, scanned, shared a location): a fresh 48-hour window."""
    opened = at or _now()
    with transaction(sessions) as session:  # one statement: the same MsgId may come 4 at once
        insert_or_update(
            session,
            WeChatWindow,
            {"openid": openid, "opened_at": opened, "sent": 0},
            ("openid",),
            {"opened_at": opened, "sent": 0},
        )


class WeChatChannel:
    name = "wechat"
    capabilities = Capabilities(buttons=False, edits=False, photos=False)

    def __init__(
        self,
        client: WeChatClient,
        sessions: SessionFactory,
        *,
        templates: Mapping[str, Any] | None = None,
    ) -> None:
        self.client = client
        self.sessions = sessions
        # kind → template id, or {"id": …, "fields": {template field: our value name}}
        self.templates = dict(templates or {})

    def _take_slot(self, openid: str) -> bool:
        """Count one customer-service message against the window; False when none is left."""
        with transaction(self.sessions) as session:
            window = session.get(WeChatWindow, openid)
            if window is None or _now() - window.opened_at > WINDOW or window.sent >= QUOTA:
                return False
            window.sent += 1
            return True

    async def send(
        self, chat_id: str, text: str, choices: Sequence[tuple[str, str]], *, kind: str = ""
    ) -> None:
        body = numbered(text, choices)
        if await asyncio.to_thread(self._take_slot, chat_id):
            try:
                await asyncio.to_thread(self.client.message.send_text, chat_id, body)
                return
            except WeChatClientException as error:
                if error.errcode not in OUT_OF_WINDOW:
                    raise
        template = self.templates.get(kind)
        if template:
            if isinstance(template, str):
                template = {"id": template}
            data = template_data(body, template.get("fields") or DEFAULT_FIELDS)
            await asyncio.to_thread(
                self.client.message.send_template, chat_id, template["id"], data
            )
            return
        raise RetryLater("outside the 48-hour window: sent when the user writes again", 3600)


# Template field → which of our values fills it; a county maps its own template's fields.
DEFAULT_FIELDS = {"first": "headline", "keyword1": "ticket", "keyword2": "body", "remark": "hint"}


def template_data(text: str, fields: Mapping[str, str] = DEFAULT_FIELDS) -> dict[str, Any]:
    """Our values — headline (first line), ticket, body (the rest), hint — placed in the
    template's fields as ``fields`` says."""
    lines = [line for line in text.splitlines() if line.strip()]
    ticket = _TICKET.search(text)
    values = {
        "headline": lines[0][:60] if lines else "",
        "ticket": ticket.group(0) if ticket else "",
        "body": "\n".join(lines[1:])[:180],
        "hint": "请进入公众号回复，或点击查看详情。",
        "text": text[:200],
    }
    return {field: {"value": values.get(name, "")} for field, name in fields.items()}
