"""Run something once a window is on screen: after its first paint, or after a fallback delay
if no paint comes (a window that is never exposed must not hold back what waits for it)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer


class AfterFirstPaint(QObject):
    """Calls ``callback`` once: when the event loop is next idle after the first paint of
    ``widget`` (so the paint has reached the screen), or after ``fallback_ms``."""

    def __init__(self, widget: QObject, callback: Callable[[], None],
                 fallback_ms: int = 250) -> None:
        super().__init__(widget)
        self._callback: Callable[[], None] | None = callback
        self._widget = widget
        widget.installEventFilter(self)
        self._fallback = QTimer(self)
        self._fallback.setSingleShot(True)
        self._fallback.timeout.connect(self._fire)
        self._fallback.start(fallback_ms)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and self._callback is not None:
            QTimer.singleShot(0, self, self._fire)
        return False

    def _fire(self) -> None:
        callback, self._callback = self._callback, None
        if callback is None:
            return
        self._fallback.stop()
        self._widget.removeEventFilter(self)
        callback()
