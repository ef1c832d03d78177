"""The upload ledger: one SQLite row per upload, written before its request is sent and
updated after, so no upload and no delete link is ever lost, whatever happens to the app.

The file lives in the user data dir with mode 0600 (it holds delete hashes, which are as good
as a password for the image). One connection, shared by threads under a lock: writes are
small and the GUI thread makes them between requests.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import json
import os
import sqlite3
import stat
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import IO, Any

from .models import Image, ImageLinks

try:
    import fcntl
except ImportError:  # not on Windows: one uploader at a time is then not enforced
    fcntl = None  # type: ignore[assignment]

FILE_NAME = "ledger.sqlite3"


class State:
    """Row states. ``sending`` at start-up means the app stopped mid-request."""

    QUEUED = "queued"
    SENDING = "sending"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    DELETED = "deleted"

    ALL = (QUEUED, SENDING, DONE, FAILED, CANCELLED, DELETED)
    PENDING = (QUEUED, SENDING)


# Each entry moves the schema from version i to i + 1; never edit one that has shipped.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE uploads (
        id INTEGER PRIMARY KEY,
        created REAL NOT NULL,
        updated REAL NOT NULL,
        label TEXT NOT NULL,
        kind TEXT NOT NULL,            -- file | url | spooled
        source TEXT,                   -- the path or URL the person gave
        spool TEXT,                    -- our copy of pasted or dropped data
        size INTEGER,
        sha256 TEXT,
        service TEXT NOT NULL,
        account TEXT,
        album TEXT,
        batch TEXT,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        interrupted INTEGER NOT NULL DEFAULT 0,  -- sent again after a crash mid-request
        hash TEXT,
        deletehash TEXT,
        link TEXT,
        page TEXT,
        delete_page TEXT,
        small_square TEXT,
        large_thumbnail TEXT,
        mime TEXT,
        width INTEGER,
        height INTEGER,
        title TEXT,
        caption TEXT
    );
    CREATE INDEX uploads_state ON uploads(state);
    CREATE INDEX uploads_created ON uploads(created);
    CREATE INDEX uploads_album ON uploads(album);
    """,
    # 2: where a batch was going, so a batch cut short by a crash still gets its album.
    """
    CREATE TABLE batches (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,            -- new | existing
        title TEXT,
        privacy TEXT,
        layout TEXT,
        album TEXT                     -- the existing album, or the new one once made
    );
    CREATE INDEX uploads_batch ON uploads(batch);
    """,
)


@dataclass(frozen=True, slots=True)
class Batch:
    id: str
    kind: str  # new | existing
    title: str | None
    privacy: str | None
    layout: str | None
    album: str | None


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    created: float
    updated: float
    label: str
    kind: str
    source: str | None
    spool: str | None
    size: int | None
    sha256: str | None
    service: str
    account: str | None
    album: str | None
    batch: str | None
    state: str
    attempts: int
    error: str | None
    interrupted: int
    hash: str | None
    deletehash: str | None
    link: str | None
    page: str | None
    delete_page: str | None
    small_square: str | None
    large_thumbnail: str | None
    mime: str | None
    width: int | None
    height: int | None
    title: str | None
    caption: str | None

    @property
    def created_at(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.created, dt.UTC)

    @property
    def upload_path(self) -> Path | None:
        """What to send: our spooled copy, or the person's file."""
        if self.spool:
            return Path(self.spool)
        if self.kind == "file" and self.source:
            return Path(self.source)
        return None

    def image(self) -> Image | None:
        """The uploaded image as the API layer describes it (for link formats)."""
        if self.hash is None or self.link is None:
            return None
        return Image(self.hash, ImageLinks(self.link, self.page or self.link,
                                           self.small_square, self.large_thumbnail,
                                           self.delete_page),
                     deletehash=self.deletehash, name=self.label, title=self.title,
                     caption=self.caption, mime=self.mime, width=self.width or 0,
                     height=self.height or 0, size=self.size or 0)

    def as_dict(self) -> dict[str, Any]:
        record = asdict(self)
        record["created"] = self.created_at.isoformat()
        record["updated"] = dt.datetime.fromtimestamp(self.updated, dt.UTC).isoformat()
        return record


COLUMNS = tuple(f.name for f in fields(Entry))


@dataclass(frozen=True, slots=True)
class NewUpload:
    label: str
    kind: str  # file | url | spooled
    source: str | None = None
    spool: str | None = None
    size: int | None = None
    sha256: str | None = None
    album: str | None = None


