"""The bad-input corpus: every odd thing people try to upload, built in a folder of its own.

Each case says what must happen to it:

* ``REFUSED``: refused before sending (not a readable regular file, not a supported type, too
  large), so no request is made and no credit spent;
* ``REJECTED``: a supported type by its first bytes, so it is sent, and the host refuses it
  (broken inside) without storing anything;
* ``UPLOADED``: a valid image, however odd its name, which must upload and give back a link.

``message`` is the exact text ``core.messages.describe`` must give (or its start, with
``prefix``). Two cases need the test's help: ``vanishes`` (delete it after listing, before
sending: ``Corpus.vanish``), and ``unreadable`` (mode 000, which root reads anyway).

Beside the cases, the folder holds ``nested/inner.png`` (valid) and ``nested/back-up``, a
link to the corpus folder itself: a folder walk that follows links never ends.
"""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from imgur_desktop.core.formats import UNSUPPORTED_MESSAGE
from tests.support import images

REFUSED, REJECTED, UPLOADED = "refused", "rejected", "uploaded"
SPARSE_SIZE = 1024 ** 3  # 1 GiB, never written: the size is refused before any byte is read
CORRUPT = "Image is corrupt or incomplete"


@dataclass(frozen=True)
class Case:
    id: str
    name: str  # the file's name in the corpus folder
    outcome: str  # REFUSED, REJECTED or UPLOADED
    error: str | None = None  # the core error class's name, for REFUSED and REJECTED
    message: str | None = None  # what describe() says
    prefix: bool = False  # ``message`` is only the start of the text
    vanishes: bool = False
    unreadable: bool = False


@dataclass
class Corpus:
    root: Path
    cases: list[Case]

    def path(self, case: Case) -> Path:
        return self.root / case.name

    def case(self, case_id: str) -> Case:
        return next(c for c in self.cases if c.id == case_id)

    def of(self, outcome: str) -> list[Case]:
        return [c for c in self.cases if c.outcome == outcome]

    def vanish(self, case: Case) -> None:
        """The file goes away after it was listed (a download folder being cleaned, say)."""
        self.path(case).unlink()

    def restore_permissions(self) -> None:
        for case in self.cases:
            if case.unreadable and self.path(case).exists():
                self.path(case).chmod(0o600)


def _solid_png(seed: int, size: tuple[int, int] = (48, 36)) -> bytes:
    """A small PNG of its own colour, so every upload differs from every other."""
    buf = io.BytesIO()
    Image.new("RGB", size, (seed * 37 % 256, seed * 91 % 256, seed * 53 % 256)).save(buf, "PNG")
    return buf.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def _png_zero_by_zero() -> bytes:
    """A well-formed PNG whose header says 0 x 0 pixels."""
    ihdr = struct.pack(">IIBBBBB", 0, 0, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr)
            + _png_chunk(b"IDAT", zlib.compress(b"")) + _png_chunk(b"IEND", b""))


def _iso_media(brand: bytes) -> bytes:
    """The start of an ISO base media file (HEIC, AVIF, MP4): an ``ftyp`` box, then data."""
    ftyp = b"ftyp" + brand + b"\x00\x00\x00\x00" + brand + b"mif1"
    return struct.pack(">I", len(ftyp) + 4) + ftyp + b"\x00\x00\x00\x08free" + bytes(256)


def _zip_of_photos() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("inside.png", images.png())
    return buf.getvalue()


def _exe() -> bytes:
    stub = bytearray(512)
    stub[:2] = b"MZ"
    stub[0x3C:0x40] = struct.pack("<I", 0x80)
    stub[0x80:0x84] = b"PE\x00\x00"
    return bytes(stub)


_SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" '
        b'height="10"><rect width="10" height="10"/></svg>')
_HTML = b"<!DOCTYPE html><html><body><img src='cat.png'></body></html>"
_PSD = b"8BPS\x00\x01" + bytes(6) + struct.pack(">HIIHH", 3, 64, 64, 8, 3) + bytes(64)


def _bad(case_id: str, name: str, error: str, message: str, **flags: bool) -> Case:
    return Case(case_id, name, REFUSED, error, message, **flags)


def _unsupported(case_id: str, name: str) -> Case:
    return Case(case_id, name, REFUSED, "UnsupportedFile", UNSUPPORTED_MESSAGE)


def _rejected(case_id: str, name: str, message: str, *, prefix: bool = False) -> Case:
    return Case(case_id, name, REJECTED, "ApiError", message, prefix=prefix)


def _good(case_id: str, name: str) -> Case:
    return Case(case_id, name, UPLOADED)


