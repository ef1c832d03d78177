"""The one way work leaves the GUI thread: a QRunnable on a QThreadPool calling one plain
core function, reporting through signals on a separate QObject."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QMetaObject, QObject, QRunnable, Qt, QThread, Signal

from imgur_desktop.core.cancel import CancelToken
from imgur_desktop.core.priority import BACKGROUND_NICE, lower_thread_priority

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
Job = Callable[[Progress, CancelToken], Any]


def yield_cpu() -> None:
    """Let the calling pool thread run behind the app's other work (thumbnails, which are
    for looking at, behind uploads and a local host checking them). Linux ignores Qt's thread
    priorities under its default scheduler, so there the thread's own nice value is raised
    (it keeps it: the pool that calls this runs nothing else)."""
    if lower_thread_priority(BACKGROUND_NICE) or sys.platform.startswith("linux"):
        return
    thread = QThread.currentThread()
    if thread is not None:
        thread.setPriority(QThread.Priority.LowPriority)


class WorkerSignals(QObject):
    """Defined apart from the runnable: a QRunnable is not a QObject and cannot signal."""

    started = Signal()
    progress = Signal(int, int)
    finished = Signal(object)
    failed = Signal(object)


class Worker(QRunnable):
    """Runs ``job(progress, cancel)``; emits ``finished(result)`` or ``failed(exception)``."""

    def __init__(self, job: Job, cancel: CancelToken | None = None, *,
                 parent: QObject) -> None:
        super().__init__()
        self.job = job
        self.cancel = cancel or CancelToken()
        # Signals emitted on a pool thread reach the GUI thread as queued calls, which Qt drops
        # if the sending object is gone by then. The runnable is deleted as soon as run()
        # returns, so the signals object belongs to a long-lived parent instead and is deleted
        # only after its last queued call (see the end of run()).
        self.signals = WorkerSignals(parent)
        self.setAutoDelete(True)

    def _progress(self, sent: int, total: int) -> None:
        # Qt signals carry C ints: report in KiB past 2 GiB so the numbers never overflow.
        if total > 2**31 - 1:
            sent, total = sent // 1024, total // 1024
        self.signals.progress.emit(sent, total)

    def run(self) -> None:
        self.signals.started.emit()
        try:
            result = self.job(self._progress, self.cancel)
        except Exception as exc:  # every failure reaches the GUI as a value, never a crash
            logger.debug("worker failed: %r", exc)
            self.signals.failed.emit(exc)
        else:
            self.signals.finished.emit(result)
        # Not self.signals.deleteLater() from here: a deferred delete posted by this thread
        # can be run ahead of the queued signals (anything that flushes deferred deletes does,
        # QTest.qWait among them), and PySide then drops the calls to Python callables, whose
        # context is the sender. A queued call to deleteLater is delivered behind them.
        QMetaObject.invokeMethod(self.signals, "deleteLater",
                                 Qt.ConnectionType.QueuedConnection)
