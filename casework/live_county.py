"""The county directory of a running process, following imports without a restart.

``grid-intake county import`` bumps the county's ``revision`` when anything changed. Every
few seconds (at most) a process reads that one number — a primary-key row — and rebuilds its
``CountyDirectory`` when it moved, then tells the parts built from it (the classifier's
gazetteer, the casework's county code and time limits) through ``on_reload``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from casework.directory import CountyDirectory
from storage.db import SessionFactory, transaction
from storage.models import County

__all__ = ["LiveCounty", "county_revision"]

log = logging.getLogger(__name__)


def county_revision(sessions: SessionFactory) -> int:
    with transaction(sessions) as session:
        return int(session.scalar(select(func.coalesce(func.sum(County.revision), 0))) or 0)


class LiveCounty:
    """Reads like a ``CountyDirectory`` (attributes are delegated to the current one)."""

    def __init__(
        self,
        sessions: SessionFactory,
        directory: CountyDirectory | None = None,
        *,
        check_every: float = 2.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessions = sessions
        self.check_every = check_every
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self.on_reload: list[Callable[[CountyDirectory], None]] = []
        if directory is None:
            with transaction(sessions) as session:
                directory = CountyDirectory.load(session)
        self._current = directory
        self._checked = monotonic()

    def current(self) -> CountyDirectory:
        self.refresh()
        return self._current

    def refresh(self, *, force: bool = False) -> bool:
        """Reload when the county's revision moved; True when a new directory is in use."""
        now = self._monotonic()
        if not force and now - self._checked < self.check_every:
            return False
        with self._lock:
            self._checked = now
            if county_revision(self._sessions) == self._current.revision and not force:
                return False
            with transaction(self._sessions) as session:
                directory = CountyDirectory.load(session)
            self._current = directory
        log.info("county reloaded (revision %s)", directory.revision)
        for listener in self.on_reload:
            listener(directory)
        return True

    def __getattr__(self, name: str) -> Any:
        return getattr(self.current(), name)
