"""History: every upload in the ledger, searchable and filtered by state, date and album, with
the links copied in any format, pages opened, images deleted from the server (a row says
Deleted only once the server confirmed) and the shown rows exported to JSON or CSV."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QItemSelectionModel, QPoint, Qt, QThreadPool, QTimer, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from imgur_desktop.cli.history import write_export
from imgur_desktop.core.cancel import CancelToken
from imgur_desktop.core.ledger import Entry, Ledger, LedgerError, Query, State
from imgur_desktop.core.links import LinkFormat, format_link
from imgur_desktop.core.messages import describe

from .dialogs import error_box
from .history_model import Column, HistoryModel
from .workers import Progress, Worker

if TYPE_CHECKING:  # not imported at run time: the window opens before requests is loaded
    from imgur_desktop.core.api.v2 import V2Client

SEARCH_DELAY_MS = 250  # typing pauses this long before the table is filtered
POLL_MS = 2000  # how often a shown History looks whether the ledger file changed
MAX_OPEN = 10  # pages opened at once; more is surely a slip of the mouse

STATE_FILTERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("All states", ()),
    ("Done", (State.DONE,)),
    ("Failed", (State.FAILED,)),
    ("Pending", State.PENDING),
    ("Deleted", (State.DELETED,)),
    ("Cancelled", (State.CANCELLED,)),
)
DATE_FILTERS: tuple[tuple[str, int | None], ...] = (
    ("Any date", None),
    ("Today", 0),
    ("Last 7 days", 7),
    ("Last 30 days", 30),
)
COPY_FORMATS = tuple(f for f in LinkFormat if f is not LinkFormat.DELETE)
COLUMN_WIDTHS = {Column.DATE: 130, Column.NAME: 220, Column.STATE: 90, Column.ALBUM: 110,
                 Column.LINK: 260, Column.ATTEMPTS: 70}
NO_CLIENT = "Not connected to the image host yet: try again in a moment."


def since_of(days: int | None, now: float | None = None) -> float | None:
    """The start of a date filter: 0 days is today since local midnight."""
    if days is None:
        return None
    moment = dt.datetime.fromtimestamp(time.time() if now is None else now)
    start = moment.replace(hour=0, minute=0, second=0, microsecond=0) if days == 0 else (
        moment - dt.timedelta(days=days))
    return start.timestamp()


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


@dataclass
class _Deletes:
    """One confirmed delete of several rows, so the person hears once how it went."""

    left: int
    done: int = 0
    failures: list[str] = field(default_factory=list)


class HistoryTable(QTableView):
    """The table keeps Ctrl+C and Delete for itself (the main window binds both keys to its
    upload list), and turns them into the History's own actions."""

    def __init__(self, parent: QWidget, *, copy: Callable[[], object],
                 delete: Callable[[], object]) -> None:
        super().__init__(parent)
        self._copy = copy
        self._delete = delete

    @staticmethod
    def _ours(event: QKeyEvent) -> bool:
        return event.matches(QKeySequence.StandardKey.Copy) or (
            event.key() == Qt.Key.Key_Delete
            and event.modifiers() == Qt.KeyboardModifier.NoModifier)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) \
                and self._ours(event):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Copy):
            self._copy()
        elif self._ours(event):
            self._delete()
        else:
            super().keyPressEvent(event)


