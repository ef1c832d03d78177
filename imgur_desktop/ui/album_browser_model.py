"""An album's images as a Qt list model (one model, shown by every layout's view), and how an
album reference typed or pasted by a person becomes an album id."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from imgur_desktop.core.models import Image

IMAGE_ROLE = Qt.ItemDataRole.UserRole + 1
_ID = re.compile(r"[A-Za-z0-9]{1,32}")

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True, slots=True)
class AlbumRef:
    album_id: str
    start: int = 0  # the image to show first: ``/a/ID#3`` opens on the fourth image


def parse_album_ref(text: str) -> AlbumRef:
    """``ID``, ``/a/ID``, ``http://host/a/ID``, ``…/a/ID#N``; ValueError with a sentence else."""
    ref = text.strip()
    if not ref:
        raise ValueError("Type or paste an album's link or id.")
    if _ID.fullmatch(ref):
        return AlbumRef(ref)
    parts = urlsplit(ref if "://" in ref or ref.startswith("/") else "http://" + ref)
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) >= 2 and segments[-2] == "a" and _ID.fullmatch(segments[-1]):
        start = int(parts.fragment) if parts.fragment.isdigit() else 0
        return AlbumRef(segments[-1], start)
    raise ValueError(f"“{ref[:80]}” is not an album link or id. Album links look like "
                     "http://host/a/ID.")


def small_url(image: Image) -> str:
    return image.links.small_square or image.links.original


def large_url(image: Image) -> str:
    return image.links.large_thumbnail or image.links.original


class AlbumImagesModel(QAbstractListModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._images: tuple[Image, ...] = ()
        self._rows_by_url: dict[str, list[int]] = {}

    def set_images(self, images: Sequence[Image]) -> None:
        self.beginResetModel()
        self._images = tuple(images)
        self._rows_by_url = {}
        for row, image in enumerate(self._images):
            for url in {small_url(image), large_url(image)}:
                self._rows_by_url.setdefault(url, []).append(row)
        self.endResetModel()

    @property
    def images(self) -> tuple[Image, ...]:
        return self._images

    def image(self, row: int) -> Image:
        return self._images[row]

    def has_url(self, url: str) -> bool:
        return url in self._rows_by_url

    def url_changed(self, url: str) -> None:
        """A thumbnail arrived (or failed): repaint the rows that show it."""
        for row in self._rows_by_url.get(url, ()):
            index = self.index(row, 0)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self._images)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._images):
            return None
        image = self._images[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return image.title or f"Image {index.row() + 1} of {len(self._images)}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return "\n".join(t for t in (image.title, image.caption) if t) or None
        if role == IMAGE_ROLE:
            return image
        return None