@dataclass(frozen=True, slots=True)
class Query:
    """What the history shows: words to find, states, a date range and an album."""

    text: str = ""
    states: tuple[str, ...] = ()
    since: float | None = None
    until: float | None = None
    album: str | None = None
    service: str | None = None

    def where(self) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        args: list[Any] = []
        if self.text:
            like = "%" + self.text.replace("\\", "\\\\").replace("%", "\\%").replace(
                "_", "\\_") + "%"
            clauses.append("(" + " OR ".join(
                f"{c} LIKE ? ESCAPE '\\'" for c in ("label", "source", "hash", "link",
                                                    "title", "album")) + ")")
            args += [like] * 6
        if self.states:
            clauses.append(f"state IN ({','.join('?' * len(self.states))})")
            args += list(self.states)
        if self.since is not None:
            clauses.append("created >= ?")
            args.append(self.since)
        if self.until is not None:
            clauses.append("created < ?")
            args.append(self.until)
        if self.album is not None:
            clauses.append("album = ?")
            args.append(self.album)
        if self.service is not None:
            clauses.append("service = ?")
            args.append(self.service)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


class LedgerError(Exception):
    """The ledger cannot be opened or written; the text says where and why."""


def file_sha256(path: Path) -> str | None:
    """The content hash of a regular file; None for anything else (a FIFO would block the
    read forever) or a file that cannot be read (the upload says why)."""
    digest = hashlib.sha256()
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return None
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def _private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 unless it exists, so SQLite never makes it with
    the umask's looser mode for even a moment."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


