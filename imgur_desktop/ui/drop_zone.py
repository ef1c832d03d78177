"""The drop zone: the seed's three ways in ("browse your computer", "drag and drop here",
"Ctrl + V paste from your clipboard"), lit up while something is dragged over it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6 import QtCore
from PySide6.QtCore import Signal
from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent, QDropEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from .first_paint import AfterFirstPaint

if TYPE_CHECKING:
    from .clipboard import Payload

IDLE_STYLE = ("#dropZone { border: 2px dashed palette(mid); border-radius: 14px; }")
ACTIVE_STYLE = ("#dropZone { border: 2px dashed palette(highlight); border-radius: 14px;"
                " background: palette(alternate-base); }")


class DropZone(QFrame):
    dropped = Signal(object)  # a clipboard.Payload
    browseRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dropZone")
        self.setAcceptDrops(True)
        self.setStyleSheet(IDLE_STYLE)
        self.setMinimumHeight(120)
        self.setAccessibleName("Drop zone: drop images here to upload them")
        column = QVBoxLayout(self)
        column.setContentsMargins(16, 16, 16, 16)
        self.hint = QLabel("Upload images", self)
        font = self.hint.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        self.hint.setFont(font)
        # Centred by stretches, not an alignment flag: the Qt enums are built after the
        # window's first paint (ui/roles.py).
        heading = QHBoxLayout()
        heading.addStretch(1)
        heading.addWidget(self.hint)
        heading.addStretch(1)
        column.addLayout(heading)
        row = QHBoxLayout()
        row.addStretch(1)
        self.browse = QPushButton("browse your computer", self)
        self.browse.setFlat(True)
        # The pointing hand matters only under the pointer: set once the window is drawn.
        self._link_cursor = AfterFirstPaint(self, self._set_link_cursor)
        self.browse.setStyleSheet("QPushButton { color: palette(link); text-decoration: "
                                  "underline; border: none; }")
        self.browse.setToolTip("Choose images to upload (Ctrl+O)")
        self.browse.clicked.connect(self.browseRequested)
        row.addWidget(self.browse)
        for text in ("·", "drag and drop here", "·", "Ctrl + V", "paste from your clipboard"):
            label = QLabel(text, self)
            if text == "Ctrl + V":
                label.setStyleSheet("font-weight: bold")
            row.addWidget(label)
        row.addStretch(1)
        column.addLayout(row)

    def _set_link_cursor(self) -> None:
        self.browse.setCursor(QtCore.Qt.CursorShape.PointingHandCursor)

    def _set_active(self, active: bool, text: str = "Upload images") -> None:
        self.setStyleSheet(ACTIVE_STYLE if active else IDLE_STYLE)
        self.hint.setText(text)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        from . import clipboard  # not needed for the window's first paint

        payload = clipboard.read(event.mimeData())
        if payload.empty:
            event.ignore()
            return
        self._set_active(True, drop_text(payload))
        event.acceptProposedAction()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self._set_active(False)
        event.accept()

    def dropEvent(self, event: QDropEvent) -> None:
        from . import clipboard

        self._set_active(False)
        payload = clipboard.read(event.mimeData())
        if payload.empty:
            event.ignore()
            return
        event.acceptProposedAction()
        self.dropped.emit(payload)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def drop_text(payload: Payload) -> str:
    """What a drop would upload, said while dragging: folders are counted as folders (their
    images are found on the drop)."""
    paths = payload.paths
    if not paths:
        count = payload.count
        return ("Drop to upload this image" if count == 1
                else f"Drop to upload {_plural(count, 'link')}")
    folders = sum(1 for p in paths if p.is_dir())
    files = len(paths) - folders
    parts = [_plural(n, word) for n, word in ((files, "file"), (folders, "folder")) if n]
    return "Drop to upload " + " and ".join(parts)
