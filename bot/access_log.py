"""Query strings kept out of the web server's access log for paths that carry secrets in
them: WeChat signs its callbacks with ``signature``, ``timestamp`` and ``nonce`` in the URL,
and in plain mode the signature does not cover the body — a logged URL is a usable one."""

from __future__ import annotations

import logging
from collections.abc import Sequence

__all__ = ["QueryStringsDropped"]


class QueryStringsDropped(logging.Filter):
    """For uvicorn's access logger: ``POST /wechat?signature=…`` is logged as ``POST /wechat``."""

    def __init__(self, paths: Sequence[str]) -> None:
        super().__init__()
        self.paths = tuple(paths)

    def filter(self, record: logging.LogRecord) -> bool:
        # uvicorn logs (client, method, path with query, HTTP version, status) as its args.
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            path, _, query = args[2].partition("?")
            if query and path.rstrip("/") in self.paths:
                record.args = (*args[:2], path, *args[3:])
        return True
