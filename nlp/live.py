"""A classifier that follows its keyword file: staff edit the file, every running process
picks the change up within seconds, no restart. A broken edit is logged and ignored (the
last good file stays in use), so a typo never stops intake."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from nlp.classifier import Classification, Classifier, KeywordModel, ModelError
from nlp.places import Gazetteer

__all__ = ["LiveClassifier"]

log = logging.getLogger(__name__)


class LiveClassifier:
    def __init__(
        self,
        path: Path | str,
        gazetteer: Gazetteer | None = None,
        *,
        check_every: float = 5.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = Path(path)
        self.gazetteer = gazetteer or Gazetteer()
        self.check_every = check_every
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._stamp = self._file_stamp()
        self._current = Classifier(KeywordModel.load(self.path), self.gazetteer)
        self._checked = monotonic()

    def _file_stamp(self) -> tuple[int, int]:
        stat = os.stat(self.path)
        return stat.st_mtime_ns, stat.st_size

    @property
    def model(self) -> KeywordModel:
        self.refresh()
        return self._current.model

    def refresh(self, *, force: bool = False) -> bool:
        """Reload if the file changed; True when a new model was taken into use."""
        now = self._monotonic()
        if not force and now - self._checked < self.check_every:
            return False
        with self._lock:
            self._checked = now
            try:
                stamp = self._file_stamp()
            except OSError as error:
                log.error(
                    "keyword file %s unreadable (%s); keeping the loaded one", self.path, error
                )
                return False
            if stamp == self._stamp and not force:
                return False
            self._stamp = stamp
            try:
                self._current = Classifier(KeywordModel.load(self.path), self.gazetteer)
            except ModelError as error:
                log.error("keyword file not reloaded, keeping the previous one: %s", error)
                return False
            log.warning("keyword file %s reloaded", self.path)
            return True

    def classify(self, text: str, *, among: Iterable[str] | None = None) -> Classification:
        self.refresh()
        return self._current.classify(text, among=among)
