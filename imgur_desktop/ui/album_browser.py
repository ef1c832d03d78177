"""The album browser: an album drawn in one of the seed's four layouts.

* blog: every image on one page, one under another at the view's full width, with its title
  above and caption below;
* vertical: one image at a time, a column of thumbnails to its right;
* horizontal: one image at a time, a row of thumbnails above it;
* grid: thumbnails in rows; clicking one (or Enter) expands it, Esc closes it again.

All layouts share one model; each is a QListView with a painting delegate, so a 1,000-image
album costs 1,000 rows of data, not 1,000 widgets. Thumbnails are requested only for rows on
screen and one screen ahead (``album_views.visible_rows``), and loads queued for rows that
scrolled away are dropped (``ThumbnailLoader.keep_only``).
"""

from __future__ import annotations

import logging
from dataclasses import replace

from PySide6.QtCore import QPoint, QRect, Qt, QThreadPool, Signal
from PySide6.QtGui import QCloseEvent, QFont, QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListView, QPushButton, QVBoxLayout, QWidget

from imgur_desktop.core.api.v2 import V2Client
from imgur_desktop.core.errors import ApiError
from imgur_desktop.core.layouts import LAYOUTS
from imgur_desktop.core.messages import describe
from imgur_desktop.core.models import Album

from .album_browser_model import parse_album_ref
from .album_stage import AlbumStage
from .layout_picker import LayoutPicker
from .thumbnails import ThumbnailLoader
from .workers import Worker

logger = logging.getLogger(__name__)


