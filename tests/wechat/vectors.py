"""Published test vectors for WeChat's message encryption ("safe mode": AES-256-CBC, key =
base64(EncodingAESKey + "="), IV = key[:16], plaintext = 16 random bytes + 4-byte big-endian
length + message + appid, PKCS#7 to 32 bytes; msg_signature = sha1 of the sorted
[token, timestamp, nonce, Encrypt] joined). Both come from Tencent's WXBizMsgCrypt sample code,
found through public copies of it; test_vectors.py checks each one with wechatpy's WeChatCrypto.

Nothing here is secret: these are sample keys Tencent published for everyone.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CryptoVector:
    """One encrypted callback as WeChat POSTs it: the query string's `msg_signature`,
    `timestamp` and `nonce`, and the XML body carrying `<Encrypt>`."""

    name: str
    source: str
    token: str
    encoding_aes_key: str
    appid: str
    msg_signature: str
    timestamp: str
    nonce: str
    xml: str
    plaintext: str


# Tencent's Official Account sample (Python WXBizMsgCrypt by jonyqin, Sample.py, "测试解密接口"),
# as copied in charlesXu86/Chatbot_CN: Chatbot_Web/impl/weixin/Sample.py
# (commit 7e1cd5c26b67e8679160d65faa35792b9bcf76f6); the same values appear in the README of
# fotock/WXbizMsgCrypt-Node. The message is in "compatible mode": it carries the clear fields
# next to <Encrypt>, so the published clear fields are the expected plaintext. The sample
# prints the decryption without quoting it; `plaintext` is wechatpy's exact output, whose
# fields test_vectors.py checks against the clear ones.
OFFICIAL_ACCOUNT_SAMPLE = CryptoVector(
    name="official-account-sample",
    source="charlesXu86/Chatbot_CN: Chatbot_Web/impl/weixin/Sample.py (Tencent sample)",
    token="spamtest",
    encoding_aes_key="abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    appid="wx2c2769f8efd9abc2",
    msg_signature="5d197aaffba7e9b25a30732f161a50dee96bd5fa",
    timestamp="1409735669",
    nonce="1320562132",
    xml=(
        "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>"
        "<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>"
        "<CreateTime>1409735668</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        "<Content><![CDATA[abcdteT]]></Content><MsgId>6054768590064713728</MsgId>"
        "<Encrypt><![CDATA["
        "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6"
        "F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T33"
        "2jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCg"
        "avjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6Oewp"
        "usjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
        "]]></Encrypt></xml>"
    ),
    plaintext=(
        "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>\n"
        "<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>\n"
        "<CreateTime>1409735668</CreateTime>\n"
        "<MsgType><![CDATA[text]]></MsgType>\n"
        "<Content><![CDATA[abcdteT]]></Content>\n"
        "<MsgId>6054768590064713728</MsgId>\n"
        "</xml>"
    ),
)

# Tencent's WeCom (企业微信, then "企业号") sample: token "QDG6eK", corp id "wx5823bf96d3bd56c7"
# (the WeCom library's receiveid, in the place of an Official Account's appid; the algorithm is
# the same). Ciphertext, signature, timestamp and nonce from the C# Sample.cs, as copied in
# 2830499544/VipCard: Chain.Wechat/Tencent/Sample.cs (commit
# d13e3692a756037891883cec01f9aad7cd764ef9). The plaintext is the one WeCom's "加解密方案说明"
# gives ("解密后得到明文为", https://developer.work.weixin.qq.com/document/path/90968), found
# in a mirror of that page and asserted byte for byte by other libraries' tests.
WECOM_SAMPLE = CryptoVector(
    name="wecom-sample",
    source="2830499544/VipCard: Chain.Wechat/Tencent/Sample.cs (Tencent sample)",
    token="QDG6eK",
    encoding_aes_key="jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
    appid="wx5823bf96d3bd56c7",
    msg_signature="477715d11cdb4164915debcba66cb864d751f3e6",
    timestamp="1409659813",
    nonce="1372623149",
    xml=(
        "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA["
        "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3Qczc"
        "dCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLj"
        "vd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMn"
        "vw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k"
        "22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2Yoy"
        "yH2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="
        "]]></Encrypt></xml>"
    ),
    plaintext=(
        "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n"
        "<FromUserName><![CDATA[mycreate]]></FromUserName>\n"
        "<CreateTime>1409659813</CreateTime>\n"
        "<MsgType><![CDATA[text]]></MsgType>\n"
        "<Content><![CDATA[hello]]></Content>\n"
        "<MsgId>4561255354251345929</MsgId>\n"
        "<AgentID>218</AgentID>\n"
        "</xml>"
    ),
)

VECTORS = (OFFICIAL_ACCOUNT_SAMPLE, WECOM_SAMPLE)
