"""Conversations, channel-free: an ``Incoming`` in, outbox messages out."""
