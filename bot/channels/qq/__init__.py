"""QQ official bot platform (QQ开放平台, q.qq.com, API v2): QQ groups (@-mentions) and
private chats (C2C), over plain HTTP (httpx) and the websocket gateway (websockets).

Supports: the webhook (``POST /qq/webhook``: op 13 URL validation, ed25519 signatures, op 12
acknowledgements) and the websocket gateway (identify, heartbeat, resume, reconnect);
``GROUP_AT_MESSAGE_CREATE``, ``C2C_MESSAGE_CREATE``, ``FRIEND_ADD`` and ``GROUP_ADD_ROBOT``;
dedupe on the message id; passive replies (``msg_id`` + ``msg_seq``) within QQ's window,
active messages within the monthly quota, and otherwise a wait for the chat's next message;
the app access token shared by all processes; choices as numbered lists (QQ's buttons need
markdown templates granted by application). Chat ids: ``user:<user_openid>`` for a private
chat, ``group:<group_openid>`` for a group; a group member is ``member:<member_openid>``.
"""