class AlbumBrowser(QWidget):
    layoutSaved = Signal(str, str)  # album id, layout

    def __init__(self, loader: ThumbnailLoader, *, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Album")
        self.resize(960, 680)
        self.loader = loader
        self._client: V2Client | None = None
        self._account: str | None = None
        self._album: Album | None = None
        self._owned = False
        self._saved_layout = "blog"
        self._saving = False
        self._generation = 0  # answers to an older open_album are ignored
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(2)
        self.stage = AlbumStage(loader, self)
        self.stage.closeRequested.connect(self.close)
        self.stage.thumbnailFailed.connect(
            lambda message: self._say(f"Some images could not be loaded: {message}",
                                      error=True))
        # The stage's parts, named here for callers and tests.
        self.model = self.stage.model
        self.fades = self.stage.fades
        self.blog, self.grid, self.strip = self.stage.blog, self.stage.grid, self.stage.strip
        self.panel, self.expanded_panel = self.stage.panel, self.stage.expanded_panel
        self._build_header()
        self.set_layout("blog")

    def _build_header(self) -> None:
        self.title_label = QLabel(self)
        self.title_label.setObjectName("album-title")
        font = QFont(self.title_label.font())
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.title_label.setFont(font)
        self.description_label = QLabel(self)
        self.description_label.setObjectName("album-description")
        self.description_label.setWordWrap(True)
        for label in (self.title_label, self.description_label):
            label.setTextFormat(Qt.TextFormat.PlainText)  # the album owner's text, not markup
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.picker = LayoutPicker(self, current="blog")
        self.picker.layoutChanged.connect(self.set_layout)
        self.save_button = QPushButton("Save as album layout", self)
        self.save_button.setObjectName("album-save-layout")
        self.save_button.clicked.connect(self.save_layout)
        self.message = QLabel(self)
        self.message.setObjectName("album-message")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.hide()
        bar = QHBoxLayout()
        bar.addWidget(self.picker, 1)
        bar.addWidget(self.save_button, 0, Qt.AlignmentFlag.AlignBottom)
        column = QVBoxLayout(self)
        column.addWidget(self.title_label)
        column.addWidget(self.description_label)
        column.addLayout(bar)
        column.addWidget(self.message)
        column.addWidget(self.stage, 1)

    # -- public -----------------------------------------------------------------------------

    def set_client(self, client: V2Client | None, *, account: str | None = None) -> None:
        self._client = client
        self._account = account
        self._generation += 1  # whatever the old client was loading no longer matters
        self._update_save_button()

    def open_album(self, ref: str) -> None:
        try:
            parsed = parse_album_ref(ref)
        except ValueError as exc:
            self._say(str(exc), error=True)
            return
        client = self._client
        if client is None:
            self._say("No image service is set up: choose one in Settings, then open the "
                      "album again.", error=True)
            return
        self._generation += 1
        generation = self._generation
        self._say("Loading the album…")

        def job(_progress: object, _cancel: object) -> tuple[Album, bool]:
            album = client.album(parsed.album_id)
            owned = False
            if client.signed_in:  # the account's own album route answers only its owner
                try:
                    client.album_images(parsed.album_id, count=1)
                    owned = True
                except ApiError as exc:
                    if exc.status not in (403, 404):
                        raise
            return album, owned

        worker = Worker(job, parent=self)
        worker.signals.finished.connect(
            lambda result, g=generation: self._opened(g, result, parsed.start))
        worker.signals.failed.connect(lambda exc, g=generation: self._open_failed(g, exc))
        self._pool.start(worker)

    def show_album(self, album: Album, *, owned: bool = False, start: int = 0) -> None:
        self._album = album
        self._owned = owned
        self._saved_layout = album.layout if album.layout in LAYOUTS else "blog"
        self.title_label.setText(album.title or "Untitled album")
        self.description_label.setText(album.description or "")
        self.description_label.setVisible(bool(album.description))
        self.setWindowTitle(f"{album.title or 'Untitled album'} — Album")
        self.model.set_images(album.images)
        self.stage.current = -1
        self.set_layout(self._saved_layout)
        self.stage.set_current(start)
        self._say("" if album.images else "This album has no images yet.")
        self._update_save_button()

    def set_layout(self, name: str) -> None:
        if name not in LAYOUTS:
            raise ValueError(f"unknown layout {name!r}")
        if self.picker.current() != name:
            self.picker.set_current(name)  # emits layoutChanged, which lands here again
        self.stage.show_layout(name)
        self._update_save_button()

    def set_current(self, row: int) -> None:
        self.stage.set_current(row)

    def expand(self) -> None:
        self.stage.expand()

    def collapse(self) -> None:
        self.stage.collapse()

    def save_layout(self) -> None:
        client, album = self._client, self._album
        if client is None or album is None or not self._owned or self._saving:
            return
        layout = self.stage.layout_name
        self._saving = True
        self._update_save_button()
        self._say(f"Saving the {LAYOUTS[layout][0]} layout…")
        worker = Worker(lambda _p, _c: client.edit_album(album.id, layout=layout), parent=self)
        worker.signals.finished.connect(lambda _album: self._saved(album.id, layout))
        worker.signals.failed.connect(self._save_failed)
        self._pool.start(worker)

    # -- for tests and benchmarks -----------------------------------------------------------

    def album(self) -> Album | None:
        return self._album

    def current_layout(self) -> str:
        return self.stage.layout_name

    def current_index(self) -> int:
        return self.stage.current

    def is_expanded(self) -> bool:
        return self.stage.expanded

    def is_owned(self) -> bool:
        return self._owned

    def message_text(self) -> str:
        return self.message.text() if self.message.isVisible() else ""

    def view_for_tests(self) -> QListView | None:
        """The list the current layout shows (the strip in vertical and horizontal)."""
        return self.stage.active_list()

    def item_rect(self, row: int) -> QRect:
        """Row ``row`` of the shown list, in this widget's coordinates."""
        view = self.stage.active_list()
        if view is None:
            return QRect()
        rect = view.visualRect(self.model.index(row, 0))
        return QRect(view.viewport().mapTo(self, rect.topLeft()), rect.size())

    def widget_rect(self, widget: QWidget) -> QRect:
        return QRect(widget.mapTo(self, QPoint(0, 0)), widget.size())

    def main_image_rect(self) -> QRect:
        """Where the single (or expanded) image is drawn, in this widget's coordinates."""
        panel = self.stage.active_panel()
        if panel is None:
            return QRect()
        return panel.picture_rect().translated(panel.mapTo(self, QPoint(0, 0)))

    def refresh_pending(self) -> bool:
        """True until the thumbnails for the latest scroll, resize or move are asked for."""
        return self.stage.refresh_timer.isActive()

    def requested_rows(self) -> list[int]:
        """The rows whose thumbnails the last refresh asked for (visible, then prefetch)."""
        return list(self.stage.wanted_rows)

    # -- loading and saving -----------------------------------------------------------------

    def _opened(self, generation: int, result: tuple[Album, bool], start: int) -> None:
        if generation == self._generation:
            album, owned = result
            self.show_album(album, owned=owned, start=start)

    def _open_failed(self, generation: int, exc: BaseException) -> None:
        if generation == self._generation:
            self._say(f"The album could not be opened: {describe(exc)}", error=True)

    def _saved(self, album_id: str, layout: str) -> None:
        self._saving = False
        self._saved_layout = layout
        if self._album is not None and self._album.id == album_id:
            self._album = replace(self._album, layout=layout)
        self._say(f"Saved: the album now opens in the {LAYOUTS[layout][0]} layout.")
        self._update_save_button()
        self.layoutSaved.emit(album_id, layout)

    def _save_failed(self, exc: BaseException) -> None:
        self._saving = False
        self._say(f"The layout was not saved: {describe(exc)}", error=True)
        self._update_save_button()

    def _update_save_button(self) -> None:
        shown = self.stage.layout_name
        can = (self._owned and self._client is not None and self._album is not None
               and not self._saving and shown != self._saved_layout)
        self.save_button.setEnabled(can)
        self.save_button.setText("Saving…" if self._saving else "Save as album layout")
        if not self._owned:
            who = f" ({self._account} is signed in)" if self._account else ""
            self.save_button.setToolTip(f"Only the album's owner can change its layout{who}.")
        elif shown == self._saved_layout:
            self.save_button.setToolTip("This is already the album's layout.")
        else:
            self.save_button.setToolTip(
                f"Make {LAYOUTS[shown][0]} the layout this album opens in, for everyone.")

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))
        font = self.message.font()
        font.setBold(error)  # errors stand out without a colour that dark mode would fight
        self.message.setFont(font)
        if error:
            logger.info("album browser: %s", text)

    # -- window -----------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Keys the stage's lists and images did not take (focus on the header, say).
        if not self.stage.handle_key(event):
            super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.loader.keep_only(set())  # nothing of this album is worth loading any more
        super().closeEvent(event)
