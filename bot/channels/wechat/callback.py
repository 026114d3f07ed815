"""``GET|POST /wechat``: URL verification and the message callback.

WeChat waits 5 seconds and then retries (three times). The message is handled in a thread
and, if that finishes within the budget, the first reply to the user goes back in the HTTP
response (a passive reply); everything else, or everything when it was slow, goes through
the outbox as customer-service messages. Retries are dropped by the MsgId dedupe, and only
the request that was handled may carry a passive reply, and only one of its own messages.

A request is refused (403) unless its signature holds and its ``timestamp`` is within five
minutes of our clock (WeChat's own SDKs check the same window), so a captured request cannot be
replayed later; a body that is not a WeChat message is 400 and changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from wechatpy import create_reply, parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.utils import check_signature

from bot.channels.base import numbered
from bot.channels.wechat.inbound import (
    CHANNEL,
    message_to_incoming,
    sender_of,
)
from handlers.dispatcher import Dispatcher

__all__ = ["MAX_BODY_BYTES", "WeChatCallback"]

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024  # a text message is at most a few KB
REPLY_BUDGET = 4.0  # seconds, of WeChat's 5, for handling before we answer "success"
TIMESTAMP_WINDOW = 300  # seconds either side of our clock

# (channel, chat id, the outbox rows this request wrote) → the passive reply, marked sent
PassiveClaim = Callable[[str, str, Sequence[int]], tuple[str, list] | None]


class WeChatCallback:
    def __init__(
        self,
        token: str,
        dispatcher: Dispatcher,
        claim_reply: PassiveClaim,
        *,
        aes_key: str | None = None,
        app_id: str | None = None,
        on_user_action: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.clock = clock  # WeChat's timestamps are real time
        self.on_user_action = on_user_action  # opens the 48-hour customer-service window
        self.token = token
        self.dispatcher = dispatcher
        self.claim_reply = claim_reply
        self.crypto = WeChatCrypto(token, aes_key, app_id) if aes_key else None

    def _signed(self, request: Request) -> bool:
        q = request.query_params
        try:
            check_signature(
                self.token, q.get("signature", ""), q.get("timestamp", ""), q.get("nonce", "")
            )
        except InvalidSignatureException:
            return False
        return True

    async def get(self, request: Request) -> Response:
        """URL verification: echo ``echostr`` when the signature holds."""
        if not self._signed(request):
            return PlainTextResponse("forbidden", status_code=403)
        return PlainTextResponse(request.query_params.get("echostr", ""))

    def _recent(self, request: Request) -> bool:
        stamp = request.query_params.get("timestamp", "")
        if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12):
            return False
        skew = self.clock() - int(stamp)
        if abs(skew) > TIMESTAMP_WINDOW:
            log.warning("refused a WeChat callback %d s away from our clock", skew)
            return False
        return True

    async def post(self, request: Request) -> Response:
        started = time.monotonic()
        q = request.query_params
        if not self._signed(request) or not self._recent(request):
            return PlainTextResponse("forbidden", status_code=403)
        body = await request.body()
        if not body.strip():
            return PlainTextResponse("bad request", status_code=400)
        if len(body) > MAX_BODY_BYTES:
            return PlainTextResponse("too large", status_code=413)
        if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
            return PlainTextResponse("bad request", status_code=400)  # no entity games
        try:
            xml = body.decode("utf-8")
            if self.crypto is not None:
                xml = self.crypto.decrypt_message(
                    xml, q.get("msg_signature", ""), q.get("timestamp", ""), q.get("nonce", "")
                )
            message = parse_message(xml)
            openid = sender_of(message)
            incoming = message_to_incoming(message)
        except (InvalidSignatureException, InvalidAppIdException):
            return PlainTextResponse("forbidden", status_code=403)
        except Exception as error:  # malformed XML or fields, wrong encoding, bad ciphertext
            log.info("refused WeChat callback: %s", error)
            return PlainTextResponse("bad request", status_code=400)
        if self.on_user_action is not None:
            await asyncio.to_thread(self.on_user_action, openid)
        if incoming is None:
            return PlainTextResponse("success")
        handling = asyncio.create_task(asyncio.to_thread(self.dispatcher.handle, incoming))
        budget = max(0.1, REPLY_BUDGET - (time.monotonic() - started))
        try:
            await asyncio.wait_for(asyncio.shield(handling), timeout=budget)
        except TimeoutError:
            return PlainTextResponse("success")  # it goes on; replies go out via the outbox
        outcome = handling.result()
        if not outcome.handled:  # a retry or a replay: its reply already went
            return PlainTextResponse("success")
        first = await asyncio.to_thread(
            self.claim_reply, CHANNEL, incoming.chat_id, outcome.outbox_ids
        )
        if first is None:
            return PlainTextResponse("success")
        text, choices = first
        reply = create_reply(numbered(text, [tuple(c) for c in choices]), message).render()
        if self.crypto is not None:
            reply = self.crypto.encrypt_message(reply, q.get("nonce", ""), q.get("timestamp"))
        return Response(reply, media_type="application/xml")
