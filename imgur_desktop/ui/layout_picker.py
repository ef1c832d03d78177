"""The album layout picker: four toggle tiles, each a small drawing, a name, and the seed's
description. One widget, reused wherever a layout is chosen."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QToolButton, QWidget

from imgur_desktop.core.layouts import LAYOUTS

ICON = QSize(64, 48)


def layout_drawing(name: str, size: QSize = ICON, ratio: float = 2.0,
                   color: QColor | None = None) -> QPixmap:
    """A small picture of a layout, drawn crisp at the screen's pixel ratio."""
    pixmap = QPixmap(size * ratio)
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    ink = color or QColor(90, 98, 110)
    soft = QColor(ink)
    soft.setAlpha(110)
    w, h = size.width(), size.height()
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)

    def box(x: float, y: float, bw: float, bh: float, strong: bool = True) -> None:
        p.setBrush(ink if strong else soft)
        p.drawRoundedRect(QRectF(x, y, bw, bh), 2, 2)

    if name == "blog":  # images one under another, each with a line of text
        for row in range(2):
            y = 3 + row * 22
            box(8, y, w - 16, 13)
            box(8, y + 15, w * 0.55, 3, strong=False)
    elif name == "vertical":  # one big image, thumbnails in a column on the right
        box(4, 4, w * 0.66, h - 8)
        for row in range(4):
            box(w * 0.66 + 9, 4 + row * 10.5, w * 0.2, 8, strong=False)
    elif name == "horizontal":  # thumbnails in a row on top, one big image under them
        for col in range(5):
            box(4 + col * 11.5, 3, 9, 8, strong=False)
        box(4, 15, w - 8, h - 19)
    else:  # grid: thumbnails in rows and columns
        for row in range(3):
            for col in range(4):
                box(5 + col * 14.5, 3 + row * 14.5, 11.5, 11.5, strong=(row + col) % 2 == 0)
    p.end()
    return pixmap


class LayoutPicker(QWidget):
    layoutChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None, current: str = "blog") -> None:
        super().__init__(parent)
        self.setAccessibleName("Album layout")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        self.buttons: dict[str, QToolButton] = {}
        ink = self.palette().color(QPalette.ColorRole.WindowText)
        for name, (label, description) in LAYOUTS.items():
            button = QToolButton(self)
            button.setObjectName(f"layout-{name}")
            button.setCheckable(True)
            button.setText(label)
            button.setIcon(QIcon(layout_drawing(name, color=ink)))
            button.setIconSize(ICON)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
            button.setToolTip(f"<b>{label} layout</b><br>{description}")
            button.setAccessibleName(f"{label} layout")
            button.setAccessibleDescription(description)
            button.setAutoRaise(True)
            self._group.addButton(button)
            self.buttons[name] = button
            row.addWidget(button)
            button.toggled.connect(lambda on, n=name: self._toggled(n, on))
        row.addStretch(1)
        self.set_current(current)

    def _toggled(self, name: str, on: bool) -> None:
        if on:
            self.layoutChanged.emit(name)

    def current(self) -> str:
        for name, button in self.buttons.items():
            if button.isChecked():
                return name
        return "blog"

    def set_current(self, name: str) -> None:
        if name not in self.buttons:
            raise ValueError(f"unknown layout {name!r}")
        self.buttons[name].setChecked(True)

    @staticmethod
    def description(name: str) -> str:
        return LAYOUTS[name][1]
