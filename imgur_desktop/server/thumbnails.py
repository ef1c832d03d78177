"""Thumbnails of stored images, drawn on first request and kept on disk.

Made when first asked for rather than at upload, so an upload costs its checked bytes and its
row only (two Pillow thumbnails were most of the time of an upload). The drawing is the one the
host always used, so a thumbnail's bytes do not depend on when it is made.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .config import ServerConfig
from .imaging import write_thumbnail
from .storage import ImageRow, Storage

SIZES = ("s", "l")


class _KeyedLocks:
    """One lock per key, held only while someone uses it."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[tuple[str, str], tuple[threading.Lock, list[int]]] = {}

    @contextmanager
    def hold(self, key: tuple[str, str]) -> Iterator[None]:
        with self._guard:
            lock, users = self._locks.setdefault(key, (threading.Lock(), [0]))
            users[0] += 1
        try:
            with lock:
                yield
        finally:
            with self._guard:
                users[0] -= 1
                if users[0] == 0:
                    del self._locks[key]


class Thumbnails:
    def __init__(self, config: ServerConfig, storage: Storage) -> None:
        self._config = config
        self._storage = storage
        self._locks = _KeyedLocks()

    def path(self, hash_: str, size: str) -> Path:
        return self._config.thumbs_dir / f"{hash_}{size}.jpg"

    def get(self, image: ImageRow, size: str) -> Path | None:
        """The path of thumbnail ``size`` ("s" or "l") of ``image``, drawn from the stored image
        if it is not on disk yet; None when the image is gone. Runs on a worker thread.

        Drawn into tmp/, fsynced and renamed into place, so a crash never leaves a half
        thumbnail that would be served from then on. Requests for the same thumbnail that
        arrive together wait for one drawing."""
        path = self.path(image.hash, size)
        if path.exists():
            return path
        source = self._config.images_dir / f"{image.hash}.{image.ext}"
        with self._locks.hold((image.hash, size)):
            if path.exists():
                return path
            if not source.exists():
                return None
            fd, name = tempfile.mkstemp(prefix=f"thumb-{size}-", dir=self._config.tmp_dir)
            tmp = Path(name)
            try:
                with os.fdopen(fd, "wb") as out:
                    write_thumbnail(source, image.mime, size, out)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(tmp, path)
            finally:
                tmp.unlink(missing_ok=True)
        if not self._storage.image_exists(image.hash):
            path.unlink(missing_ok=True)  # deleted while it was drawn: leave no orphan
            return None
        return path
