"""What a paste or a drop carries, in the order that loses the least.

Encoded image bytes first (image/png, image/jpeg, image/gif): Qt on Wayland offers pasted
images as application/x-qt-image and would re-encode them to BMP. Then a decoded image, then
file URLs, then web URLs, then text that names a file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QMimeData, QUrl
from PySide6.QtGui import QImage

from .image_mime import MIME_TYPE as HASHES_TYPE

ENCODED_IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif")


@dataclass
class Payload:
    """Exactly one kind is filled; ``empty`` when nothing usable was offered."""

    image_bytes: bytes | None = None
    image_mime: str | None = None
    image: QImage | None = None  # decoded only: encoded to PNG on a worker before upload
    paths: list[Path] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return (self.image_bytes is None and self.image is None and not self.paths
                and not self.urls)

    @property
    def count(self) -> int:
        if self.image_bytes is not None or self.image is not None:
            return 1
        return len(self.paths) + len(self.urls)


def _web_url(text: str) -> str | None:
    url = QUrl(text.strip())
    if url.isValid() and url.scheme().lower() in ("http", "https") and url.host():
        return url.toString()
    return None


def read(mime: QMimeData) -> Payload:
    if mime.hasFormat(HASHES_TYPE):
        return Payload()  # our own uploads dragged about the window: already uploaded
    for kind in ENCODED_IMAGE_TYPES:
        if mime.hasFormat(kind):
            data = bytes(mime.data(kind).data())
            if data:
                return Payload(image_bytes=data, image_mime=kind)
    if mime.hasImage():
        image = mime.imageData()
        if isinstance(image, QImage) and not image.isNull():
            return Payload(image=image)
    if mime.hasUrls():
        paths = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
        if paths:
            return Payload(paths=paths)
        urls = [u.toString() for u in mime.urls()
                if u.scheme().lower() in ("http", "https") and u.host()]
        if urls:
            return Payload(urls=urls)
    if mime.hasText():
        lines = [line.strip() for line in mime.text().splitlines() if line.strip()]
        urls = [u for u in (_web_url(line) for line in lines) if u]
        if urls and len(urls) == len(lines):
            return Payload(urls=urls)
        paths = []
        for line in lines:
            candidate = Path(QUrl(line).toLocalFile() if line.startswith("file:") else line)
            candidate = candidate.expanduser()
            if candidate.is_absolute() and candidate.exists():
                paths.append(candidate)
        if paths and len(paths) == len(lines):
            return Payload(paths=paths)
    return Payload()
