"""The upload list: one row per upload, as a Qt list model."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6 import QtCore
from PySide6.QtCore import QAbstractListModel, QMimeData, QModelIndex, QPersistentModelIndex
from PySide6.QtGui import QImage

from imgur_desktop.core.cancel import CancelToken

from .roles import DISPLAY_ROLE, USER_ROLE

if TYPE_CHECKING:  # annotations only (kept out of start-up)
    from PySide6.QtCore import Qt

    from imgur_desktop.core.models import Image

# The window's first paint builds this model, so ``Qt`` (its enums: ~18 ms) is reached through
# ``QtCore`` only inside methods that run later (ui/roles.py).
ItemRole = USER_ROLE + 1
# The role a row's dataChanged names when only its look changed (progress, thumbnail), not
# its state: whoever counts rows by state can skip it.
LookRole = USER_ROLE + 2
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
    final: bool = False  # refused for what the file is: sending it again as it is cannot help
    thumbnail: QImage | None = None
    cancel: CancelToken | None = None
    attempts: int = 0  # requests made for this row
    ledger_id: int | None = None  # its row in the upload ledger
    spooled: bool = False  # ``path`` is our copy of pasted data (read when it is sent)
    not_before: float = 0.0  # time.monotonic() before which a retry is not sent
    id: int = field(default_factory=lambda: next(_ids))

    @property
    def percent(self) -> int:
        return 0 if self.total <= 0 else min(100, self.sent * 100 // self.total)

    def status_text(self) -> str:
        if self.state is State.QUEUED:
            if self.attempts == 0:
                return "Waiting"
            tried = f"Waiting to retry (attempt {self.attempts + 1})"
            return f"{tried}: {self.error}" if self.error else tried
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
        self._rows: dict[int, int] = {}  # item id -> row: progress news finds its row at once
        # Rows per state, kept as rows change, so the window's counts cost nothing per row.
        self._state_of: dict[int, State] = {}
        self._counts: dict[State, int] = dict.fromkeys(State, 0)

    # Qt model API ------------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = DISPLAY_ROLE) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        item = self._items[index.row()]
        if role == QtCore.Qt.ItemDataRole.DisplayRole:
            return item.label
        if role == QtCore.Qt.ItemDataRole.ToolTipRole:
            return item.details or item.error or item.label
        if role == QtCore.Qt.ItemDataRole.AccessibleTextRole:
            return f"{item.label}: {item.status_text()}"
        if role == ItemRole:
            return item
        return None

    # Dragging finished uploads out (onto an album in the Albums tab) ---------------------

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        flags = super().flags(index)
        if index.isValid() and self._items[index.row()].image is not None:
            flags |= QtCore.Qt.ItemFlag.ItemIsDragEnabled
        return flags

    def mimeTypes(self) -> list[str]:
        from .image_mime import MIME_TYPE

        return [MIME_TYPE]

    def mimeData(self, indexes: list[QModelIndex]) -> QMimeData:  # type: ignore[override]
        from .image_mime import to_mime

        rows = sorted({i.row() for i in indexes if i.isValid()})
        images = [self._items[r].image for r in rows]
        mime = to_mime([i.hash for i in images if i is not None])
        mime.setText("\n".join(i.links.original for i in images if i is not None))
        return mime

    def supportedDragActions(self) -> Qt.DropAction:
        return QtCore.Qt.DropAction.CopyAction

    # Access for the queue and the view ---------------------------------------------------

    @property
    def items(self) -> list[UploadItem]:
        return list(self._items)

    def rows(self) -> list[UploadItem]:
        """The rows themselves, not a copy: for the queue's scan, which must not change it."""
        return self._items

    def add(self, items: list[UploadItem]) -> None:
        if not items:
            return
        first = len(self._items)
        self.beginInsertRows(QModelIndex(), first, first + len(items) - 1)
        self._items.extend(items)
        for row, item in enumerate(items, first):
            self._rows[item.id] = row
            self._state_of[item.id] = item.state
            self._counts[item.state] += 1
        self.endInsertRows()

    def row_of(self, item: UploadItem) -> int:
        row = self._rows.get(item.id, -1)
        return row if 0 <= row < len(self._items) and self._items[row] is item else -1

    def count(self, state: State) -> int:
        return self._counts[state]

    def changed(self, item: UploadItem, *, look_only: bool = False) -> None:
        row = self.row_of(item)
        if row >= 0:
            old = self._state_of[item.id]
            if old is not item.state:
                self._counts[old] -= 1
                self._counts[item.state] += 1
                self._state_of[item.id] = item.state
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
            self._counts[self._state_of.pop(item.id)] -= 1
            self._rows = {it.id: n for n, it in enumerate(self._items)}
            self.endRemoveRows()

    def remove_where(self, doomed: Callable[[UploadItem], bool]) -> int:
        """Remove every row ``doomed`` picks, a run of rows at a time from the bottom, and
        re-index once: clearing 10,000 finished rows is one pass, not 10,000."""
        rows = [n for n, item in enumerate(self._items) if doomed(item)]
        end = len(rows)
        while end > 0:
            start = end - 1
            while start > 0 and rows[start - 1] == rows[start] - 1:
                start -= 1
            first, last = rows[start], rows[end - 1]
            self.beginRemoveRows(QModelIndex(), first, last)
            for item in self._items[first:last + 1]:
                self._counts[self._state_of.pop(item.id)] -= 1
            del self._items[first:last + 1]
            self.endRemoveRows()
            end = start
        if rows:
            self._rows = {it.id: n for n, it in enumerate(self._items)}
        return len(rows)

    def item_at(self, row: int) -> UploadItem:
        return self._items[row]
