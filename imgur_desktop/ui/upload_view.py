"""The upload list's view and delegate: a 48 px thumbnail, name and size, an inline progress
bar while uploading, the state in words, and the row's actions as links on the right."""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QMouseEvent,
    QPainter,
    QPalette,
    QPixmap,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QWidget,
)

from .upload_model import ItemRole, State, UploadItem

ROW_HEIGHT = 56
THUMB = 48
PAD = 4

ACTION_TEXT = {
    "copy": "Copy link",
    "open": "Open",
    "retry": "Retry",
    "cancel": "Cancel",
    "remove": "Remove",
    "details": "Details",
}
ACTIONS_BY_STATE = {
    State.QUEUED: ("cancel", "remove"),
    State.UPLOADING: ("cancel",),
    State.DONE: ("copy", "open", "remove"),
    State.FAILED: ("details", "retry", "remove"),
    State.CANCELLED: ("retry", "remove"),
}


def actions_of(item: UploadItem) -> tuple[str, ...]:
    """The row's action links; no Retry for a file refused for what it is."""
    actions = ACTIONS_BY_STATE[item.state]
    return tuple(a for a in actions if a != "retry") if item.final else actions


# The option states a row's drawing shows (selection, hover, focus, an active window).
_LOOK_STATES = (QStyle.StateFlag.State_Selected | QStyle.StateFlag.State_MouseOver
                | QStyle.StateFlag.State_HasFocus | QStyle.StateFlag.State_Active
                | QStyle.StateFlag.State_Enabled).value
# About 160 rows of a 900 px window, or twenty of a 1920 px one at twice the pixel density.
DRAWN_ROWS_BYTES = 32 * 1024 * 1024


class DrawnRows:
    """Rows already drawn, by look, least recently used dropped first past a byte budget."""

    def __init__(self, budget: int = DRAWN_ROWS_BYTES) -> None:
        self._budget = budget
        self._bytes = 0
        self._rows: OrderedDict[tuple[object, ...], QPixmap] = OrderedDict()

    def get(self, key: tuple[object, ...]) -> QPixmap | None:
        pixmap = self._rows.get(key)
        if pixmap is not None:
            self._rows.move_to_end(key)
        return pixmap

    def put(self, key: tuple[object, ...], pixmap: QPixmap) -> None:
        self._rows[key] = pixmap
        self._bytes += _bytes_of(pixmap)
        while self._bytes > self._budget and len(self._rows) > 1:
            _old, dropped = self._rows.popitem(last=False)
            self._bytes -= _bytes_of(dropped)

    def __len__(self) -> int:
        return len(self._rows)


def _bytes_of(pixmap: QPixmap) -> int:
    return pixmap.width() * pixmap.height() * 4


def human_size(size: int | None) -> str:
    if not size:
        return ""
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return ""


