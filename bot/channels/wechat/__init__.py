"""WeChat Official Account (wechatpy 2.0.0a26; 1.8 is frozen since 2021).

Supports: URL verification, signature check with a 5-minute timestamp window, plain and
safe (AES) mode (plain warned about; /wechat query strings kept out of access logs), every
field checked (400 for what WeChat would not send), text, location and
image messages, subscribe-with-scene / SCAN / LOCATION events, dedupe on MsgId (events:
FromUserName + CreateTime), a passive reply within WeChat's 5 seconds (the rest goes as
customer-service messages), choices as numbered lists (no inline buttons on an Official
Account). An Official Account cannot read WeChat groups: hometown groups run on Telegram.
"""
