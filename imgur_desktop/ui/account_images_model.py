"""The account's images as a Qt list model that loads itself a page at a time.

Pages are fetched on a worker as the view scrolls to the end (``canFetchMore``/``fetchMore``);
a page shorter than the page size is the last. A failed page stops the loading until
``retry()``: the view would otherwise ask again on every layout pass and hammer the host."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from imgur_desktop.core.errors import ApiError
from imgur_desktop.core.models import Image, Page

from .account_jobs import JobRunner
from .account_lists import ImageListModel

if TYPE_CHECKING:
    from imgur_desktop.core.api.v2 import V2Client

ImageRole = Qt.ItemDataRole.UserRole + 1
PendingRole = Qt.ItemDataRole.UserRole + 2  # True while the row's delete is on its way

DEFAULT_PAGE_SIZE = 30
MAX_PAGE_SIZE = 100  # what the API allows

_Index = QModelIndex | QPersistentModelIndex


def image_label(image: Image) -> str:
    return image.title or image.name or image.hash


def load_page(client: V2Client, page: int, count: int, noalbum: bool) -> Page[Image]:
    """One page; a page past the end is an empty page (the host says 404 for it)."""
    try:
        return client.account_images(page=page, count=count, noalbum=noalbum)
    except ApiError as exc:
        if exc.status == 404 and page > 1:
            return Page((), page, count)
        raise


class AccountImagesModel(ImageListModel):
    loadingChanged = Signal(bool)
    loadFailed = Signal(object)  # the exception
    pageLoaded = Signal(int, int)  # page number, images it brought

    def __init__(self, jobs: JobRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._jobs = jobs
        self._client: V2Client | None = None
        self._rows: dict[str, int] = {}  # hash -> row
        self._pending: set[str] = set()
        self.page_size = DEFAULT_PAGE_SIZE
        self.noalbum = False
        self._next_page = 1
        self._more = False
        self._loading = False
        self._stalled = False  # the last page failed: wait for retry()
        self._deleted = 0  # deleted since the last page: later pages start earlier by this
        self._generation = 0  # answers from before a reset are dropped

    # -- configuration -------------------------------------------------------------------------

    @property
    def client(self) -> V2Client | None:
        return self._client

    def set_client(self, client: V2Client | None) -> None:
        self._client = client
        self.reload()

    def set_noalbum(self, noalbum: bool) -> None:
        if noalbum != self.noalbum:
            self.noalbum = noalbum
            self.reload()

    def set_page_size(self, count: int) -> None:
        count = max(1, min(MAX_PAGE_SIZE, count))
        if count != self.page_size:
            self.page_size = count
            self.reload()

    def reload(self) -> None:
        """Forget every row and load from the first page."""
        self._generation += 1
        self.beginResetModel()
        self._images = []
        self._rows = {}
        self._pending = set()
        self.endResetModel()
        self._next_page = 1
        self._deleted = 0
        self._more = self._client is not None and self._client.signed_in
        self._stalled = False
        self._set_loading(False)
        self.fetchMore(QModelIndex())

    def retry(self) -> None:
        self._stalled = False
        self.fetchMore(QModelIndex())

    # -- paging --------------------------------------------------------------------------------

    @property
    def loading(self) -> bool:
        return self._loading

    @property
    def exhausted(self) -> bool:
        """Every page has been loaded."""
        return not self._more

    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:  # noqa: B008
        return (not parent.isValid() and self._more and not self._loading
                and not self._stalled and self._client is not None)

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:  # noqa: B008
        if not self.canFetchMore(parent):
            return
        client = self._client
        assert client is not None
        size, noalbum, generation = self.page_size, self.noalbum, self._generation
        # Deleting k loaded images moves every later image k places up: start the next page
        # early enough to catch them (the repeats are dropped by hash).
        deleted = self._deleted
        page = max(1, self._next_page - math.ceil(deleted / size))
        self._set_loading(True)
        self._jobs.run(lambda: load_page(client, page, size, noalbum),
                       lambda result: self._page_loaded(generation, deleted, result),
                       lambda exc: self._page_failed(generation, exc))

    def _page_loaded(self, generation: int, deleted: int, page: Page[Image]) -> None:
        if generation != self._generation:
            return
        fresh = [i for i in page.items if i.hash not in self._rows]
        if fresh:
            first = len(self._images)
            self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
            for image in fresh:
                self._rows[image.hash] = len(self._images)
                self._images.append(image)
            self.endInsertRows()
        self._next_page = page.page + 1
        self._deleted -= deleted  # deletes made while this page was on its way still count
        self._more = page.may_have_more
        self._set_loading(False)  # last: whoever hears it sees the rows and what is left
        self.pageLoaded.emit(page.page, len(page.items))

    def _page_failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        self._stalled = True
        self._set_loading(False)
        self.loadFailed.emit(exc)

    def _set_loading(self, loading: bool) -> None:
        if loading != self._loading:
            self._loading = loading
            self.loadingChanged.emit(loading)

    # -- rows ----------------------------------------------------------------------------------

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        image = self._image_of(index)
        if image is None:
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return image_label(image)
        if role == Qt.ItemDataRole.ToolTipRole:
            return "\n".join(t for t in (image.title, image.caption, image.links.original) if t)
        if role == ImageRole:
            return image
        if role == PendingRole:
            return image.hash in self._pending
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if self._images[index.row()].hash not in self._pending:
            flags |= Qt.ItemFlag.ItemIsDragEnabled
        return flags

    def row_of(self, hash_: str) -> int:
        return self._rows.get(hash_, -1)

    def replace(self, image: Image) -> None:
        """The server's answer for an image takes the place of what the row showed."""
        row = self.row_of(image.hash)
        if row >= 0:
            self._images[row] = image
            index = self.index(row)
            self.dataChanged.emit(index, index)

    def set_pending(self, hashes: list[str], pending: bool) -> None:
        for hash_ in hashes:
            if pending:
                self._pending.add(hash_)
            else:
                self._pending.discard(hash_)
            row = self.row_of(hash_)
            if row >= 0:
                index = self.index(row)
                self.dataChanged.emit(index, index)

    def is_pending(self, hash_: str) -> bool:
        return hash_ in self._pending

    def remove(self, hash_: str) -> None:
        row = self.row_of(hash_)
        if row < 0:
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._images[row]
        self._pending.discard(hash_)
        self._rows = {image.hash: n for n, image in enumerate(self._images)}
        self._deleted += 1
        self.endRemoveRows()
