"""WeChat messages and events as the conversation sees them (wechatpy's own XML parsing)."""

from __future__ import annotations

from wechatpy import parse_message

from bot.channels.wechat.inbound import message_to_incoming

HEAD = "<xml><ToUserName>gh_1</ToUserName><FromUserName>oUser</FromUserName>"


def incoming(body: str):
    return message_to_incoming(parse_message(HEAD + body + "</xml>"))


def test_a_location_message_is_a_location():
    got = incoming(
        "<CreateTime>1</CreateTime><MsgType>location</MsgType><Location_X>24.770</Location_X>"
        "<Location_Y>110.495</Location_Y><Scale>15</Scale><Label>东岭村</Label><MsgId>7</MsgId>"
    )
    assert (got.location, got.message_id) == ((24.77, 110.495), "m7")


def test_a_location_event_is_a_location():
    got = incoming(
        "<CreateTime>5</CreateTime><MsgType>event</MsgType><Event>LOCATION</Event>"
        "<Latitude>24.770</Latitude><Longitude>110.495</Longitude><Precision>30</Precision>"
    )
    assert got.location == (24.77, 110.495)
    assert got.message_id == "eoUser:5:location"  # events: FromUserName + CreateTime


def test_scan_and_subscribe_with_a_scene_start_at_that_station():
    scan = incoming(
        "<CreateTime>9</CreateTime><MsgType>event</MsgType><Event>SCAN</Event>"
        "<EventKey>ST-DL</EventKey><Ticket>t</Ticket>"
    )
    plain_subscribe = incoming(
        "<CreateTime>9</CreateTime><MsgType>event</MsgType><Event>subscribe</Event>"
    )
    assert scan.start == "ST-DL"
    assert plain_subscribe.start == ""


def test_an_image_keeps_its_media_id_and_voice_is_ignored():
    image = incoming(
        "<CreateTime>1</CreateTime><MsgType>image</MsgType><PicUrl>http://x/p.jpg</PicUrl>"
        "<MediaId>media-123</MediaId><MsgId>8</MsgId>"
    )
    voice = incoming(
        "<CreateTime>1</CreateTime><MsgType>voice</MsgType><MediaId>m</MediaId>"
        "<Format>amr</Format><MsgId>9</MsgId>"
    )
    assert image.photo == "media-123" and voice is None
