"""The in-process Qt application the GUI measures share (offscreen: no display needed, and
the same on every machine), and an event loop that runs until something is true."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import (
    QCoreApplication,
    QEventLoop,
    QMessageLogContext,
    QSettings,
    QTimer,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtWidgets import QApplication


def application() -> QApplication:
    """The QApplication of this process, created offscreen on first use."""
    existing = QCoreApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    qInstallMessageHandler(_qt_message)
    return QApplication(["benchmarks"])


def _qt_message(_kind: QtMsgType, _context: QMessageLogContext, message: str) -> None:
    if "propagateSizeHints" not in message:  # the offscreen platform's harmless notice
        print(f"qt: {message}", file=sys.stderr)


def run_until(done: Callable[[], bool], timeout: float, poll_ms: int = 20) -> bool:
    """Run the event loop until ``done()`` (checked every ``poll_ms``) or ``timeout`` seconds;
    returns whether ``done()`` became true."""
    application()
    if done():
        return True
    loop = QEventLoop()
    deadline = time.monotonic() + timeout

    def check() -> None:
        if done() or time.monotonic() > deadline:
            loop.quit()

    timer = QTimer()
    timer.setInterval(poll_ms)
    timer.timeout.connect(check)
    timer.start()
    loop.exec()
    timer.stop()
    return done()


def settings_file(folder: Path) -> QSettings:
    """A QSettings kept in ``folder``, so window state never reaches the user's own config."""
    return QSettings(str(folder / "qsettings.ini"), QSettings.Format.IniFormat)
