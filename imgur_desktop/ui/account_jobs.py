"""Account calls for one view (My images, Albums), on the view's own small thread pool.

Each call is a plain function run by a ``Worker``; its answer or its exception comes back to a
callback on the GUI thread. The runner counts what is still out, so a view can say "Loading…"
and a test can wait until everything has answered."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject, QThreadPool, Signal

from imgur_desktop.core.cancel import CancelToken

from .workers import Progress, Worker

logger = logging.getLogger(__name__)

T = TypeVar("T")


class JobRunner(QObject):
    busyChanged = Signal(bool)

    def __init__(self, parent: QObject, *, threads: int = 2) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(threads)
        self._pending = 0
        self._closed = False

    def pending(self) -> int:
        return self._pending

    def run(self, call: Callable[[], T], done: Callable[[T], None],
            failed: Callable[[BaseException], None]) -> None:
        """Run ``call()`` on the pool; then ``done(result)`` or ``failed(exc)`` on the GUI
        thread (neither once the runner is shut down: the view may be going away)."""
        if self._closed:
            return

        def job(_progress: Progress, _cancel: CancelToken) -> T:
            return call()

        worker = Worker(job, parent=self)
        worker.signals.finished.connect(lambda result: self._answer(done, result))
        worker.signals.failed.connect(lambda exc: self._answer(failed, exc))
        self._pending += 1
        if self._pending == 1:
            self.busyChanged.emit(True)
        self._pool.start(worker)

    def _answer(self, callback: Callable[[Any], None], value: Any) -> None:
        self._pending -= 1
        try:
            if not self._closed:
                callback(value)
        finally:
            if self._pending == 0:
                self.busyChanged.emit(False)

    def shutdown(self) -> None:
        """Wait for the calls still running and drop their answers."""
        self._closed = True
        self._pool.waitForDone()
