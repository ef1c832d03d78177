"""The start-up baseline: a bare PySide6 main window of the app's size, which prints
``shown <time.monotonic_ns()>`` after its first paint and quits, as the app does with
IMGUR_DESKTOP_EXIT_AFTER_SHOW=1. Run as ``python -m benchmarks.bare_window``."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication, QMainWindow

from imgur_desktop.startup_probe import ExitAfterFirstPaint


def main() -> int:
    app = QApplication(sys.argv[:1])
    window = QMainWindow()
    window.setWindowTitle("bare window")
    window.resize(960, 640)
    watcher = ExitAfterFirstPaint(window)  # the very probe the app uses
    window.show()
    status = app.exec()
    del watcher
    return status


if __name__ == "__main__":
    sys.exit(main())
