"""What the account's list tabs (My images, Albums) share: the view's signed-out page, status
line, buttons and batched thumbnail repaints; the row a delegate paints (thumbnail, bold title,
a line under it); a modal dialog asked once; and a list model of images that drags out as
hashes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import (
    QAbstractListModel,
    QItemSelectionModel,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    QTimer,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from imgur_desktop.core.models import Image

from .account_jobs import JobRunner
from .image_mime import MIME_TYPE, to_mime

if TYPE_CHECKING:
    from .thumbnails import ThumbnailLoader

T = TypeVar("T")
D = TypeVar("D", bound=QDialog)

ERROR_COLOR = QColor(200, 40, 40)
ROW_HEIGHT = 56
THUMB = 48
PAD = 4

_Index = QModelIndex | QPersistentModelIndex


def draw_thumbnail(painter: QPainter, rect: QRect, loader: ThumbnailLoader, url: str | None,
                   palette: QPalette) -> None:
    """The thumbnail at ``url`` scaled into ``rect``, or a placeholder of the same size while
    it loads (asked for here, so only what is painted is ever requested)."""
    pixmap = loader.request(url) if url else None
    if pixmap is None or pixmap.isNull():
        painter.fillRect(rect, palette.color(QPalette.ColorRole.AlternateBase))
        if url and loader.error(url):
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, "!")
        return
    ratio = pixmap.devicePixelRatio() or 1.0
    size = (pixmap.size() / ratio).scaled(rect.size(), Qt.AspectRatioMode.KeepAspectRatio)
    target = QRect(QPoint(0, 0), size)
    target.moveCenter(rect.center())
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    painter.drawPixmap(target, pixmap)
    painter.restore()


def draw_panel(painter: QPainter, option: QStyleOptionViewItem) -> bool:
    """The style's item background (hover, selection, focus); whether the item is selected."""
    style = option.widget.style() if option.widget else QApplication.style()
    style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter,
                        option.widget)
    return bool(option.state & QStyle.StateFlag.State_Selected)


def ask(dialog: D, read: Callable[[D], T]) -> T | None:
    """Show ``dialog`` modally: what ``read`` takes from it once accepted, None if not."""
    try:
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return read(dialog)
    finally:
        dialog.deleteLater()


def select_hashes_in(view: QAbstractItemView, row_of: Callable[[str], int],
                     hashes: Sequence[str]) -> None:
    """Select the rows of these hashes (those present), as a person would by clicking them."""
    selection = view.selectionModel()
    model = view.model()
    selection.clearSelection()
    for hash_ in hashes:
        row = row_of(hash_)
        if row >= 0:
            selection.select(model.index(row, 0), QItemSelectionModel.SelectionFlag.Select)


class ThumbnailRowDelegate(QStyledItemDelegate):
    """Rows of one height: a 48 px thumbnail, a bold first line and a line under it."""

    def __init__(self, loader: ThumbnailLoader, parent: QWidget) -> None:
        super().__init__(parent)
        self.loader = loader

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        return QSize(option.rect.width(), ROW_HEIGHT)

    def paint_row(self, painter: QPainter, option: QStyleOptionViewItem, url: str | None,
                  title: str, second: str, *,
                  title_elide: Qt.TextElideMode = Qt.TextElideMode.ElideRight,
                  dimmed: bool = False) -> None:
        selected = draw_panel(painter, option)
        rect, palette = option.rect, option.palette
        painter.save()
        thumb = QRect(rect.left() + PAD, rect.top() + (rect.height() - THUMB) // 2, THUMB, THUMB)
        draw_thumbnail(painter, thumb, self.loader, url, palette)

        metrics = QFontMetrics(option.font)
        left = thumb.right() + PAD * 3
        width = rect.right() - PAD * 2 - left
        line = metrics.height()
        top = rect.top() + (rect.height() - 2 * line - PAD) // 2
        color = palette.color(QPalette.ColorRole.HighlightedText if selected
                              else QPalette.ColorRole.Text)
        if dimmed:
            color = palette.color(QPalette.ColorRole.PlaceholderText)
        bold = QFont(option.font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(color)
        painter.drawText(QRect(left, top, width, line),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         QFontMetrics(bold).elidedText(title, title_elide, width))
        painter.setFont(option.font)
        painter.drawText(QRect(left, top + line + PAD, width, line),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         metrics.elidedText(second, Qt.TextElideMode.ElideRight, width))
        painter.restore()


class AccountListView(QWidget):
    """A tab of the account: a page asking to sign in, in front of the content; a status line
    (red for errors); and one repaint for thumbnails that arrive together."""

    status: QLabel

    def __init__(self, loader: ThumbnailLoader, *, threads: int,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.loader = loader
        self.jobs = JobRunner(self, threads=threads)
        self._repaint_due = False
        self._thumbnail_views: tuple[QAbstractItemView, ...] = ()

    def _pages(self, sign_in_text: str) -> QWidget:
        """The signed-out page (0) and the content page (1), which is returned to fill."""
        self.stack = QStackedWidget(self)
        self.signed_out = QLabel(sign_in_text, self)
        self.signed_out.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack.addWidget(self.signed_out)
        content = QWidget(self)
        self.stack.addWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.stack)
        return content

    def _status_label(self, parent: QWidget) -> QLabel:
        self.status = QLabel(parent)
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status.hide()
        return self.status

    @staticmethod
    def _button(parent: QWidget, row: QHBoxLayout, text: str,
                slot: Callable[[], object]) -> QPushButton:
        button = QPushButton(text, parent)
        button.clicked.connect(lambda: slot())
        row.addWidget(button)
        return button

    def _repaint_on_thumbnails(self, *views: QAbstractItemView) -> None:
        """Repaint ``views`` as thumbnails arrive (or fail, to show the mark)."""
        self._thumbnail_views = views
        self.loader.ready.connect(self._thumbnail_arrived)
        self.loader.failed.connect(lambda url, _message: self._thumbnail_arrived(url))

    def shutdown(self) -> None:
        self.jobs.shutdown()

    def show_status(self, text: str, *, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))
        palette = self.status.palette()
        palette.setColor(QPalette.ColorRole.WindowText, ERROR_COLOR if error
                         else self.palette().color(QPalette.ColorRole.WindowText))
        self.status.setPalette(palette)

    def _thumbnail_arrived(self, _url: str) -> None:
        # Many arrive together: one repaint of what is visible for all of them.
        if not self._repaint_due:
            self._repaint_due = True
            QTimer.singleShot(30, self._repaint)

    def _repaint(self) -> None:
        self._repaint_due = False
        for view in self._thumbnail_views:
            view.viewport().update()


class ImageListModel(QAbstractListModel):
    """Rows of images that drag out as their hashes (copied, never moved: the service says
    what changes, not the drag)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._images: list[Image] = []

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._images)

    def _image_of(self, index: _Index) -> Image | None:
        if not index.isValid() or not 0 <= index.row() < len(self._images):
            return None
        return self._images[index.row()]

    @property
    def images(self) -> list[Image]:
        return list(self._images)

    def image_at(self, row: int) -> Image:
        return self._images[row]

    def mimeTypes(self) -> list[str]:
        return [MIME_TYPE]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        rows = sorted({i.row() for i in indexes if i.isValid()})
        return to_mime([self._images[r].hash for r in rows])

    def supportedDragActions(self) -> Qt.DropAction:
        # Copy, never Move: after a Move the view would delete the dragged rows itself,
        # before the service has said anything.
        return Qt.DropAction.CopyAction
