"""Runs the upload list: starts uploads on a thread pool (at most ``concurrency`` at once),
tracks progress, cancel and retry, copies links the moment they exist, makes albums of
batches, and pauses for the rate limit with a countdown."""

from __future__ import annotations

import datetime as dt
import logging
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
from imgur_desktop.core.errors import Cancelled, ImgurError, RateLimited
from imgur_desktop.core.formats import SNIFF_BYTES, sniff_bytes
from imgur_desktop.core.links import LinkFormat, format_link
from imgur_desktop.core.messages import describe
from imgur_desktop.core.models import Album, Image, UploadMeta

from .upload_model import State, UploadItem, UploadListModel
from .workers import Worker

if TYPE_CHECKING:  # not imported at run time: the window opens before requests is loaded
    from imgur_desktop.core.api.v2 import V2Client

logger = logging.getLogger(__name__)

THUMB_SIZE = 48


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


def make_thumbnail(item_path: Path | None, data: bytes | None,
                   qimage: QImage | None) -> QImage | None:
    """A small preview read at reduced size: never a full-size decode (runs on a worker)."""
    if qimage is not None:
        return qimage.scaled(THUMB_SIZE, THUMB_SIZE, Qt.AspectRatioMode.KeepAspectRatio,
                             Qt.TransformationMode.SmoothTransformation)
    if item_path is not None:
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

    def __init__(self, model: UploadListModel, *, concurrency: int = 3,
                 copy_text: Callable[[str], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max(1, concurrency))
        self.thumb_pool = QThreadPool(self)
        # One: thumbnails are a nicety, and on a two-core machine two decoders at once leave
        # the list (and the uploads, and a local host) short of a core.
        self.thumb_pool.setMaxThreadCount(1)
        self.copy_text = copy_text
        self.client: V2Client | None = None
        self.album_target = AlbumTarget()
        self.link_format = LinkFormat.DIRECT
        self.auto_copy = True
        self.meta = UploadMeta()
        self._running: dict[int, Worker] = {}
        self._thumbs_asked: set[int] = set()  # rows whose thumbnail was made or is on its way
        self._batches: dict[int, _Batch] = {}
        self._next_batch = 1
        self._paused_until: dt.datetime | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._tick)

    # -- configuration -----------------------------------------------------------------------

    @property
    def concurrency(self) -> int:
        return self.pool.maxThreadCount()

    def set_concurrency(self, value: int) -> None:
        self.pool.setMaxThreadCount(max(1, value))
        self._pump()

    def set_client(self, client: V2Client | None) -> None:
        self.client = client
        self._pump()

    @property
    def busy(self) -> bool:
        return bool(self._running) or any(i.state is State.QUEUED for i in self.model.items)

    # -- adding ---------------------------------------------------------------------------------

    def _new_batch(self, items: list[UploadItem]) -> None:
        if not items:
            return
        batch = self._next_batch
        self._next_batch += 1
        for item in items:
            item.batch = batch
        self._batches[batch] = _Batch(list(items), self.album_target)
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
        self.thumb_pool.start(worker)

    def add_bytes(self, data: bytes, label: str) -> None:
        self._new_batch([UploadItem(label=label, data=data, size=len(data))])

    def add_qimage(self, image: QImage, label: str) -> None:
        self._new_batch([UploadItem(label=label, qimage=image.copy())])

    def add_urls(self, urls: list[str]) -> None:
        self._new_batch([UploadItem(label=u, url=u) for u in urls])

    # -- actions on rows ---------------------------------------------------------------------

    def cancel(self, item: UploadItem) -> None:
        if item.state.finished:
            return
        if item.cancel is not None:
            item.cancel.cancel()
        item.state = State.CANCELLED
        self._running.pop(item.id, None)
        self.model.changed(item)
        self._after_item(item)

    def retry(self, item: UploadItem) -> None:
        if item.state not in (State.FAILED, State.CANCELLED):
            return
        item.state = State.QUEUED
        item.error = item.details = None
        item.sent = 0
        item.attempts += 1
        batch = self._batches.get(item.batch)
        if batch is not None:
            batch.album_done = False
        self.model.changed(item)
        self._pump()

    def remove(self, item: UploadItem) -> None:
        self.cancel(item)
        self.model.remove(item)

    # -- running -----------------------------------------------------------------------------

    def request_thumbnail(self, item: UploadItem) -> None:
        """Make the row's thumbnail, once, on the thumbnail pool. Asked for by the view for
        the rows it paints, so a batch of hundreds decodes only the images anyone sees."""
        if item.url is not None or item.id in self._thumbs_asked:
            return
        self._thumbs_asked.add(item.id)
        path, data, qimage = item.path, item.data, item.qimage
        worker = Worker(lambda _p, _c: make_thumbnail(path, data, qimage), parent=self)

        def done(image: object) -> None:
            if isinstance(image, QImage):
                item.thumbnail = image
                self.model.changed(item, look_only=True)

        worker.signals.finished.connect(done)
        self.thumb_pool.start(worker)

    def _pump(self) -> None:
        if self.client is None or self._paused_until is not None:
            return
        for item in self.model.items:
            if len(self._running) >= self.concurrency:
                break
            if item.state is State.QUEUED and item.id not in self._running:
                self._start(item)

    def _job(self, item: UploadItem, client: V2Client) -> Callable[..., Image]:
        meta, account = self.meta, client.signed_in

        def run(progress: Callable[[int, int], None], cancel: CancelToken) -> Image:
            if item.path is not None:
                return client.upload_file(item.path, meta, account=account, progress=progress,
                                          cancel=cancel)
            if item.url is not None:
                return client.upload_url(item.url, meta, account=account, cancel=cancel)
            data = item.data if item.data is not None else encode_png(item.qimage)  # type: ignore[arg-type]
            return client.upload_bytes(data, item.label, meta, account=account,
                                       progress=progress, cancel=cancel)

        return run

    def _start(self, item: UploadItem) -> None:
        assert self.client is not None
        token = item.cancel = CancelToken()
        item.state = State.UPLOADING
        item.sent = 0
        client = self.client
        worker = Worker(self._job(item, client), token, parent=self)
        self._running[item.id] = worker
        # Each attempt's news carries its own token: a cancelled attempt may report after the
        # row was retried, and must not touch the new attempt.
        worker.signals.progress.connect(
            lambda sent, total: self._progress(item, token, sent, total))
        worker.signals.finished.connect(lambda image: self._finished(item, token, client, image))
        worker.signals.failed.connect(lambda exc: self._failed(item, token, exc))
        self.model.changed(item)
        self.pool.start(worker)

    def _current(self, item: UploadItem, token: CancelToken) -> bool:
        """Whether news from the attempt with ``token`` is about the row as it is now."""
        if item.cancel is not token:
            return False  # an earlier attempt, cancelled; the row was retried since
        self._running.pop(item.id, None)
        return item.state is State.UPLOADING

    def _progress(self, item: UploadItem, token: CancelToken, sent: int, total: int) -> None:
        if item.cancel is token and item.state is State.UPLOADING:
            item.sent, item.total = sent, total
            if item.size is None:
                item.size = total
            self.model.changed(item, look_only=True)

    def _finished(self, item: UploadItem, token: CancelToken, client: V2Client,
                  image: object) -> None:
        if not self._current(item, token):
            if isinstance(image, Image):
                self._discard(client, image)  # cancelled after the last byte had gone
            return
        assert isinstance(image, Image)
        item.image = image
        item.state = State.DONE
        item.sent = item.total = max(item.total, 1)
        if item.size is None or item.size == 0:
            item.size = image.size
        self.model.changed(item)
        self._report_credits()
        self._copy_batch_links(item.batch)
        self._after_item(item)
        self._pump()

    def _discard(self, client: V2Client, image: Image) -> None:
        """Delete an upload that finished although its row was cancelled: a cancel means the
        image is not to stay on the host (and nobody else holds its delete hash)."""
        deletehash = image.deletehash
        if not deletehash:
            logger.warning("a cancelled upload finished anyway and cannot be deleted: %s",
                           image.hash)
            return
        worker = Worker(lambda _p, _c: client.delete(deletehash), parent=self)
        worker.signals.failed.connect(lambda exc: self.message.emit(
            f"A cancelled upload had already reached the host and could not be deleted: "
            f"{describe(exc) if isinstance(exc, BaseException) else exc}"))
        self.pool.start(worker)

    def _failed(self, item: UploadItem, token: CancelToken, exc: object) -> None:
        if not self._current(item, token):
            return
        self._report_credits()
        if isinstance(exc, RateLimited):
            item.state = State.QUEUED  # not a failure: it waits for the reset
            self.model.changed(item)
            self._pause(exc.reset_at)
            return
        if isinstance(exc, Cancelled):
            item.state = State.CANCELLED
        else:
            item.state = State.FAILED
            item.error = describe(exc) if isinstance(exc, BaseException) else str(exc)
            item.details = exc.details() if isinstance(exc, ImgurError) else repr(exc)
        self.model.changed(item)
        self._after_item(item)
        self._pump()

    def _report_credits(self) -> None:
        if self.client is None:
            return
        credits = self.client.rate_state(signed=self.client.signed_in).credits
        if credits is not None:
            self.creditsChanged.emit(credits)

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
        batch = self._batches.get(batch_id)
        if batch is None or batch.album.kind == "new":
            return  # a new album's link is copied when the album exists
        self._copy(self.links_of([i for i in batch.items if i.state is State.DONE]))

    def _after_item(self, item: UploadItem) -> None:
        batch = self._batches.get(item.batch)
        if batch is None or batch.album_done or batch.album.kind == "none":
            return
        if not all(i.state.finished for i in batch.items):
            return
        # Only images not in the album yet: a row retried after the album was made joins
        # that album rather than making another one.
        hashes = [i.image.hash for i in batch.items
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
            batch.placed.update(hashes)
            if target.kind == "new":
                batch.album_id = album.id
            self.albumCreated.emit(album)
            if target.kind == "new" and album.link:
                self._copy(album.link)
            else:
                self._copy(self.links_of([i for i in batch.items if i.state is State.DONE]))
            self.message.emit(f"Album ready: {album.link or album.id}")

        def failed(exc: object) -> None:
            batch.album_done = False
            self.message.emit(f"The album could not be made: {describe(exc)}. "  # type: ignore[arg-type]
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
        left = int((self._paused_until - dt.datetime.now(dt.UTC)).total_seconds())
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
