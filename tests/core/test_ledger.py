"""The upload ledger on a real SQLite file: private file modes, schema versions and migrations,
every state a row goes through (with a real upload to the local host), resume after a crash,
spooled copies, the History's filters, exports read back, and writes from many threads."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from imgur_desktop.core.api.v2 import V2Client
from imgur_desktop.core.ledger import (
    COLUMNS,
    EXPORT_COLUMNS,
    FILE_NAME,
    MIGRATIONS,
    Ledger,
    LedgerError,
    NewUpload,
    Query,
    State,
    export_csv,
    export_json,
)
from tests.conftest import HostWithKeys
from tests.support import images

pytestmark = pytest.mark.timeout(60)
SERVICE = "http://127.0.0.1:1/2/"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """A umask that would make files world-readable, so 0600 has to be chosen on purpose."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    led = Ledger.in_dir(tmp_path / "data")
    yield led
    led.close()


def set_created(ledger: Ledger, row_id: int, when: float) -> None:
    """Age a row, through a second connection to the same file (as another process would)."""
    with sqlite3.connect(ledger.path) as db:
        db.execute("UPDATE uploads SET created = ? WHERE id = ?", (when, row_id))


def test_the_file_and_its_wal_and_shm_are_private(tmp_path: Path, loose_umask: None) -> None:
    led = Ledger.in_dir(tmp_path / "data")
    try:
        led.add([NewUpload("a.png", "file", source="/x/a.png")], service=SERVICE, account=None)
        path = tmp_path / "data" / FILE_NAME
        assert led.path == path
        wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
        assert wal.exists()
        assert shm.exists()
        assert (mode(path), mode(wal), mode(shm)) == (0o600, 0o600, 0o600)
        assert mode(tmp_path / "data") == 0o700
    finally:
        led.close()


