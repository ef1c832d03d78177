"""Albums: the account's albums on the left (cover, title, count, privacy, layout), the chosen
album's images on the right. Create, edit and delete albums; drop images on an album or into
its contents to add them; drag to reorder; remove images; set the cover.

Every change goes to the service on a worker and the view then shows what the service says
(the album is read back): a change that fails leaves the view as it was, and says why."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import (
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListView,
    QMessageBox,
    QSplitter,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from imgur_desktop.core.errors import ApiError
from imgur_desktop.core.messages import describe
from imgur_desktop.core.models import Album, Image

from .account_lists import (
    PAD,
    AccountListView,
    ThumbnailRowDelegate,
    ask,
    draw_panel,
    draw_thumbnail,
    select_hashes_in,
)
from .album_dialog import AlbumDialog
from .album_models import (
    AlbumEntry,
    AlbumImagesModel,
    AlbumListModel,
    EntryRole,
    ImageRole,
    album_title,
)

if TYPE_CHECKING:  # not at run time: requests loads only once the app needs it
    from imgur_desktop.core.api.v2 import V2Client

    from .thumbnails import ThumbnailLoader

logger = logging.getLogger(__name__)

T = TypeVar("T")

SIGN_IN_TEXT = "Sign in to see your albums"
NO_ALBUMS_TEXT = "No albums yet. Make one with “New album…”."
DROP_HINT = ("Drag images here from My images or the upload list to add them; "
             "drag them within the album to change its order.")
PAGE = 100  # the most the API gives at once
CELL = QSize(112, 124)
CELL_THUMB = 84

_Index = QModelIndex | QPersistentModelIndex


def _all_pages(read: Callable[[int], Sequence[T]]) -> list[T]:
    """Every item of a paged list: pages until one comes back short (past the end the host
    answers 404, which means the same)."""
    items: list[T] = []
    page = 1
    while True:
        try:
            found = read(page)
        except ApiError as exc:
            if exc.status == 404 and page > 1:
                return items
            raise
        items.extend(found)
        if len(found) < PAGE:
            return items
        page += 1


def read_albums(client: V2Client) -> list[Album]:
    return _all_pages(lambda page: client.albums(page=page, count=PAGE).items)


def read_album_images(client: V2Client, album_id: str) -> list[Image]:
    return _all_pages(lambda page: client.album_images(album_id, page=page, count=PAGE).items)


@dataclass(frozen=True, slots=True)
class _Outcome:
    """A change's answer and the album read back after it (or why it could not be)."""

    album: Album | None
    images: list[Image] | None
    reread_error: BaseException | None = None


class AlbumDelegate(ThumbnailRowDelegate):
    """The cover (asked for when painted), the title in bold, then count, privacy, layout."""

    detailsWanted = Signal(str)  # an album id whose row has no count or cover yet

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        entry = index.data(EntryRole)
        if not isinstance(entry, AlbumEntry):
            return
        if entry.count is None:
            self.detailsWanted.emit(entry.album.id)
        self.paint_row(painter, option, entry.cover_url, album_title(entry.album),
                       entry.summary())


class AlbumImageDelegate(QStyledItemDelegate):
    """A cell of the album's grid: the thumbnail, its place in the order and its title; the
    cover is marked."""

    def __init__(self, loader: ThumbnailLoader, model: AlbumImagesModel,
                 parent: QWidget) -> None:
        super().__init__(parent)
        self.loader = loader
        self.model = model

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        return CELL - QSize(PAD * 2, PAD * 2)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        image = index.data(ImageRole)
        if not isinstance(image, Image):
            return
        selected = draw_panel(painter, option)
        rect, palette = option.rect, option.palette
        painter.save()
        thumb = QRect(rect.left() + (rect.width() - CELL_THUMB) // 2, rect.top() + PAD,
                      CELL_THUMB, CELL_THUMB)
        draw_thumbnail(painter, thumb, self.loader, image.links.small_square, palette)
        metrics = QFontMetrics(option.font)
        if self.model.is_cover(image):
            badge = QRect(thumb.left(), thumb.bottom() - metrics.height() - 1,
                          metrics.horizontalAdvance("Cover") + PAD * 2, metrics.height() + 2)
            painter.fillRect(badge, palette.color(QPalette.ColorRole.Highlight))
            painter.setPen(palette.color(QPalette.ColorRole.HighlightedText))
            painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, "Cover")
        painter.setPen(palette.color(QPalette.ColorRole.HighlightedText if selected
                                     else QPalette.ColorRole.Text))
        text = f"{index.row() + 1}. {image.title or image.name or image.hash}"
        below = QRect(rect.left() + PAD, thumb.bottom() + PAD, rect.width() - PAD * 2,
                      metrics.height())
        painter.drawText(below, Qt.AlignmentFlag.AlignCenter,
                         metrics.elidedText(text, Qt.TextElideMode.ElideRight, below.width()))
        painter.restore()