class HistoryView(QWidget):
    def __init__(self, ledger: Ledger, *, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ledger = ledger
        self.client: V2Client | None = None
        self.model = HistoryModel(ledger, self)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(2)  # deletes are small requests; two keep a core free
        self.open_url: Callable[[QUrl], object] = QDesktopServices.openUrl
        self._signature = self._file_signature()
        self.setAccessibleName("History")

        column = QVBoxLayout(self)
        filters = QHBoxLayout()
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search names, links, titles and albums")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search the history")
        filters.addWidget(self.search, 1)
        self.state_filter = QComboBox(self)
        self.state_filter.setAccessibleName("Filter by state")
        for label, states in STATE_FILTERS:
            self.state_filter.addItem(label, states)
        filters.addWidget(self.state_filter)
        self.date_filter = QComboBox(self)
        self.date_filter.setAccessibleName("Filter by date")
        for label, days in DATE_FILTERS:
            self.date_filter.addItem(label, days)
        filters.addWidget(self.date_filter)
        self.album_filter = QComboBox(self)
        self.album_filter.setAccessibleName("Filter by album")
        self.album_filter.addItem("All albums", None)
        filters.addWidget(self.album_filter)
        column.addLayout(filters)

        self.table = HistoryTable(self, copy=self.copy_links, delete=self.delete_selected)
        self.table.setAccessibleName("Uploads in the history")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        rows = self.table.verticalHeader()
        rows.hide()  # row numbers mean nothing here
        # Fixed heights: the view never asks 100,000 rows how tall they are.
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        for col, width in COLUMN_WIDTHS.items():
            self.table.setColumnWidth(col, width)
        column.addWidget(self.table, 1)

        actions = QHBoxLayout()
        actions.addWidget(QLabel("Copy as", self))
        self.format = QComboBox(self)
        self.format.setAccessibleName("Link format")
        for fmt in COPY_FORMATS:
            self.format.addItem(fmt.label, fmt.value)
        actions.addWidget(self.format)
        self.copy_button = QPushButton("Copy links", self)
        self.copy_button.clicked.connect(lambda: self.copy_links())
        self.open_button = QPushButton("Open", self)
        self.open_button.clicked.connect(self.open_pages)
        self.copy_delete_button = QPushButton("Copy delete link", self)
        self.copy_delete_button.clicked.connect(self.copy_delete_links)
        self.delete_button = QPushButton("Delete from server…", self)
        self.delete_button.clicked.connect(self.delete_selected)
        self.export_button = QPushButton("Export…", self)
        self.export_button.clicked.connect(self.export)
        for button in (self.copy_button, self.open_button, self.copy_delete_button,
                       self.delete_button):
            actions.addWidget(button)
        actions.addStretch(1)
        self.count_text = QLabel(self)
        actions.addWidget(self.count_text)
        actions.addWidget(self.export_button)
        column.addLayout(actions)
        self.status = QLabel(self)
        self.status.setAccessibleName("History status")
        self.status.setWordWrap(True)
        column.addWidget(self.status)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.apply_filters)
        self.search.textChanged.connect(self._search_timer.start)
        for combo in (self.state_filter, self.date_filter, self.album_filter):
            combo.currentIndexChanged.connect(self.apply_filters)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.model.readFailed.connect(self._read_failed)
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._poll_ledger)
        self._poll.start()

        self._refresh_albums()
        self._update_count()
        self._selection_changed()

    # -- wiring from outside -------------------------------------------------------------------

    def set_client(self, client: V2Client | None) -> None:
        """The client deletes go through (None until the service is known)."""
        self.client = client

    def refresh(self) -> None:
        """Read the ledger again (the queue wrote to it); selection and scroll stay."""
        self._signature = self._file_signature()
        self.model.refresh()
        self._refresh_albums()
        self._update_count()

    # -- filters -------------------------------------------------------------------------------

    def current_query(self) -> Query:
        states = self.state_filter.currentData()
        album = self.album_filter.currentData()
        return Query(text=self.search.text().strip(), states=tuple(states or ()),
                     since=since_of(self.date_filter.currentData()),
                     album=album if isinstance(album, str) else None)

    def apply_filters(self) -> None:
        self._search_timer.stop()
        self.model.set_query(self.current_query())
        self._update_count()

    def _refresh_albums(self) -> None:
        try:
            albums = self.ledger.albums()
        except (sqlite3.Error, LedgerError) as exc:
            self._read_failed(exc)
            return
        known = [self.album_filter.itemData(i) for i in range(1, self.album_filter.count())]
        if albums == known:
            return
        current = self.album_filter.currentData()
        self.album_filter.blockSignals(True)
        self.album_filter.clear()
        self.album_filter.addItem("All albums", None)
        for album in albums:
            self.album_filter.addItem(album, album)
        if isinstance(current, str) and current not in albums:
            self.album_filter.addItem(current, current)  # what is filtered on stays chosen
        self.album_filter.setCurrentIndex(max(0, self.album_filter.findData(current)))
        self.album_filter.blockSignals(False)

    def _update_count(self) -> None:
        self.count_text.setText(plural(self.model.rowCount(), "upload"))

    def _file_signature(self) -> tuple[tuple[int, int] | None, ...]:
        """Every commit changes the ledger's WAL (or the file): a stat tells whether
        anything was written without reading the database."""
        out: list[tuple[int, int] | None] = []
        for path in (self.ledger.path, self.ledger.path.with_name(self.ledger.path.name
                                                                  + "-wal")):
            try:
                st = os.stat(path)
            except OSError:
                out.append(None)
            else:
                out.append((st.st_mtime_ns, st.st_size))
        return tuple(out)

    def _read_failed(self, exc: object) -> None:
        text = describe(exc) if isinstance(exc, BaseException) else str(exc)
        self.show_status(f"The upload history could not be read: {text}")

    def _poll_ledger(self) -> None:
        if self.isVisible() and self._file_signature() != self._signature:
            self.refresh()

    # -- the selection -------------------------------------------------------------------------

    def selected_entries(self) -> list[Entry]:
        selection = self.table.selectionModel().selection()
        ranges = [(r.top(), r.bottom()) for r in (selection.at(i) for i in range(selection.size()))]
        return self.model.entries(ranges)

    def select_rows(self, rows: list[int]) -> None:
        """Select these rows (as a person would with Ctrl+click)."""
        selection = self.table.selectionModel()
        selection.clearSelection()
        flags = (QItemSelectionModel.SelectionFlag.Select
                 | QItemSelectionModel.SelectionFlag.Rows)
        for row in rows:
            selection.select(self.model.index(row, 0), flags)

    def _selection_changed(self, *args: object) -> None:
        has = self.table.selectionModel().hasSelection()
        for button in (self.copy_button, self.open_button, self.copy_delete_button,
                       self.delete_button):
            button.setEnabled(has)

    def _context_menu(self, point: QPoint) -> None:
        if not self.table.selectionModel().hasSelection():
            return
        menu = QMenu(self)
        copy_as = menu.addMenu("Copy as")
        for fmt in COPY_FORMATS:
            action = QAction(fmt.label, copy_as)
            action.triggered.connect(lambda _=False, f=fmt: self.copy_links(f))
            copy_as.addAction(action)
        menu.addAction("Copy delete link", self.copy_delete_links)
        menu.addAction("Open page", self.open_pages)
        menu.addSeparator()
        menu.addAction("Delete from server…", self.delete_selected)
        menu.popup(self.table.viewport().mapToGlobal(point))

    # -- links ---------------------------------------------------------------------------------

    def copy_links(self, fmt: LinkFormat | None = None) -> str:
        """The selected uploads' links in ``fmt`` (default: the chosen one), one a line, on
        the clipboard; returns the text."""
        fmt = fmt or LinkFormat(self.format.currentData())
        entries = self.selected_entries()
        lines = []
        for e in entries:
            image = e.image()
            if e.state == State.DONE and image is not None:
                lines.append(format_link(image, fmt))
        return self._put(lines, len(entries), "link",
                         "only finished uploads that are still on the server have links")

    def copy_delete_links(self) -> str:
        entries = self.selected_entries()
        lines = [e.delete_page for e in entries if e.state == State.DONE and e.delete_page]
        return self._put(lines, len(entries), "delete link",
                         "only finished uploads still on the server have delete links")

    def _put(self, lines: list[str], asked: int, what: str, why: str) -> str:
        if not lines:
            self.show_status(f"Nothing copied: {why}.")
            return ""
        text = "\n".join(lines)
        QApplication.clipboard().setText(text)
        message = f"{plural(len(lines), what)} copied"
        if asked > len(lines):
            message += f"; {asked - len(lines)} skipped ({why})"
        self.show_status(message + ".")
        return text

    def open_pages(self) -> None:
        pages = [e.page or e.link for e in self.selected_entries()
                 if e.state == State.DONE and (e.page or e.link)]
        if not pages:
            self.show_status("Nothing to open: only finished uploads have a page.")
            return
        for page in pages[:MAX_OPEN]:
            self.open_url(QUrl(page or ""))
        if len(pages) > MAX_OPEN:
            self.show_status(f"Opened the first {MAX_OPEN} of {len(pages)} pages.")

    # -- delete from the server ----------------------------------------------------------------

    def delete_selected(self) -> bool:
        """Ask, then delete the selected uploads from the server, one request each on the
        pool. Returns whether deletes were started."""
        entries = [e for e in self.selected_entries()
                   if e.state == State.DONE and e.deletehash and not self.model.is_busy(e.id)]
        if not entries:
            self.show_status("Nothing to delete: only finished uploads with a delete link "
                             "can be deleted from the server.")
            return False
        client = self.client
        if client is None:
            self.show_status(NO_CLIENT)
            return False
        names = "\n".join(f"• {e.title or e.label}" for e in entries[:5])
        if len(entries) > 5:
            names += f"\n… and {len(entries) - 5} more"
        answer = QMessageBox.question(
            self, "Delete from the server?",
            f"Delete {plural(len(entries), 'image')} from the server? Their links stop "
            f"working for everyone. This cannot be undone.\n\n{names}",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No)
        if answer != QMessageBox.StandardButton.Yes:
            return False
        batch = _Deletes(left=len(entries))
        self.show_status(f"Deleting {plural(len(entries), 'image')}…")
        for e in entries:
            self._start_delete(client, e, batch)
        return True

    def _start_delete(self, client: V2Client, e: Entry, batch: _Deletes) -> None:
        deletehash = e.deletehash or ""

        def job(progress: Progress, cancel: CancelToken) -> None:
            client.delete(deletehash)

        worker = Worker(job, parent=self)
        worker.signals.finished.connect(lambda _result: self._deleted(e, batch))
        worker.signals.failed.connect(lambda exc: self._delete_failed(e, batch, exc))
        self.model.set_busy(e.id, True)
        self.model.note(e.id, None)
        self.pool.start(worker)

    def _deleted(self, e: Entry, batch: _Deletes) -> None:
        """The server confirmed: now, and only now, the row says Deleted."""
        self.model.set_busy(e.id, False)
        try:
            self.ledger.deleted(e.id)
        except Exception as exc:  # the server has deleted it; say the ledger could not follow
            self._delete_failed(e, batch, exc, deleted_on_server=True)
            return
        batch.done += 1
        self.refresh()  # the row says Deleted now, not when the last of the batch is back
        self._delete_ended(batch)

    def _delete_failed(self, e: Entry, batch: _Deletes, exc: object,
                       deleted_on_server: bool = False) -> None:
        self.model.set_busy(e.id, False)
        text = describe(exc) if isinstance(exc, BaseException) else str(exc)
        if deleted_on_server:
            text = f"Deleted on the server, but the history could not record it: {text}"
        else:
            text = f"Not deleted: {text}"
        self.model.note(e.id, text)
        batch.failures.append(f"{e.title or e.label}: {text}")
        self._delete_ended(batch)

    def _delete_ended(self, batch: _Deletes) -> None:
        batch.left -= 1
        if batch.left > 0:
            return
        if not batch.failures:
            self.show_status(f"{plural(batch.done, 'image')} deleted from the server.")
            return
        failed = len(batch.failures)
        head = (f"{plural(batch.done, 'image')} deleted; " if batch.done else "") + (
            f"{plural(failed, 'image')} could not be deleted and keep "
            f"{'its' if failed == 1 else 'their'} delete link.")
        self.show_status(head + " " + batch.failures[0])

    # -- export --------------------------------------------------------------------------------

    def export(self) -> None:
        name, chosen = QFileDialog.getSaveFileName(
            self, "Export the history", str(Path.home() / "imgur-desktop-history.json"),
            "JSON (*.json);;CSV (*.csv)")
        if not name:
            return
        path = Path(name)
        if path.suffix.lower() not in (".json", ".csv"):
            path = path.with_name(path.name + (".csv" if "csv" in chosen.lower() else ".json"))
        self.export_to(path)

    def export_to(self, path: Path) -> Worker:
        """Write the rows the current filter shows to ``path`` (JSON or CSV by its name), on
        the pool: a large history takes a moment."""
        ledger, query = self.ledger, self.model.query

        def job(progress: Progress, cancel: CancelToken) -> int:
            return write_export(ledger.snapshot(query), path)

        worker = Worker(job, parent=self)
        worker.signals.finished.connect(
            lambda count: self.show_status(f"Exported {plural(int(count), 'upload')} to "
                                           f"{path}."))
        worker.signals.failed.connect(lambda exc: self._export_failed(path, exc))
        self.show_status(f"Exporting to {path}…")
        self.pool.start(worker)
        return worker

    def _export_failed(self, path: Path, exc: object) -> None:
        text = describe(exc) if isinstance(exc, BaseException) else str(exc)
        self.show_status(f"The history could not be exported to {path}: {text}")
        error_box(self, f"The history could not be exported to {path}.", text).open()

    # -- status --------------------------------------------------------------------------------

    def show_status(self, text: str) -> None:
        self.status.setText(text)