class UploadDelegate(QStyledItemDelegate):
    actionTriggered = Signal(object, str)
    thumbnailWanted = Signal(object)  # an UploadItem painted without its thumbnail

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._drawn = DrawnRows()

    def sizeHint(self, option: QStyleOptionViewItem,
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        # No width of its own: the list stretches each row to its viewport, so a row is as
        # wide as the window now, never as wide as it was at the last layout.
        return QSize(1, ROW_HEIGHT)

    def action_rects(self, rect: QRect, item: UploadItem,
                     metrics: QFontMetrics) -> list[tuple[str, QRect]]:
        """Where each of the row's action links is drawn (right-aligned, vertically centred)."""
        out: list[tuple[str, QRect]] = []
        x = rect.right() - PAD * 2
        for action in reversed(actions_of(item)):
            width = metrics.horizontalAdvance(ACTION_TEXT[action]) + PAD * 2
            x -= width
            out.append((action, QRect(x, rect.top() + (rect.height() - metrics.height()) // 2,
                                      width, metrics.height())))
            x -= PAD
        out.reverse()
        return out

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        item = index.data(ItemRole)
        if not isinstance(item, UploadItem):
            return
        if item.thumbnail is None:
            self.thumbnailWanted.emit(item)
        if item.state is State.UPLOADING:
            # Its look changes with every redraw of its bar: a copy would never be used.
            painter.save()
            try:
                self._draw(painter, option, item)
            finally:
                painter.restore()
            return
        # A row is drawn once per look and then copied: adding a row or scrolling repaints
        # every row on screen, and drawing them afresh each time held the interpreter lock
        # long enough to slow the uploads the rows show (docs/performance.md, row 5).
        key = self._look(item, option)
        pixmap = self._drawn.get(key)
        if pixmap is None:
            pixmap = self._draw_row(item, option)
            self._drawn.put(key, pixmap)
        painter.drawPixmap(option.rect, pixmap)  # within the row, whatever the pixel ratio

    @staticmethod
    def _status(item: UploadItem) -> str:
        if item.state is State.DONE and item.image is not None:
            return f"Done · {item.image.links.original}"
        return item.status_text()

    def _look(self, item: UploadItem, option: QStyleOptionViewItem) -> tuple[object, ...]:
        """Everything the row's drawing depends on: equal looks draw the same pixels."""
        widget = option.widget
        thumb = item.thumbnail.cacheKey() if item.thumbnail is not None else 0
        return (item.id, item.state, item.percent, item.size, item.label, thumb,
                self._status(item), item.final, int(option.state.value) & _LOOK_STATES,
                option.rect.width(), option.rect.height(),
                widget.devicePixelRatioF() if widget else 1.0,
                option.palette.cacheKey(), option.font.key())

    def _draw_row(self, item: UploadItem, option: QStyleOptionViewItem) -> QPixmap:
        size = option.rect.size()
        ratio = option.widget.devicePixelRatioF() if option.widget else 1.0
        pixmap = QPixmap(math.ceil(size.width() * ratio), math.ceil(size.height() * ratio))
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(option.palette.color(QPalette.ColorRole.Base))  # the view's background
        at_origin = QStyleOptionViewItem(option)
        at_origin.rect = QRect(0, 0, size.width(), size.height())
        painter = QPainter(pixmap)
        try:
            self._draw(painter, at_origin, item)
        finally:
            painter.end()
        return pixmap

    def _draw(self, painter: QPainter, option: QStyleOptionViewItem, item: UploadItem) -> None:
        style = option.widget.style() if option.widget else QApplication.style()
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter,
                            option.widget)
        palette = option.palette
        rect = option.rect
        painter.save()
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        text_color = palette.color(QPalette.ColorRole.HighlightedText if selected
                                   else QPalette.ColorRole.Text)

        thumb_rect = QRect(rect.left() + PAD, rect.top() + (rect.height() - THUMB) // 2,
                           THUMB, THUMB)
        if item.thumbnail is not None and not item.thumbnail.isNull():
            scaled = item.thumbnail.size().scaled(THUMB, THUMB,
                                                  Qt.AspectRatioMode.KeepAspectRatio)
            target = QRect(0, 0, scaled.width(), scaled.height())
            target.moveCenter(thumb_rect.center())
            painter.drawImage(target, item.thumbnail)
        else:
            painter.fillRect(thumb_rect, palette.color(QPalette.ColorRole.AlternateBase))

        metrics = QFontMetrics(option.font)
        actions = self.action_rects(rect, item, metrics)
        right = (actions[0][1].left() if actions else rect.right()) - PAD * 2
        left = thumb_rect.right() + PAD * 3
        line_h = metrics.height()
        top = rect.top() + (rect.height() - 2 * line_h - PAD) // 2

        bold = QFont(option.font)  # a copy: the option's font is shared with later drawing
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(text_color)
        name = metrics.elidedText(item.label, Qt.TextElideMode.ElideMiddle, right - left - 90)
        painter.drawText(QRect(left, top, right - left, line_h),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)
        painter.setFont(option.font)
        painter.drawText(QRect(left, top, right - left, line_h),
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                         human_size(item.size))

        second = QRect(left, top + line_h + PAD, right - left, line_h)
        if item.state is State.UPLOADING:
            bar = QStyleOptionProgressBar()
            bar.rect = QRect(second.left(), second.top(), min(220, second.width()),
                             second.height())
            bar.minimum, bar.maximum = 0, 100
            bar.progress = item.percent
            bar.text = f"{item.percent}%"
            bar.textVisible = True
            bar.state = QStyle.StateFlag.State_Enabled | QStyle.StateFlag.State_Horizontal
            style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter)
        else:
            status = self._status(item)
            color = text_color
            if item.state is State.FAILED and not selected:
                color = QColor(200, 40, 40)
            painter.setPen(color)
            painter.drawText(second, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             metrics.elidedText(status, Qt.TextElideMode.ElideRight,
                                                second.width()))

        link = palette.color(QPalette.ColorRole.HighlightedText if selected
                             else QPalette.ColorRole.Link)
        painter.setPen(link)
        for action, action_rect in actions:
            painter.drawText(action_rect, Qt.AlignmentFlag.AlignCenter, ACTION_TEXT[action])
        painter.restore()

    def editorEvent(self, event: QEvent, model: QAbstractItemModel,
                    option: QStyleOptionViewItem,
                    index: QModelIndex | QPersistentModelIndex) -> bool:
        if event.type() == QEvent.Type.MouseButtonRelease and isinstance(event, QMouseEvent):
            item = index.data(ItemRole)
            if isinstance(item, UploadItem):
                metrics = QFontMetrics(option.font)
                for action, rect in self.action_rects(option.rect, item, metrics):
                    if rect.contains(event.position().toPoint()):
                        self.actionTriggered.emit(item, action)
                        return True
        return super().editorEvent(event, model, option, index)


class UploadView(QListView):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.delegate = UploadDelegate(self)
        self.setItemDelegate(self.delegate)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setUniformItemSizes(True)
        self.setMouseTracking(True)
        self.setAccessibleName("Uploads")
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        # Laid out a batch at a time: in one pass, every row's news re-lays out the whole
        # list (Qt walks all rows), which with 10,000 rows froze the window for minutes.
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(100)
        # Finished uploads can be dragged onto an album in the Albums tab.
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)

    def dataChanged(self, top_left: QModelIndex | QPersistentModelIndex,
                    bottom_right: QModelIndex | QPersistentModelIndex,
                    roles: Sequence[int] = ()) -> None:
        """A row's news only redraws the row. Every row has the same height whatever it
        shows, so no news changes the layout; QListView would lay every row out again and
        repaint the whole view, its scroll bar and each widget behind them, for each piece
        of news (two hundred uploads: some 800 times)."""
        QAbstractItemView.dataChanged(self, top_left, bottom_right, list(roles))

    def selected_items(self) -> list[UploadItem]:
        items = []
        for index in sorted(self.selectionModel().selectedIndexes(), key=lambda i: i.row()):
            item = index.data(ItemRole)
            if isinstance(item, UploadItem):
                items.append(item)
        return items

    def action_point(self, item_row: int, action: str) -> object:
        """The centre of a row's action link, in viewport coordinates (for tests and a11y)."""
        index = self.model().index(item_row, 0)
        item = index.data(ItemRole)
        rect = self.visualRect(index)
        for name, action_rect in self.delegate.action_rects(rect, item,
                                                            QFontMetrics(self.font())):
            if name == action:
                return action_rect.center()
        raise KeyError(action)


