"""The request type (咨询, 求助, 建议, 投诉, 举报) that sets a case's answer limit."""

from __future__ import annotations

import re

__all__ = ["REQUEST_TYPES", "infer_request_type"]

REQUEST_TYPES = ("咨询", "求助", "建议", "投诉", "举报")

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("举报", re.compile(r"举报|检举|揭发")),
    ("投诉", re.compile(r"投诉|控告")),
    ("建议", re.compile(r"建议|提议|希望能|能否考虑|献策")),
    ("咨询", re.compile(r"咨询|请问|怎么办理|如何办理|需要什么材料|在哪里办|想了解")),
)


def infer_request_type(text: str) -> str:
    """The first type whose words appear; 求助 (the default) when none do."""
    for name, pattern in _PATTERNS:
        if pattern.search(text):
            return name
    return "求助"
