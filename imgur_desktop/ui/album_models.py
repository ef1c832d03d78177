"""The Albums tab's two lists as Qt models: the account's albums, and one album's images.

Neither changes itself on a drop: a drop only says what was asked for (``addRequested``,
``reorderRequested``); the view sends it to the service and shows the service's answer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from imgur_desktop.core.layouts import LAYOUTS
from imgur_desktop.core.models import Album, Image

from .account_lists import ImageListModel
from .image_mime import MIME_TYPE, hashes_from

AlbumRole = Qt.ItemDataRole.UserRole + 1
EntryRole = Qt.ItemDataRole.UserRole + 2
ImageRole = Qt.ItemDataRole.UserRole + 3

_Index = QModelIndex | QPersistentModelIndex


def album_title(album: Album) -> str:
    return album.title or "Untitled album"


def moved_order(order: Sequence[str], moving: Sequence[str], target: int) -> list[str]:
    """``order`` with ``moving`` taken out and put back, in their present order, where row
    ``target`` of ``order`` was (``len(order)`` for the end)."""
    chosen = set(moving)
    kept = [h for h in order if h not in chosen]
    moved = [h for h in order if h in chosen]
    at = sum(1 for h in order[:max(0, target)] if h not in chosen)
    return kept[:at] + moved + kept[at:]


@dataclass(frozen=True, slots=True)
class AlbumEntry:
    """An album and what its list row shows besides it, learnt by reading its images."""

    album: Album
    count: int | None = None  # None: not read yet
    cover_url: str | None = None

    def summary(self) -> str:
        parts = []
        if self.count is not None:
            parts.append({0: "No images", 1: "1 image"}.get(self.count, f"{self.count} images"))
        if self.album.privacy:
            parts.append(self.album.privacy.capitalize())
        if self.album.layout in LAYOUTS:
            parts.append(f"{LAYOUTS[self.album.layout][0]} layout")
        return " · ".join(parts)


class AlbumListModel(QAbstractListModel):
    addRequested = Signal(str, list)  # album id, hashes dropped on its row

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._entries: list[AlbumEntry] = []
        self.accepting = True  # False while a change is on its way: drops are refused

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._entries)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._entries):
            return None
        entry = self._entries[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return album_title(entry.album)
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            return f"{album_title(entry.album)}: {entry.summary()}"
        if role == AlbumRole:
            return entry.album
        if role == EntryRole:
            return entry
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                | Qt.ItemFlag.ItemIsDropEnabled)

    # -- rows ----------------------------------------------------------------------------------

    @property
    def entries(self) -> list[AlbumEntry]:
        return list(self._entries)

    def row_of(self, album_id: str) -> int:
        for row, entry in enumerate(self._entries):
            if entry.album.id == album_id:
                return row
        return -1

    def entry(self, album_id: str) -> AlbumEntry | None:
        row = self.row_of(album_id)
        return self._entries[row] if row >= 0 else None

    def set_albums(self, albums: Sequence[Album], *, keep_details: bool = True) -> None:
        """The service's list; what was learnt of an album is kept while its cover stays
        (unless ``keep_details`` is False: then every row reads its album again)."""
        known = {e.album.id: e for e in self._entries} if keep_details else {}
        entries = []
        for album in albums:
            old = known.get(album.id)
            if old is not None and old.album.cover == album.cover:
                entries.append(replace(old, album=album))
            else:
                entries.append(AlbumEntry(album))
        self.beginResetModel()
        self._entries = entries
        self.endResetModel()

    def clear(self) -> None:
        self.set_albums([])

    def update_album(self, album: Album) -> None:
        row = self.row_of(album.id)
        if row < 0:
            return
        old = self._entries[row]
        keep_cover = old.album.cover == album.cover
        self._entries[row] = AlbumEntry(album, old.count,
                                        old.cover_url if keep_cover else None)
        self._changed(row)

    def set_details(self, album_id: str, images: Sequence[Image]) -> None:
        """What an album's images say about it: how many, and its cover's thumbnail."""
        row = self.row_of(album_id)
        if row < 0:
            return
        old = self._entries[row]
        cover = old.album.cover or (images[0].hash if images else None)
        url = next((i.links.small_square for i in images if i.hash == cover), None)
        self._entries[row] = replace(old, count=len(images), cover_url=url)
        self._changed(row)

    def forget_details(self, album_id: str) -> None:
        row = self.row_of(album_id)
        if row >= 0:
            self._entries[row] = replace(self._entries[row], count=None)
            self._changed(row)

    def _changed(self, row: int) -> None:
        index = self.index(row)
        self.dataChanged.emit(index, index)

    # -- drops onto an album -------------------------------------------------------------------

    def mimeTypes(self) -> list[str]:
        return [MIME_TYPE]

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction | Qt.DropAction.MoveAction

    def canDropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,
                        parent: _Index) -> bool:
        return self.accepting and parent.isValid() and bool(hashes_from(data))

    def dropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,
                     parent: _Index) -> bool:
        if not self.canDropMimeData(data, action, row, column, parent):
            return False
        self.addRequested.emit(self._entries[parent.row()].album.id, hashes_from(data))
        return True


class AlbumImagesModel(ImageListModel):
    """One album's images in the album's order; dragging reorders, dropping adds."""

    addRequested = Signal(list)  # hashes not yet in the album
    reorderRequested = Signal(list)  # the album's whole new order

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.album: Album | None = None
        self.accepting = True

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        image = self._image_of(index)
        if image is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return image.title or image.name or image.hash
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            text = image.title or image.name or image.hash
            return f"{index.row() + 1}. {text}" + (" (cover)" if self.is_cover(image) else "")
        if role == ImageRole:
            return image
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():  # the space between and after the images takes drops
            return Qt.ItemFlag.ItemIsDropEnabled
        # Not drop-enabled itself: a drop over an image lands before or after it.
        return (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                | Qt.ItemFlag.ItemIsDragEnabled)

    # -- rows ----------------------------------------------------------------------------------

    @property
    def hashes(self) -> list[str]:
        return [i.hash for i in self._images]

    def row_of(self, hash_: str) -> int:
        for row, image in enumerate(self._images):
            if image.hash == hash_:
                return row
        return -1

    def is_cover(self, image: Image) -> bool:
        if self.album is None:
            return False
        cover = self.album.cover or (self._images[0].hash if self._images else None)
        return image.hash == cover

    def show(self, album: Album | None, images: Sequence[Image]) -> None:
        self.beginResetModel()
        self.album = album
        self._images = list(images)
        self.endResetModel()

    # -- dragging and dropping -----------------------------------------------------------------

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction | Qt.DropAction.MoveAction

    def canDropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,
                        parent: _Index) -> bool:
        return self.accepting and self.album is not None and bool(hashes_from(data))

    def dropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,
                     parent: _Index) -> bool:
        if not self.canDropMimeData(data, action, row, column, parent):
            return False
        dropped = hashes_from(data)
        present = set(self.hashes)
        new = [h for h in dropped if h not in present]
        if new:
            self.addRequested.emit(new)
            return True
        if row < 0:
            row = parent.row() if parent.isValid() else len(self._images)
        order = moved_order(self.hashes, dropped, row)
        if order != self.hashes:
            self.reorderRequested.emit(order)
        return True

    def move_request(self, hashes: Sequence[str], step: int) -> list[str] | None:
        """The order after moving the chosen images one place earlier (-1) or later (+1),
        or None when they cannot move further."""
        rows = sorted(self.row_of(h) for h in hashes if self.row_of(h) >= 0)
        if not rows:
            return None
        if step < 0:
            if rows[0] == 0:
                return None
            return moved_order(self.hashes, list(hashes), rows[0] - 1)
        if rows[-1] >= len(self._images) - 1:
            return None
        return moved_order(self.hashes, list(hashes), rows[-1] + 2)
