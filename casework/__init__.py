"""Casework: the case lifecycle, routing, time limits and notifications. No chat, no HTTP."""
