"""Runs the upload list: starts uploads on a thread pool (at most ``concurrency`` at once),
tracks progress, cancel and retry, copies links the moment they exist, makes albums of
batches, and pauses for the rate limit with a countdown.

Every row is written to the upload ledger before its request goes out and after the answer,
and pasted data is spooled to disk first, so nothing is lost to a crash: ``resume`` takes
back what a previous run left. A host that cannot be reached holds the queue and is probed
with growing pauses until it answers; a server error is tried a few times with backoff."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
import random
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QIODevice,
    QObject,
    Qt,
    QThreadPool,
    QTimer,
    Signal,
)
from PySide6.QtGui import QImage, QImageReader, QImageWriter

from imgur_desktop.core.cancel import CancelToken
from imgur_desktop.core.errors import (
    ApiError,
    AuthRequired,
    BadResponse,
    Cancelled,
    ImgurError,
    NetworkError,
    RateLimited,
    UnsupportedFile,
)
from imgur_desktop.core.formats import SNIFF_BYTES, sniff_bytes
from imgur_desktop.core.ledger import Batch as LedgerBatch
from imgur_desktop.core.ledger import (
    Entry,
    Ledger,
    LedgerError,
    NewUpload,
    file_sha256,
    new_batch_id,
)
from imgur_desktop.core.links import LinkFormat, format_link
from imgur_desktop.core.messages import describe
from imgur_desktop.core.models import Album, Image, UploadMeta

from .throttle import Throttle
from .upload_model import State, UploadItem, UploadListModel
from .workers import Worker, yield_cpu

if TYPE_CHECKING:  # not imported at run time: the window opens before requests is loaded
    from imgur_desktop.core.api.v2 import V2Client

logger = logging.getLogger(__name__)

THUMB_SIZE = 48
SERVER_ERROR_ATTEMPTS = 5  # a 5xx or a garbled answer is tried this many times in all
BACKOFF_BASE = 1.0  # seconds; doubled each time, with equal jitter
BACKOFF_CAP = 60.0


def backoff(attempt: int, *, base: float | None = None, cap: float = BACKOFF_CAP) -> float:
    """Pause before retry number ``attempt`` (1, 2, ...): exponential, capped, and half of it
    random so that clients coming back together do not all arrive at once."""
    first = BACKOFF_BASE if base is None else base
    ceiling = min(cap, first * 2.0 ** max(attempt - 1, 0))
    return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 (not for secrets)


def _transient(exc: object) -> bool:
    """Worth sending again as it is: the service stumbled; nothing is wrong with the file."""
    if isinstance(exc, BadResponse):
        return True
    return (isinstance(exc, ApiError) and not isinstance(exc, (RateLimited, AuthRequired))
            and exc.status >= 500)


def _refused_for_content(item: UploadItem, exc: object) -> bool:
    """The file itself was refused (its type here, or its content by the service): the same
    request would be refused again. Not a file over the app's own size setting, which the
    user can raise, and never a link: the service answers 400 too when it could not fetch
    it, which may pass."""
    if isinstance(exc, UnsupportedFile):
        return True
    return (item.url is None and isinstance(exc, ApiError)
            and not isinstance(exc, (RateLimited, AuthRequired))
            and exc.status in (400, 413, 415))


def _new_upload(item: UploadItem, album: str | None) -> NewUpload:
    if item.url is not None:
        return NewUpload(item.label, "url", source=item.url, album=album)
    if item.data is not None:
        return NewUpload(item.label, "spooled", spool=str(item.path) if item.spooled else None,
                         size=len(item.data),
                         sha256=hashlib.sha256(item.data).hexdigest(), album=album)
    return NewUpload(item.label, "file", source=str(item.path), album=album)


def _drop_spooled_data(items: list[UploadItem]) -> None:
    """Once pasted data is on disk and in the ledger, the list need not hold it in memory."""
    for item in items:
        if item.spooled and item.ledger_id is not None:
            item.data = None


def _mark_lost(row_id: int) -> Callable[[Ledger], None]:
    return lambda ledger: ledger.failed(
        row_id, "The saved copy of this pasted image is gone, so it cannot be sent")


def _item_from(entry: Entry) -> UploadItem | None:
    """A list row for a ledger row left over by an earlier run; None when there is nothing
    left to send (a spooled copy that is gone)."""
    item = UploadItem(label=entry.label, ledger_id=entry.id, attempts=entry.attempts,
                      error=entry.error)
    if entry.kind == "url":
        item.url = entry.source
    elif entry.kind == "spooled":
        spool = Path(entry.spool) if entry.spool else None
        if spool is None or not spool.is_file():
            return None
        # Read when it is sent, on a worker: a restart does not load every paste into memory.
        item.path, item.spooled, item.size = spool, True, entry.size
    else:
        item.path = Path(entry.source or "")
    return item


@dataclass(frozen=True, slots=True)
class AlbumTarget:
    """Where a batch goes: no album, a new album, or an existing one."""

    kind: str = "none"  # none | new | existing
    album_id: str | None = None
    title: str | None = None
    privacy: str = "hidden"
    layout: str = "blog"


@dataclass
class _Batch:
    items: list[UploadItem]
    album: AlbumTarget
    album_done: bool = False
    album_id: str | None = None  # the new album, once it is made
    placed: set[str] = field(default_factory=set)  # hashes already put in the album
    album_tries: int = 0  # failed attempts at making or filling the album, in a row
    ledger_id: str | None = None  # its row in the ledger's batches (when it has an album)
    earlier: list[str] = field(default_factory=list)  # hashes sent before a restart


def expand_folder(folder: Path) -> tuple[list[Path], int]:
    """Supported images under ``folder`` (recursively) and how many other files were skipped.
    Runs on a worker: it reads the first bytes of every file. Links are not followed, so a
    link loop cannot trap it."""
    found: list[Path] = []
    skipped = 0
    for path in sorted(folder.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        try:
            with path.open("rb") as fh:
                supported = sniff_bytes(fh.read(SNIFF_BYTES)) is not None
        except OSError:
            supported = False
        if supported:
            found.append(path)
        else:
            skipped += 1
    return found, skipped


# Seconds between two redraws of a row's progress bar (25 a second at most).
PROGRESS_INTERVAL = 0.04
# Milliseconds from a row's first drawing to the start of its preview's decoding.
THUMBNAIL_DELAY_MS = 150
# Seconds between two copies of a batch's links while it is still uploading.
COPY_INTERVAL = 0.25


def make_thumbnail(item_path: Path | None, data: bytes | None,
                   qimage: QImage | None) -> QImage | None:
    """A small preview read at reduced size: never a full-size decode (runs on a worker)."""
    if qimage is not None:
        return qimage.scaled(THUMB_SIZE, THUMB_SIZE, Qt.AspectRatioMode.KeepAspectRatio,
                             Qt.TransformationMode.SmoothTransformation)
    if item_path is not None:
        if not item_path.is_file():  # a FIFO would block the only thumbnail thread for good
            return None
        reader = QImageReader(str(item_path))
    elif data is not None:
        buffer = QBuffer()
        buffer.setData(QByteArray(data))
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        reader = QImageReader(buffer)
    else:
        return None
    size = reader.size()
    if size.isValid() and size.width() > 0 and size.height() > 0:
        scale = THUMB_SIZE / max(size.width(), size.height())
        if scale < 1:
            reader.setScaledSize(size * scale)
    image = reader.read()
    return None if image.isNull() else image


def encode_png(image: QImage) -> bytes:
    # QImageWriter rather than QImage.save(buffer, b"PNG"): PySide6 refuses bytes there.
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QImageWriter(buffer, QByteArray(b"png"))
    if not writer.write(image):
        raise ValueError(f"The pasted image could not be encoded as PNG: "
                         f"{writer.errorString()}")
    return bytes(buffer.data().data())


class UploadQueue(QObject):
    linksCopied = Signal(str)
    message = Signal(str)
    creditsChanged = Signal(object)
    countdown = Signal(int)  # seconds until uploads resume; 0 when not paused
    albumCreated = Signal(object)
    signInNeeded = Signal()  # an upload met an expired or revoked sign-in; the queue holds
    offline = Signal(int)  # seconds to the next try to reach the host; 0 once it answers
    ledgerChanged = Signal()  # the ledger was written (history views refresh)

    def __init__(self, model: UploadListModel, *, concurrency: int = 3,
                 copy_text: Callable[[str], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max(1, concurrency))
        self.thumb_pool = QThreadPool(self)
        # One, and behind everything else (``yield_cpu``): thumbnails are a nicety, and on a
        # two-core machine a decoder at full speed leaves the uploads (and a local host
        # checking them) short of a core.
        self.thumb_pool.setMaxThreadCount(1)
        # Reading a dropped folder and encoding a pasted picture: work an upload waits for.
        self.prep_pool = QThreadPool(self)
        self.prep_pool.setMaxThreadCount(1)
        # News comes per block sent (64-512 KB, sized to the link); a row's bar is redrawn no
        # more often than the eye can follow, so a fast upload is not slowed by repainting
        # its own progress, and the last news always shows.
        self._bars = Throttle(PROGRESS_INTERVAL, self._show_progress, self)
        self.copy_text = copy_text
        self.client: V2Client | None = None
        self.album_target = AlbumTarget()
        self.link_format = LinkFormat.DIRECT
        self.auto_copy = True
        self.meta = UploadMeta()
        self.ledger: Ledger | None = None
        self.service = ""  # the API URL ledger rows are recorded against
        self.account: str | None = None  # who is signed in, for the ledger
        self._ledger_warned = False
        self._running: dict[int, Worker] = {}
        self._thumbs_asked: set[int] = set()  # rows whose thumbnail was made or is on its way
        self._thumbs_waiting: list[Worker] = []
        self._copies = Throttle(COPY_INTERVAL, self._copy_links_now, self)  # by batch id
        self._thumb_timer = self._one_shot(self._start_thumbnails, THUMBNAIL_DELAY_MS)
        self._batches: dict[int, _Batch] = {}
        self._next_batch = 1
        self._paused_until: dt.datetime | None = None
        self._held_for_sign_in = False
        self._credits_check = "no"  # no | asking | done: credits asked of this client
        self._scan_from = 0  # rows above this one are known not to wait
        for signal in (model.rowsRemoved, model.modelReset):
            signal.connect(self._rescan)
        self._offline_tries = 0  # > 0 while the host cannot be reached
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._tick)
        self._probe_timer = self._one_shot(self._probe)
        # Wakes the queue when a backed-off retry is due.
        self._retry_timer = self._one_shot(self._pump)

    # -- configuration -----------------------------------------------------------------------

    @property
    def concurrency(self) -> int:
        return self.pool.maxThreadCount()

    def set_concurrency(self, value: int) -> None:
        self.pool.setMaxThreadCount(max(1, value))
        self._pump()

    def set_client(self, client: V2Client | None) -> None:
        """A new client (signed in again, signed out, another service). It also ends a hold
        for sign-in or for an unreachable host: the rows that waited are sent with it."""
        self.client = client
        self._held_for_sign_in = False
        self._credits_check = "no"
        if self._offline_tries:
            self._back_online()
        self._pump()

    def attach_ledger(self, ledger: Ledger | None, service: str) -> None:
        """Start writing to ``ledger``: first queue again what an earlier run left unsent,
        then write the rows queued before the ledger was open (files named on the command
        line, a paste during "Connecting…")."""
        self.ledger = ledger
        self.service = service
        if ledger is None:
            return
        # What an earlier run left goes first; it is read before this run's rows are written.
        self.resume()
        waiting = [i for i in self.model.items
                   if i.ledger_id is None and i.state in (State.QUEUED, State.UPLOADING)]
        for item in waiting:
            self._spool(item)
        if waiting:
            ids = self._record(lambda ledger: ledger.add(
                [_new_upload(i, None) for i in waiting], service=service,
                account=self.account))
            if isinstance(ids, list):
                for item, row_id in zip(waiting, ids, strict=True):
                    item.ledger_id = row_id
            _drop_spooled_data(waiting)

    @property
    def held_for_sign_in(self) -> bool:
        return self._held_for_sign_in

    @property
    def is_offline(self) -> bool:
        return self._offline_tries > 0

    @property
    def busy(self) -> bool:
        return bool(self._running) or any(i.state is State.QUEUED for i in self.model.items)

    # -- the ledger ----------------------------------------------------------------------------

    def _record(self, action: Callable[[Ledger], object]) -> object:
        """Write to the ledger. One that cannot be written is said once, and does not stop
        the uploads: the links are still shown and copied."""
        if self.ledger is None:
            return None
        try:
            result = action(self.ledger)
        except (sqlite3.Error, OSError, LedgerError) as exc:
            logger.error("ledger write failed: %s", exc)
            if not self._ledger_warned:
                self._ledger_warned = True
                self.message.emit(f"The upload history could not be written ({exc}); the "
                                  "links are still shown here.")
            return None
        self.ledgerChanged.emit()
        return result

    # -- adding ---------------------------------------------------------------------------------

    def _new_batch(self, items: list[UploadItem], album: AlbumTarget | None = None, *,
                   resumed: _Batch | None = None) -> None:
        if not items:
            return
        batch = self._next_batch
        self._next_batch += 1
        for item in items:
            item.batch = batch
        target = self.album_target if album is None else album
        record = resumed or _Batch([], target)
        record.items = list(items)
        self._batches[batch] = record
        if target.kind != "none" and record.ledger_id is None and self.ledger is not None:
            # Where the batch goes is written down too: after a crash it still gets there.
            record.ledger_id = new_batch_id()
            self._record(lambda ledger: ledger.record_batch(LedgerBatch(
                record.ledger_id or "", target.kind, target.title, target.privacy,
                target.layout, target.album_id)))
        fresh = [i for i in items if i.ledger_id is None]
        if fresh:
            existing = target.album_id if target.kind == "existing" else None
            # One transaction for the whole batch: 10,000 dropped files are one write.
            ids = self._record(lambda ledger: ledger.add(
                [_new_upload(i, existing) for i in fresh], service=self.service,
                account=self.account, batch=record.ledger_id))
            if isinstance(ids, list):
                for item, row_id in zip(fresh, ids, strict=True):
                    item.ledger_id = row_id
        _drop_spooled_data(items)
        self.model.add(items)  # thumbnails come when a view shows the rows: request_thumbnail
        self._pump()

    def add_paths(self, paths: list[Path]) -> None:
        files = [p for p in paths if not p.is_dir()]
        folders = [p for p in paths if p.is_dir()]
        items = [UploadItem(label=p.name or str(p), path=p) for p in files]
        for folder in folders:
            self._expand(folder, items_before=items)
            items = []  # the folder's batch carries the files dropped with it
        self._new_batch(items)

    def _expand(self, folder: Path, items_before: list[UploadItem]) -> None:
        worker = Worker(lambda _p, _c: expand_folder(folder), parent=self)

        def done(result: object) -> None:
            assert isinstance(result, tuple)
            found: list[Path] = result[0]
            skipped: int = result[1]
            items = items_before + [UploadItem(label=str(p.relative_to(folder.parent)), path=p)
                                    for p in found]
            self._new_batch(items)
            note = f"{folder.name}: {len(found)} image(s)"
            if skipped:
                note += f"; skipped {skipped} file(s) that are not supported images"
            self.message.emit(note)

        worker.signals.finished.connect(done)
        worker.signals.failed.connect(lambda exc: self.message.emit(
            f"{folder.name}: the folder could not be read ({describe(exc)})"))
        self.prep_pool.start(worker)

    def add_bytes(self, data: bytes, label: str) -> None:
        item = UploadItem(label=label, data=data, size=len(data))
        self._spool(item)
        self._new_batch([item])

    def _spool(self, item: UploadItem) -> None:
        """Pasted or dropped data is copied to the data dir before it is queued: it has no
        other home after a crash."""
        data = item.data
        if self.ledger is None or data is None or item.path is not None:
            return
        suffix = Path(item.label).suffix or ".png"
        spool = self._record(lambda ledger: ledger.spool(data, suffix))
        if isinstance(spool, Path):
            item.path, item.spooled = spool, True

    def add_qimage(self, image: QImage, label: str) -> None:
        """A decoded image (a screenshot): made a PNG on a worker, then queued as bytes."""
        copy = image.copy()
        worker = Worker(lambda _p, _c: encode_png(copy), parent=self)

        def encoded(data: object) -> None:
            if isinstance(data, bytes):
                self.add_bytes(data, label)

        worker.signals.finished.connect(encoded)
        worker.signals.failed.connect(lambda exc: self.message.emit(
            f"The pasted image could not be queued: {describe(exc)}"))
        self.prep_pool.start(worker)

    def add_urls(self, urls: list[str]) -> None:
        self._new_batch([UploadItem(label=u, url=u) for u in urls])

    def resume(self) -> int:
        """Queue again what an earlier run left queued or in flight, from the ledger; rows
        that were going into an existing album go there. Returns how many came back."""
        entries = self._record(lambda ledger: ledger.resume(self.service))
        if entries is None and self.ledger is not None and not self._ledger_warned:
            self.message.emit("Another imgur-desktop is sending uploads: what an earlier "
                              "run left unsent is resumed the next time this one starts "
                              "alone.")
        if not isinstance(entries, list) or not entries:
            return 0
        groups: dict[tuple[str | None, str | None], list[UploadItem]] = {}
        lost = 0
        for entry in entries:
            item = _item_from(entry)
            if item is None:
                lost += 1
                self._record(_mark_lost(entry.id))
                continue
            groups.setdefault((entry.batch, entry.album), []).append(item)
        count = 0
        for (batch_id, album_id), items in groups.items():
            target, resumed = self._resumed_target(batch_id, album_id)
            self._new_batch(items, target, resumed=resumed)
            count += len(items)
        again = sum(1 for e in entries if e.interrupted > 0)
        note = f"Resumed {count} upload(s) left from the last session"
        if again:
            note += (f"; {again} had been sending when it stopped and are sent again "
                     "(marked in the history)")
        if lost:
            note += f"; {lost} could not be resumed (see the history)"
        self.message.emit(note)
        return count

    def _resumed_target(self, batch_id: str | None,
                        album_id: str | None) -> tuple[AlbumTarget, _Batch | None]:
        """Where resumed rows go: the new album their batch was to make (with the images
        sent before the restart), the album it made, or the existing one."""
        info = None
        if batch_id is not None and self.ledger is not None:
            info = self._record(lambda ledger: ledger.batch(batch_id))
        if not isinstance(info, LedgerBatch):
            target = AlbumTarget() if album_id is None else AlbumTarget("existing", album_id)
            return target, None
        if info.kind == "new" and info.album is None:
            target = AlbumTarget("new", title=info.title, privacy=info.privacy or "hidden",
                                 layout=info.layout or "blog")
            made_of = info.id
            earlier = self._record(lambda ledger: ledger.batch_hashes(made_of))
            return target, _Batch([], target, ledger_id=made_of,
                                  earlier=earlier if isinstance(earlier, list) else [])
        target = AlbumTarget("existing", info.album or album_id)
        return target, _Batch([], target, ledger_id=info.id)

    # -- actions on rows ---------------------------------------------------------------------

    def cancel(self, item: UploadItem) -> None:
        if item.state.finished:
            return
        if item.cancel is not None:
            item.cancel.cancel()
        item.state = State.CANCELLED
        self._running.pop(item.id, None)
        if item.ledger_id is not None:
            row_id = item.ledger_id
            self._record(lambda ledger: ledger.cancelled(row_id))
        self.model.changed(item)
        self._after_item(item)
        self._pump()  # its slot is free for the next waiting row

    def retry(self, item: UploadItem) -> None:
        if item.state not in (State.FAILED, State.CANCELLED) or item.final:
            return
        item.state = State.QUEUED
        self._rescan()
        item.error = item.details = None
        item.sent = 0
        item.not_before = 0.0
        if item.ledger_id is not None:
            row_id = item.ledger_id
            self._record(lambda ledger: ledger.waiting(row_id))
        batch = self._batches.get(item.batch)
        if batch is not None:
            batch.album_done = False
        self.model.changed(item)
        self._pump()

    def remove(self, item: UploadItem) -> None:
        self.cancel(item)
        self.model.remove(item)

    # -- running -----------------------------------------------------------------------------

    def _one_shot(self, slot: Callable[[], None], interval_ms: int = 0) -> QTimer:
        timer = QTimer(self)
        timer.setSingleShot(True)
        timer.setInterval(interval_ms)
        timer.timeout.connect(slot)
        return timer

    def wait_for_workers(self, msecs: int) -> None:
        """Block until the queue's threads are idle (tests, benchmarks, shutdown), previews
        still waiting for their moment included."""
        self._thumb_timer.stop()
        self._start_thumbnails()
        for pool in (self.pool, self.prep_pool, self.thumb_pool):
            pool.waitForDone(msecs)

    def request_thumbnail(self, item: UploadItem) -> None:
        """Make the row's thumbnail, once, on the thumbnail pool. Asked for by the view for
        the rows it paints, so a batch of hundreds decodes only the images anyone sees."""
        if item.url is not None or item.id in self._thumbs_asked:
            return
        self._thumbs_asked.add(item.id)
        path, data, qimage = item.path, item.data, item.qimage  # data is let go once sent

        def job(_p: object, _c: object) -> QImage | None:
            yield_cpu()
            return make_thumbnail(path, data, qimage)

        worker = Worker(job, parent=self)

        def done(image: object) -> None:
            if isinstance(image, QImage):
                item.thumbnail = image
                self.model.changed(item, look_only=True)

        worker.signals.finished.connect(done)
        # Decoding starts a moment after the row is first drawn: a screenshot's preview costs
        # a large decode, and a paste's link (a few ms away on a fast host) comes first.
        self._thumbs_waiting.append(worker)
        if not self._thumb_timer.isActive():
            self._thumb_timer.start()

    def _start_thumbnails(self) -> None:
        waiting, self._thumbs_waiting = self._thumbs_waiting, []
        for worker in waiting:
            self.thumb_pool.start(worker)

    def _pump(self) -> None:
        if (self.client is None or self._paused_until is not None or self._held_for_sign_in
                or self._offline_tries):
            return
        if self._credits_check != "done":
            if self._credits_check == "no":
                self._check_credits()
            return  # nothing is sent until the check has answered
        now = time.monotonic()
        next_due: float | None = None
        # From the first row that may still wait, not from the top: with 10,000 rows, most
        # of them finished, every finished upload would otherwise walk the whole list.
        items = self.model.rows()
        first_waiting: int | None = None
        index = self._scan_from
        while index < len(items) and len(self._running) < self.concurrency:
            item = items[index]
            if item.state is State.QUEUED and item.id not in self._running:
                if item.not_before > now:
                    next_due = min(next_due or item.not_before, item.not_before)
                    first_waiting = index if first_waiting is None else first_waiting
                else:
                    self._start(item)
            elif item.state is State.QUEUED and first_waiting is None:
                first_waiting = index
            index += 1
        self._scan_from = index if first_waiting is None else first_waiting
        if next_due is not None and not self._retry_timer.isActive():
            self._retry_timer.start(max(1, int((next_due - now) * 1000)))

    def _rescan(self, *_args: object) -> None:
        """A row above the scan point may wait again (retried, requeued, rows removed)."""
        self._scan_from = 0

    def _check_credits(self) -> None:
        """Before the first upload with a client, learn how many credits are left, so the
        first uploads (several at once) are not sent to be refused."""
        client = self.client
        assert client is not None
        if client.rate_state(signed=client.signed_in).credits is not None:
            self._credits_check = "done"
            self._pump()
            return
        self._credits_check = "asking"
        worker = Worker(lambda _p, _c: client.credits(), parent=self)

        def after(_result: object) -> None:
            if client is self.client:
                self._credits_check = "done"
                self._report_credits()
                self._pump()

        worker.signals.finished.connect(after)
        worker.signals.failed.connect(after)  # the uploads will meet the same trouble
        self.pool.start(worker)

    def _job(self, item: UploadItem, client: V2Client) -> Callable[..., Image]:
        meta, account = self.meta, client.signed_in
        ledger, row_id = self.ledger, item.ledger_id
        needs_hash = item.data is None and item.url is None and not item.spooled

        def run(progress: Callable[[int, int], None], cancel: CancelToken) -> Image:
            if needs_hash and ledger is not None and row_id is not None and item.path:
                digest = file_sha256(item.path)  # read on this worker, not the GUI thread
                if digest is not None:
                    ledger.fingerprint(row_id, digest)
            if item.url is not None:
                return client.upload_url(item.url, meta, account=account, cancel=cancel)
            if item.data is not None:
                return client.upload_bytes(item.data, item.label, meta, account=account,
                                           progress=progress, cancel=cancel)
            if item.spooled and item.path is not None:  # sent under the name it was given
                return client.upload_bytes(item.path.read_bytes(), item.label, meta,
                                           account=account, progress=progress, cancel=cancel)
            if item.path is not None:
                return client.upload_file(item.path, meta, account=account,
                                          progress=progress, cancel=cancel)
            data = encode_png(item.qimage)  # type: ignore[arg-type]
            return client.upload_bytes(data, item.label, meta, account=account,
                                       progress=progress, cancel=cancel)

        return run

    def _start(self, item: UploadItem) -> None:
        assert self.client is not None
        token = item.cancel = CancelToken()
        item.state = State.UPLOADING
        item.sent = 0
        item.attempts += 1
        client = self.client
        if item.ledger_id is not None:  # written before the request goes out
            row_id, account = item.ledger_id, self.account if client.signed_in else None
            self._record(lambda ledger: ledger.sending(row_id, account=account))
        worker = Worker(self._job(item, client), token, parent=self)
        self._running[item.id] = worker
        # Each attempt's news carries its own token: a cancelled attempt may report after the
        # row was retried, and must not touch the new attempt.
        worker.signals.progress.connect(
            lambda sent, total: self._progress(item, token, sent, total))
        worker.signals.finished.connect(lambda image: self._finished(item, token, client, image))
        worker.signals.failed.connect(lambda exc: self._failed(item, token, exc, client))
        self.model.changed(item)
        self.pool.start(worker)

    def _current(self, item: UploadItem, token: CancelToken) -> bool:
        """Whether news from the attempt with ``token`` is about the row as it is now."""
        if item.cancel is not token:
            return False  # an earlier attempt, cancelled; the row was retried since
        self._running.pop(item.id, None)
        self._bars.forget(item)
        return item.state is State.UPLOADING

    def _progress(self, item: UploadItem, token: CancelToken, sent: int, total: int) -> None:
        if item.cancel is token and item.state is State.UPLOADING:
            item.sent, item.total = sent, total
            if item.size is None:
                item.size = total
            self._bars.news(item, now=sent >= total)

    def _show_progress(self, item: object) -> None:
        assert isinstance(item, UploadItem)
        if item.state is State.UPLOADING:
            self.model.changed(item, look_only=True)

    @property
    def progress_interval(self) -> float:
        """Seconds between two redraws of a row's bar."""
        return self._bars.interval

    @progress_interval.setter
    def progress_interval(self, seconds: float) -> None:
        self._bars.interval = seconds

    def _finished(self, item: UploadItem, token: CancelToken, client: V2Client,
                  image: object) -> None:
        if not self._current(item, token):
            if isinstance(image, Image):  # cancelled after the last byte had gone
                self._discard(client, image, self._record_stray(item, image))
            return
        assert isinstance(image, Image)
        item.image = image
        item.state = State.DONE
        item.error = item.details = None
        item.sent = item.total = max(item.total, 1)
        if item.size is None or item.size == 0:
            item.size = image.size
        if item.ledger_id is not None:
            row_id = item.ledger_id
            self._record(lambda ledger: ledger.done(row_id, image))
        item.data = None  # the ledger and the host have it now; the list need not
        self.model.changed(item)
        self._report_credits()
        self._copy_batch_links(item.batch)
        self._after_item(item)
        self._pump()

    def _record_stray(self, item: UploadItem, image: Image) -> int | None:
        """An upload that finished although its row was cancelled is written down first
        (with its delete link) so it can never be lost, whatever becomes of the delete."""
        if self.ledger is None:
            return None
        if item.ledger_id is not None and item.state is State.CANCELLED:
            row_id = item.ledger_id  # the cancelled row itself holds it
        else:  # the row was retried since: this copy gets a row of its own
            ids = self._record(lambda ledger: ledger.add(
                [NewUpload(item.label, "file" if item.path else "url",
                           source=str(item.path or item.url))],
                service=self.service, account=self.account))
            if not isinstance(ids, list):
                return None
            row_id = ids[0]
        self._record(lambda ledger: ledger.done(row_id, image))
        return row_id

    def _discard(self, client: V2Client, image: Image, row_id: int | None) -> None:
        """Delete an upload that finished although its row was cancelled: a cancel means the
        image is not to stay on the host. The ledger says deleted only once the host did."""
        deletehash = image.deletehash
        if not deletehash:
            logger.warning("a cancelled upload finished anyway and cannot be deleted: %s",
                           image.hash)
            return
        worker = Worker(lambda _p, _c: client.delete(deletehash), parent=self)
        if row_id is not None:
            worker.signals.finished.connect(
                lambda _r: self._record(lambda ledger: ledger.deleted(row_id)))
        worker.signals.failed.connect(lambda exc: self.message.emit(
            f"A cancelled upload had already reached the host and could not be deleted "
            f"({describe(exc) if isinstance(exc, BaseException) else exc}); its delete link "
            f"is {image.links.delete_page or deletehash} (also in the History)."))
        self.pool.start(worker)

    def _wait_again(self, item: UploadItem, exc: BaseException, *, delay: float = 0.0) -> None:
        item.state = State.QUEUED
        self._rescan()
        item.error = describe(exc)
        item.details = exc.details() if isinstance(exc, ImgurError) else repr(exc)
        item.not_before = time.monotonic() + delay if delay else 0.0
        if item.ledger_id is not None:
            # Sent, then no usable answer: the host may have kept it; the ledger says so.
            row_id, text = item.ledger_id, item.error
            sent = isinstance(exc, BadResponse) or (isinstance(exc, NetworkError) and exc.sent)
            self._record(lambda ledger: ledger.waiting(row_id, text, sent=sent))
        self.model.changed(item)

    def _failed(self, item: UploadItem, token: CancelToken, exc: object,
                client: V2Client | None = None) -> None:
        if not self._current(item, token):
            return
        self._report_credits()
        assert isinstance(exc, BaseException)
        if isinstance(exc, RateLimited):
            # Not a failure: it waits for the reset, which the status bar counts down.
            if exc.method is None:
                item.attempts -= 1  # refused here, before sending: not a try
            item.state = State.QUEUED
            self._rescan()
            if item.ledger_id is not None:  # not in flight any more (never was, if refused here)
                row_id, text, sent = item.ledger_id, describe(exc), exc.method is not None
                self._record(lambda ledger: ledger.waiting(row_id, text) if sent
                             else ledger.not_sent(row_id))
            self.model.changed(item)
            self._pause(exc.reset_at)
            return
        if isinstance(exc, AuthRequired):
            # The sign-in expired or was revoked: nothing is wrong with the file. The row
            # waits, and so does the rest of the queue, until someone signs in again.
            self._wait_again(item, exc)
            if client is not None and client is not self.client:
                self._pump()  # sent with the old sign-in; the new one is already here
                return
            if not self._held_for_sign_in:
                self._held_for_sign_in = True
                self.signInNeeded.emit()
            return
        if isinstance(exc, NetworkError):
            self._wait_again(item, exc)
            self._go_offline(exc)
            return
        if _transient(exc) and item.attempts < SERVER_ERROR_ATTEMPTS:
            self._wait_again(item, exc, delay=backoff(item.attempts))
            self._pump()
            return
        if isinstance(exc, Cancelled):
            item.state = State.CANCELLED
            if item.ledger_id is not None:
                row_id = item.ledger_id
                self._record(lambda ledger: ledger.cancelled(row_id))
        else:
            item.state = State.FAILED
            item.final = _refused_for_content(item, exc)
            item.error = describe(exc)
            item.details = exc.details() if isinstance(exc, ImgurError) else repr(exc)
            if item.ledger_id is not None:
                row_id, text = item.ledger_id, item.error
                self._record(lambda ledger: ledger.failed(row_id, text))
        self.model.changed(item)
        self._after_item(item)
        self._pump()

    def _report_credits(self) -> None:
        if self.client is None:
            return
        credits = self.client.rate_state(signed=self.client.signed_in).credits
        if credits is not None:
            self.creditsChanged.emit(credits)

    # -- an unreachable host -----------------------------------------------------------------

    def _go_offline(self, exc: BaseException) -> None:
        if self._offline_tries:
            return  # already waiting for it; the other rows that fail join the wait
        self._offline_tries = 1
        self.message.emit(f"{describe(exc)} Uploads wait and go on by themselves when it "
                          "answers.")
        self._schedule_probe()  # its countdown follows the reason in the status bar

    def _schedule_probe(self) -> None:
        delay = backoff(self._offline_tries, cap=30.0)
        self._probe_timer.start(int(delay * 1000))
        self.offline.emit(max(1, round(delay)))

    def _probe(self) -> None:
        client = self.client
        if client is None or not self._offline_tries:
            return
        # Any answer at all (even an error) means the host is back.
        worker = Worker(lambda _p, _c: client.transport.request(
            "GET", client.api_url + "credits.json", safe_to_retry=False), parent=self)

        def answered(_result: object) -> None:
            if client is self.client and self._offline_tries:
                self._back_online()
                self._pump()

        def still_down(exc: object) -> None:
            if client is self.client and self._offline_tries:
                self._offline_tries += 1
                self._schedule_probe()

        worker.signals.finished.connect(answered)
        worker.signals.failed.connect(still_down)
        self.pool.start(worker)

    def _back_online(self) -> None:
        self._offline_tries = 0
        self._probe_timer.stop()
        self.offline.emit(0)
        self.message.emit("The image host answers again: uploads go on")

    # -- links and albums --------------------------------------------------------------------

    def links_of(self, items: list[UploadItem], fmt: LinkFormat | None = None) -> str:
        fmt = fmt or self.link_format
        lines = []
        for item in items:
            if item.image is not None:
                try:
                    lines.append(format_link(item.image, fmt))
                except ValueError:
                    lines.append(item.image.links.original)
        return "\n".join(lines)

    def _copy(self, text: str) -> None:
        if text and self.auto_copy:
            self.copy_text(text)
            self.linksCopied.emit(text)

    def _copy_batch_links(self, batch_id: int) -> None:
        """The batch's links so far to the clipboard: at once for its first and its last
        upload, and in between at most every COPY_INTERVAL seconds. A clipboard rewritten for
        each of two hundred uploads fills a clipboard manager's history with near-copies, and
        costs the window a longer text each time."""
        batch = self._batches.get(batch_id)
        if batch is None or batch.album.kind == "new":
            return  # a new album's link is copied when the album exists
        self._copies.news(batch_id, now=lambda: all(i.state.finished for i in batch.items))

    def _copy_links_now(self, batch_id: object) -> None:
        assert isinstance(batch_id, int)
        batch = self._batches.get(batch_id)
        if batch is not None:
            self._copy(self.links_of([i for i in batch.items if i.state is State.DONE]))

    def _after_item(self, item: UploadItem) -> None:
        batch = self._batches.get(item.batch)
        if batch is None or batch.album_done or batch.album.kind == "none":
            return
        if not all(i.state.finished for i in batch.items):
            return
        # Only images not in the album yet: a row retried after the album was made joins
        # that album rather than making another one.
        hashes = [h for h in batch.earlier if h not in batch.placed] + [
            i.image.hash for i in batch.items
            if i.image is not None and i.image.hash not in batch.placed]
        if not hashes or self.client is None:
            return
        batch.album_done = True
        client, target = self.client, batch.album
        album_id = batch.album_id if target.kind == "new" else target.album_id

        def run(_p: object, _c: object) -> Album:
            if album_id is None:
                return client.create_album(title=target.title, privacy=target.privacy,
                                           layout=target.layout, images=hashes)
            return client.edit_album(album_id, add_images=hashes)

        worker = Worker(run, parent=self)

        def done(album: object) -> None:
            assert isinstance(album, Album)
            batch.album_tries = 0
            batch.placed.update(hashes)
            if target.kind == "new":
                batch.album_id = album.id
                if batch.ledger_id is not None:
                    made = batch.ledger_id
                    self._record(lambda ledger: ledger.batch_album(made, album.id))
            row_ids = [i.ledger_id for i in batch.items
                       if i.ledger_id is not None and i.image is not None
                       and i.image.hash in hashes]
            self._record(lambda ledger: ledger.set_album(row_ids, album.id))
            self.albumCreated.emit(album)
            if target.kind == "new" and album.link:
                self._copy(album.link)
            else:
                self._copy(self.links_of([i for i in batch.items if i.state is State.DONE]))
            self.message.emit(f"Album ready: {album.link or album.id}")

        def failed(exc: object) -> None:
            assert isinstance(exc, BaseException)
            batch.album_done = False
            batch.album_tries += 1
            if ((_transient(exc) or isinstance(exc, NetworkError))
                    and batch.album_tries < SERVER_ERROR_ATTEMPTS):
                # The host stumbled: try the album again after a pause; the images are safe.
                delay = backoff(batch.album_tries)
                self.message.emit(f"The album could not be made yet ({describe(exc)}); "
                                  f"trying again in {round(delay)} s.")
                QTimer.singleShot(int(delay * 1000), lambda: self._after_item(item))
                return
            self.message.emit(f"The album could not be made: {describe(exc)} "
                              "The images are uploaded.")
            self._copy(self.links_of([i for i in batch.items if i.state is State.DONE]))

        worker.signals.finished.connect(done)
        worker.signals.failed.connect(failed)
        self.pool.start(worker)

    # -- rate limit pause ------------------------------------------------------------------

    def _pause(self, reset_at: dt.datetime | None) -> None:
        if reset_at is None:
            reset_at = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
        self._paused_until = reset_at
        self._timer.start()
        self._tick()

    def _tick(self) -> None:
        if self._paused_until is None:
            self._timer.stop()
            return
        # Rounded up: resumed before the reset, the next upload would only be held again.
        left = math.ceil((self._paused_until - dt.datetime.now(dt.UTC)).total_seconds())
        if left <= 0:
            self._paused_until = None
            self._timer.stop()
            self.countdown.emit(0)
            self._pump()
            return
        self.countdown.emit(left)

    @property
    def paused_until(self) -> dt.datetime | None:
        return self._paused_until
