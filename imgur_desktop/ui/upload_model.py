"""The upload list: one row per upload, as a Qt list model."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QImage

from imgur_desktop.core.cancel import CancelToken
from imgur_desktop.core.models import Image

ItemRole = Qt.ItemDataRole.UserRole + 1
# The role a row's dataChanged names when only its look changed (progress, thumbnail), not
# its state: whoever counts rows by state can skip it.
LookRole = Qt.ItemDataRole.UserRole + 2
_ids = itertools.count(1)


class State(Enum):
    QUEUED = "queued"
    UPLOADING = "uploading"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (State.DONE, State.FAILED, State.CANCELLED)


@dataclass(eq=False)
class UploadItem:
    label: str
    path: Path | None = None
    data: bytes | None = None  # pasted or dropped image bytes
    qimage: QImage | None = None  # a decoded image, encoded to PNG when its upload starts
    url: str | None = None
    size: int | None = None
    batch: int = 0
    state: State = State.QUEUED
    sent: int = 0
    total: int = 0
    image: Image | None = None
    error: str | None = None
    details: str | None = None
    thumbnail: QImage | None = None
    cancel: CancelToken | None = None
    attempts: int = 0
    id: int = field(default_factory=lambda: next(_ids))

    @property
    def percent(self) -> int:
        return 0 if self.total <= 0 else min(100, self.sent * 100 // self.total)

    def status_text(self) -> str:
        if self.state is State.QUEUED:
            return "Waiting" if self.attempts == 0 else "Waiting to retry"
        if self.state is State.UPLOADING:
            return f"Uploading {self.percent}%"
        if self.state is State.DONE:
            return "Done"
        if self.state is State.CANCELLED:
            return "Cancelled"
        return self.error or "Failed"


class UploadListModel(QAbstractListModel):
    def __init__(self) -> None:
        super().__init__()
        self._items: list[UploadItem] = []

    # Qt model API ------------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        item = self._items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return item.label
        if role == Qt.ItemDataRole.ToolTipRole:
            return item.details or item.error or item.label
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{item.label}: {item.status_text()}"
        if role == ItemRole:
            return item
        return None

    # Access for the queue and the view ---------------------------------------------------

    @property
    def items(self) -> list[UploadItem]:
        return list(self._items)

    def add(self, items: list[UploadItem]) -> None:
        if not items:
            return
        first = len(self._items)
        self.beginInsertRows(QModelIndex(), first, first + len(items) - 1)
        self._items.extend(items)
        self.endInsertRows()

    def row_of(self, item: UploadItem) -> int:
        for row, candidate in enumerate(self._items):
            if candidate is item:
                return row
        return -1

    def changed(self, item: UploadItem, *, look_only: bool = False) -> None:
        row = self.row_of(item)
        if row >= 0:
            index = self.index(row)
            if look_only:
                self.dataChanged.emit(index, index, [LookRole])
            else:
                self.dataChanged.emit(index, index)

    def remove(self, item: UploadItem) -> None:
        row = self.row_of(item)
        if row >= 0:
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._items[row]
            self.endRemoveRows()

    def item_at(self, row: int) -> UploadItem:
        return self._items[row]
