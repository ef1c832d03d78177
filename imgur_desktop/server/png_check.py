"""Check that a PNG is whole without decoding its pixels.

What the upload check needs from a PNG is that it is complete and undamaged, and its size.
Decoding it with Pillow proves that by building every pixel (unfiltering and unpacking each
row), which was most of the host's work per upload. This reads the same things a decoder
relies on and stops short of the pixels: the signature, every chunk's length and CRC, the
header's sizes and bit depth, a palette where one is needed, the image data as one zlib
stream that ends exactly where the rows do, each row's filter type, and the ancillary chunks
a decoder parses (``png_metadata``). A file Pillow would refuse to load fails here too
(``tests/server/test_png_check.py`` compares the two on thousands of damaged files).

Memory stays small whatever the image: chunks are read and inflated in pieces.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

# zlib-ng inflates PNG data about three times as fast as the system's zlib (docs/decisions.md).
from zlib_ng import zlib_ng

from .png_metadata import HEAD, ZLIB_ERROR, Metadata, MetadataDamaged

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PIECE = 64 * 1024  # read this much at a time
# Inflate this much at a time: few calls (each lets go of the interpreter lock and must get it
# back), and each piece small enough for the allocator's heap: above glibc's mmap threshold
# (128 KB) every piece is a fresh mapping, its pages faulted in one by one (twice the time).
_INFLATED_PIECE = 120 * 1024
_MAX_CHUNK = 2**31 - 1  # the format's own limit on a chunk's length

# Colour type -> (channels, allowed bit depths).
_COLOUR_TYPES: dict[int, tuple[int, tuple[int, ...]]] = {
    0: (1, (1, 2, 4, 8, 16)),  # grey
    2: (3, (8, 16)),  # RGB
    3: (1, (1, 2, 4, 8)),  # palette
    4: (2, (8, 16)),  # grey + alpha
    6: (4, (8, 16)),  # RGBA
}
# Adam7: (first column, first row, column step, row step) of each of the seven passes.
_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
          (0, 1, 1, 2))
_MAX_FILTER = 4  # None, Sub, Up, Average, Paeth


class PngDamaged(Exception):
    """The file is not a whole, undamaged PNG; the text says what is wrong, for logs."""


class PngTooLarge(Exception):
    """The header asks for more pixels than allowed (checked before anything is inflated)."""

    def __init__(self, width: int, height: int) -> None:
        super().__init__(f"{width}x{height}")
        self.width = width
        self.height = height


@dataclass(frozen=True, slots=True)
class PngInfo:
    width: int
    height: int
    animated: bool  # an APNG with more than one frame


@dataclass(frozen=True, slots=True)
class _Pass:
    start: int  # offset of its first row in the inflated data
    stride: int  # bytes per row, the filter byte included
    rows: int


def _passes(width: int, height: int, bits_per_pixel: int, interlaced: bool) -> list[_Pass]:
    shapes = [(width, height)] if not interlaced else [
        ((width - x0 + dx - 1) // dx, (height - y0 + dy - 1) // dy)
        for x0, y0, dx, dy in _ADAM7
    ]
    passes: list[_Pass] = []
    start = 0
    for columns, rows in shapes:
        if columns <= 0 or rows <= 0:
            continue  # a small interlaced image has empty passes: no rows, no filter bytes
        stride = 1 + (columns * bits_per_pixel + 7) // 8
        passes.append(_Pass(start, stride, rows))
        start += stride * rows
    return passes


class _Rows:
    """Takes the inflated data piece by piece: counts it and checks each row's filter byte."""

    def __init__(self, passes: list[_Pass]) -> None:
        self._passes = passes
        self.expected = passes[-1].start + passes[-1].stride * passes[-1].rows
        self.seen = 0

    def take(self, piece: bytes) -> None:
        begin, end = self.seen, self.seen + len(piece)
        if end > self.expected:
            raise PngDamaged("more image data than the header's rows hold")
        for p in self._passes:
            p_end = p.start + p.stride * p.rows
            if p_end <= begin or p.start >= end:
                continue
            first = max(begin, p.start)
            # The first row start at or after ``first``, as an offset into ``piece``.
            offset = p.start + -(-(first - p.start) // p.stride) * p.stride - begin
            stop = min(end, p_end) - begin
            if offset < stop and max(piece[offset:stop:p.stride]) > _MAX_FILTER:
                raise PngDamaged("a row has an unknown filter type")
        self.seen = end


def check_png(read: Callable[[int], bytes], *, max_pixels: int) -> PngInfo:
    """Read a PNG through ``read`` (a file's or a ``BytesIO``'s ``read``) and check it whole.

    Raises ``PngTooLarge`` when the header asks for more than ``max_pixels`` pixels, and
    ``PngDamaged`` for anything truncated, damaged or malformed."""

    def exactly(n: int) -> bytes:
        data = read(n)
        if len(data) != n:
            raise PngDamaged("the file ends early")
        return data

    if exactly(len(SIGNATURE)) != SIGNATURE:
        raise PngDamaged("no PNG signature")
    width = height = 0
    colour = 0
    rows: _Rows | None = None
    inflater = zlib_ng.decompressobj()
    metadata = Metadata()
    idat_state = "before"  # before -> inside -> after: the IDAT chunks must be consecutive
    have_palette = False
    first = True
    while True:
        length, ctype = struct.unpack(">I4s", exactly(8))
        if length > _MAX_CHUNK or not ctype.isalpha():
            raise PngDamaged("a chunk header is malformed")
        if first != (ctype == b"IHDR"):
            raise PngDamaged("IHDR is not the first chunk")
        first = False
        if ctype == b"IDAT":
            metadata.data_seen = True
            if idat_state == "after" or rows is None:
                raise PngDamaged("IDAT chunks are split or misplaced")
            if colour == 3 and not have_palette:
                raise PngDamaged("a palette image has no PLTE before its data")
            idat_state = "inside"
        elif idat_state == "inside":
            idat_state = "after"
        crc = zlib_ng.crc32(ctype)
        head = b""  # the chunk's first bytes: all its fields, for the chunks looked into
        text = metadata.start(ctype)
        left = length
        try:
            while left:
                piece = exactly(min(left, _PIECE))
                left -= len(piece)
                crc = zlib_ng.crc32(piece, crc)
                if ctype == b"IDAT":
                    assert rows is not None
                    _inflate(inflater, piece, rows)
                    continue
                if len(head) < HEAD:
                    head += piece[:HEAD - len(head)]
                if text is not None:
                    text.feed(piece)
            if struct.unpack(">I", exactly(4))[0] != crc:
                raise PngDamaged(f"the CRC of a {ctype.decode()} chunk does not match")
            if ctype == b"IHDR":
                width, height, colour, rows = _header(head, length, max_pixels)
                metadata.header(width, height, colour)
            elif ctype != b"IDAT":
                metadata.chunk(ctype, length, head, text)
        except MetadataDamaged as exc:
            raise PngDamaged(str(exc)) from None
        if ctype == b"PLTE":
            have_palette = True
        elif ctype == b"IEND":
            break
    if rows is None or idat_state == "before":
        raise PngDamaged("no image data")
    if not inflater.eof or rows.seen != rows.expected:
        raise PngDamaged("the image data ends early")
    return PngInfo(width, height, metadata.animated)


def _header(head: bytes, length: int, max_pixels: int) -> tuple[int, int, int, _Rows]:
    if length != 13:
        raise PngDamaged("IHDR has the wrong length")
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(
        ">IIBBBBB", head)
    if not (0 < width <= _MAX_CHUNK and 0 < height <= _MAX_CHUNK):
        raise PngDamaged("the image has no pixels")
    if width * height > max_pixels:
        raise PngTooLarge(width, height)
    channels_depths = _COLOUR_TYPES.get(colour)
    if channels_depths is None or depth not in channels_depths[1]:
        raise PngDamaged("unknown colour type or bit depth")
    if compression != 0 or filtering != 0 or interlace not in (0, 1):
        raise PngDamaged("unknown compression, filter or interlace method")
    passes = _passes(width, height, channels_depths[0] * depth, interlace == 1)
    return width, height, colour, _Rows(passes)


def _inflate(inflater: zlib_ng._Decompress, data: bytes, rows: _Rows) -> None:
    if inflater.eof:
        return  # bytes after the end of the stream: decoders ignore them, so do we
    try:
        while True:
            # Bounded output: a small compressed piece may inflate to a lot.
            out = inflater.decompress(data, _INFLATED_PIECE)
            if out:
                rows.take(out)
            if inflater.eof:
                return
            data = inflater.unconsumed_tail
            if not data and len(out) < _INFLATED_PIECE:
                return  # all in, all out (a full piece may have more waiting)
    except ZLIB_ERROR as exc:
        raise PngDamaged(f"the image data does not inflate: {exc}") from None
