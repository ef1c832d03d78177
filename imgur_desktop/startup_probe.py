"""A start-up probe for ``benchmarks/startup_time.py``: with the environment variable
``IMGUR_DESKTOP_EXIT_AFTER_SHOW=1`` the app prints ``shown <time.monotonic_ns()>`` on stdout
once its main window's first paint is done, and quits. Without it, nothing is installed."""

from __future__ import annotations

import os
import time

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer

ENV = "IMGUR_DESKTOP_EXIT_AFTER_SHOW"


class ExitAfterFirstPaint(QObject):
    """Watches a window; after its first paint, and the flush to the screen that follows it
    (hence the zero-delay timer), prints the time and quits the application."""

    def __init__(self, window: QObject) -> None:
        super().__init__(window)
        self._seen = False
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and not self._seen:
            self._seen = True
            QTimer.singleShot(0, self._report)
        return False

    def _report(self) -> None:
        print(f"shown {time.monotonic_ns()}", flush=True)
        QCoreApplication.quit()


def install(window: QObject) -> ExitAfterFirstPaint | None:
    """The probe on ``window`` when the environment asks for it (keep the result alive)."""
    return ExitAfterFirstPaint(window) if os.environ.get(ENV) == "1" else None