def test_a_v0_file_is_migrated_and_keeps_what_it_held(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    with sqlite3.connect(path) as db:  # a file from before the ledger had a schema
        db.execute("CREATE TABLE notes (text TEXT)")
        db.execute("INSERT INTO notes VALUES ('kept')")
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 0

    led = Ledger(path)
    assert led.version == len(MIGRATIONS) >= 1
    (row_id,) = led.add([NewUpload("b.png", "file", source="/b.png")], service=SERVICE,
                        account="alice")
    led.close()

    with sqlite3.connect(path) as db:
        names = [r[1] for r in db.execute("PRAGMA table_info(uploads)")]
        assert tuple(names) == COLUMNS
        assert db.execute("SELECT text FROM notes").fetchall() == [("kept",)]
    again = Ledger(path)  # opening a current file migrates nothing and loses nothing
    try:
        assert again.version == len(MIGRATIONS)
        assert again.get(row_id).account == "alice"
    finally:
        again.close()


def test_a_newer_schema_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    newer = len(MIGRATIONS) + 3
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {newer}")
    with pytest.raises(LedgerError) as caught:
        Ledger(path)
    text = str(caught.value)
    assert str(path) in text
    assert "newer" in text
    assert f"schema {newer}" in text
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == newer
        assert db.execute("SELECT name FROM sqlite_master").fetchall() == []


def test_an_unreadable_place_is_a_ledger_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(LedgerError, match="cannot be opened"):
        Ledger(blocker / FILE_NAME)


def test_a_row_through_a_real_upload(ledger: Ledger, shared_host: HostWithKeys,
                                     loose_umask: None) -> None:
    data = images.png((31, 17))
    spool = ledger.spool(data, ".png")
    assert mode(spool) == 0o600
    assert mode(ledger.spool_dir) == 0o700
    assert spool.read_bytes() == data
    assert list(ledger.spool_dir.iterdir()) == [spool]  # no half-written .part beside it

    (row_id,) = ledger.add([NewUpload("Pasted image.png", "spooled", spool=str(spool),
                                      size=len(data), album="trips")],
                           service=shared_host.api, account=None, batch="b1")
    row = ledger.get(row_id)
    assert (row.state, row.attempts, row.batch, row.album) == (State.QUEUED, 0, "b1", "trips")
    assert row.upload_path == spool

    ledger.sending(row_id)
    assert (ledger.get(row_id).state, ledger.get(row_id).attempts) == (State.SENDING, 1)
    client = V2Client(shared_host.api, key=shared_host.keys.key)
    image = client.upload_file(spool)
    ledger.done(row_id, image)

    row = ledger.get(row_id)
    assert row.state == State.DONE
    assert (row.hash, row.deletehash, row.link, row.page, row.delete_page) == (
        image.hash, image.deletehash, image.links.original, image.links.imgur_page,
        image.links.delete_page)
    assert row.deletehash
    assert row.delete_page
    assert row.spool is None
    assert not spool.exists()
    made = row.image()
    assert made is not None
    assert made.links.original == image.links.original

    ledger.deleted(row_id)
    row = ledger.get(row_id)
    assert row.state == State.DELETED
    assert row.deletehash == image.deletehash  # the delete link is never dropped


def test_failed_waiting_and_cancelled(ledger: Ledger) -> None:
    a, b = ledger.add([NewUpload("a.png", "file", source="/a.png"),
                       NewUpload("b.png", "file", source="/b.png")],
                      service=SERVICE, account=None)
    ledger.sending(a)
    ledger.waiting(a, "The service had a problem (502). Try again in a moment.")
    ledger.sending(a)
    ledger.failed(a, "That file type is not supported!")
    ledger.cancelled(b)
    row_a, row_b = ledger.get(a), ledger.get(b)
    assert (row_a.state, row_a.attempts, row_a.error) == (
        State.FAILED, 2, "That file type is not supported!")
    assert (row_b.state, row_b.attempts) == (State.CANCELLED, 0)
    assert row_a.updated >= row_a.created


def test_resume_marks_in_flight_rows_and_returns_queued_oldest_first(ledger: Ledger) -> None:
    ids = ledger.add([NewUpload(f"{n}.png", "file", source=f"/{n}.png")
                      for n in ("first", "second", "third", "fourth")],
                     service=SERVICE, account=None)
    (other,) = ledger.add([NewUpload("elsewhere.png", "file", source="/e.png")],
                          service="http://other.example/2/", account=None)
    first, second, third, fourth = ids
    ledger.sending(second)  # in flight when the app died
    ledger.sending(third)
    ledger.failed(third, "gone")  # finished: not resumed
    ledger.sending(other)  # another service's row is not this service's business

    resumed = ledger.resume(SERVICE)

    assert [e.id for e in resumed] == [first, second, fourth]
    again = ledger.get(second)
    assert (again.state, again.interrupted, again.attempts) == (State.QUEUED, 1, 1)
    assert "Interrupted" in (again.error or "")
    assert ledger.get(first).interrupted == 0
    assert ledger.get(third).state == State.FAILED
    assert ledger.get(other).state == State.SENDING


def test_query_filters_by_text_state_date_and_album(ledger: Ledger) -> None:
    ids = ledger.add([
        NewUpload("holiday_beach.jpg", "file", source="/p/holiday_beach.jpg", album="trips"),
        NewUpload("holidayXbeach.jpg", "file", source="/p/holidayXbeach.jpg"),
        NewUpload("100% cat.png", "file", source="/p/100% cat.png", album="pets"),
        NewUpload("receipt.pdf", "file", source="/docs/receipt.pdf"),
    ], service=SERVICE, account=None)
    beach, lookalike, cat, receipt = ids
    ledger.failed(receipt, "no")
    ledger.set_album([receipt], "trips")
    now = time.time()
    set_created(ledger, beach, now - 10 * 86400)
    set_created(ledger, cat, now - 2 * 86400)

    def ids_of(query: Query) -> list[int]:
        found = [e.id for e in ledger.query(query)]
        assert ledger.count(query) == len(found)
        return found

    # _ and % are literal, not LIKE wildcards
    assert ids_of(Query(text="holiday_beach")) == [beach]
    assert ids_of(Query(text="100%")) == [cat]
    assert ids_of(Query(text="HOLIDAY")) == [lookalike, beach]  # newest first, any case
    assert ids_of(Query(text="/docs/")) == [receipt]  # the source path counts
    assert ids_of(Query(states=(State.FAILED,))) == [receipt]
    assert ids_of(Query(states=State.PENDING)) == [cat, lookalike, beach]
    assert ids_of(Query(since=now - 7 * 86400)) == [receipt, cat, lookalike]
    assert ids_of(Query(since=now - 3 * 86400, until=now - 86400)) == [cat]
    assert ids_of(Query(album="trips")) == [receipt, beach]
    assert ids_of(Query(album="trips", states=(State.QUEUED,))) == [beach]
    assert ids_of(Query(service="http://other.example/2/")) == []
    assert ledger.albums() == ["pets", "trips"]
    assert [e.id for e in ledger.query(Query(), limit=2, offset=1)] == [cat, lookalike]
    assert [e.id for e in ledger.query(Query(), newest_first=False)] == ids


def test_exports_read_back(ledger: Ledger) -> None:
    ids = ledger.add([NewUpload("a, \"quoted\".png", "file", source="/a.png", size=10),
                      NewUpload("ünïcode\nline.png", "spooled", album="x")],
                     service=SERVICE, account="alice")
    ledger.sending(ids[0])
    ledger.failed(ids[0], "It broke, badly")
    entries = ledger.query()

    out = io.StringIO()
    export_json(entries, out)
    records = json.loads(out.getvalue())
    assert len(records) == 2
    for record, entry in zip(records, entries, strict=True):
        assert tuple(record) == EXPORT_COLUMNS
        expected = entry.as_dict()
        assert record == {k: expected[k] for k in EXPORT_COLUMNS}
    assert records[1]["label"] == "a, \"quoted\".png"
    assert records[1]["error"] == "It broke, badly"

    out = io.StringIO()
    export_csv(entries, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert len(rows) == 2
    for row, entry in zip(rows, entries, strict=True):
        expected = entry.as_dict()
        assert row == {k: "" if expected[k] is None else str(expected[k])
                       for k in EXPORT_COLUMNS}
    assert rows[0]["label"] == "ünïcode\nline.png"
    assert rows[1]["attempts"] == "1"


def test_many_threads_write_at_once(ledger: Ledger) -> None:
    threads, each = 8, 40
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def work(n: int) -> None:
        try:
            start.wait()
            for i in range(each):
                (row_id,) = ledger.add([NewUpload(f"t{n}-{i}.png", "file",
                                                  source=f"/t{n}/{i}.png")],
                                       service=SERVICE, account=None, batch=f"t{n}")
                ledger.sending(row_id)
                ledger.failed(row_id, f"error {n}-{i}")
                assert ledger.get(row_id).label == f"t{n}-{i}.png"
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join(30)
    assert errors == []
    assert ledger.count() == threads * each
    rows = ledger.query()
    assert {(e.state, e.attempts) for e in rows} == {(State.FAILED, 1)}
    assert {e.error for e in rows} == {f"error {e.label[1:].removesuffix('.png')}"
                                       for e in rows}
    assert len({e.id for e in rows}) == threads * each
    with sqlite3.connect(ledger.path) as db:  # what another connection sees is the same
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT COUNT(*) FROM uploads").fetchone() == (threads * each,)


def test_only_one_process_resumes_the_rows(tmp_path: Path) -> None:
    """While one uploader holds the queue (the app, or an upload command), another may not
    take its rows: they would be sent twice and a delete link overwritten."""
    first = Ledger.in_dir(tmp_path)
    first.add([NewUpload("a.png", "file", source="/x/a.png")], service=SERVICE, account=None)
    first.hold_queue()
    second = Ledger.in_dir(tmp_path)
    assert second.resume(SERVICE) is None
    first.close()  # the first uploader is gone: its lock with it
    resumed = second.resume(SERVICE)
    assert resumed is not None
    assert [e.label for e in resumed] == ["a.png"]
    second.close()


def test_a_cancelled_paste_leaves_no_copy_behind(tmp_path: Path) -> None:
    ledger = Ledger.in_dir(tmp_path)
    spool = ledger.spool(b"\x89PNG pasted", ".png")
    (row,) = ledger.add([NewUpload("pasted.png", "spooled", spool=str(spool))],
                        service=SERVICE, account=None)
    ledger.cancelled(row)
    assert not spool.exists()
    assert ledger.get(row).spool is None
    ledger.close()


def test_half_written_spool_files_are_swept_when_the_ledger_opens(tmp_path: Path) -> None:
    Ledger.in_dir(tmp_path).close()
    (tmp_path / "spool").mkdir(exist_ok=True)
    left = tmp_path / "spool" / "abc.png.part"
    left.write_bytes(b"half")
    Ledger.in_dir(tmp_path).close()
    assert not left.exists()


def test_a_snapshot_reads_on_its_own_connection_while_a_write_is_open(tmp_path: Path) -> None:
    """An export reads while the ledger is in the middle of a write (its lock held): it sees
    the committed rows and does not wait for the lock."""
    ledger = Ledger.in_dir(tmp_path)
    ledger.add([NewUpload(f"{n}.png", "file", source=f"/x/{n}.png") for n in range(3)],
               service=SERVICE, account=None)
    got: list[int] = []
    with ledger._tx():  # the GUI thread's lock, held as during a write
        reader = threading.Thread(target=lambda: got.append(len(ledger.snapshot())))
        reader.start()
        reader.join(10)
        assert not reader.is_alive(), "the snapshot waited for the writer's lock"
    assert got == [3]
    ledger.close()