class AlbumsView(AccountListView):
    openRequested = Signal(object)  # the Album to open in the album browser

    def __init__(self, loader: ThumbnailLoader, *, parent: QWidget | None = None) -> None:
        super().__init__(loader, threads=2, parent=parent)
        self.setAccessibleName("Albums")
        self.albums_model = AlbumListModel(self)
        self.images_model = AlbumImagesModel(self)
        self._client: V2Client | None = None
        self._generation = 0  # answers meant for an earlier client are dropped
        self._shown: str | None = None  # the album whose images are on the right
        self._details_asked: set[str] = set()
        self._changes = 0  # changes on their way; while any is, no other starts

        content = self._pages(SIGN_IN_TEXT)
        column = QVBoxLayout(content)

        bar = QHBoxLayout()
        self.new_button = self._button(content, bar, "New album…", self.create_album)
        self.edit_button = self._button(content, bar, "Edit…", self.edit_album)
        self.delete_button = self._button(content, bar, "Delete…", self.delete_album)
        self.open_button = self._button(content, bar, "Open", self.open_album)
        bar.addStretch(1)
        self.refresh_button = self._button(content, bar, "Refresh", self.refresh)
        column.addLayout(bar)
        column.addWidget(self._status_label(content))

        splitter = QSplitter(Qt.Orientation.Horizontal, content)
        column.addWidget(splitter, 1)
        left = QWidget(splitter)
        left_column = QVBoxLayout(left)
        left_column.setContentsMargins(0, 0, 0, 0)
        self.album_list = QListView(left)
        self.album_list.setAccessibleName("Your albums")
        self.album_list.setModel(self.albums_model)
        self.album_delegate = AlbumDelegate(loader, self.album_list)
        self.album_list.setItemDelegate(self.album_delegate)
        self.album_list.setUniformItemSizes(True)
        self.album_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.album_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.album_list.setAcceptDrops(True)
        self.album_list.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.album_list.setDragDropOverwriteMode(True)  # a drop lands on the album under it
        self.album_list.setDropIndicatorShown(True)
        self.album_list.doubleClicked.connect(lambda _index: self.open_album())
        left_column.addWidget(self.album_list, 1)
        self.empty = QLabel(NO_ALBUMS_TEXT, left)
        self.empty.setWordWrap(True)
        self.empty.hide()
        left_column.addWidget(self.empty)

        right = QWidget(splitter)
        right_column = QVBoxLayout(right)
        right_column.setContentsMargins(0, 0, 0, 0)
        self.heading = QLabel(right)
        self.heading.setWordWrap(True)
        heading_font = self.heading.font()
        heading_font.setBold(True)
        self.heading.setFont(heading_font)
        right_column.addWidget(self.heading)
        tools = QHBoxLayout()
        self.cover_button = self._button(right, tools, "Set as cover", self.set_cover)
        self.remove_button = self._button(right, tools, "Remove from album",
                                          self.remove_selected)
        self.earlier_button = self._button(right, tools, "Move earlier",
                                           lambda: self.move_selected(-1))
        self.later_button = self._button(right, tools, "Move later",
                                         lambda: self.move_selected(+1))
        tools.addStretch(1)
        right_column.addLayout(tools)
        self.contents = QListView(right)
        self.contents.setAccessibleName("Images in the album")
        self.contents.setModel(self.images_model)
        self.contents.setItemDelegate(AlbumImageDelegate(loader, self.images_model,
                                                         self.contents))
        self.contents.setFlow(QListView.Flow.LeftToRight)
        self.contents.setWrapping(True)
        self.contents.setResizeMode(QListView.ResizeMode.Adjust)
        self.contents.setGridSize(CELL)
        self.contents.setUniformItemSizes(True)
        self.contents.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        # After the flow settings: a list view's movement mode switches dragging off.
        self.contents.setDragEnabled(True)
        self.contents.setAcceptDrops(True)
        self.contents.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.contents.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.contents.setDragDropOverwriteMode(False)  # drops land between images
        self.contents.setDropIndicatorShown(True)
        right_column.addWidget(self.contents, 1)
        hint = QLabel(DROP_HINT, right)
        hint.setWordWrap(True)
        right_column.addWidget(hint)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)

        self.album_list.selectionModel().currentChanged.connect(
            lambda current, _previous: self._album_chosen(current))
        self.contents.selectionModel().selectionChanged.connect(
            lambda *_: self._update_actions())
        self.album_delegate.detailsWanted.connect(self._want_details,
                                                  Qt.ConnectionType.QueuedConnection)
        self.albums_model.addRequested.connect(self.add_images)
        self.images_model.addRequested.connect(self._add_to_shown)
        self.images_model.reorderRequested.connect(self.reorder)
        self._repaint_on_thumbnails(self.album_list, self.contents)
        self.set_client(None)

    # -- the account ---------------------------------------------------------------------------

    def set_client(self, client: V2Client | None) -> None:
        signed_in = client is not None and client.signed_in
        self._client = client if signed_in else None
        self._generation += 1
        self._details_asked.clear()
        self._shown = None
        self.albums_model.clear()
        self.images_model.show(None, [])
        self.stack.setCurrentIndex(1 if signed_in else 0)
        self.show_status("")
        self._update_heading()
        self._update_actions()
        if signed_in:
            self.load_albums()

    def refresh(self) -> None:
        self._details_asked.clear()
        self.load_albums(reload_contents=True)

    # -- reading -------------------------------------------------------------------------------

    def _run(self, call: Callable[[], T], done: Callable[[T], None],
             failed: Callable[[BaseException], None]) -> None:
        """Run ``call`` on a worker; drop its answer if the account changed meanwhile."""
        generation = self._generation

        def answer(result: T) -> None:
            if generation == self._generation:
                done(result)

        def fail(exc: BaseException) -> None:
            if generation == self._generation:
                failed(exc)

        self.jobs.run(call, answer, fail)

    def load_albums(self, select: str | None = None, *, reload_contents: bool = False) -> None:
        client = self._client
        if client is None:
            return
        wanted = select or self.current_album_id()

        def done(albums: list[Album]) -> None:
            self._albums_loaded(albums, wanted, reload_contents)

        self._run(lambda: read_albums(client), done,
                  lambda exc: self.show_status(
                      f"The albums could not be loaded: {describe(exc)}", error=True))

    def _albums_loaded(self, albums: list[Album], wanted: str | None,
                       reload_contents: bool) -> None:
        if reload_contents:
            self._shown = None
        self.albums_model.set_albums(albums, keep_details=not reload_contents)
        self.empty.setVisible(not albums)
        row = self.albums_model.row_of(wanted) if wanted else -1
        if row < 0 and albums:
            row = 0
        if row >= 0:
            self.album_list.selectionModel().setCurrentIndex(
                self.albums_model.index(row),
                QItemSelectionModel.SelectionFlag.ClearAndSelect)
        else:
            self._album_chosen(QModelIndex())
        self._update_actions()

    def _album_chosen(self, index: QModelIndex | QPersistentModelIndex) -> None:
        album = index.data(EntryRole).album if index.isValid() else None
        if album is None:
            self._shown = None
            self.images_model.show(None, [])
        elif album.id != self._shown:
            self.load_contents(album)
        else:
            self.images_model.album = album  # the same album, perhaps with a new cover
            self.contents.viewport().update()
        self._update_heading()
        self._update_actions()

    def load_contents(self, album: Album) -> None:
        client = self._client
        if client is None:
            return
        self._shown = album.id
        self.images_model.show(album, [])
        self.heading.setText(f"{album_title(album)} · loading…")

        def done(images: list[Image]) -> None:
            self.albums_model.set_details(album.id, images)
            if self._shown == album.id:
                entry = self.albums_model.entry(album.id)
                self.images_model.show(entry.album if entry else album, images)
                self._update_heading()
                self._update_actions()

        self._run(lambda: read_album_images(client, album.id), done,
                  lambda exc: self._contents_failed(album, exc))

    def _contents_failed(self, album: Album, exc: BaseException) -> None:
        if self._shown == album.id:
            self._shown = None  # choosing it again tries again
            self._update_heading()
        self.show_status(f"The album “{album_title(album)}” could not be read: "
                         f"{describe(exc)}", error=True)

    def _want_details(self, album_id: str) -> None:
        """A painted row lacks its count and cover: read that album (once)."""
        client = self._client
        if client is None or album_id in self._details_asked or album_id == self._shown:
            return
        self._details_asked.add(album_id)

        def done(images: list[Image]) -> None:
            self._details_asked.discard(album_id)
            self.albums_model.set_details(album_id, images)

        def failed(exc: BaseException) -> None:  # stays asked: a repaint does not ask again
            self.show_status(f"An album could not be read: {describe(exc)}", error=True)

        self._run(lambda: read_album_images(client, album_id), done, failed)

    # -- what is shown -------------------------------------------------------------------------

    def current_album_id(self) -> str | None:
        album = self.current_album()
        return album.id if album else None

    def current_album(self) -> Album | None:
        index = self.album_list.selectionModel().currentIndex()
        entry = index.data(EntryRole) if index.isValid() else None
        return entry.album if isinstance(entry, AlbumEntry) else None

    def select_album(self, album_id: str) -> None:
        row = self.albums_model.row_of(album_id)
        if row >= 0:
            self.album_list.selectionModel().setCurrentIndex(
                self.albums_model.index(row), QItemSelectionModel.SelectionFlag.ClearAndSelect)

    def selected_hashes(self) -> list[str]:
        rows = sorted(i.row() for i in self.contents.selectionModel().selectedRows())
        return [self.images_model.image_at(r).hash for r in rows]

    def select_images(self, hashes: Sequence[str]) -> None:
        select_hashes_in(self.contents, self.images_model.row_of, hashes)

    def _update_heading(self) -> None:
        album = self.images_model.album
        if album is None or self._shown is None:
            self.heading.setText("")
            return
        count = self.images_model.rowCount()
        what = "no images" if count == 0 else ("1 image" if count == 1 else f"{count} images")
        self.heading.setText(f"{album_title(album)} · {what}")

    def _update_actions(self) -> None:
        idle = self._changes == 0
        signed_in = self._client is not None
        has_album = self.current_album() is not None
        chosen = len(self.contents.selectionModel().selectedRows())
        self.new_button.setEnabled(signed_in and idle)
        for button in (self.edit_button, self.delete_button):
            button.setEnabled(has_album and idle)
        self.open_button.setEnabled(has_album)
        self.refresh_button.setEnabled(signed_in and idle)
        self.cover_button.setEnabled(idle and chosen == 1)
        for button in (self.remove_button, self.earlier_button, self.later_button):
            button.setEnabled(idle and chosen > 0)
        self.albums_model.accepting = self.images_model.accepting = idle and signed_in

    # -- changes -------------------------------------------------------------------------------

    def _change(self, what: str, call: Callable[[], _Outcome],
                done: Callable[[_Outcome], None]) -> None:
        """Send one change; while it is on its way, no other change can start."""
        self._changes += 1
        self._update_actions()
        self.show_status(f"{what}…")

        def finish(outcome: _Outcome) -> None:
            self._changes -= 1
            done(outcome)
            self._update_actions()
            if outcome.reread_error is not None:
                self.show_status(f"Saved, but the album could not be read back: "
                                 f"{describe(outcome.reread_error)}", error=True)

        def fail(exc: BaseException) -> None:
            self._changes -= 1
            self._update_actions()
            self.show_status(f"Not saved: {describe(exc)}", error=True)

        self._run(call, finish, fail)

    def _reread(self, client: V2Client, album_id: str, album: Album | None) -> _Outcome:
        """After a change: the album's images as the service now has them."""
        try:
            return _Outcome(album, read_album_images(client, album_id))
        except Exception as exc:  # the change itself went through: say so, apart
            return _Outcome(album, None, exc)

    def _show_outcome(self, album_id: str, outcome: _Outcome) -> None:
        if outcome.album is not None:
            self.albums_model.update_album(outcome.album)
        if outcome.images is None:
            self.albums_model.forget_details(album_id)
            return
        self.albums_model.set_details(album_id, outcome.images)
        if self._shown == album_id:
            entry = self.albums_model.entry(album_id)
            self.images_model.show(entry.album if entry else outcome.album, outcome.images)
            self._update_heading()

    def create_album(self) -> None:
        client = self._client
        if client is None or self._changes:
            return
        fields = ask(AlbumDialog(None, self), AlbumDialog.fields)
        if fields is None:
            return

        def call() -> _Outcome:
            album = client.create_album(title=fields.title or None,
                                        description=fields.description or None,
                                        privacy=fields.privacy, layout=fields.layout)
            return _Outcome(album, None)

        def done(outcome: _Outcome) -> None:
            assert outcome.album is not None
            self.show_status(f"Album “{album_title(outcome.album)}” created")
            self.load_albums(select=outcome.album.id)

        self._change("Creating the album", call, done)

    def edit_album(self) -> None:
        client, album = self._client, self.current_album()
        if client is None or album is None or self._changes:
            return
        fields = ask(AlbumDialog(album, self), AlbumDialog.fields)
        if fields is None:
            return

        def call() -> _Outcome:
            return _Outcome(client.edit_album(
                album.id, title=fields.title, description=fields.description,
                privacy=fields.privacy, layout=fields.layout), None)

        def done(outcome: _Outcome) -> None:
            if outcome.album is not None:
                self.albums_model.update_album(outcome.album)
            self.show_status("Album saved")
            self.load_albums(select=album.id)  # read back: the list shows what was stored

        self._change("Saving the album", call, done)

    def delete_album(self) -> None:
        client, album = self._client, self.current_album()
        if client is None or album is None or self._changes:
            return
        answer = QMessageBox.question(
            self, "Delete album",
            f"Delete the album “{album_title(album)}”? Its images stay in your account.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No)
        if answer != QMessageBox.StandardButton.Yes:
            return

        def call() -> _Outcome:
            client.delete_album(album.id)
            return _Outcome(None, None)

        def done(_outcome: _Outcome) -> None:
            self.show_status(f"Album “{album_title(album)}” deleted")
            self.load_albums()

        self._change("Deleting the album", call, done)

    def open_album(self) -> None:
        album = self.current_album()
        if album is not None:
            self.openRequested.emit(album)

    def add_images(self, album_id: str, hashes: Sequence[str]) -> None:
        client = self._client
        entry = self.albums_model.entry(album_id)
        if client is None or entry is None or not hashes or self._changes:
            return
        adding = list(hashes)

        def call() -> _Outcome:
            album = client.edit_album(album_id, add_images=adding)
            return self._reread(client, album_id, album)

        def done(outcome: _Outcome) -> None:
            self._show_outcome(album_id, outcome)
            what = "1 image" if len(adding) == 1 else f"{len(adding)} images"
            self.show_status(f"Added {what} to “{album_title(entry.album)}”")

        self._change("Adding to the album", call, done)

    def _add_to_shown(self, hashes: list[str]) -> None:
        if self._shown is not None:
            self.add_images(self._shown, hashes)

    def reorder(self, order: Sequence[str]) -> None:
        client, album_id = self._client, self._shown
        if client is None or album_id is None or self._changes:
            return
        hashes = list(order)
        chosen = self.selected_hashes()  # still chosen once the new order is shown

        def call() -> _Outcome:
            client.order_album_images(album_id, hashes)
            return self._reread(client, album_id, None)

        def done(outcome: _Outcome) -> None:
            self._show_outcome(album_id, outcome)
            self.select_images(chosen)
            self.show_status("Order saved")

        self._change("Saving the order", call, done)

    def move_selected(self, step: int) -> None:
        order = self.images_model.move_request(self.selected_hashes(), step)
        if order is not None:
            self.reorder(order)

    def remove_selected(self) -> None:
        client, album_id = self._client, self._shown
        hashes = self.selected_hashes()
        if client is None or album_id is None or not hashes or self._changes:
            return

        def call() -> _Outcome:
            album = client.edit_album(album_id, del_images=hashes)
            return self._reread(client, album_id, album)

        def done(outcome: _Outcome) -> None:
            self._show_outcome(album_id, outcome)
            what = "1 image" if len(hashes) == 1 else f"{len(hashes)} images"
            self.show_status(f"Removed {what} from the album (they stay in your account)")

        self._change("Removing from the album", call, done)

    def set_cover(self) -> None:
        client, album_id = self._client, self._shown
        hashes = self.selected_hashes()
        if client is None or album_id is None or len(hashes) != 1 or self._changes:
            return
        cover = hashes[0]

        def call() -> _Outcome:
            album = client.edit_album(album_id, cover=cover)
            return self._reread(client, album_id, album)

        def done(outcome: _Outcome) -> None:
            self._show_outcome(album_id, outcome)
            self.select_images([cover])
            self.show_status("Cover set")

        self._change("Setting the cover", call, done)
