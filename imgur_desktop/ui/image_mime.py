"""The drag-and-drop format that carries image hashes between the app's lists (My images, the
upload list, an album's contents, the album list): one hash a line, in the dragged order."""

from __future__ import annotations

import re
from collections.abc import Iterable

from PySide6.QtCore import QByteArray, QMimeData

MIME_TYPE = "application/x-imgur-desktop-hashes"

# Hashes are short letters and digits; anything else is not ours (and never reaches a URL).
_HASH = re.compile(r"[A-Za-z0-9]{1,64}")


def to_mime(hashes: Iterable[str]) -> QMimeData:
    mime = QMimeData()
    mime.setData(MIME_TYPE, QByteArray("\n".join(hashes).encode("ascii")))
    return mime


def has_hashes(mime: QMimeData | None) -> bool:
    return mime is not None and mime.hasFormat(MIME_TYPE)


def hashes_from(mime: QMimeData | None) -> list[str]:
    """The hashes a drop carries, each once, in order; lines that are not hashes are skipped."""
    if not has_hashes(mime):
        return []
    assert mime is not None
    raw = bytes(mime.data(MIME_TYPE).data()).decode("ascii", errors="replace")
    found: dict[str, None] = {}  # ordered and without repeats
    for line in raw.splitlines():
        text = line.strip()
        if _HASH.fullmatch(text):
            found.setdefault(text)
    return list(found)
