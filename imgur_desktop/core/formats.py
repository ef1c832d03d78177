"""Which files an Imgur-style host accepts, decided by content rather than by name.

Shared by the client (refuse before spending credits) and the local host (refuse on arrival),
so both agree on the seed's list: JPEG, GIF, PNG, APNG, TIFF, BMP, PDF, XCF.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

UNSUPPORTED_MESSAGE = (
    "That file type is not supported! Supported formats: JPEG, GIF, PNG, APNG, TIFF, BMP, PDF, XCF"
)

#: Bytes needed from the start of a file to tell its type (filetype reads at most this many).
SNIFF_BYTES = 8192


@dataclass(frozen=True, slots=True)
class ImageFormat:
    """A supported format: the MIME type a host reports, its file extension and its label."""

    mime: str
    ext: str
    label: str
    raster: bool  # Pillow can decode it (dimensions, thumbnails)


JPEG = ImageFormat("image/jpeg", "jpg", "JPEG", True)
GIF = ImageFormat("image/gif", "gif", "GIF", True)
PNG = ImageFormat("image/png", "png", "PNG", True)
# APNG is served as image/png, like any PNG; the flag that tells it apart is `animated`.
APNG = ImageFormat("image/png", "png", "APNG", True)
TIFF = ImageFormat("image/tiff", "tif", "TIFF", True)
BMP = ImageFormat("image/bmp", "bmp", "BMP", True)
PDF = ImageFormat("application/pdf", "pdf", "PDF", False)
XCF = ImageFormat("image/x-xcf", "xcf", "XCF", False)

SUPPORTED_FORMATS: tuple[ImageFormat, ...] = (JPEG, GIF, PNG, APNG, TIFF, BMP, PDF, XCF)

_BY_SNIFFED_MIME: dict[str, ImageFormat] = {
    "image/jpeg": JPEG,
    "image/gif": GIF,
    "image/png": PNG,
    "image/apng": APNG,
    "image/tiff": TIFF,
    "image/bmp": BMP,
    "application/pdf": PDF,
    "image/x-xcf": XCF,
}

_BY_EXT: dict[str, ImageFormat] = {fmt.ext: fmt for fmt in SUPPORTED_FORMATS if fmt is not APNG}
_BY_EXT.update({"jpeg": JPEG, "jpe": JPEG, "tiff": TIFF, "apng": APNG})


def sniff_bytes(head: bytes) -> ImageFormat | None:
    """Return the supported format the leading bytes show, or None for anything else."""
    if not head:
        return None
    import filetype  # on first use: the app's window opens without it

    kind = filetype.guess(head[:SNIFF_BYTES])
    if kind is None:
        return None
    return _BY_SNIFFED_MIME.get(kind.mime)


def sniff_file(path: Path) -> ImageFormat | None:
    """Sniff a file on disk by reading only its first few kilobytes."""
    with path.open("rb") as fh:
        return sniff_bytes(fh.read(SNIFF_BYTES))


def format_for_extension(ext: str) -> ImageFormat | None:
    """The format a file name's extension claims (used only for filters, never to accept a file)."""
    return _BY_EXT.get(ext.lower().lstrip("."))
