"""The History view over a real ledger whose rows were written as the queue writes them, around
real uploads to the local host: search and filters, links copied in any format, deletes from
the server (the row says Deleted only once the host confirmed; a 500 keeps the row and its
delete link), export of the shown rows, and 100,000 rows read a screen at a time."""

from __future__ import annotations

import csv
import json
import sqlite3
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from PySide6.QtCore import Qt, QUrl
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from imgur_desktop.core.api.v2 import V2Client
from imgur_desktop.core.ledger import EXPORT_COLUMNS, Entry, Ledger, NewUpload, Query, State
from imgur_desktop.ui.history_model import BLOCK, Column
from imgur_desktop.ui.history_view import HistoryView
from tests.conftest import HostWithKeys
from tests.core.conftest import fast_transport
from tests.support.faults import FaultProxy, Respond
from tests.ui.conftest import clipboard_text, unique_png, when_modal

pytestmark = pytest.mark.timeout(90)
WAIT = 20_000  # ms
DAY = 86_400


def upload_row(ledger: Ledger, client: V2Client, name: str, album: str | None = None) -> int:
    """One upload as the queue records it: spooled and queued, sending, sent, done."""
    data = unique_png()
    spool = ledger.spool(data)
    (row_id,) = ledger.add([NewUpload(name, "spooled", spool=str(spool), size=len(data),
                                      album=album)], service=client.api_url, account=None)
    ledger.sending(row_id)
    ledger.done(row_id, client.upload_file(spool))
    return row_id


def failed_row(ledger: Ledger, name: str, error: str, attempts: int = 1) -> int:
    (row_id,) = ledger.add([NewUpload(name, "file", source=f"/pictures/{name}")],
                           service="http://127.0.0.1:9/2/", account=None)
    for _ in range(attempts):
        ledger.sending(row_id)
        ledger.waiting(row_id, error)
    ledger.failed(row_id, error)
    return row_id


def age(ledger: Ledger, row_id: int, days: float) -> None:
    with sqlite3.connect(ledger.path) as db:
        db.execute("UPDATE uploads SET created = ? WHERE id = ?",
                   (time.time() - days * DAY, row_id))


@dataclass
class Filled:
    ledger: Ledger
    client: V2Client
    done: list[int]  # oldest first
    failed: list[int]
    queued: int


@pytest.fixture
def filled(tmp_path: Path, shared_host: HostWithKeys) -> Iterator[Filled]:
    ledger = Ledger.in_dir(tmp_path / "data")
    client = V2Client(shared_host.api, key=shared_host.keys.key)
    old = upload_row(ledger, client, "old beach.png", album="trips")
    age(ledger, old, 12)
    done = [old,
            upload_row(ledger, client, "mountain.png", album="trips"),
            upload_row(ledger, client, "cat.png", album="pets"),
            upload_row(ledger, client, "screenshot 2026.png")]
    failed = [failed_row(ledger, "notes.txt", "That file type is not supported!"),
              failed_row(ledger, "huge.tif", "The service had a problem (502). Try again in "
                                             "a moment.", attempts=3)]
    (queued,) = ledger.add([NewUpload("waiting.png", "file", source="/pictures/waiting.png")],
                           service=client.api_url, account=None)
    yield Filled(ledger, client, done, failed, queued)
    ledger.close()


@pytest.fixture
def view(qtbot: QtBot, filled: Filled) -> Iterator[HistoryView]:
    widget = HistoryView(filled.ledger)
    qtbot.addWidget(widget)
    widget.resize(1000, 600)
    with qtbot.waitExposed(widget):
        widget.show()
    widget.set_client(filled.client)
    yield widget
    widget.pool.waitForDone(20_000)
    widget.close()  # before the ledger closes


def shown(view: HistoryView, column: Column) -> list[object]:
    model = view.model
    return [model.data(model.index(r, column)) for r in range(model.rowCount())]


def row_of(view: HistoryView, row_id: int) -> int:
    for row in range(view.model.rowCount()):
        e = view.model.entry(row)
        if e is not None and e.id == row_id:
            return row
    raise AssertionError(f"row {row_id} is not shown")


def status(url: str) -> int:
    return requests.get(url, timeout=10).status_code


def answer(box: QMessageBox, button: QMessageBox.StandardButton, asked: list[str]) -> None:
    """Read the question (the box is gone once answered), then answer it."""
    asked.append(box.text())
    box.button(button).click()


