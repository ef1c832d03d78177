"""News shown no more often than the eye can follow: for each key, the first at once, then at
most one per interval, and what was held back when its time comes, so the newest always shows.
Used for a row's progress bar, a batch's links on the clipboard and the credits in the status
bar, each of which a fast batch would otherwise redraw hundreds of times."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Hashable

from PySide6.QtCore import QObject, QTimer


class Throttle(QObject):
    """``news(key)`` calls ``show(key)`` now, or once ``interval`` seconds have passed since
    that key was last shown."""

    def __init__(self, interval: float, show: Callable[[Hashable], None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.interval = interval
        self._show = show
        self._shown: dict[Hashable, float] = {}  # key -> time.monotonic() it was last shown
        self._held: dict[Hashable, None] = {}  # keys with news not shown yet, in order
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._flush)

    def news(self, key: Hashable, *, now: bool | Callable[[], bool] = False) -> None:
        """``now``: show it at once whatever the interval (a callable is asked only when the
        interval has not passed: it may cost more than the check)."""
        wait = self._shown.get(key, -math.inf) + self.interval - time.monotonic()
        if wait <= 0 or (now() if callable(now) else now):
            self._run(key)
            return
        self._held[key] = None
        remaining = self._timer.remainingTime()
        if remaining < 0 or remaining > wait * 1000:
            self._timer.start(max(1, math.ceil(wait * 1000)))

    def forget(self, key: Hashable) -> None:
        """The key has no more news (a finished row): drop what is held for it."""
        self._shown.pop(key, None)
        self._held.pop(key, None)

    def _run(self, key: Hashable) -> None:
        self._held.pop(key, None)
        self._shown[key] = time.monotonic()
        self._show(key)

    def _flush(self) -> None:
        soonest = math.inf
        for key in list(self._held):
            wait = self._shown.get(key, -math.inf) + self.interval - time.monotonic()
            if wait <= 0:
                self._run(key)
            else:
                soonest = min(soonest, wait)
        if soonest < math.inf:
            self._timer.start(max(1, math.ceil(soonest * 1000)))
