"""Telegram: python-telegram-bot 22 (default) or aiogram 3 (``TELEGRAM_BACKEND=aiogram``).

Supports: private chats with inline keyboards (typed answers work too), deep links
``t.me/BOT?start=CODE`` for every station and deputy and printable QR posters of them,
one-time deputy invites (``start=inv-…``), locations, photos (file_id kept), hometown
groups (``startgroup=STATION``; ``#建议``, ``/jy``, replies to the bot; privacy mode on),
supergroup migration, polling or a webhook with its secret checked, pacing of 1 message/s
per chat, one per 3 s per group and 28/s per bot, 429 ``retry_after`` honoured, 403 marked
failed and reported to the office, dedupe on update_id, editing a sent message, updates
checked against the Bot API's types (400 for malformed ones), the bot's username from getMe
(cached), start-up that retries getMe/setWebhook in the background.
Not used: either library's dispatcher, FSM or persistence (dialog state is in our tables).
"""
