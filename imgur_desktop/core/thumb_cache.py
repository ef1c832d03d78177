"""Thumbnails kept on disk, a file per URL, and the one way they are fetched.

The cache is a folder of files named by the SHA-256 of the URL: no index to corrupt, and a
half-written file never appears under its real name (each write goes to a temporary name in the
same folder, then is renamed). Past ``max_bytes`` the least recently used files go first
(reads touch a file's mtime), checked every so many writes rather than on each one.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
import threading
from pathlib import Path

import requests

from .errors import BadResponse, NetworkError
from .formats import sniff_bytes

logger = logging.getLogger(__name__)

#: Writes between two trims: a trim lists the folder, which costs more than a write.
TRIM_EVERY = 50
#: After a trim the cache holds at most this share of ``max_bytes``, so the next writes fit.
TRIM_TO = 0.9


def cache_key(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


class ThumbCache:
    def __init__(self, folder: Path, max_bytes: int = 256 * 2**20) -> None:
        self.folder = folder
        self.max_bytes = max_bytes
        self._lock = threading.Lock()  # loads run on several threads
        self._writes = 0
        self._made = False

    def path_for(self, url: str) -> Path:
        return self.folder / cache_key(url)

    def _ensure_folder(self) -> None:
        if not self._made:
            # Private: what somebody looked at is nobody else's business.
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._made = True

    def get(self, url: str) -> bytes | None:
        path = self.path_for(url)
        try:
            data = path.read_bytes()
        except OSError:
            return None  # missing, or gone in a trim meanwhile: fetch it again
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: trimmed last
        return data or None

    def put(self, url: str, data: bytes) -> None:
        self._ensure_folder()
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, self.path_for(url))
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        with self._lock:
            self._writes += 1
            due = self._writes % TRIM_EVERY == 1  # the first write too: a fresh start trims
        if due:
            self.trim()

    def size(self) -> int:
        return sum(size for _, _, size in self._entries())

    def _entries(self) -> list[tuple[float, Path, int]]:
        found: list[tuple[float, Path, int]] = []
        try:
            names = os.scandir(self.folder)
        except OSError:
            return found
        with names:
            for entry in names:
                try:
                    st = entry.stat()
                except OSError:
                    continue
                if entry.is_file() and not entry.name.startswith(".tmp-"):
                    found.append((st.st_mtime, Path(entry.path), st.st_size))
        return found

    def trim(self) -> None:
        """Delete the least recently used files until the cache is under its budget."""
        with self._lock:
            entries = self._entries()
            total = sum(size for _, _, size in entries)
            if total <= self.max_bytes:
                return
            goal = int(self.max_bytes * TRIM_TO)
            for _, path, size in sorted(entries, key=lambda e: e[0]):
                if total <= goal:
                    break
                with contextlib.suppress(OSError):
                    path.unlink()
                    total -= size
            logger.debug("thumbnail cache trimmed to %d bytes", total)


def fetch(url: str, session: requests.Session, *, timeout: float = 20,
          max_bytes: int = 8 * 2**20) -> bytes:
    """GET one image; anything but an image of at most ``max_bytes`` is an error."""
    try:
        resp = session.get(url, timeout=timeout, stream=True)
    except requests.Timeout as exc:
        raise NetworkError("The image server did not answer in time",
                           method="GET", url=url) from exc
    except requests.RequestException as exc:
        raise NetworkError("The image server cannot be reached",
                           method="GET", url=url) from exc
    try:
        if resp.status_code != 200:
            raise BadResponse(f"The image server answered {resp.status_code} for a thumbnail",
                              method="GET", url=url)
        declared = resp.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise BadResponse(f"The thumbnail is too large ({int(declared)} bytes, at most "
                              f"{max_bytes})", method="GET", url=url)
        data = bytearray()
        try:
            for chunk in resp.iter_content(64 * 1024):
                data += chunk
                if len(data) > max_bytes:
                    raise BadResponse(f"The thumbnail is too large (over {max_bytes} bytes)",
                                      method="GET", url=url)
        except requests.RequestException as exc:
            raise NetworkError("The connection to the image server broke",
                               method="GET", url=url) from exc
    finally:
        resp.close()
    body = bytes(data)
    if sniff_bytes(body[:8192]) is None:
        kind = resp.headers.get("Content-Type", "unknown type").split(";")[0]
        raise BadResponse(f"The image server sent something that is not an image ({kind})",
                          method="GET", url=url, body=body[:2000])
    return body
