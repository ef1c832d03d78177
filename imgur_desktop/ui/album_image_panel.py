"""One album image, large: the picture fitted to the space (never enlarged past the large
thumbnail), its title and caption under it, and where it sits in the album ("3 of 40")."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QFont, QMouseEvent, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from imgur_desktop.core.models import Image

from .album_browser_model import large_url
from .album_delegates import Fades, fit, large_size, paint_picture
from .thumbnails import ThumbnailLoader

PAD = 8


class _Canvas(QWidget):
    clicked = Signal()

    def __init__(self, panel: ImagePanel) -> None:
        super().__init__(panel)
        self.panel = panel
        # As tall as the picture needs (ImagePanel sets it): text sits right under the picture.
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(160)

    def sizeHint(self) -> QSize:
        return QSize(640, self.height())

    def picture_rect(self) -> QRect:
        image = self.panel.image
        if image is None:
            return QRect()
        return fit(large_size(image), self.rect().adjusted(PAD, PAD, -PAD, -PAD))

    def paintEvent(self, event: QPaintEvent) -> None:
        image = self.panel.image
        if image is None:
            return
        url = large_url(image)
        loader = self.panel.loader
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        paint_picture(painter, self.picture_rect(), loader.request(url),
                      self.panel.fades.opacity(url), self.palette(),
                      loader.error(url) is not None)
        painter.end()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()
        super().mouseReleaseEvent(event)


class ImagePanel(QWidget):
    clicked = Signal()

    def __init__(self, loader: ThumbnailLoader, fades: Fades,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.loader = loader
        self.fades = fades
        self.image: Image | None = None
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.canvas = _Canvas(self)
        self.canvas.clicked.connect(self.clicked)
        self.title = QLabel(self)
        font = QFont(self.title.font())
        font.setBold(True)
        self.title.setFont(font)
        self.title.setWordWrap(True)
        self.caption = QLabel(self)
        self.caption.setWordWrap(True)
        self.position = QLabel(self)
        self.hint = ""  # what follows the position, e.g. how to go back
        for label in (self.title, self.caption, self.position):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setTextFormat(Qt.TextFormat.PlainText)  # titles are the uploader's text
            label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        # The picture and its text are one block, centred in whatever space there is.
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addStretch(1)
        column.addWidget(self.canvas)
        column.addWidget(self.title)
        column.addWidget(self.caption)
        column.addWidget(self.position)
        column.addStretch(1)
        loader.ready.connect(self._arrived)
        loader.failed.connect(self._failed)

    def set_image(self, image: Image | None, row: int = 0, total: int = 0) -> None:
        self.image = image
        self.title.setText(image.title or "" if image else "")
        self.title.setVisible(bool(image and image.title))
        self.caption.setText(image.caption or "" if image else "")
        self.caption.setVisible(bool(image and image.caption))
        where = f"{row + 1} of {total}" if image else ""
        self.position.setText(f"{where} · {self.hint}" if where and self.hint else where)
        self._fit_canvas()
        self.canvas.update()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_canvas()

    def _fit_canvas(self) -> None:
        """Give the picture all the height the text under it leaves, and no more."""
        if self.image is None:
            self.canvas.setFixedHeight(0)
            return
        text = sum(label.sizeHint().height() + 6
                   for label in (self.title, self.caption, self.position)
                   if not label.isHidden())
        room = QRect(0, 0, max(1, self.width() - 2 * PAD),
                     max(1, self.height() - text - 2 * PAD))
        self.canvas.setFixedHeight(fit(large_size(self.image), room).height() + 2 * PAD)

    def picture_rect(self) -> QRect:
        """Where the picture is drawn, in this panel's coordinates."""
        return self.canvas.picture_rect().translated(self.canvas.pos())

    def _arrived(self, url: str) -> None:
        if self.image is not None and url == large_url(self.image):
            self.canvas.update()

    def _failed(self, url: str, _message: str) -> None:
        self._arrived(url)  # repaint: the placeholder now says "!"
