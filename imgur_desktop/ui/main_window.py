"""The main window: destination bar, drop zone, the upload list, and a status bar that says
what happened, how many credits are left and when they reset."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QUrl
from PySide6.QtGui import QCloseEvent, QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from imgur_desktop.core.links import LinkFormat
from imgur_desktop.core.models import Credits
from imgur_desktop.core.settings import Settings

from . import clipboard
from .destination_bar import DestinationBar
from .dialogs import SettingsDialog, error_box
from .drop_zone import DropZone
from .upload_model import LookRole, State, UploadItem, UploadListModel
from .upload_queue import UploadQueue
from .upload_view import UploadView

IMAGE_FILTER = ("Images (*.png *.jpg *.jpeg *.gif *.apng *.tif *.tiff *.bmp *.pdf *.xcf);;"
                "All files (*)")
EMPTY_TEXT = "Nothing uploaded yet. Drop images here or press Ctrl+V."
NOTHING_TO_PASTE = "The clipboard holds no image, file or link to upload."


class MainWindow(QMainWindow):
    def __init__(self, queue: UploadQueue, *, settings: Settings,
                 save_settings: Callable[[Settings], None], qsettings: QSettings) -> None:
        super().__init__()
        self.queue = queue
        self.model: UploadListModel = queue.model
        self.settings = settings
        self._save_settings = save_settings
        self._qsettings = qsettings
        self.setWindowTitle("imgur-desktop")
        self.resize(960, 640)
        self.setAcceptDrops(True)

        central = QWidget(self)
        column = QVBoxLayout(central)
        top = QHBoxLayout()
        self.destination = DestinationBar(central)
        top.addWidget(self.destination, 1)
        self.settings_button = QToolButton(central)
        self.settings_button.setText("Settings")
        self.settings_button.setAccessibleName("Settings")
        self.settings_button.clicked.connect(self.open_settings)
        top.addWidget(self.settings_button, 0, Qt.AlignmentFlag.AlignTop)
        column.addLayout(top)

        self.drop_zone = DropZone(central)
        column.addWidget(self.drop_zone)

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
        column.addLayout(header)

        self.stack = QStackedWidget(central)
        self.empty = QLabel(EMPTY_TEXT, central)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.view = UploadView(central)
        self.view.setModel(self.model)
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.view)
        column.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.status_text = QLabel(self)
        self.credits_text = QLabel(self)
        self.counts_text = QLabel(self)
        self.statusBar().addWidget(self.status_text, 1)
        self.statusBar().addPermanentWidget(self.credits_text)
        self.statusBar().addPermanentWidget(self.counts_text)

        self._wire()
        self._apply_settings(settings)
        self._update_counts()
        geometry = qsettings.value("main/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)

    # -- wiring ------------------------------------------------------------------------------

    def _wire(self) -> None:
        self.drop_zone.dropped.connect(self.submit)
        self.drop_zone.browseRequested.connect(self.browse)
        self.destination.targetChanged.connect(self._target_changed)
        self.queue.album_target = self.destination.target()
        self.view.delegate.actionTriggered.connect(self.row_action)
        self.view.delegate.thumbnailWanted.connect(self.queue.request_thumbnail)
        self.queue.linksCopied.connect(self._links_copied)
        self.queue.message.connect(self.show_status)
        self.queue.creditsChanged.connect(self.show_credits)
        self.queue.countdown.connect(self._countdown)
        for signal in (self.model.rowsInserted, self.model.rowsRemoved, self.model.dataChanged,
                       self.model.modelReset):
            signal.connect(self._update_counts)
        shortcuts: list[tuple[QKeySequence | QKeySequence.StandardKey, Callable[[], None]]] = [
            (QKeySequence.StandardKey.Paste, self.paste),
            (QKeySequence.StandardKey.Open, self.browse),
            (QKeySequence.StandardKey.Copy, self.copy_selected),
            (QKeySequence(Qt.Key.Key_Delete), self.remove_selected),
            (QKeySequence(Qt.Key.Key_Escape), self.cancel_selected),
        ]
        self.shortcuts = []
        for keys, slot in shortcuts:
            shortcut = QShortcut(keys, self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(slot)
            self.shortcuts.append(shortcut)

    def _apply_settings(self, settings: Settings) -> None:
        self.settings = settings
        self.queue.link_format = LinkFormat(settings.link_format)
        self.queue.auto_copy = settings.auto_copy
        self.queue.set_concurrency(settings.concurrency)
        if self.queue.client is not None:
            self.queue.client.max_upload_bytes = settings.max_upload_bytes

    def set_destination(self, service: str, account: str | None) -> None:
        self.destination.set_destination(service, account)
        self.show_status(f"Ready: uploads go to {service}")

    # -- ways in -----------------------------------------------------------------------------

    def submit(self, payload: object) -> bool:
        """Queue what was dropped or pasted; False when there was nothing usable."""
        if not isinstance(payload, clipboard.Payload) or payload.empty:
            self.show_status(NOTHING_TO_PASTE)
            return False
        if self.settings.confirm_upload:
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
        self.submit(clipboard.read(mime))

    def browse(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(self, "Choose images to upload", "",
                                                IMAGE_FILTER)
        if names:
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
        for item in self.model.items:
            if item.state in (State.DONE, State.CANCELLED):
                self.model.remove(item)

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
        assert isinstance(credits, Credits)
        reset = credits.reset_at.astimezone().strftime("%H:%M") if credits.reset_at else "?"
        self.credits_text.setText(f"{credits.remaining} of {credits.limit} credits, "
                                  f"resets {reset}")

    def _countdown(self, seconds: int) -> None:
        if seconds > 0:
            self.show_status(f"Upload limit reached: uploads resume in "
                             f"{seconds // 60}:{seconds % 60:02d}")
        else:
            self.show_status("Uploads resumed")

    def _update_counts(self, *args: object) -> None:
        if len(args) == 3 and args[2] == [LookRole]:
            return  # a row's progress or thumbnail: no count changed
        items = self.model.items
        self.heading.setText(f"Images ({len(items)})")
        self.stack.setCurrentWidget(self.view if items else self.empty)
        uploading = sum(i.state is State.UPLOADING for i in items)
        queued = sum(i.state is State.QUEUED for i in items)
        self.counts_text.setText(f"{uploading} uploading, {queued} queued")

    def _target_changed(self, target: object) -> None:
        from .upload_queue import AlbumTarget

        assert isinstance(target, AlbumTarget)
        self.queue.album_target = target

    # -- settings and closing ----------------------------------------------------------------

    def open_settings(self) -> None:
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
        for item in self.model.items:
            if item.state is State.UPLOADING and item.cancel is not None:
                item.cancel.cancel()
        super().closeEvent(event)