def choose(combo: object, text: str) -> None:
    from PySide6.QtWidgets import QComboBox

    assert isinstance(combo, QComboBox)
    index = combo.findText(text)
    assert index >= 0, text
    combo.setCurrentIndex(index)


def test_rows_show_date_name_state_album_link_attempts_and_last_error(
        view: HistoryView, filled: Filled) -> None:
    ledger = filled.ledger
    assert view.model.rowCount() == 7
    assert shown(view, Column.NAME) == ["waiting.png", "huge.tif", "notes.txt",
                                        "screenshot 2026.png", "cat.png", "mountain.png",
                                        "old beach.png"]
    assert shown(view, Column.STATE) == ["Queued", "Failed", "Failed"] + ["Done"] * 4
    assert shown(view, Column.ALBUM) == ["", "", "", "", "pets", "trips", "trips"]
    assert shown(view, Column.ATTEMPTS) == [0, 3, 1, 1, 1, 1, 1]
    assert shown(view, Column.LINK)[3:] == [ledger.get(i).link for i in reversed(filled.done)]
    assert all(str(link).startswith("http://127.0.0.1:") for link in shown(view, Column.LINK)[3:])
    errors = shown(view, Column.ERROR)
    assert errors[1] == "The service had a problem (502). Try again in a moment."
    assert errors[2] == "That file type is not supported!"
    assert errors[3:] == ["", "", "", ""]
    old = ledger.get(filled.done[0])
    assert shown(view, Column.DATE)[6] == time.strftime("%Y-%m-%d %H:%M",
                                                        time.localtime(old.created))
    assert view.count_text.text() == "7 uploads"


def test_search_and_filters_narrow_the_rows(qtbot: QtBot, view: HistoryView,
                                            filled: Filled) -> None:
    qtbot.keyClicks(view.search, "MOUNT")
    assert view.model.rowCount() == 7  # not while typing: the search waits for a pause
    qtbot.waitUntil(lambda: view.model.rowCount() == 1, timeout=WAIT)  # after the pause
    assert shown(view, Column.NAME) == ["mountain.png"]
    view.search.clear()
    qtbot.waitUntil(lambda: view.model.rowCount() == 7, timeout=WAIT)

    # a search finds links too
    link = filled.ledger.get(filled.done[2]).link or ""
    view.search.setText(link.rsplit("/", 1)[1])
    qtbot.waitUntil(lambda: view.model.rowCount() == 1, timeout=WAIT)
    assert shown(view, Column.NAME) == ["cat.png"]
    view.search.clear()
    view.apply_filters()

    choose(view.state_filter, "Failed")
    assert shown(view, Column.NAME) == ["huge.tif", "notes.txt"]
    choose(view.state_filter, "Pending")
    assert shown(view, Column.NAME) == ["waiting.png"]
    choose(view.state_filter, "Done")
    assert view.model.rowCount() == 4

    choose(view.date_filter, "Last 7 days")
    assert shown(view, Column.NAME) == ["screenshot 2026.png", "cat.png", "mountain.png"]
    choose(view.date_filter, "Any date")

    assert [view.album_filter.itemText(i) for i in range(view.album_filter.count())] == [
        "All albums", "pets", "trips"]
    choose(view.album_filter, "trips")
    assert shown(view, Column.NAME) == ["mountain.png", "old beach.png"]
    choose(view.date_filter, "Today")
    assert shown(view, Column.NAME) == ["mountain.png"]
    assert view.count_text.text() == "1 upload"


def test_links_are_copied_in_the_chosen_format(qtbot: QtBot, view: HistoryView,
                                               filled: Filled) -> None:
    cat, mountain = (filled.ledger.get(i) for i in (filled.done[2], filled.done[1]))
    assert cat.link
    assert mountain.link
    failed = row_of(view, filled.failed[0])
    view.select_rows([row_of(view, cat.id), row_of(view, mountain.id), failed])

    choose(view.format, "Markdown")
    qtbot.mouseClick(view.copy_button, Qt.MouseButton.LeftButton)
    assert clipboard_text() == f"![cat.png]({cat.link})\n![mountain.png]({mountain.link})"
    assert view.status.text() == ("2 links copied; 1 skipped (only finished uploads that are "
                                  "still on the server have links).")

    choose(view.format, "BBCode")
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert clipboard_text() == f"[img]{cat.link}[/img]\n[img]{mountain.link}[/img]"

    qtbot.mouseClick(view.copy_delete_button, Qt.MouseButton.LeftButton)
    assert clipboard_text() == f"{cat.delete_page}\n{mountain.delete_page}"
    assert cat.deletehash
    assert cat.deletehash in (cat.delete_page or "")

    opened: list[QUrl] = []
    view.open_url = opened.append
    qtbot.mouseClick(view.open_button, Qt.MouseButton.LeftButton)
    assert [u.toString() for u in opened] == [cat.page, mountain.page]


