"""Button data: compact ASCII ``verb:arg[:arg]``, at most 64 bytes (Telegram's limit).

Every action that comes back is untrusted (a client can send any callback data): it is
parsed against the verbs below and authorised again by the conversation that receives it.
"""

from __future__ import annotations

import re

__all__ = ["MAX_BYTES", "VERBS", "decode", "encode"]

MAX_BYTES = 64

# verb → how many arguments it takes
VERBS: dict[str, int] = {
    # deputy, on a case
    "accept": 1,
    "reply": 1,
    "transfer": 1,
    "resolve": 1,
    "dept": 2,  # transfer to a department: ticket, department code
    # resident
    "msg": 1,  # write to the deputy of a case
    "intake": 1,  # submit | category | grid | cancel | resume | metoo
    "cat": 1,  # category by index
    "tw": 1,  # township code
    "grid": 1,  # grid code
    "rate": 2,  # ticket, 1..5
    "check": 2,  # ticket, fixed | partly | not
    # deputy, on a hometown suggestion
    "sga": 1,  # answer: choose the result code (number)
    "sgr": 2,  # answer with a result code: number, A | B | C | D
    "sgt": 1,  # turn into a case (number)
}

_ARG = re.compile(r"^[A-Za-z0-9_\-]{1,40}$")


def encode(verb: str, *args: str) -> str:
    if VERBS.get(verb) != len(args):
        raise ValueError(f"bad action {verb}{args}")
    data = ":".join((verb, *args))
    if len(data.encode("ascii")) > MAX_BYTES or not all(_ARG.match(a) for a in args):
        raise ValueError(f"action too long or not compact ASCII: {data!r}")
    return data


def decode(data: str | None) -> tuple[str, list[str]] | None:
    """``(verb, args)`` for well-formed data; None for anything else."""
    if not data or len(data.encode("utf-8", "replace")) > MAX_BYTES:
        return None
    verb, *args = data.split(":")
    if VERBS.get(verb) != len(args) or not all(_ARG.match(a) for a in args):
        return None
    return verb, args
