"""My images: the signed-in account's images, a page at a time as the list scrolls, with lazy
thumbnails; edit a title and caption, delete one or many, copy or open links, and drag images
onto an album."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    Qt,
    QUrl,
)
from PySide6.QtGui import (
    QDesktopServices,
    QKeySequence,
    QPainter,
    QShortcut,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from imgur_desktop.core.links import LinkFormat, format_link
from imgur_desktop.core.messages import describe
from imgur_desktop.core.models import Image

from .account_images_model import AccountImagesModel, ImageRole, PendingRole, image_label
from .account_lists import AccountListView, ThumbnailRowDelegate, ask, select_hashes_in
from .dialogs import save_cancel

if TYPE_CHECKING:  # not at run time: requests loads only once the app needs it
    from imgur_desktop.core.api.v2 import V2Client

    from .thumbnails import ThumbnailLoader

logger = logging.getLogger(__name__)

SIGN_IN_TEXT = "Sign in to see your images"
EMPTY_TEXT = "No images in this account yet."
EMPTY_NOALBUM_TEXT = "Every image of this account is in an album."
COPY_FORMATS = (LinkFormat.DIRECT, LinkFormat.PAGE, LinkFormat.MARKDOWN,
                LinkFormat.BBCODE, LinkFormat.HTML, LinkFormat.DELETE)

_Index = QModelIndex | QPersistentModelIndex


def image_details(image: Image) -> str:
    parts = []
    if image.caption:
        parts.append(image.caption.splitlines()[0])
    if image.width and image.height:
        parts.append(f"{image.width}×{image.height}")
    if image.mime:
        parts.append(image.mime.split("/")[-1].upper())
    if image.datetime is not None:
        parts.append(f"{image.datetime.astimezone():%Y-%m-%d %H:%M}")
    return " · ".join(parts)


class AccountImageDelegate(ThumbnailRowDelegate):
    """A 48 px thumbnail, the title (or file name) in bold, a line of details under it."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        image = index.data(ImageRole)
        if not isinstance(image, Image):
            return
        pending = bool(index.data(PendingRole))
        self.paint_row(painter, option, image.links.small_square, image_label(image),
                       "Deleting…" if pending else image_details(image),
                       title_elide=Qt.TextElideMode.ElideMiddle, dimmed=pending)


