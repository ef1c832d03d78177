"""The part of the album browser that draws the album: one page per kind of layout, the current
image kept in step across them, the keyboard, and which thumbnails to ask for.

Pages: the blog list; the single-image page (strip + large image, the strip right of the image
for "vertical" and above it for "horizontal"); the grid page (the grid, or one image expanded in
its place).
"""

from __future__ import annotations

from PySide6.QtCore import (
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QBoxLayout, QListView, QStackedWidget, QWidget

from . import album_views as views
from .album_browser_model import AlbumImagesModel, large_url, small_url
from .album_delegates import BlogDelegate, Fades, ThumbDelegate
from .album_image_panel import ImagePanel
from .thumbnails import ThumbnailLoader

SINGLE = ("vertical", "horizontal")
MOVE_KEYS = {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1, Qt.Key.Key_Up: -1, Qt.Key.Key_Down: 1}


class AlbumStage(QStackedWidget):
    closeRequested = Signal()  # Esc with nothing expanded
    thumbnailFailed = Signal(str)  # a message for people, about a picture of this album

    def __init__(self, loader: ThumbnailLoader, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.loader = loader
        self.layout_name = "blog"
        self.current = 0
        self.expanded = False
        self._syncing = False
        self._forward = True  # the last scroll went down or right: prefetch that way
        self._scroll_pos = 0
        self.wanted_rows: list[int] = []
        self.model = AlbumImagesModel(self)
        self.fades = Fades(self)
        self.refresh_timer = QTimer(self)
        self.refresh_timer.setSingleShot(True)
        self.refresh_timer.setInterval(0)  # once per event-loop pass, however many scrolls
        self.refresh_timer.timeout.connect(self._refresh)
        self._build()
        loader.ready.connect(self._thumb_ready)
        loader.failed.connect(self._thumb_failed)
        self.fades.tick.connect(self._repaint_active)

    def _build(self) -> None:
        self.blog = views.blog_view(self.model, self)
        self.blog.setItemDelegate(BlogDelegate(self.loader, self.fades, self.blog))
        self.grid = views.grid_view(self.model, self)
        self.strip = views.strip_view(self.model, self)
        for view in (self.grid, self.strip):
            view.setItemDelegate(ThumbDelegate(self.loader, self.fades, view))
        self.panel = ImagePanel(self.loader, self.fades, self)
        self.expanded_panel = ImagePanel(self.loader, self.fades, self)
        self.expanded_panel.setObjectName("album-expanded")
        self.expanded_panel.hint = "Esc or a click goes back to the grid"
        self.expanded_panel.clicked.connect(self.collapse)
        self.grid.clicked.connect(self._grid_clicked)

        self.single_page = QWidget(self)
        # [strip, image]: right-to-left puts the strip right of the image (vertical layout),
        # top-to-bottom puts it above (horizontal layout).
        self.single_box = QBoxLayout(QBoxLayout.Direction.RightToLeft, self.single_page)
        self.single_box.setContentsMargins(0, 0, 0, 0)
        self.single_box.addWidget(self.strip)
        self.single_box.addWidget(self.panel, 1)
        self.grid_page = QStackedWidget(self)
        self.grid_page.addWidget(self.grid)
        self.grid_page.addWidget(self.expanded_panel)
        for page in (self.blog, self.single_page, self.grid_page):
            self.addWidget(page)

        for view in (self.blog, self.grid, self.strip):
            view.installEventFilter(self)
            view.viewport().installEventFilter(self)
            view.selectionModel().currentChanged.connect(self._view_moved)
            for bar in (view.verticalScrollBar(), view.horizontalScrollBar()):
                bar.valueChanged.connect(self._scrolled)
        for panel in (self.panel, self.expanded_panel):
            panel.installEventFilter(self)

    # -- what is shown ----------------------------------------------------------------------

    def show_layout(self, name: str) -> None:
        self.layout_name = name
        self.expanded = False
        if name == "blog":
            self.setCurrentWidget(self.blog)
        elif name in SINGLE:
            views.shape_strip(self.strip, across=name == "horizontal")
            self.single_box.setDirection(QBoxLayout.Direction.TopToBottom if name == "horizontal"
                                         else QBoxLayout.Direction.RightToLeft)
            self.setCurrentWidget(self.single_page)
        else:
            self.grid_page.setCurrentWidget(self.grid)
            self.setCurrentWidget(self.grid_page)
        target = self.active_list() or self.active_panel()
        if target is not None:
            target.setFocus()
        self._scroll_to_current()
        self.schedule_refresh()

    def set_current(self, row: int) -> None:
        count = self.model.rowCount()
        if count == 0:
            self.current = 0
            self.panel.set_image(None)
            self.expanded_panel.set_image(None)
            return
        row = max(0, min(row, count - 1))
        changed = row != self.current
        self.current = row
        index = self.model.index(row, 0)
        self._syncing = True
        try:
            for view in (self.blog, self.grid, self.strip):
                selection = view.selectionModel()
                if view.currentIndex().row() != row or not selection.hasSelection():
                    selection.setCurrentIndex(
                        index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        finally:
            self._syncing = False
        if changed:
            image = self.model.image(row)
            self.panel.set_image(image, row, count)
            self.expanded_panel.set_image(image, row, count)
        self._scroll_to_current()
        self.schedule_refresh()

    def expand(self) -> None:
        """Grid only: the current image, large, in place of the thumbnails."""
        if self.layout_name != "grid" or self.model.rowCount() == 0:
            return
        self.expanded = True
        self.grid_page.setCurrentWidget(self.expanded_panel)
        self.expanded_panel.setFocus()
        self.schedule_refresh()

    def collapse(self) -> None:
        if not self.expanded:
            return
        self.expanded = False
        self.grid_page.setCurrentWidget(self.grid)
        self.grid.setFocus()
        self._scroll_to_current()
        self.schedule_refresh()

    def active_list(self) -> QListView | None:
        """The list the layout shows (the strip in vertical and horizontal), if any."""
        if self.layout_name == "blog":
            return self.blog
        if self.layout_name in SINGLE:
            return self.strip
        return None if self.expanded else self.grid

    def active_panel(self) -> ImagePanel | None:
        if self.layout_name in SINGLE:
            return self.panel
        if self.layout_name == "grid" and self.expanded:
            return self.expanded_panel
        return None

    # -- thumbnails -------------------------------------------------------------------------

    def schedule_refresh(self) -> None:
        self.refresh_timer.start()

    def _scrolled(self, value: int) -> None:
        if value != self._scroll_pos:
            self._forward = value > self._scroll_pos
            self._scroll_pos = value
        self.schedule_refresh()

    def _refresh(self) -> None:
        """Ask for what is on screen plus a screen ahead; drop queued loads for the rest."""
        count = self.model.rowCount()
        if count == 0 or not self.isVisible():
            self.wanted_rows = []
            return
        view = self.active_list()
        rows = (views.with_prefetch(views.visible_rows(view), count, forward=self._forward)
                if view is not None else [])
        url_of = large_url if view is self.blog else small_url
        urls = [url_of(self.model.image(r)) for r in rows]
        if self.active_panel() is not None:  # the image shown large, then its neighbours
            for r in (self.current, self.current + 1, self.current - 1):
                if 0 <= r < count:
                    urls.append(large_url(self.model.image(r)))
        self.wanted_rows = rows
        for url in urls:
            self.loader.request(url)
        self.loader.keep_only(set(urls))

    def _thumb_ready(self, url: str) -> None:
        if self.model.has_url(url):
            self.fades.start(url)
            self.model.url_changed(url)

    def _thumb_failed(self, url: str, message: str) -> None:
        if self.model.has_url(url):
            self.model.url_changed(url)
            self.thumbnailFailed.emit(message)

    def _repaint_active(self) -> None:
        view = self.active_list()
        if view is not None:
            view.viewport().update()
        panel = self.active_panel()
        if panel is not None:
            panel.canvas.update()

    # -- moving around ----------------------------------------------------------------------

    def _view_moved(self, index: QModelIndex, _previous: QModelIndex) -> None:
        if not self._syncing and index.isValid():
            self.set_current(index.row())

    def _grid_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.set_current(index.row())
            self.expand()

    def _scroll_to_current(self) -> None:
        view = self.active_list()
        if view is not None and self.model.rowCount():
            view.scrollTo(self.model.index(self.current, 0))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            return self.handle_key(event)
        if event.type() in (QEvent.Type.Resize, QEvent.Type.Show):
            self.schedule_refresh()
        return super().eventFilter(watched, event)

    def handle_key(self, event: QKeyEvent) -> bool:
        """Arrows move, Home/End jump, Enter expands (grid), Esc collapses or closes."""
        key = Qt.Key(event.key())
        if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            return False  # Ctrl+…, Shift+…: not ours
        if key == Qt.Key.Key_Escape:
            if self.expanded:
                self.collapse()
            else:
                self.closeRequested.emit()
            return True
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self.layout_name == "grid" and not self.expanded:
                self.expand()
                return True
            return False
        if key == Qt.Key.Key_Home:
            self.set_current(0)
            return True
        if key == Qt.Key.Key_End:
            self.set_current(self.model.rowCount() - 1)
            return True
        if key in MOVE_KEYS:
            if (self.layout_name == "grid" and not self.expanded
                    and key in (Qt.Key.Key_Up, Qt.Key.Key_Down)):
                return False  # the grid moves a row up or down itself
            self.set_current(self.current + MOVE_KEYS[key])
            return True
        return False