class Ledger:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.spool_dir = path.parent / "spool"
        self._lock = threading.RLock()
        try:
            _private_file(path)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None,
                                       timeout=30)
        except (OSError, sqlite3.Error) as exc:
            raise LedgerError(f"The upload history at {path} cannot be opened: {exc}") from exc
        try:
            # Migrated (or refused, if a newer app wrote it) before anything else changes it.
            self._migrate()
            self._db.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode loses nothing on an app crash (only on power loss).
            self._db.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error as exc:
            self._db.close()
            raise LedgerError(f"The upload history at {path} cannot be opened: {exc}") from exc
        except LedgerError:
            self._db.close()
            raise
        for suffix in ("-wal", "-shm"):
            side = path.with_name(path.name + suffix)
            with contextlib.suppress(OSError):
                os.chmod(side, 0o600)
        self._queue_lock: int | None = None
        # Half-written spool files from a crash: never queued, nothing refers to them.
        for part in self.spool_dir.glob("*.part") if self.spool_dir.is_dir() else ():
            with contextlib.suppress(OSError):
                part.unlink()

    @classmethod
    def in_dir(cls, data_dir: Path) -> Ledger:
        return cls(data_dir / FILE_NAME)

    def close(self) -> None:
        with self._lock:
            self._db.close()
        if self._queue_lock is not None:
            os.close(self._queue_lock)  # the lock goes with it
            self._queue_lock = None

    # -- schema ----------------------------------------------------------------------------

    @property
    def version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        with self._lock:
            current = self.version
            if current > len(MIGRATIONS):
                raise LedgerError(f"{self.path} was written by a newer imgur-desktop "
                                  f"(schema {current}); update the app to read it")
            for number in range(current, len(MIGRATIONS)):
                self._db.executescript("BEGIN;" + MIGRATIONS[number]
                                       + f";PRAGMA user_version={number + 1};COMMIT;")

    # -- writing ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                # Also when COMMIT itself fails (disk full): otherwise every later BEGIN
                # would fail inside the transaction left open.
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise

    def spool(self, data: bytes, suffix: str = ".png") -> Path:
        """Keep a copy of pasted or dropped data in the data dir, so it can be sent after a
        restart. Written under a temporary name and renamed: never half a file."""
        self.spool_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        final = self.spool_dir / f"{uuid.uuid4().hex}{suffix}"
        tmp = final.with_suffix(final.suffix + ".part")
        fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, final)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        return final

    def add(self, uploads: Sequence[NewUpload], *, service: str, account: str | None,
            batch: str | None = None) -> list[int]:
        """Record uploads as queued (one transaction, so 10,000 dropped files are one write)."""
        now = time.time()
        ids: list[int] = []
        with self._tx() as db:
            for u in uploads:
                cursor = db.execute(
                    "INSERT INTO uploads (created, updated, label, kind, source, spool, size,"
                    " sha256, service, account, album, batch, state)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (now, now, u.label, u.kind, u.source, u.spool, u.size, u.sha256, service,
                     account, u.album, batch, State.QUEUED))
                assert cursor.lastrowid is not None
                ids.append(cursor.lastrowid)
        return ids

    def _set(self, row_id: int, **values: Any) -> None:
        values["updated"] = time.time()
        names = ", ".join(f"{k} = ?" for k in values)
        with self._tx() as db:
            db.execute(f"UPDATE uploads SET {names} WHERE id = ?",  # noqa: S608 (our names)
                       (*values.values(), row_id))

    def sending(self, row_id: int, *, account: str | None = None) -> None:
        """Called right before the request goes out."""
        with self._tx() as db:
            db.execute("UPDATE uploads SET state = ?, attempts = attempts + 1, updated = ?,"
                       " account = COALESCE(?, account) WHERE id = ?",
                       (State.SENDING, time.time(), account, row_id))

    def fingerprint(self, row_id: int, sha256: str) -> None:
        """The content hash of a file, read just before it is sent."""
        self._set(row_id, sha256=sha256)

    def done(self, row_id: int, image: Image) -> None:
        links = image.links
        spool = self.get(row_id).spool
        self._set(row_id, state=State.DONE, error=None, hash=image.hash,
                  deletehash=image.deletehash, link=links.original, page=links.imgur_page,
                  delete_page=links.delete_page, small_square=links.small_square,
                  large_thumbnail=links.large_thumbnail, mime=image.mime,
                  width=image.width, height=image.height, title=image.title,
                  caption=image.caption, size=image.size or None)
        if spool:  # the host has the image now; our copy has done its job
            with contextlib.suppress(OSError):
                Path(spool).unlink()
            self._set(row_id, spool=None)

    def waiting(self, row_id: int, error: str | None = None, *,
                sent: bool = False) -> None:
        """Back in the queue (a retry is coming), keeping what went wrong last time.
        ``sent``: the request had gone out, so the host may have kept the image; the row is
        marked ``interrupted`` as after a crash, and History says it may be there twice."""
        with self._tx() as db:
            db.execute("UPDATE uploads SET state = ?, error = ?, updated = ?,"
                       " interrupted = interrupted + ? WHERE id = ?",
                       (State.QUEUED, error, time.time(), int(sent), row_id))

    def not_sent(self, row_id: int) -> None:
        """Held back before its request went out (no credits left): queued again, and the
        try that ``sending`` counted is taken back."""
        with self._tx() as db:
            db.execute("UPDATE uploads SET state = ?, attempts = MAX(attempts - 1, 0),"
                       " updated = ? WHERE id = ?", (State.QUEUED, time.time(), row_id))

    def failed(self, row_id: int, error: str) -> None:
        self._set(row_id, state=State.FAILED, error=error)

    def cancelled(self, row_id: int) -> None:
        """The person does not want it sent: our copy of pasted data goes too."""
        spool = self.get(row_id).spool
        self._set(row_id, state=State.CANCELLED, spool=None)
        if spool:
            with contextlib.suppress(OSError):
                Path(spool).unlink()

    def deleted(self, row_id: int) -> None:
        """Only after the service confirmed the delete."""
        self._set(row_id, state=State.DELETED)

    def record_batch(self, batch: Batch) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO batches (id, kind, title, privacy, layout, album)"
                       " VALUES (?,?,?,?,?,?)", (batch.id, batch.kind, batch.title,
                                                 batch.privacy, batch.layout, batch.album))

    def batch(self, batch_id: str) -> Batch | None:
        with self._lock:
            row = self._db.execute("SELECT id, kind, title, privacy, layout, album FROM batches"
                                   " WHERE id = ?", (batch_id,)).fetchone()
        return None if row is None else Batch(*row)

    def batch_album(self, batch_id: str, album: str) -> None:
        """The batch's new album exists now, with the batch's uploads in it (also those sent
        by a run that stopped before the album was made)."""
        with self._tx() as db:
            db.execute("UPDATE batches SET album = ? WHERE id = ?", (album, batch_id))
            db.execute("UPDATE uploads SET album = ?, updated = ? WHERE batch = ? AND state = ?",
                       (album, time.time(), batch_id, State.DONE))

    def batch_hashes(self, batch_id: str) -> list[str]:
        """Images of the batch that reached the host, in the order they were queued."""
        with self._lock:
            return [r[0] for r in self._db.execute(
                "SELECT hash FROM uploads WHERE batch = ? AND state = ? AND hash IS NOT NULL"
                " ORDER BY id", (batch_id, State.DONE))]

    def set_album(self, row_ids: Iterable[int], album: str) -> None:
        now = time.time()
        with self._tx() as db:
            db.executemany("UPDATE uploads SET album = ?, updated = ? WHERE id = ?",
                           [(album, now, i) for i in row_ids])

    # -- one uploader at a time resumes ---------------------------------------------------------

    def hold_queue(self) -> None:
        """Say this process sends uploads recorded here (held until it exits): nobody else
        may resume them meanwhile."""
        if fcntl is None or self._queue_lock is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path.with_name("queue.lock"), os.O_CREAT | os.O_RDWR, 0o600)
        fcntl.flock(fd, fcntl.LOCK_SH)
        self._queue_lock = fd

    def _claim(self) -> bool:
        """True when no other process holds the queue (then this one may resume)."""
        self.hold_queue()
        if fcntl is None or self._queue_lock is None:
            return True
        try:
            fcntl.flock(self._queue_lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _release_claim(self) -> None:
        if fcntl is not None and self._queue_lock is not None:
            fcntl.flock(self._queue_lock, fcntl.LOCK_SH)

    def resume(self, service: str) -> list[Entry] | None:
        """Uploads a previous run left queued or in flight, oldest first. Those in flight are
        marked ``interrupted``: they may have reached the host, and are sent again. None when
        another process (the app, or an ``upload`` command) is sending uploads recorded here:
        its rows are not taken from under it."""
        if not self._claim():
            return None
        try:
            return self._resume(service)
        finally:
            self._release_claim()

    def _resume(self, service: str) -> list[Entry]:
        with self._tx() as db:
            db.execute("UPDATE uploads SET interrupted = interrupted + 1, state = ?,"
                       " error = 'Interrupted while sending; sent again' WHERE service = ?"
                       " AND state = ?", (State.QUEUED, service, State.SENDING))
        return self.query(Query(states=(State.QUEUED,), service=service), newest_first=False)

    # -- reading ---------------------------------------------------------------------------

    def get(self, row_id: int) -> Entry:
        with self._lock:
            row = self._db.execute(f"SELECT {','.join(COLUMNS)} FROM uploads WHERE id = ?",  # noqa: S608
                                   (row_id,)).fetchone()
        if row is None:
            raise KeyError(row_id)
        return Entry(*row)

    def query(self, query: Query = Query(), *, limit: int = -1, offset: int = 0,
              newest_first: bool = True) -> list[Entry]:
        where, args = query.where()
        order = "DESC" if newest_first else "ASC"
        with self._lock:
            rows = self._db.execute(
                f"SELECT {','.join(COLUMNS)} FROM uploads{where} ORDER BY id {order}"  # noqa: S608
                " LIMIT ? OFFSET ?", (*args, limit, offset)).fetchall()
        return [Entry(*r) for r in rows]

    def snapshot(self, query: Query = Query()) -> list[Entry]:
        """Every row ``query`` picks, read on a connection of its own (read-only): a long
        read such as an export never holds the lock the GUI thread writes under."""
        where, args = query.where()
        db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)
        try:
            rows = db.execute(
                f"SELECT {','.join(COLUMNS)} FROM uploads{where} ORDER BY id DESC",  # noqa: S608
                args).fetchall()
        finally:
            db.close()
        return [Entry(*r) for r in rows]

    def count(self, query: Query = Query()) -> int:
        where, args = query.where()
        with self._lock:
            return int(self._db.execute(f"SELECT COUNT(*) FROM uploads{where}",  # noqa: S608
                                        args).fetchone()[0])

    def albums(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self._db.execute(
                "SELECT DISTINCT album FROM uploads WHERE album IS NOT NULL ORDER BY album")]


EXPORT_COLUMNS = ("id", "created", "state", "label", "source", "size", "service", "account",
                  "album", "hash", "link", "page", "deletehash", "delete_page", "attempts",
                  "error", "interrupted")


def export_json(entries: Iterable[Entry], out: IO[str]) -> None:
    records = []
    for entry in entries:
        record = entry.as_dict()
        records.append({k: record[k] for k in EXPORT_COLUMNS})
    json.dump(records, out, indent=1, ensure_ascii=False)
    out.write("\n")


def export_csv(entries: Iterable[Entry], out: IO[str]) -> None:
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for entry in entries:
        record = entry.as_dict()
        writer.writerow(["" if record[k] is None else record[k] for k in EXPORT_COLUMNS])


def new_batch_id() -> str:
    return uuid.uuid4().hex[:12]
