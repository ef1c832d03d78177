"""Thumbnails for lists and albums: from memory, else the disk cache, else the network.

Loads run on the loader's own small thread pool, a few at a time; the rest wait in a queue the
view can prune while scrolling (``keep_only``), so a fast fling over a thousand images does not
leave a thousand downloads behind it. Bytes are decoded into a QImage on the worker; only the
QImage -> QPixmap step happens on the GUI thread, as Qt requires.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import requests
from PySide6.QtCore import QObject, QThreadPool, Signal
from PySide6.QtGui import QImage, QPixmap

from imgur_desktop.core.api.transport import USER_AGENT
from imgur_desktop.core.cancel import CancelToken
from imgur_desktop.core.errors import BadResponse
from imgur_desktop.core.messages import describe
from imgur_desktop.core.thumb_cache import ThumbCache, fetch

from .workers import Progress, Worker

logger = logging.getLogger(__name__)


class ThumbnailLoader(QObject):
    ready = Signal(str)  # url: loader.pixmap(url) now answers
    failed = Signal(str, str)  # url, message for people

    def __init__(self, cache: ThumbCache, *, threads: int = 3, memory_items: int = 600,
                 memory_bytes: int = 192 * 2**20, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cache = cache
        self.memory_items = memory_items
        self.memory_bytes = memory_bytes  # 640 px previews are ~1.6 MB each once decoded
        self.requests_made = 0
        self._threads = threads
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(threads)
        self._session = requests.Session()
        self._session.trust_env = False  # no proxy or netrc sees what a person browses
        self._session.headers["User-Agent"] = USER_AGENT
        self._count_lock = threading.Lock()
        self._memory: OrderedDict[str, QPixmap] = OrderedDict()
        self._memory_used = 0
        self._queue: OrderedDict[str, None] = OrderedDict()  # waiting, in request order
        self._running: dict[str, CancelToken] = {}
        self._errors: dict[str, str] = {}
        self._closed = False

    # -- asking -----------------------------------------------------------------------------

    def pixmap(self, url: str) -> QPixmap | None:
        return self._memory.get(url)

    def error(self, url: str) -> str | None:
        """Why the last load of ``url`` failed; such a URL is not requested again until
        ``retry_failed()``, so a view repainting a broken item does not hammer the host."""
        return self._errors.get(url)

    def request(self, url: str) -> QPixmap | None:
        found = self._memory.get(url)
        if found is not None:
            self._memory.move_to_end(url)
            return found
        if (self._closed or not url or url in self._queue or url in self._running
                or url in self._errors):
            return None
        self._queue[url] = None
        self._pump()
        return None

    def pending(self) -> int:
        return len(self._queue) + len(self._running)

    def keep_only(self, urls: set[str]) -> None:
        for url in [u for u in self._queue if u not in urls]:
            del self._queue[url]

    def retry_failed(self) -> None:
        self._errors.clear()

    def shutdown(self) -> None:
        self._closed = True
        self._queue.clear()
        for token in self._running.values():
            token.cancel()
        self._pool.waitForDone()
        self._session.close()

    # -- loading ----------------------------------------------------------------------------

    def _pump(self) -> None:
        while self._queue and len(self._running) < self._threads and not self._closed:
            url, _ = self._queue.popitem(last=False)
            token = CancelToken()
            self._running[url] = token
            worker = Worker(self._job(url), token, parent=self)
            worker.signals.finished.connect(lambda image, u=url: self._loaded(u, image))
            worker.signals.failed.connect(lambda exc, u=url: self._load_failed(u, exc))
            self._pool.start(worker)

    def _job(self, url: str) -> Callable[[Progress, CancelToken], QImage]:
        return lambda _progress, cancel: self._load(url, cancel)

    def _load(self, url: str, cancel: CancelToken) -> QImage:
        """On a pool thread: disk first, network only on a miss; decode there too."""
        data = self.cache.get(url)
        if data is not None:
            image = QImage.fromData(data)
            if not image.isNull():
                return image
            # A damaged cache file (a disk error, a crash mid-write elsewhere): fetch again.
            self.cache.path_for(url).unlink(missing_ok=True)
        cancel.raise_if_cancelled()
        with self._count_lock:
            self.requests_made += 1
        data = fetch(url, self._session)
        image = QImage.fromData(data)
        if image.isNull():
            raise BadResponse("The thumbnail could not be decoded", method="GET", url=url)
        try:
            self.cache.put(url, data)
        except OSError as exc:  # a full or read-only disk costs speed, never the image
            logger.warning("could not cache a thumbnail: %s", exc)
        return image

    def _loaded(self, url: str, image: Any) -> None:
        self._running.pop(url, None)
        if not self._closed:
            pixmap = QPixmap.fromImage(image)
            self._remember(url, pixmap)
            self.ready.emit(url)
        self._pump()

    def _load_failed(self, url: str, exc: Any) -> None:
        self._running.pop(url, None)
        if not self._closed:
            message = describe(exc)
            self._errors[url] = message
            logger.info("thumbnail %s failed: %s", url, message)
            self.failed.emit(url, message)
        self._pump()

    def _remember(self, url: str, pixmap: QPixmap) -> None:
        old = self._memory.pop(url, None)
        if old is not None:
            self._memory_used -= _cost(old)
        self._memory[url] = pixmap
        self._memory_used += _cost(pixmap)
        while self._memory and (len(self._memory) > self.memory_items
                                or self._memory_used > self.memory_bytes):
            if len(self._memory) == 1:
                break  # keep the one just asked for, however big
            _, dropped = self._memory.popitem(last=False)
            self._memory_used -= _cost(dropped)


def _cost(pixmap: QPixmap) -> int:
    return pixmap.width() * pixmap.height() * 4