# What each case holds; the special files (links, FIFO, folder, sparse) are made in build().
_CONTENT: dict[str, Callable[[], bytes]] = {
    "text-named-png": lambda: b"plain text wearing a .png name\n",
    "text": lambda: b"shopping list: milk, eggs\n",
    "webp": images.webp,
    "heic": lambda: _iso_media(b"heic"),
    "avif": lambda: _iso_media(b"avif"),
    "svg": lambda: _SVG,
    "mp4": lambda: _iso_media(b"isom"),
    "zip": _zip_of_photos,
    "html": lambda: _HTML,
    "exe": _exe,
    "psd": lambda: _PSD,
    "truncated-png": lambda: images.png((200, 150))[:300],
    "truncated-jpeg": lambda: images.jpeg((300, 200))[:400],
    "truncated-gif": lambda: images.gif(size=(200, 200))[:200],
    "zero-by-zero": _png_zero_by_zero,
    "bomb": images.png_bomb,
    "magic-only": lambda: b"\x89PNG\r\n\x1a\n",
    "pdf-without-end": lambda: b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n",
    "photo": lambda: _solid_png(1),
    "png-named-jpg": lambda: _solid_png(2),
    "newline-name": lambda: _solid_png(3),
    "non-latin-name": lambda: _solid_png(4),
    "quotes-name": lambda: _solid_png(5),
    "no-extension": lambda: images.jpeg((40, 30)),
    "spaces-gif": lambda: images.gif(frames=2),
    "tiff": images.tiff,
    "vanished": lambda: _solid_png(6),
    "unreadable": lambda: _solid_png(7),
}


def cases() -> list[Case]:
    empty, huge = "empty.png", "huge.png"
    return [
        _bad("empty", empty, "BadFile", f"{empty} is empty (0 bytes)"),
        _unsupported("text-named-png", "notes.png"),
        _unsupported("text", "readme.txt"),
        _unsupported("webp", "photo.webp"),
        _unsupported("heic", "IMG_0001.HEIC"),
        _unsupported("avif", "picture.avif"),
        _unsupported("svg", "drawing.svg"),
        _unsupported("mp4", "clip.mp4"),
        _unsupported("zip", "photos.zip"),
        _unsupported("html", "page.html"),
        _unsupported("exe", "setup.exe"),
        _unsupported("psd", "layers.psd"),
        _bad("sparse-1gb", huge, "FileTooLarge", f"{huge} is 1024.0 MB; the limit is 10.0 MB"),
        _bad("unreadable", "secret.png", "BadFile",
             "secret.png cannot be read: permission denied", unreadable=True),
        _bad("broken-link", "broken-link.png", "BadFile",
             "broken-link.png is a link to a file that does not exist"),
        _bad("fifo", "pipe.png", "BadFile",
             "pipe.png is not a regular file (a pipe, socket or device)"),
        _bad("folder", "folder.png", "BadFile", "folder.png is a folder, not an image"),
        _bad("symlink-loop", "loop-a.png", "BadFile",
             "loop-a.png cannot be read: Too many levels of symbolic links"),
        _bad("vanished", "vanishing.png", "BadFile", "vanishing.png does not exist",
             vanishes=True),
        _rejected("truncated-png", "cut.png", CORRUPT),
        _rejected("truncated-jpeg", "cut.jpg", CORRUPT),
        _rejected("truncated-gif", "cut.gif", CORRUPT),
        _rejected("zero-by-zero", "zero-by-zero.png", CORRUPT),
        _rejected("bomb", "bomb.png", "Image dimensions are too large", prefix=True),
        _rejected("magic-only", "only-magic.png", CORRUPT),
        _rejected("pdf-without-end", "unfinished.pdf", "PDF is corrupt or incomplete"),
        _good("photo", "photo.png"),
        _good("png-named-jpg", "really-a-png.jpg"),
        _good("newline-name", "two\nlines.png"),
        _good("non-latin-name", "фото 照片 صورة.png"),
        _good("quotes-name", 'say "cheese" \\ now.png'),
        _good("no-extension", "screenshot"),
        _good("spaces-gif", "holiday pic (1).gif"),
        _good("tiff", "scan.tiff"),
        _good("link-to-photo", "link-to-photo.png"),
    ]


def build(root: Path) -> Corpus:
    """Make every case's file under ``root`` (created if needed)."""
    root.mkdir(parents=True, exist_ok=True)
    corpus = Corpus(root, cases())
    for case in corpus.cases:
        path = corpus.path(case)
        if case.id in _CONTENT:
            path.write_bytes(_CONTENT[case.id]())
    corpus.path(corpus.case("empty")).write_bytes(b"")
    with corpus.path(corpus.case("sparse-1gb")).open("wb") as fh:
        fh.write(images.png())
        fh.truncate(SPARSE_SIZE)  # a hole: no gigabyte is ever written
    corpus.path(corpus.case("unreadable")).chmod(0)
    corpus.path(corpus.case("broken-link")).symlink_to(root / "deleted-long-ago.png")
    os.mkfifo(corpus.path(corpus.case("fifo")))
    corpus.path(corpus.case("folder")).mkdir()
    loop_a = corpus.path(corpus.case("symlink-loop"))
    loop_a.symlink_to(root / "loop-b.png")
    (root / "loop-b.png").symlink_to(loop_a)
    corpus.path(corpus.case("link-to-photo")).symlink_to(corpus.path(corpus.case("photo")))
    nested = root / "nested"
    nested.mkdir()
    (nested / "inner.png").write_bytes(_solid_png(8))
    (nested / "back-up").symlink_to(root, target_is_directory=True)
    return corpus


def expected_bytes(corpus: Corpus, case: Case) -> bytes:
    """What the host must serve for an UPLOADED case (a link serves its target's bytes)."""
    return corpus.path(case).resolve().read_bytes()
