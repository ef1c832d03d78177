"""The History table's model: the ledger's rows for one query, read in blocks on demand.

The model knows how many rows match (one ``COUNT``) and reads ``BLOCK`` rows at a time, by
offset, only when a view asks for one of them, keeping the few blocks used last. So a view over
100,000 uploads reads the screen it shows, never the whole ledger.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from collections import OrderedDict
from collections.abc import Iterable
from enum import IntEnum

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from imgur_desktop.core.ledger import Entry, Ledger, LedgerError, Query, State

logger = logging.getLogger(__name__)

BLOCK = 200  # rows per read: a few screens
MAX_BLOCKS = 12  # blocks kept; the rest are read again when scrolled back to


class Column(IntEnum):
    DATE = 0
    NAME = 1
    STATE = 2
    ALBUM = 3
    LINK = 4
    ATTEMPTS = 5
    ERROR = 6


HEADERS = ("Date", "Name", "State", "Album", "Link", "Attempts", "Last error")

STATE_TEXT = {
    State.QUEUED: "Queued",
    State.SENDING: "Sending",
    State.DONE: "Done",
    State.FAILED: "Failed",
    State.CANCELLED: "Cancelled",
    State.DELETED: "Deleted",
}

EntryRole = Qt.ItemDataRole.UserRole + 1
FAILED_COLOR = QColor(200, 40, 40)

Index = QModelIndex | QPersistentModelIndex


def date_text(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")


class HistoryModel(QAbstractTableModel):
    # The ledger could not be read (the exception): the rows it would have held stay empty
    # and are read again when next shown.
    readFailed = Signal(object)

    def __init__(self, ledger: Ledger, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ledger = ledger
        self._query = Query()
        self._count = 0
        self._blocks: OrderedDict[int, list[Entry]] = OrderedDict()
        # What went wrong deleting a row in this session: the ledger row keeps its state and
        # its own last error (a failed delete changes nothing there), the table says why.
        self._notes: dict[int, str] = {}
        self._busy: set[int] = set()  # rows whose delete is on its way
        self.rows_fetched = 0  # rows read from the ledger, for tests and the benchmark
        self.reads = 0
        self._count = self._count_of(self._query)

    # -- what is shown -------------------------------------------------------------------------

    @property
    def query(self) -> Query:
        return self._query

    def set_query(self, query: Query) -> None:
        self.beginResetModel()
        self._query = query
        self._blocks.clear()
        self._count = self._count_of(query)
        self.endResetModel()

    def refresh(self) -> None:
        """Read the ledger again. New uploads appear at the top and the rows already shown
        keep their place (and their selection); when the rows moved in another way (a row
        left the filter, say) the model is reset rather than show a row where another was."""
        old = self._count
        new = self._count_of(self._query, old)
        shown = list(self._blocks.items())
        self._blocks.clear()
        delta = new - old
        if delta < 0 or not self._still_there(shown, delta):
            self.beginResetModel()
            self._count = new
            self.endResetModel()
            return
        if delta:
            self.beginInsertRows(QModelIndex(), 0, delta - 1)
            self._count = new
            self.endInsertRows()
        if new:
            self.dataChanged.emit(self.index(0, 0), self.index(new - 1, len(Column) - 1))

    def _still_there(self, shown: list[tuple[int, list[Entry]]], delta: int) -> bool:
        """Whether every row read before is now ``delta`` rows further down."""
        for block, rows in shown:
            fresh = self._read(block * BLOCK + delta, len(rows))
            if fresh is None or [e.id for e in fresh] != [e.id for e in rows]:
                return False
            if delta == 0:
                self._blocks[block] = fresh
        return True

    def _count_of(self, query: Query, fallback: int = 0) -> int:
        try:
            return self.ledger.count(query)
        except (sqlite3.Error, LedgerError) as exc:
            self._failed(exc)
            return fallback

    def _read(self, offset: int, limit: int) -> list[Entry] | None:
        try:
            rows = self.ledger.query(self._query, limit=limit, offset=offset)
        except (sqlite3.Error, LedgerError) as exc:
            self._failed(exc)
            return None
        self.rows_fetched += len(rows)
        self.reads += 1
        return rows

    def _failed(self, exc: Exception) -> None:
        logger.warning("the upload history could not be read: %s", exc)
        self.readFailed.emit(exc)

    def entry(self, row: int) -> Entry | None:
        if not 0 <= row < self._count:
            return None
        block, at = divmod(row, BLOCK)
        rows = self._blocks.get(block)
        if rows is None:
            rows = self._read(block * BLOCK, BLOCK)
            if rows is None:
                return None
            self._blocks[block] = rows
            while len(self._blocks) > MAX_BLOCKS:
                self._blocks.popitem(last=False)
        else:
            self._blocks.move_to_end(block)
        return rows[at] if at < len(rows) else None

    def entries(self, ranges: Iterable[tuple[int, int]]) -> list[Entry]:
        """The rows in ``ranges`` (first, last inclusive), top to bottom: one read per range
        not already in memory, so a selection of thousands is a few queries, not thousands."""
        out: list[Entry] = []
        seen: set[int] = set()
        for first, last in sorted(ranges):
            first, last = max(first, 0), min(last, self._count - 1)
            if last < first:
                continue
            if (last - first) < BLOCK:
                found = [self.entry(row) for row in range(first, last + 1)]
                rows = [e for e in found if e is not None]
            else:
                rows = self._read(first, last - first + 1) or []
            for e in rows:
                if e.id not in seen:
                    seen.add(e.id)
                    out.append(e)
        return out

    def note(self, row_id: int, text: str | None) -> None:
        """Say (or stop saying) what went wrong with a row in this session."""
        if text is None:
            self._notes.pop(row_id, None)
        else:
            self._notes[row_id] = text
        self._row_changed(row_id)

    def set_busy(self, row_id: int, busy: bool) -> None:
        if busy:
            self._busy.add(row_id)
        else:
            self._busy.discard(row_id)
        self._row_changed(row_id)

    def is_busy(self, row_id: int) -> bool:
        return row_id in self._busy

    def _row_changed(self, row_id: int) -> None:
        for block, rows in self._blocks.items():
            for at, e in enumerate(rows):
                if e.id == row_id:
                    row = block * BLOCK + at
                    self.dataChanged.emit(self.index(row, 0),
                                          self.index(row, len(Column) - 1))
                    return

    # -- QAbstractTableModel -------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's default)
        return 0 if parent.isValid() else self._count

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(HEADERS)):
            return HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        e = self.entry(index.row())
        if e is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(e, column)
        if role == EntryRole:
            return e
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == Column.ERROR:
                return self._notes.get(e.id) or e.error
            if column == Column.NAME:
                return e.source or e.label
            if column == Column.LINK:
                return e.page or e.link
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            if e.state == State.DELETED:  # greyed out, never gone: nothing vanishes silently
                return QApplication.palette().color(QPalette.ColorGroup.Disabled,
                                                    QPalette.ColorRole.Text)
            if (column in (Column.STATE, Column.ERROR) and e.state == State.FAILED) or (
                    column == Column.ERROR and e.id in self._notes):
                return FAILED_COLOR
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and column == Column.ATTEMPTS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _text(self, e: Entry, column: int) -> str | int:
        if column == Column.DATE:
            return date_text(e.created)
        if column == Column.NAME:
            return e.title or e.label
        if column == Column.STATE:
            if e.id in self._busy:
                return "Deleting…"
            text = STATE_TEXT.get(e.state, e.state)
            return f"{text} (sent again)" if e.interrupted and e.state == State.DONE else text
        if column == Column.ALBUM:
            return e.album or ""
        if column == Column.LINK:
            return e.link or ""
        if column == Column.ATTEMPTS:
            return e.attempts
        return self._notes.get(e.id) or e.error or ""
