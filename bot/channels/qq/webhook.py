"""``POST /qq/webhook``: QQ's HTTP callback (bot-docs, interface-framework/event-emit.md).

Every request must carry a valid ed25519 signature (``X-Signature-Ed25519`` over
``X-Signature-Timestamp`` + body), the op 13 URL validation included — as QQ's own botgo
checks it — so that the validation answer, a signature of caller-chosen text, is never given
to a stranger. A bad signature is refused with 401 and nothing is stored. Events are
acknowledged with op 12 (``d`` 1 asks QQ to deliver again, after a failure of ours).
"""

from __future__ import annotations

import json
import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.channels.qq.receiver import QQReceiver
from bot.channels.qq.signing import Signer

__all__ = ["MAX_BODY_BYTES", "QQWebhook"]

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024
DISPATCH, HEARTBEAT, HEARTBEAT_ACK, CALLBACK_ACK, VALIDATION = 0, 1, 11, 12, 13


class QQWebhook:
    def __init__(self, secret: str, receiver: QQReceiver) -> None:
        self.signer = Signer(secret)
        self.receiver = receiver

    async def post(self, request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return Response(status_code=413)
        signature = request.headers.get("X-Signature-Ed25519", "")
        timestamp = request.headers.get("X-Signature-Timestamp", "")
        if not self.signer.verify(signature, timestamp, body):
            log.info("refused a QQ callback with a bad signature")
            return Response(status_code=401)
        try:
            payload = json.loads(body)
        except ValueError:
            return Response(status_code=400)
        if not isinstance(payload, dict) or not isinstance(payload.get("op"), int):
            return Response(status_code=400)
        op, data = payload["op"], payload.get("d")
        if op == VALIDATION:
            if not isinstance(data, dict):
                return Response(status_code=400)
            plain, stamp = data.get("plain_token"), data.get("event_ts")
            if not isinstance(plain, str) or not isinstance(stamp, str):
                return Response(status_code=400)
            return JSONResponse(self.signer.validation_answer(plain, stamp))
        if op == HEARTBEAT:
            return JSONResponse({"op": HEARTBEAT_ACK, "d": data if isinstance(data, int) else 0})
        if op != DISPATCH:
            return JSONResponse({"op": CALLBACK_ACK, "d": 0})
        event_id = payload.get("id") if isinstance(payload.get("id"), str) else None
        try:
            await self.receiver.handle(payload.get("t"), data, event_id)
        except Exception:
            # Kept in the log whole, and QQ is asked to deliver it again (dedupe holds).
            log.exception("QQ event failed, kept here: %s", body.decode("utf-8", "replace"))
            return JSONResponse({"op": CALLBACK_ACK, "d": 1})
        return JSONResponse({"op": CALLBACK_ACK, "d": 0})