def test_two_selected_rows_are_deleted_from_the_server(qtbot: QtBot, view: HistoryView,
                                                       filled: Filled) -> None:
    ledger = filled.ledger
    gone = [ledger.get(i) for i in filled.done[1:3]]
    kept = [ledger.get(i) for i in (filled.done[0], filled.done[3])]
    for e in gone + kept:
        assert e.link
        assert status(e.link) == 200
    view.select_rows([row_of(view, e.id) for e in gone])

    asked: list[str] = []
    when_modal(QMessageBox, lambda box: answer(box, QMessageBox.StandardButton.Yes, asked))
    qtbot.mouseClick(view.delete_button, Qt.MouseButton.LeftButton)
    assert len(asked) == 1
    assert "Delete 2 images from the server?" in asked[0]
    assert "mountain.png" in asked[0]
    assert "cat.png" in asked[0]

    qtbot.waitUntil(lambda: all(ledger.get(e.id).state == State.DELETED for e in gone),
                    timeout=WAIT)
    for e in gone:
        assert e.link
        assert status(e.link) == 404
        assert ledger.get(e.id).delete_page == e.delete_page  # kept, even now
    for e in kept:
        assert e.link
        assert status(e.link) == 200
        assert ledger.get(e.id).state == State.DONE
    qtbot.waitUntil(lambda: view.status.text() == "2 images deleted from the server.",
                    timeout=WAIT)
    assert [view.model.data(view.model.index(row_of(view, e.id), Column.STATE))
            for e in gone] == ["Deleted", "Deleted"]
    grey = view.model.data(view.model.index(row_of(view, gone[0].id), Column.NAME),
                           Qt.ItemDataRole.ForegroundRole)
    assert grey is not None


def test_a_delete_the_host_refuses_keeps_the_row_and_its_delete_link(
        qtbot: QtBot, view: HistoryView, filled: Filled, shared_host: HostWithKeys) -> None:
    ledger = filled.ledger
    target = ledger.get(filled.done[3])
    assert target.link
    assert target.deletehash
    with FaultProxy(shared_host.url, default=Respond(500, b"<h1>Internal error</h1>")) as proxy:
        view.set_client(V2Client(proxy.api, key=shared_host.keys.key,
                                 transport=fast_transport(attempts=2)))
        view.select_rows([row_of(view, target.id)])
        when_modal(QMessageBox, lambda box: answer(box, QMessageBox.StandardButton.Yes, []))
        qtbot.mouseClick(view.delete_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "could not be deleted" in view.status.text(), timeout=WAIT)
        assert proxy.count >= 1
        assert {(s.method, s.path.split("?")[0]) for s in proxy.seen} == {
            ("DELETE", f"/2/delete/{target.deletehash}.json")}

    after = ledger.get(target.id)
    assert (after.state, after.deletehash, after.delete_page) == (
        State.DONE, target.deletehash, target.delete_page)
    assert status(target.link) == 200
    row = row_of(view, target.id)
    assert view.model.data(view.model.index(row, Column.STATE)) == "Done"
    error = str(view.model.data(view.model.index(row, Column.ERROR)))
    assert error.startswith("Not deleted: The service had a problem")
    assert "keep its delete link" in view.status.text()


def test_no_answer_yes_no_request(qtbot: QtBot, view: HistoryView, filled: Filled,
                                  shared_host: HostWithKeys) -> None:
    target = filled.ledger.get(filled.done[3])
    with FaultProxy(shared_host.url) as proxy:
        view.set_client(V2Client(proxy.api, key=shared_host.keys.key))
        view.select_rows([row_of(view, target.id), row_of(view, filled.failed[0])])
        asked: list[str] = []
        when_modal(QMessageBox, lambda box: answer(box, QMessageBox.StandardButton.No, asked))
        qtbot.mouseClick(view.delete_button, Qt.MouseButton.LeftButton)
        assert len(asked) == 1
        assert "Delete 1 image from the server?" in asked[0]  # the failed row can't be
        assert proxy.count == 0
    assert filled.ledger.get(target.id).state == State.DONE


