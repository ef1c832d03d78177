"""The main window: destination bar, then tabs (Upload: drop zone and the upload list;
History; My images; Albums), and a status bar that says what happened, how many credits are
left and when they reset. Tabs other than Upload are built the first time they are shown, so
the window opens as fast as a bare one; the album browser opens in a window of its own."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import QtCore
from PySide6.QtCore import QSettings, QTimer, QUrl
from PySide6.QtGui import QCloseEvent, QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from imgur_desktop.core.links import LinkFormat
from imgur_desktop.core.settings import Settings

from .destination_bar import DestinationBar
from .drop_zone import DropZone
from .first_paint import AfterFirstPaint
from .throttle import Throttle
from .upload_model import LookRole, State, UploadItem, UploadListModel

# What the first paint does not show is built, and its module imported, when first needed:
# the upload engine (the app builds it right after the first paint), the upload list's view
# (at the first row), the clipboard's readers, the dialogs, the other tabs
# (docs/performance.md, row 4).
if TYPE_CHECKING:
    from imgur_desktop.core.api.v2 import V2Client
    from imgur_desktop.core.ledger import Ledger

    from .album_browser import AlbumBrowser
    from .albums_view import AlbumsView
    from .history_view import HistoryView
    from .my_images import MyImagesView
    from .thumbnails import ThumbnailLoader
    from .upload_queue import UploadQueue
    from .upload_view import UploadView

HISTORY_TAB, IMAGES_TAB, ALBUMS_TAB = 1, 2, 3
# Milliseconds after the first paint before the upload list is built (the app looks its
# service up and builds the upload engine in between).
PREBUILD_VIEW_MS = 300
IMAGE_FILTER = ("Images (*.png *.jpg *.jpeg *.gif *.apng *.tif *.tiff *.bmp *.pdf *.xcf);;"
                "All files (*)")
EMPTY_TEXT = "Nothing uploaded yet. Drop images here or press Ctrl+V."
NOTHING_TO_PASTE = "The clipboard holds no image, file or link to upload."
# Seconds between two refreshes of the credits in the status bar: a batch changes them with
# every upload, and each refresh repaints the status bar behind them.
CREDITS_INTERVAL = 0.25


class MainWindow(QMainWindow):
    def __init__(self, queue: UploadQueue | None, *, settings: Settings,
                 save_settings: Callable[[Settings], None], qsettings: QSettings,
                 model: UploadListModel | None = None,
                 make_queue: Callable[[], UploadQueue] | None = None) -> None:
        """``queue`` runs the uploads; or None, with the ``model`` it will run and
        ``make_queue`` to build it the first time it is needed (see the queue property)."""
        super().__init__()
        self._queue: UploadQueue | None = None
        self._make_queue = make_queue
        found = queue.model if queue is not None else model
        assert found is not None, "a queue, or the model of the one make_queue builds"
        self.model: UploadListModel = found
        self.settings = settings
        self._save_settings = save_settings
        self._qsettings = qsettings
        self._credits: object = None  # the newest credits, shown or about to be
        self._credits_news = Throttle(CREDITS_INTERVAL, self._show_credits_now, self)
        self._reset_text: tuple[object, str] = (None, "?")  # reset time -> "HH:MM"
        self.setWindowTitle("imgur-desktop")
        self.resize(960, 640)
        self.setAcceptDrops(True)

        central = QWidget(self)
        column = QVBoxLayout(central)
        top = QHBoxLayout()
        self.destination = DestinationBar(central)
        top.addWidget(self.destination, 1)
        self.open_album_button = QToolButton(central)
        self.open_album_button.setText("Open album…")
        self.open_album_button.setToolTip("Open any album by its link or id")
        self.open_album_button.clicked.connect(self.ask_album)
        self.settings_button = QToolButton(central)
        self.settings_button.setText("Settings")
        self.settings_button.setAccessibleName("Settings")
        self.settings_button.clicked.connect(self.open_settings)
        # The buttons stay at the top when the bar grows (a banner under it): a stretch below
        # them rather than an alignment flag, which would build the Qt enums before the first
        # paint (ui/roles.py).
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_album_button)
        buttons.addWidget(self.settings_button)
        at_top = QVBoxLayout()
        at_top.addLayout(buttons)
        at_top.addStretch(1)
        top.addLayout(at_top)
        column.addLayout(top)

        self.tabs = QTabWidget(central)
        column.addWidget(self.tabs, 1)
        upload_page = QWidget(self.tabs)
        page = QVBoxLayout(upload_page)
        page.setContentsMargins(0, 0, 0, 0)
        self.tabs.addTab(upload_page, "Upload")
        for title in ("History", "My images", "Albums"):
            self.tabs.addTab(QWidget(self.tabs), title)  # built when first shown
        self.tabs.currentChanged.connect(self._tab_shown)
        self.client: V2Client | None = None
        self.account_name: str | None = None
        self.ledger: Ledger | None = None
        self.history: HistoryView | None = None
        self.my_images: MyImagesView | None = None
        self.albums: AlbumsView | None = None
        self.browser: AlbumBrowser | None = None
        self._loader: ThumbnailLoader | None = None
        self._browser_loader: ThumbnailLoader | None = None

        self.drop_zone = DropZone(upload_page)
        page.addWidget(self.drop_zone)

        header = QHBoxLayout()
        self.heading = QLabel(central)
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        header.addWidget(self.heading)
        header.addStretch(1)
        self.copy_all = QPushButton("Copy all links", central)
        self.copy_all.clicked.connect(self.copy_all_links)
        header.addWidget(self.copy_all)
        self.clear_done = QPushButton("Clear finished", central)
        self.clear_done.clicked.connect(self.clear_finished)
        header.addWidget(self.clear_done)
        page.addLayout(header)

        self.stack = QStackedWidget(central)
        self.empty = QLabel(EMPTY_TEXT, central)
        self.empty.setStyleSheet("qproperty-alignment: AlignCenter;")  # no Qt enums yet
        self._view: UploadView | None = None  # see the view property
        self.stack.addWidget(self.empty)
        page.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.status_text = QLabel(self)
        self.credits_text = QLabel(self)
        self.counts_text = QLabel(self)
        self.statusBar().addWidget(self.status_text, 1)
        self.statusBar().addPermanentWidget(self.credits_text)
        self.statusBar().addPermanentWidget(self.counts_text)

        self._wire()
        self._apply_settings(settings)
        if queue is not None:
            self._wire_queue(queue)
        self._update_counts()
        geometry = qsettings.value("main/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        # The upload list is built once the window is on screen and has settled, before a drop
        # needs it: its module and first layout cost tens of milliseconds, which the first drop
        # would otherwise spend with the window frozen.
        self._prebuild = AfterFirstPaint(
            self, lambda: QTimer.singleShot(PREBUILD_VIEW_MS, self, self._prebuild_view))

    def _prebuild_view(self) -> None:
        self.view  # noqa: B018 (the property builds it)

    @property
    def view(self) -> UploadView:
        """The upload list, built the first time it is needed (usually for the first row):
        until then the page shows the empty list's words."""
        view = self._view
        if view is None:
            from .upload_view import UploadView

            view = self._view = UploadView(self.stack)
            view.setModel(self.model)
            view.delegate.actionTriggered.connect(self.row_action)
            view.delegate.thumbnailWanted.connect(self.queue.request_thumbnail)
            self.stack.addWidget(view)
        return view

    @property
    def queue(self) -> UploadQueue:
        """The upload engine; built by ``make_queue`` the first time it is needed."""
        queue = self._queue
        if queue is None:
            assert self._make_queue is not None, "no queue, and nothing to build one"
            queue = self._make_queue()
            self._wire_queue(queue)
        return queue

    # -- wiring ------------------------------------------------------------------------------

    def _wire_queue(self, queue: UploadQueue) -> None:
        self._queue = queue
        queue.album_target = self.destination.target()
        queue.linksCopied.connect(self._links_copied)
        queue.message.connect(self.show_status)
        queue.creditsChanged.connect(self.show_credits)
        queue.countdown.connect(self._countdown)
        queue.offline.connect(self._offline)
        self._settings_to_queue(queue)

    def _wire(self) -> None:
        self.drop_zone.dropped.connect(self.submit)
        self.drop_zone.browseRequested.connect(self.browse)
        self.destination.targetChanged.connect(self._target_changed)
        for signal in (self.model.rowsInserted, self.model.rowsRemoved, self.model.dataChanged,
                       self.model.modelReset):
            signal.connect(self._update_counts)
        shortcuts: list[tuple[QKeySequence | QKeySequence.StandardKey, Callable[[], None]]] = [
            (QKeySequence.StandardKey.Paste, self.paste),
            (QKeySequence.StandardKey.Open, self.browse),
            (QKeySequence.StandardKey.Copy, self.copy_selected),
            (QKeySequence("Del"), self.remove_selected),
            (QKeySequence("Esc"), self.cancel_selected),
        ]
        self.shortcuts = []
        for keys, slot in shortcuts:
            shortcut = QShortcut(keys, self)  # in the whole window: the default context
            shortcut.activated.connect(slot)
            self.shortcuts.append(shortcut)

    def _apply_settings(self, settings: Settings) -> None:
        self.settings = settings
        if self._queue is not None:  # else applied when it is built
            self._settings_to_queue(self._queue)
        if self.my_images is not None:
            self.my_images.set_link_format(LinkFormat(settings.link_format))

    def _settings_to_queue(self, queue: UploadQueue) -> None:
        settings = self.settings
        queue.link_format = LinkFormat(settings.link_format)
        queue.auto_copy = settings.auto_copy
        queue.set_concurrency(settings.concurrency)
        if queue.client is not None:
            queue.client.max_upload_bytes = settings.max_upload_bytes

    # -- the other tabs ---------------------------------------------------------------------

    def attach_ledger(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(300)  # a burst of writes is one refresh
        self._refresh_timer.timeout.connect(self._refresh_history)
        self.queue.ledgerChanged.connect(self._refresh_timer.start)
        if self.tabs.currentIndex() == HISTORY_TAB:
            self._tab_shown(HISTORY_TAB)

    def _refresh_history(self) -> None:
        if self.history is not None and self.history.isVisible():
            self.history.refresh()

    def set_client(self, client: V2Client | None, account: str | None = None) -> None:
        """The client every tab talks through (signed in or not); views built later get it
        when they are built."""
        self.client = client
        self.account_name = account if client is not None and client.signed_in else None
        for view in (self.history, self.my_images, self.albums):
            if view is not None:
                view.set_client(client)
        if self.browser is not None:
            self.browser.set_client(client, account=self.account_name)

    def thumbnail_loader(self) -> ThumbnailLoader:
        """The tabs' loader. The album browser has one of its own: each loader drops the
        loads its view scrolled past, which must not cancel another view's."""
        if self._loader is None:
            self._loader = _new_loader(self)
        return self._loader

    def _swap_tab(self, index: int, widget: QWidget, title: str) -> None:
        old = self.tabs.widget(index)
        self.tabs.blockSignals(True)  # removing and inserting would announce other tabs
        self.tabs.removeTab(index)
        self.tabs.insertTab(index, widget, title)
        self.tabs.setCurrentIndex(index)
        self.tabs.blockSignals(False)
        if old is not None:
            old.deleteLater()

    def _tab_shown(self, index: int) -> None:
        if index == HISTORY_TAB and self.history is None and self.ledger is not None:
            from .history_view import HistoryView

            self.history = HistoryView(self.ledger, parent=self.tabs)
            self.history.set_client(self.client)
            self._swap_tab(index, self.history, "History")
        elif index == HISTORY_TAB and self.history is not None:
            self.history.refresh()
        elif index == IMAGES_TAB and self.my_images is None:
            from .my_images import MyImagesView

            self.my_images = MyImagesView(self.thumbnail_loader(), parent=self.tabs)
            self.my_images.set_link_format(LinkFormat(self.settings.link_format))
            self.my_images.set_client(self.client)
            self._swap_tab(index, self.my_images, "My images")
        elif index == ALBUMS_TAB and self.albums is None:
            from .albums_view import AlbumsView

            self.albums = AlbumsView(self.thumbnail_loader(), parent=self.tabs)
            self.albums.set_client(self.client)
            self.albums.openRequested.connect(self.open_album)
            self._swap_tab(index, self.albums, "Albums")

    def show_tab(self, index: int) -> QWidget:
        """Show a tab (built if need be) and return its widget."""
        self.tabs.setCurrentIndex(index)
        self._tab_shown(index)
        widget = self.tabs.widget(index)
        assert widget is not None
        return widget

    def album_browser(self) -> AlbumBrowser:
        if self.browser is None:
            from .album_browser import AlbumBrowser

            self._browser_loader = _new_loader(self)
            self.browser = AlbumBrowser(self._browser_loader, parent=self)
            self.browser.setWindowFlag(QtCore.Qt.WindowType.Window)
            self.browser.set_client(self.client, account=self.account_name)
            self.browser.layoutSaved.connect(self._layout_saved)
        return self.browser

    def _layout_saved(self, _album_id: str, _layout: str) -> None:
        if self.albums is not None:
            self.albums.refresh()  # the album list shows each album's layout

    def open_album(self, album: object) -> AlbumBrowser:
        """Open an album (a loaded Album, or an id or link) in the album browser."""
        from imgur_desktop.core.models import Album

        browser = self.album_browser()
        if isinstance(album, Album) and album.images:
            browser.show_album(album, owned=self.account_name is not None)
        else:  # an id or link, or a listed album (the account's list has no images): load it
            browser.open_album(album.id if isinstance(album, Album) else str(album))
        browser.show()
        browser.raise_()
        browser.activateWindow()
        return browser

    def ask_album(self) -> None:
        from PySide6.QtWidgets import QInputDialog

        text, ok = QInputDialog.getText(self, "Open album", "Album link or id:")
        if ok and text.strip():
            self.open_album(text.strip())

    def set_destination(self, service: str, account: str | None) -> None:
        self.destination.set_destination(service, account)
        self.show_status(f"Ready: uploads go to {service}")

    # -- ways in -----------------------------------------------------------------------------

    def submit(self, payload: object) -> bool:
        """Queue what was dropped or pasted; False when there was nothing usable."""
        from . import clipboard

        if not isinstance(payload, clipboard.Payload) or payload.empty:
            self.show_status(NOTHING_TO_PASTE)
            return False
        if self.settings.confirm_upload:
            from PySide6.QtWidgets import QMessageBox

            answer = QMessageBox.question(
                self, "Upload?", f"Upload {payload.count} item(s) to "
                f"{self.destination.where.text().removeprefix('Uploading to: ')}?")
            if answer != QMessageBox.StandardButton.Yes:
                return False
        stamp = dt.datetime.now().strftime("%Y-%m-%d %H.%M.%S")
        if payload.image_bytes is not None:
            ext = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif"}.get(
                payload.image_mime or "", "png")
            self.queue.add_bytes(payload.image_bytes, f"Pasted image {stamp}.{ext}")
        elif payload.image is not None:
            self.queue.add_qimage(payload.image, f"Pasted image {stamp}.png")
        elif payload.paths:
            self.queue.add_paths(payload.paths)
        else:
            self.queue.add_urls(payload.urls)
        return True

    def paste(self) -> None:
        mime = QApplication.clipboard().mimeData()
        if mime is None:
            self.show_status(NOTHING_TO_PASTE)
            return
        from . import clipboard

        self.submit(clipboard.read(mime))

    def browse(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        names, _ = QFileDialog.getOpenFileNames(self, "Choose images to upload", "",
                                                IMAGE_FILTER)
        if names:
            from . import clipboard

            self.submit(clipboard.Payload(paths=[Path(n) for n in names]))

    # -- row actions ---------------------------------------------------------------------------

    def row_action(self, item: object, action: str) -> None:
        assert isinstance(item, UploadItem)
        if action == "copy" and item.image is not None:
            self._copy(self.queue.links_of([item]))
        elif action == "open" and item.image is not None:
            QDesktopServices.openUrl(QUrl(item.image.links.imgur_page))
        elif action == "retry":
            self.queue.retry(item)
        elif action == "cancel":
            self.queue.cancel(item)
        elif action == "remove":
            self.queue.remove(item)
        elif action == "details":
            from .dialogs import error_box

            error_box(self, item.error or "The upload failed.", item.details).open()

    def copy_selected(self) -> None:
        self._copy(self.queue.links_of(self.view.selected_items()))

    def copy_all_links(self) -> None:
        self._copy(self.queue.links_of(self.model.items))

    def remove_selected(self) -> None:
        for item in self.view.selected_items():
            self.queue.remove(item)

    def cancel_selected(self) -> None:
        for item in self.view.selected_items():
            self.queue.cancel(item)

    def clear_finished(self) -> None:
        self.model.remove_where(lambda item: item.state in (State.DONE, State.CANCELLED))

    def _copy(self, text: str) -> None:
        if text:
            QApplication.clipboard().setText(text)
            lines = text.count("\n") + 1
            self.show_status("Link copied" if lines == 1 else f"{lines} links copied")

    # -- status ------------------------------------------------------------------------------

    def show_status(self, text: str) -> None:
        self.status_text.setText(text)

    def _links_copied(self, text: str) -> None:
        lines = text.count("\n") + 1
        self.show_status("Link copied" if lines == 1 else f"{lines} links copied")

    def show_credits(self, credits: object) -> None:
        """At once, then at most every CREDITS_INTERVAL with the newest credits."""
        self._credits = credits
        self._credits_news.news("credits")

    def _show_credits_now(self, _key: object = None) -> None:
        from imgur_desktop.core.models import Credits

        credits = self._credits
        assert isinstance(credits, Credits)
        if self._reset_text[0] != credits.reset_at:  # the same for a whole window of credits
            reset = credits.reset_at.astimezone().strftime("%H:%M") if credits.reset_at else "?"
            self._reset_text = (credits.reset_at, reset)
        self.credits_text.setText(f"{credits.remaining} of {credits.limit} credits, "
                                  f"resets {self._reset_text[1]}")

    def _countdown(self, seconds: int) -> None:
        if seconds > 0:
            self.show_status(f"Upload limit reached: uploads resume in "
                             f"{seconds // 60}:{seconds % 60:02d}")
        else:
            self.show_status("Uploads resumed")

    def _offline(self, seconds: int) -> None:
        if seconds > 0:
            self.show_status(f"The image host cannot be reached; trying again in {seconds} s. "
                             "Waiting uploads go on by themselves when it answers.")

    def _update_counts(self, *args: object) -> None:
        if len(args) == 3 and args[2] == [LookRole]:
            return  # a row's progress or thumbnail: no count changed
        rows = self.model.rowCount()
        self.heading.setText(f"Images ({rows})")
        self.stack.setCurrentWidget(self.view if rows else self.empty)
        uploading, queued = self.model.count(State.UPLOADING), self.model.count(State.QUEUED)
        self.counts_text.setText(f"{uploading} uploading, {queued} queued")

    def _target_changed(self, target: object) -> None:
        from .upload_queue import AlbumTarget

        assert isinstance(target, AlbumTarget)
        self.queue.album_target = target

    # -- settings and closing ----------------------------------------------------------------

    def open_settings(self) -> None:
        from .dialogs import SettingsDialog, error_box

        dialog = SettingsDialog(self.settings, self)
        if dialog.exec() == SettingsDialog.DialogCode.Accepted:
            new = dialog.result_settings()
            try:
                self._save_settings(new)
            except OSError as exc:
                error_box(self, "The settings could not be saved.", str(exc)).open()
                return
            if new.api_url != self.settings.api_url or new.key != self.settings.key:
                self.show_status("The new service is used from the next start.")
            self._apply_settings(new)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._qsettings.setValue("main/geometry", self.saveGeometry())
        for view in (self.my_images, self.albums):
            if view is not None:
                view.shutdown()
        if self.browser is not None:
            self.browser.close()
        for loader in (self._loader, self._browser_loader):
            if loader is not None:
                loader.shutdown()
        for item in self.model.items:
            if item.state is State.UPLOADING and item.cancel is not None:
                item.cancel.cancel()
        super().closeEvent(event)


def _new_loader(parent: QWidget) -> ThumbnailLoader:
    from imgur_desktop.core.paths import cache_dir
    from imgur_desktop.core.thumb_cache import ThumbCache

    from .thumbnails import ThumbnailLoader

    return ThumbnailLoader(ThumbCache(cache_dir() / "thumbnails"), parent=parent)
