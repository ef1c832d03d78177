"""How one album image is painted in a list: a square tile (grid and strips) or a blog row
(title, the image at full width, caption). Painting asks the thumbnail loader for what it
draws, so only rows Qt actually paints (the visible ones) cause loads. Until a picture arrives a
placeholder of the final size holds its place; when it arrives it fades in."""

from __future__ import annotations

import time
from dataclasses import dataclass

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QListView, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from imgur_desktop.core.models import Image

from .album_browser_model import IMAGE_ROLE, large_url, small_url
from .thumbnails import ThumbnailLoader

Index = QModelIndex | QPersistentModelIndex

SQUARE = 90  # the host's small square thumbnail
TILE_PAD = 5
TILE = SQUARE + 2 * TILE_PAD
LARGE = 640  # the host's large thumbnail fits in 640x640
FADE_SECONDS = 0.18
TEXT_FLAGS = int(Qt.TextFlag.TextWordWrap)


class Fades(QObject):
    """Opacity of pictures that just arrived; ``tick`` asks views to repaint while any fade."""

    tick = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._started: dict[str, float] = {}
        self._timer = QTimer(self)
        self._timer.setInterval(16)
        self._timer.timeout.connect(self._step)

    def start(self, url: str) -> None:
        self._started[url] = time.monotonic()
        if not self._timer.isActive():
            self._timer.start()

    def active(self) -> bool:
        return bool(self._started)

    def opacity(self, url: str) -> float:
        began = self._started.get(url)
        if began is None:
            return 1.0
        return min(1.0, (time.monotonic() - began) / FADE_SECONDS)

    def _step(self) -> None:
        now = time.monotonic()
        self._started = {u: t for u, t in self._started.items() if now - t < FADE_SECONDS}
        self.tick.emit()
        if not self._started:
            self._timer.stop()


def large_size(image: Image) -> QSize:
    """The large thumbnail's own size: the image fitted in 640x640, never enlarged."""
    w, h = image.width, image.height
    if w <= 0 or h <= 0:  # documents have no pixel size: the host's placeholder is 4:3
        return QSize(LARGE, LARGE * 3 // 4)
    scale = min(1.0, LARGE / max(w, h))
    return QSize(max(1, round(w * scale)), max(1, round(h * scale)))


def fit(size: QSize, box: QRect) -> QRect:
    """``size`` scaled down (never up) to fit in ``box``, centred there."""
    if size.isEmpty() or box.isEmpty():
        return QRect(box.topLeft(), QSize(0, 0))
    scale = min(1.0, box.width() / size.width(), box.height() / size.height())
    w, h = max(1, round(size.width() * scale)), max(1, round(size.height() * scale))
    return QRect(box.x() + (box.width() - w) // 2, box.y() + (box.height() - h) // 2, w, h)


def paint_picture(painter: QPainter, target: QRect, pixmap: QPixmap | None, opacity: float,
                  palette: QPalette, broken: bool) -> None:
    """A placeholder of ``target``'s size, then the picture over it (fading in)."""
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(palette.color(QPalette.ColorRole.Midlight))
    painter.drawRect(target)
    if pixmap is not None:
        painter.setOpacity(opacity)
        painter.drawPixmap(target, pixmap)
        painter.setOpacity(1.0)
    elif broken:  # the load failed: say so in the tile (the tooltip and status say why)
        painter.setPen(palette.color(QPalette.ColorRole.Text))
        painter.drawText(target, Qt.AlignmentFlag.AlignCenter, "!")


def _index_image(index: Index) -> Image | None:
    value = index.data(IMAGE_ROLE)
    return value if isinstance(value, Image) else None


class ThumbDelegate(QStyledItemDelegate):
    """A 90x90 square in a 100x100 cell; the current image gets an accent frame."""

    def __init__(self, loader: ThumbnailLoader, fades: Fades,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.loader = loader
        self.fades = fades

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return QSize(TILE, TILE)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        image = _index_image(index)
        if image is None:
            return
        rect = QRect(option.rect.x() + (option.rect.width() - SQUARE) // 2,
                     option.rect.y() + (option.rect.height() - SQUARE) // 2,
                     SQUARE, SQUARE)
        url = small_url(image)
        painter.save()
        paint_picture(painter, rect, self.loader.request(url), self.fades.opacity(url),
                      option.palette, self.loader.error(url) is not None)
        if option.state & QStyle.StateFlag.State_Selected:
            pen = QPen(option.palette.color(QPalette.ColorRole.Highlight), 3)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(rect.adjusted(-2, -2, 2, 2))
        painter.restore()


@dataclass(frozen=True, slots=True)
class BlogRow:
    """Where a blog row's parts go, relative to the row's top-left corner."""

    title: QRect
    picture: QRect
    caption: QRect
    height: int


class BlogDelegate(QStyledItemDelegate):
    """Title, the large thumbnail as wide as the view allows, caption; rows as tall as that."""

    MARGIN = 16
    GAP = 8

    def __init__(self, loader: ThumbnailLoader, fades: Fades, view: QListView) -> None:
        super().__init__(view)
        self.loader = loader
        self.fades = fades
        self.view = view
        self.title_font = QFont(view.font())
        self.title_font.setBold(True)
        self.title_font.setPointSizeF(view.font().pointSizeF() * 1.25)

    def row_width(self) -> int:
        return max(200, self.view.viewport().width())

    def geometry(self, image: Image, width: int) -> BlogRow:
        inner = width - 2 * self.MARGIN
        y = self.GAP
        title = QRect(self.MARGIN, y, inner, 0)
        if image.title:
            title.setHeight(QFontMetrics(self.title_font).boundingRect(
                QRect(0, 0, inner, 100_000), TEXT_FLAGS, image.title).height())
            y += title.height() + self.GAP
        natural = large_size(image)
        scale = min(1.0, inner / natural.width())
        size = QSize(max(1, round(natural.width() * scale)),
                     max(1, round(natural.height() * scale)))
        picture = QRect(self.MARGIN + (inner - size.width()) // 2, y, size.width(),
                        size.height())
        y += picture.height() + self.GAP
        caption = QRect(self.MARGIN, y, inner, 0)
        if image.caption:
            caption.setHeight(QFontMetrics(self.view.font()).boundingRect(
                QRect(0, 0, inner, 100_000), TEXT_FLAGS, image.caption).height())
            y += caption.height() + self.GAP
        return BlogRow(title, picture, caption, y + self.MARGIN)

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        image = _index_image(index)
        width = self.row_width()
        return QSize(width, self.geometry(image, width).height if image else 0)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        image = _index_image(index)
        if image is None:
            return
        row_rect: QRect = option.rect
        palette: QPalette = option.palette
        parts = self.geometry(image, row_rect.width())
        top_left = row_rect.topLeft()
        painter.save()
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(row_rect, palette.color(QPalette.ColorRole.AlternateBase))
        painter.setPen(palette.color(QPalette.ColorRole.Text))
        if image.title:
            painter.setFont(self.title_font)
            painter.drawText(parts.title.translated(top_left), TEXT_FLAGS, image.title)
        url = large_url(image)
        paint_picture(painter, parts.picture.translated(top_left), self.loader.request(url),
                      self.fades.opacity(url), palette, self.loader.error(url) is not None)
        if image.caption:
            painter.setPen(palette.color(QPalette.ColorRole.Text))
            painter.setFont(self.view.font())
            painter.drawText(parts.caption.translated(top_left), TEXT_FLAGS, image.caption)
        painter.restore()