def test_the_shown_rows_are_exported(qtbot: QtBot, view: HistoryView, filled: Filled,
                                     tmp_path: Path) -> None:
    choose(view.state_filter, "Failed")
    out = tmp_path / "failed.csv"
    view.export_to(out)
    qtbot.waitUntil(lambda: view.status.text().startswith("Exported"), timeout=WAIT)
    assert view.status.text() == f"Exported 2 uploads to {out}."
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # it holds delete links
    rows = list(csv.DictReader(out.open(newline="")))
    assert [(r["label"], r["state"]) for r in rows] == [("huge.tif", "failed"),
                                                         ("notes.txt", "failed")]
    assert rows[0]["attempts"] == "3"

    choose(view.state_filter, "All states")
    out = tmp_path / "all.json"
    view.export_to(out)
    qtbot.waitUntil(lambda: out.exists() and view.status.text().startswith("Exported"),
                    timeout=WAIT)
    records = json.loads(out.read_text())
    assert len(records) == 7
    by_id = {r["id"]: r for r in records}
    for row_id in filled.done:
        e = filled.ledger.get(row_id)
        assert set(by_id[row_id]) == set(EXPORT_COLUMNS)
        assert (by_id[row_id]["link"], by_id[row_id]["deletehash"]) == (e.link, e.deletehash)


def test_refresh_adds_new_uploads_on_top_and_keeps_the_selection(
        qtbot: QtBot, view: HistoryView, filled: Filled) -> None:
    cat = filled.done[2]
    view.select_rows([row_of(view, cat)])
    before = row_of(view, cat)
    upload_row(filled.ledger, filled.client, "new one.png")
    view.refresh()
    assert view.model.rowCount() == 8
    assert shown(view, Column.NAME)[0] == "new one.png"
    assert [e.id for e in view.selected_entries()] == [cat]
    assert row_of(view, cat) == before + 1

    # a shown History notices writes by itself, too
    failed_row(filled.ledger, "later.gif", "broken")
    qtbot.waitUntil(lambda: view.model.rowCount() == 9, timeout=WAIT)
    assert [e.id for e in view.selected_entries()] == [cat]


def fill_directly(ledger: Ledger, count: int) -> None:
    now = time.time()
    rows = [(now - (count - i), now - (count - i), f"row-{i}", "file", f"/p/row-{i}.png",
             "http://127.0.0.1:9/2/", State.DONE if i % 7 else State.FAILED, 1,
             None if i % 7 else "no", f"h{i}", f"http://127.0.0.1:9/h{i}.png")
            for i in range(1, count + 1)]
    with sqlite3.connect(ledger.path) as db:
        db.executemany("INSERT INTO uploads (created, updated, label, kind, source, service,"
                       " state, attempts, error, hash, link) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                       rows)


def test_100000_rows_open_and_scroll_to_the_end_reading_only_what_is_shown(
        qtbot: QtBot, tmp_path: Path) -> None:
    ledger = Ledger.in_dir(tmp_path / "big")
    fill_directly(ledger, 100_000)
    try:
        widget = HistoryView(ledger)
        qtbot.addWidget(widget)
        widget.resize(1000, 600)
        with qtbot.waitExposed(widget):
            widget.show()
        model = widget.model
        assert model.rowCount() == 100_000
        top = widget.table.indexAt(widget.table.viewport().rect().topLeft())
        assert model.data(model.index(top.row(), Column.NAME)) == "row-100000"

        widget.table.scrollToBottom()
        bottom = widget.table.viewport().rect().bottomLeft()
        qtbot.waitUntil(lambda: widget.table.indexAt(bottom).row() == 99_999, timeout=WAIT)
        widget.table.viewport().repaint()
        last = model.entry(99_999)
        assert isinstance(last, Entry)
        assert (last.label, last.id) == ("row-1", 1)
        assert model.rows_fetched <= 4 * BLOCK, model.rows_fetched  # first and last screens
        assert model.reads <= 4

        # a filter over all of them still reads one screen
        choose(widget.state_filter, "Failed")
        assert model.rowCount() == 100_000 // 7
        assert model.data(model.index(0, Column.NAME)) == "row-99995"
        assert model.rows_fetched <= 5 * BLOCK
        assert model.query == Query(states=(State.FAILED,))
        widget.close()
    finally:
        ledger.close()