class ImageEditDialog(QDialog):
    def __init__(self, image: Image, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Edit image")
        form = QFormLayout(self)
        form.addRow(QLabel(image.name or image.hash, self))
        self.title = QLineEdit(image.title or "", self)
        self.title.setAccessibleName("Title")
        form.addRow("&Title", self.title)
        self.caption = QPlainTextEdit(image.caption or "", self)
        self.caption.setAccessibleName("Caption")
        self.caption.setTabChangesFocus(True)
        self.caption.setFixedHeight(90)
        form.addRow("&Caption", self.caption)
        self.buttons = save_cancel(self, form)

    def values(self) -> tuple[str, str]:
        return self.title.text().strip(), self.caption.toPlainText().strip()


@dataclass
class _DeleteBatch:
    total: int
    done: int = 0
    errors: list[BaseException] = field(default_factory=list)


class MyImagesView(AccountListView):
    def __init__(self, loader: ThumbnailLoader, *, parent: QWidget | None = None) -> None:
        super().__init__(loader, threads=3, parent=parent)
        self.setAccessibleName("My images")
        self.link_format = LinkFormat.DIRECT
        # How a link is opened: the system browser (swappable, so a test opens none).
        self.open_url: Callable[[QUrl], object] = QDesktopServices.openUrl
        self.model = AccountImagesModel(self.jobs, self)

        content = self._pages(SIGN_IN_TEXT)
        column = QVBoxLayout(content)
        bar = QHBoxLayout()
        self.noalbum = QCheckBox("Not in an album", content)
        self.noalbum.setToolTip("Show only the images that are in no album")
        self.noalbum.toggled.connect(self.model.set_noalbum)
        bar.addWidget(self.noalbum)
        bar.addStretch(1)
        self.edit_button = self._button(content, bar, "Edit…", self.edit_selected)
        self.copy_button = self._button(content, bar, "Copy link", self.copy_selected)
        self.open_button = self._button(content, bar, "Open", self.open_selected)
        self.delete_button = self._button(content, bar, "Delete…", self.delete_selected)
        self.refresh_button = self._button(content, bar, "Refresh", self.model.reload)
        column.addLayout(bar)

        banner = QHBoxLayout()
        banner.addWidget(self._status_label(content), 1)
        self.retry_button = QPushButton("Try again", content)
        self.retry_button.clicked.connect(self._retry)
        self.retry_button.hide()
        banner.addWidget(self.retry_button)
        column.addLayout(banner)

        self.list = QListView(content)
        self.list.setAccessibleName("Images in your account")
        self.list.setModel(self.model)
        self.list.setItemDelegate(AccountImageDelegate(loader, self.list))
        self.list.setUniformItemSizes(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.setDragEnabled(True)
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.list.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._context_menu)
        self.list.doubleClicked.connect(lambda _index: self.edit_selected())
        self.list.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())
        self.list.verticalScrollBar().valueChanged.connect(lambda _v: self._prune_thumbnails())
        column.addWidget(self.list, 1)
        self.summary = QLabel(content)
        column.addWidget(self.summary)

        for keys, slot in ((QKeySequence.StandardKey.Delete, self.delete_selected),
                           (QKeySequence.StandardKey.Copy, self.copy_selected),
                           (QKeySequence(Qt.Key.Key_F2), self.edit_selected)):
            shortcut = QShortcut(keys, self.list)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(slot)

        self.model.loadingChanged.connect(lambda _l: self._update_summary())
        self.model.loadFailed.connect(self._load_failed)
        self.model.pageLoaded.connect(lambda _p, _n: self._page_loaded())
        self.model.rowsInserted.connect(lambda *_: self._update_summary())
        self.model.rowsRemoved.connect(lambda *_: self._update_summary())
        self.model.modelReset.connect(self._update_summary)
        self._repaint_on_thumbnails(self.list)
        self.set_client(None)

    # -- the account ---------------------------------------------------------------------------

    def set_client(self, client: V2Client | None) -> None:
        signed_in = client is not None and client.signed_in
        self.stack.setCurrentIndex(1 if signed_in else 0)
        self.show_status("")
        self.model.set_client(client if signed_in else None)
        self._update_actions()

    def set_page_size(self, count: int) -> None:
        """Images per page (the API allows 1 to 100); reloads when it changes."""
        self.model.set_page_size(count)

    def set_link_format(self, fmt: LinkFormat) -> None:
        self.link_format = fmt

    # -- what is shown -------------------------------------------------------------------------

    def show_status(self, text: str, *, error: bool = False) -> None:
        super().show_status(text, error=error)
        if not error:
            self.retry_button.hide()

    def _load_failed(self, exc: BaseException) -> None:
        self.show_status(f"The images could not be loaded: {describe(exc)}", error=True)
        self.retry_button.show()
        self._update_summary()

    def _retry(self) -> None:
        self.show_status("")
        self.model.retry()

    def _page_loaded(self) -> None:
        if self.retry_button.isVisible():
            self.show_status("")

    def _update_summary(self) -> None:
        count = self.model.rowCount()
        if self.model.loading:
            text = f"{count} images · loading more…" if count else "Loading…"
        elif count == 0 and self.model.exhausted:
            text = EMPTY_NOALBUM_TEXT if self.model.noalbum else EMPTY_TEXT
        elif self.model.exhausted:
            text = "1 image" if count == 1 else f"{count} images"
        else:
            text = f"{count} images loaded · scroll down for more"
        self.summary.setText(text)
        self._update_actions()

    def _update_actions(self) -> None:
        chosen = self.selected_images()
        self.edit_button.setEnabled(len(chosen) == 1)
        for button in (self.copy_button, self.open_button, self.delete_button):
            button.setEnabled(bool(chosen))

    def _prune_thumbnails(self) -> None:
        """While scrolling fast, loads queued for rows long gone from view are dropped."""
        top = self.list.indexAt(QPoint(0, 0)).row()
        bottom = self.list.indexAt(QPoint(0, self.list.viewport().height() - 1)).row()
        if top < 0:
            return
        bottom = bottom if bottom >= 0 else self.model.rowCount() - 1
        urls = {self.model.image_at(r).links.small_square or ""
                for r in range(top, bottom + 1)}
        self.loader.keep_only(urls)

    # -- the selection -------------------------------------------------------------------------

    def selected_images(self) -> list[Image]:
        rows = sorted(i.row() for i in self.list.selectionModel().selectedRows())
        return [self.model.image_at(r) for r in rows
                if not self.model.is_pending(self.model.image_at(r).hash)]

    def select_hashes(self, hashes: list[str]) -> None:
        """Select these images (those loaded), as a person would by clicking them."""
        select_hashes_in(self.list, self.model.row_of, hashes)
        first = self.model.row_of(hashes[0]) if hashes else -1
        if first >= 0:
            self.list.selectionModel().setCurrentIndex(
                self.model.index(first), QItemSelectionModel.SelectionFlag.NoUpdate)

    def _context_menu(self, pos: QPoint) -> None:
        if not self.selected_images():
            return
        menu = QMenu(self)
        menu.addAction("Edit title and caption…", self.edit_selected).setEnabled(
            len(self.selected_images()) == 1)
        copy_as = menu.addMenu("Copy link as")
        for fmt in COPY_FORMATS:
            copy_as.addAction(fmt.label, partial(self.copy_selected, fmt))
        menu.addAction("Open in browser", self.open_selected)
        menu.addSeparator()
        menu.addAction("Delete…", self.delete_selected)
        menu.popup(self.list.viewport().mapToGlobal(pos))

    # -- actions -------------------------------------------------------------------------------

    def copy_selected(self, fmt: LinkFormat | None = None) -> None:
        chosen = self.selected_images()
        if not chosen:
            return
        try:
            text = "\n".join(format_link(i, fmt or self.link_format) for i in chosen)
        except ValueError as exc:
            self.show_status(describe(exc), error=True)
            return
        QApplication.clipboard().setText(text)
        self.show_status("Link copied" if len(chosen) == 1 else f"{len(chosen)} links copied")

    def open_selected(self) -> None:
        for image in self.selected_images():
            self.open_url(QUrl(image.links.imgur_page))

    def edit_selected(self) -> None:
        chosen = self.selected_images()
        client = self.model.client
        if len(chosen) != 1 or client is None:
            return
        image = chosen[0]
        values = ask(ImageEditDialog(image, self), ImageEditDialog.values)
        if values is None:
            return
        title, caption = values
        if (title, caption) == (image.title or "", image.caption or ""):
            return
        self.show_status("Saving…")
        self.jobs.run(lambda: client.edit_image(image.hash, title=title, caption=caption),
                      self._edited, self._edit_failed)

    def _edited(self, image: Image) -> None:
        self.model.replace(image)
        self.show_status("Saved")

    def _edit_failed(self, exc: BaseException) -> None:
        self.show_status(f"The changes were not saved: {describe(exc)}", error=True)

    def delete_selected(self) -> None:
        chosen = self.selected_images()
        client = self.model.client
        if not chosen or client is None:
            return
        what = "this image" if len(chosen) == 1 else f"these {len(chosen)} images"
        answer = QMessageBox.question(
            self, "Delete images",
            f"Delete {what} from your account? This cannot be undone: "
            "links to them stop working.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No)
        if answer != QMessageBox.StandardButton.Yes:
            return
        hashes = [i.hash for i in chosen]
        self.model.set_pending(hashes, True)
        self.list.selectionModel().clearSelection()
        self.show_status(f"Deleting {len(hashes)}…")
        batch = _DeleteBatch(len(hashes))
        for hash_ in hashes:
            # One call per image: each row leaves as soon as the service confirms its delete.
            self.jobs.run(partial(client.delete_image, hash_),
                          partial(self._deleted_one, batch, hash_),
                          partial(self._deleted, batch, hash_))

    def _deleted_one(self, batch: _DeleteBatch, hash_: str, _answer: None) -> None:
        self._deleted(batch, hash_, None)

    def _deleted(self, batch: _DeleteBatch, hash_: str, exc: BaseException | None) -> None:
        batch.done += 1
        if exc is None:
            self.model.remove(hash_)
        else:
            batch.errors.append(exc)
            self.model.set_pending([hash_], False)
        if batch.done < batch.total:
            return
        if not batch.errors:
            self.show_status("Deleted" if batch.total == 1 else f"Deleted {batch.total} images")
        else:
            failed = len(batch.errors)
            what = "The image was" if batch.total == 1 else (
                f"{failed} of {batch.total} images were")
            self.show_status(f"{what} not deleted: {describe(batch.errors[0])}", error=True)
