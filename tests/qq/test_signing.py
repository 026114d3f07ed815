"""QQ's published signature examples (bot-docs sign.md and event-emit.md) reproduced exactly."""

from __future__ import annotations

from bot.channels.qq.signing import Signer

# sign.md: secret → seed → public key, and a signed body.
SECRET = "naOC0ocQE3shWLAfffVLB1rhYPG7"
PUBLIC_KEY = bytes(
    [215, 195, 98, 254, 120, 174, 248, 31, 242, 50, 135, 180, 147, 98, 139, 93,
     176, 42, 60, 79, 227, 11, 33, 94, 77, 25, 96, 155, 93, 118, 103, 58]
)  # fmt: skip
# botgo's signature test (interaction/signature/interaction_test.go): a signed C2C event. The
# body of sign.md's own example is not given byte for byte, so its signature cannot be checked.
VECTOR_SECRET = "123456abcdef"
TIMESTAMP = "1728981195"
BODY = (
    '{"id":"ROBOT1.0_veoihSEXDc8Q.g-6eLpNIa11bH8MisOjn-m-LKxCPntMk6exUXgcWCGpVO7L2QKTNZzjZzFFD'
    'SbiOFcqAPWyVA!!","content":"哦一下","timestamp":"2024-10-15T16:33:15+08:00","author":'
    '{"id":"675860273","user_openid":"675860273"}}'
).encode()
SIGNATURE = (
    "e949b5b94ef4103df903fb031d1d16e358db3db83e79e117edd404c8508be3ce"
    "8a76d7bad1bed353194c126a1a5915b4ad8b5288c1191cc53a12acffccd82004"
)


def test_the_key_comes_from_the_repeated_secret():
    assert Signer(SECRET).public_key == PUBLIC_KEY


def test_a_published_signature_is_reproduced_and_verified():
    signer = Signer(VECTOR_SECRET)
    assert signer.sign(TIMESTAMP, BODY) == SIGNATURE
    assert signer.verify(SIGNATURE, TIMESTAMP, BODY)


def test_a_changed_body_timestamp_or_signature_is_refused():
    signer = Signer(VECTOR_SECRET)
    assert not signer.verify(SIGNATURE, TIMESTAMP, BODY + b" ")
    assert not signer.verify(SIGNATURE, "1728981196", BODY)
    assert not signer.verify(SIGNATURE[:-2] + "03", TIMESTAMP, BODY)
    assert not signer.verify("zz" * 64, TIMESTAMP, BODY)
    assert not signer.verify("", TIMESTAMP, BODY)
    assert not signer.verify(SIGNATURE, "", BODY)
    assert not Signer("another-secret").verify(SIGNATURE, TIMESTAMP, BODY)


def test_the_url_validation_answer_matches_the_published_example():
    # event-emit.md: appid 11111111, secret DG5g3B4j9X2KOErG.
    answer = Signer("DG5g3B4j9X2KOErG").validation_answer("Arq0D5A61EgUu4OxUvOp", "1725442341")
    assert answer == {
        "plain_token": "Arq0D5A61EgUu4OxUvOp",
        "signature": "87befc99c42c651b3aac0278e71ada338433ae26fcb24307bdc5ad38c1adc2d0"
        "1bcfcadc0842edac85e85205028a1132afe09280305f13aa6909ffc2d652c706",
    }
