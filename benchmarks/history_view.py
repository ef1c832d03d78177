"""Measure 7, History: the History view over a ledger of ``sizes.history_rows`` uploads
(100,000 in the full run), shown and scrolled to the end, against reading the same rows with
``sqlite3`` directly.

This project: from opening the ledger to the view's first screen painted, then scrolled to the
last row and that screen painted (``HistoryView`` as the app builds it, offscreen). The model
counts the rows and reads only the blocks the screens show. Baseline: one ``sqlite3``
connection reading every row the view can show (the ledger's columns, newest first), which is
what a table that loads the whole history reads before it can show anything. The two run
alternately ``REPS`` times on a warm file cache; the best run of each counts.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication

from imgur_desktop.core.ledger import COLUMNS, Ledger, State
from imgur_desktop.ui.history_model import BLOCK
from imgur_desktop.ui.history_view import HistoryView

from . import qtapp
from .report import RATIO_MAX, Budget, Row
from .suite import Run

REPS = 3
BUDGET = 3.0
TIMEOUT = 60.0
SIZE = (1000, 640)  # about the main window


class PaintCounter(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.paints = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.paints += 1
        return False


def fill(folder: Path, count: int) -> Path:
    """A ledger of ``count`` finished, failed and deleted uploads with realistic field sizes,
    written in one transaction (the ledger makes the file and its schema)."""
    ledger = Ledger.in_dir(folder)
    path = ledger.path
    ledger.close()
    now = time.time()
    base = "http://127.0.0.1:8750/"
    rows = []
    for i in range(1, count + 1):
        state = State.FAILED if i % 11 == 0 else State.DELETED if i % 29 == 0 else State.DONE
        image = f"Ab{i:05d}x"
        rows.append((
            now - (count - i) * 60, now - (count - i) * 60, f"holiday photo {i:06d}.jpg", "file",
            f"/home/someone/Pictures/2026/holiday photo {i:06d}.jpg", 240_000 + i,
            base + "2/", "alice" if i % 3 else None, f"album {i % 40}" if i % 4 == 0 else None,
            state, 1 + (i % 3 == 0),
            "The service had a problem (502). Try again in a moment." if state == State.FAILED
            else None,
            None if state == State.FAILED else image,
            None if state == State.FAILED else f"del{i:010d}Zq",
            None if state == State.FAILED else f"{base}{image}.jpg",
            None if state == State.FAILED else f"{base}{image}",
            None if state == State.FAILED else f"{base}delete/del{i:010d}Zq",
        ))
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO uploads (created, updated, label, kind, source, size, service, account,"
            " album, state, attempts, error, hash, deletehash, link, page, delete_page)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    return path


def read_all(path: Path) -> tuple[float, int]:
    """Seconds to read every row with sqlite3, and how many rows that was."""
    start = time.perf_counter()
    db = sqlite3.connect(path)
    try:
        rows = db.execute(f"SELECT {','.join(COLUMNS)} FROM uploads ORDER BY id DESC").fetchall()
    finally:
        db.close()
    return time.perf_counter() - start, len(rows)


def read_same_blocks(path: Path, blocks: list[int]) -> float:
    """Seconds for sqlite3 to count the rows and read just the blocks the view read (for
    information: the view's own overhead over its reads)."""
    start = time.perf_counter()
    db = sqlite3.connect(path)
    try:
        db.execute("SELECT COUNT(*) FROM uploads").fetchone()
        for block in blocks:
            db.execute(f"SELECT {','.join(COLUMNS)} FROM uploads ORDER BY id DESC"
                       " LIMIT ? OFFSET ?", (BLOCK, block * BLOCK)).fetchall()
    finally:
        db.close()
    return time.perf_counter() - start


def show_and_scroll(path: Path, count: int) -> tuple[float, dict[str, int]]:
    """Seconds from opening the ledger to the last screen painted, and what the model read."""
    counter = PaintCounter()
    start = time.perf_counter()
    ledger = Ledger(path)
    view = HistoryView(ledger)
    try:
        view.table.viewport().installEventFilter(counter)
        view.resize(*SIZE)
        view.show()
        if not qtapp.run_until(lambda: counter.paints > 0, TIMEOUT, poll_ms=1):
            raise RuntimeError("the History view was never painted")
        painted = counter.paints
        view.table.scrollToBottom()
        table = view.table
        bottom = table.viewport().rect().bottomLeft()
        if not qtapp.run_until(lambda: counter.paints > painted
                               and table.indexAt(bottom).row() == count - 1, TIMEOUT,
                               poll_ms=1):
            raise RuntimeError("the History view did not scroll to its last row")
        elapsed = time.perf_counter() - start
        last = view.model.entry(count - 1)
        if last is None or last.id != 1:
            raise RuntimeError(f"the last row shown is not the oldest upload: {last}")
        top = table.indexAt(table.viewport().rect().topLeft()).row()
        read = {"rows_read": view.model.rows_fetched, "reads": view.model.reads,
                "rows_on_screen": count - top}
    finally:
        view.close()
        view.deleteLater()
        QApplication.processEvents()
        ledger.close()
    return elapsed, read


def measure(run: Run) -> list[Row]:
    count = run.sizes.history_rows
    qtapp.application()
    t0 = time.perf_counter()
    path = fill(run.folder("history"), count)
    fill_s = time.perf_counter() - t0
    view_s: list[float] = []
    sqlite_s: list[float] = []
    read: dict[str, int] = {}
    for _ in range(REPS):
        seconds, read = show_and_scroll(path, count)
        view_s.append(seconds)
        seconds, rows = read_all(path)
        if rows != count:
            raise RuntimeError(f"sqlite3 read {rows} rows, not {count}")
        sqlite_s.append(seconds)
    screen = read["rows_on_screen"]
    blocks = sorted({0, (count - screen) // BLOCK, (count - 1) // BLOCK})
    same_blocks_ms = min(read_same_blocks(path, blocks) for _ in range(REPS)) * 1000
    details = {"rows": count, "fill_s": round(fill_s, 2),
               "view_ms": [round(s * 1000, 1) for s in view_s],
               "sqlite_all_rows_ms": [round(s * 1000, 1) for s in sqlite_s],
               "sqlite_same_blocks_ms": round(same_blocks_ms, 2), **read}
    return [Row("7", f"History of {count:,} uploads shown and scrolled to the end", "ms",
                min(view_s) * 1000, min(sqlite_s) * 1000, "sqlite3 reading the same rows",
                Budget(RATIO_MAX, BUDGET), details=details)]
