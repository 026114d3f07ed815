"""The terminal channel: talk to the bot with no token and no network.

Supports: text, numbered choices (typed), deep-link start (``/start CODE``), location
(``/loc LAT LON``), photo (``/photo NAME``). No buttons, no edits.
"""

from bot.channels.console.adapter import ConsoleChannel

__all__ = ["ConsoleChannel"]
