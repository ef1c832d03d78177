"""The start-up baseline: a bare PySide6 main window of the app's size, which prints
``shown <time.monotonic_ns()>`` after its first paint and quits, as the app does with
IMGUR_DESKTOP_EXIT_AFTER_SHOW=1. Run as ``python -m benchmarks.bare_window``."""

from __future__ import annotations

import sys
import time

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow


class _FirstPaint(QObject):
    def __init__(self, window: QMainWindow) -> None:
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
        QApplication.quit()


def main() -> int:
    app = QApplication(sys.argv[:1])
    window = QMainWindow()
    window.setWindowTitle("bare window")
    window.resize(960, 640)
    watcher = _FirstPaint(window)
    window.show()
    status = app.exec()
    del watcher
    return status


if __name__ == "__main__":
    sys.exit(main())
