"""The list views the album browser arranges its layouts with, and which of their rows are on
screen (the only ones, with a screen's worth of prefetch, whose thumbnails are requested)."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QSize, Qt
from PySide6.QtWidgets import QAbstractItemView, QListView, QStyle, QWidget

from .album_delegates import TILE

MAX_SIZE = 16_777_215  # QWIDGETSIZE_MAX


def _base_view(model: QAbstractItemModel, name: str, parent: QWidget) -> QListView:
    view = QListView(parent)
    view.setObjectName(name)
    view.setModel(model)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setDragEnabled(False)
    view.setResizeMode(QListView.ResizeMode.Adjust)
    view.setMouseTracking(False)
    return view


def blog_view(model: QAbstractItemModel, parent: QWidget) -> QListView:
    """Rows one under another, each as wide as the view."""
    view = _base_view(model, "album-blog", parent)
    view.setViewMode(QListView.ViewMode.ListMode)
    view.setFlow(QListView.Flow.TopToBottom)
    view.setWrapping(False)
    view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    view.setAccessibleName("Album images, blog layout")
    return view


def grid_view(model: QAbstractItemModel, parent: QWidget) -> QListView:
    """Square tiles left to right, wrapping into rows."""
    view = _base_view(model, "album-grid", parent)
    view.setViewMode(QListView.ViewMode.IconMode)
    view.setMovement(QListView.Movement.Static)
    view.setFlow(QListView.Flow.LeftToRight)
    view.setWrapping(True)
    view.setUniformItemSizes(True)
    view.setGridSize(QSize(TILE, TILE))
    view.setSpacing(0)
    view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    view.setAccessibleName("Album images, grid layout")
    return view


def strip_view(model: QAbstractItemModel, parent: QWidget) -> QListView:
    view = _base_view(model, "album-strip", parent)
    view.setViewMode(QListView.ViewMode.ListMode)
    view.setWrapping(False)
    view.setUniformItemSizes(True)
    view.setAccessibleName("Album thumbnails")
    return view


def shape_strip(view: QListView, *, across: bool) -> None:
    """A one-tile-thick strip: a row (``across``, for thumbnails on top) or a column."""
    extent = (view.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
              + 2 * view.frameWidth() + 2)
    if across:
        view.setFlow(QListView.Flow.LeftToRight)
        view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        view.setMinimumWidth(0)
        view.setMaximumWidth(MAX_SIZE)
        view.setFixedHeight(TILE + extent)
    else:
        view.setFlow(QListView.Flow.TopToBottom)
        view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        view.setMinimumHeight(0)
        view.setMaximumHeight(MAX_SIZE)
        view.setFixedWidth(TILE + extent)


def visible_rows(view: QListView) -> range:
    """The rows at least partly inside the viewport. Every layout places rows in order along
    its flow (rows of a wrapping grid too), so two binary searches find the ends."""
    model = view.model()
    count = model.rowCount() if model is not None else 0
    if count == 0 or not view.isVisible():
        return range(0)
    across = view.flow() == QListView.Flow.LeftToRight and not view.isWrapping()
    extent = view.viewport().width() if across else view.viewport().height()

    def span(row: int) -> tuple[int, int]:
        rect = view.visualRect(model.index(row, 0))
        return (rect.left(), rect.right()) if across else (rect.top(), rect.bottom())

    if view.visualRect(model.index(0, 0)).isEmpty():
        return range(0)  # not laid out yet: nothing is on screen
    lo, hi = 0, count  # first row whose end is on or past the viewport's start
    while lo < hi:
        mid = (lo + hi) // 2
        if span(mid)[1] < 0:
            lo = mid + 1
        else:
            hi = mid
    first = lo
    lo, hi = first, count  # first row that starts past the viewport's end
    while lo < hi:
        mid = (lo + hi) // 2
        if span(mid)[0] < extent:
            lo = mid + 1
        else:
            hi = mid
    return range(first, lo)


def with_prefetch(rows: range, count: int, *, forward: bool = True) -> list[int]:
    """The visible rows, then one screen's worth ahead in the direction of travel (after them
    when scrolling down or right, and at the start; before them when scrolling back)."""
    if not rows:
        return []
    screen = len(rows)
    if forward:
        ahead = range(rows.stop, min(count, rows.stop + screen))
    else:
        ahead = range(rows.start - 1, max(-1, rows.start - 1 - screen), -1)
    return [*rows, *ahead]
