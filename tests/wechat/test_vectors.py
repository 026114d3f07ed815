"""wechatpy's WeChatCrypto against Tencent's published safe-mode samples (see vectors.py)."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET

import pytest
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException

from tests.wechat.vectors import OFFICIAL_ACCOUNT_SAMPLE, VECTORS, CryptoVector

by_name = pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v.name)


def _crypto(vector: CryptoVector) -> WeChatCrypto:
    return WeChatCrypto(vector.token, vector.encoding_aes_key, vector.appid)


def _decrypt(vector: CryptoVector) -> str:
    return _crypto(vector).decrypt_message(
        vector.xml, vector.msg_signature, vector.timestamp, vector.nonce
    )


def _fields(xml: str) -> dict[str, str | None]:
    return {child.tag: child.text for child in ET.fromstring(xml) if child.tag != "Encrypt"}


@by_name
def test_decrypts_to_the_published_plaintext(vector: CryptoVector) -> None:
    assert _decrypt(vector) == vector.plaintext


def test_official_account_sample_matches_its_clear_copy() -> None:
    """Compatible mode sends the clear fields too: decryption must give the same message."""
    vector = OFFICIAL_ACCOUNT_SAMPLE
    assert _fields(_decrypt(vector)) == _fields(vector.xml)
    assert _fields(vector.xml)["Content"] == "abcdteT"


def _flip_last(text: str) -> str:
    return text[:-1] + ("0" if text[-1] != "0" else "1")


@by_name
@pytest.mark.parametrize("field", ["msg_signature", "timestamp", "nonce"])
def test_tampered_signature_inputs_are_refused(vector: CryptoVector, field: str) -> None:
    tampered = dataclasses.replace(vector, **{field: _flip_last(getattr(vector, field))})
    with pytest.raises(InvalidSignatureException):
        _decrypt(tampered)


@by_name
def test_tampered_ciphertext_is_refused(vector: CryptoVector) -> None:
    head, ciphertext = vector.xml.split("<Encrypt><![CDATA[")
    swapped = ciphertext[1] + ciphertext[0] + ciphertext[2:]
    assert swapped != ciphertext
    tampered = dataclasses.replace(vector, xml=f"{head}<Encrypt><![CDATA[{swapped}")
    with pytest.raises(InvalidSignatureException):
        _decrypt(tampered)


@by_name
def test_wrong_token_or_appid_is_refused(vector: CryptoVector) -> None:
    with pytest.raises(InvalidSignatureException):
        _decrypt(dataclasses.replace(vector, token="not-the-token"))
    with pytest.raises(InvalidAppIdException):
        _decrypt(dataclasses.replace(vector, appid="wx0000000000000000"))


@by_name
def test_reply_round_trip(vector: CryptoVector) -> None:
    """Self-made, not published: a safe-mode reply as wechatpy encrypts it decrypts back."""
    reply = (
        "<xml><ToUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></ToUserName>"
        "<FromUserName><![CDATA[gh_10f6c3c3ac5a]]></FromUserName>"
        "<CreateTime>1409735670</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        "<Content><![CDATA[收到，已转给您所在网格的人大代表。]]></Content></xml>"
    )
    crypto = _crypto(vector)
    envelope = crypto.encrypt_message(reply, "20241123", timestamp="1732323600")
    root = ET.fromstring(envelope)
    assert root.findtext("TimeStamp") == "1732323600"
    assert root.findtext("Nonce") == "20241123"
    signature = root.findtext("MsgSignature")
    assert signature is not None
    assert crypto.decrypt_message(envelope, signature, "1732323600", "20241123") == reply
