"""QQ's ed25519 signatures (bot-docs, dev-prepare/interface-framework/sign.md): the private key's
32-byte seed is the bot secret repeated until it is long enough, then cut to 32 bytes.

Callbacks carry ``X-Signature-Ed25519`` (hex) over ``X-Signature-Timestamp + body``; the op 13
URL validation is answered with the signature of ``event_ts + plain_token``.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

__all__ = ["SEED_SIZE", "Signer"]

SEED_SIZE = 32


def _seed(secret: str) -> bytes:
    if not secret:
        raise ValueError("the QQ bot secret is empty")
    seed = secret
    while len(seed) < SEED_SIZE:
        seed *= 2
    return seed[:SEED_SIZE].encode("utf-8")[:SEED_SIZE]


class Signer:
    def __init__(self, secret: str) -> None:
        self._key = Ed25519PrivateKey.from_private_bytes(_seed(secret))
        self._public = self._key.public_key()

    @property
    def public_key(self) -> bytes:
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        return self._public.public_bytes(Encoding.Raw, PublicFormat.Raw)

    def sign(self, timestamp: str, body: bytes) -> str:
        """Hex signature of ``timestamp + body``."""
        return self._key.sign(timestamp.encode("utf-8") + body).hex()

    def verify(self, signature_hex: str, timestamp: str, body: bytes) -> bool:
        if not signature_hex or not timestamp:
            return False
        try:
            signature = bytes.fromhex(signature_hex)
        except ValueError:
            return False
        # QQ's reference code also refuses a signature whose last byte has its top bits set.
        if len(signature) != 64 or signature[63] & 224:
            return False
        try:
            self._public.verify(signature, timestamp.encode("utf-8") + body)
        except InvalidSignature:
            return False
        return True

    def validation_answer(self, plain_token: str, event_ts: str) -> dict[str, str]:
        """The body that answers QQ's op 13 callback-address validation."""
        return {
            "plain_token": plain_token,
            "signature": self.sign(event_ts, plain_token.encode("utf-8")),
        }
