"""The ancillary chunks of a PNG that a decoder reads, held to the rules the host's image library
applies when it opens or loads a file (the thumbnails are drawn by Pillow): a chunk too short
for its fields, compressed text or a colour profile that inflates past 1 MB or names an unknown
method, too much text in all, and animation frames out of sequence or outside the image.

Used by ``png_check``, which sees each chunk in pieces: compressed text is inflated as it
arrives, with its output bounded, never held whole.
"""

from __future__ import annotations

import struct
from typing import cast

from zlib_ng import zlib_ng

# The shortest body each chunk's fields fit in.
_MIN_LENGTH = {b"gAMA": 4, b"cHRM": 32, b"sRGB": 1, b"pHYs": 9, b"acTL": 8, b"fcTL": 26,
               b"fdAT": 4}
HEAD = 32  # bytes of a chunk's start that ``Metadata.chunk`` needs (fcTL's fields)
_TEXT_LIMIT = 1024 * 1024  # one compressed text or profile, inflated
_TEXT_MEMORY = 64 * _TEXT_LIMIT  # all text of a file
_COMPRESSED_TEXT = frozenset({b"iCCP", b"zTXt", b"iTXt"})
ZLIB_ERROR = cast("type[Exception]", zlib_ng.error)  # its stub says an instance, not a class


class MetadataDamaged(Exception):
    """An ancillary chunk breaks its rules; the text says which, for logs."""


# What comes before a text chunk's compressed (or stored) part: "nul" ends a field, "byte" is
# one byte (a method or a flag). Pillow finds each NUL wherever it is, however long the field.
_HEADERS: dict[bytes, tuple[str, ...]] = {
    b"iCCP": ("nul", "byte"),  # profile name, compression method
    b"zTXt": ("nul", "byte"),  # keyword, compression method
    b"iTXt": ("nul", "byte", "byte", "nul", "nul"),  # keyword, flag, method, language, key
}


class _CompressedText:
    """One iCCP, zTXt or iTXt chunk, fed piece by piece: reads its header as it streams by
    (never holding it), then inflates the compressed part with a bounded output. A stream that
    does not inflate is ignored (no text, as a decoder does); one that inflates too far, or a
    compression method nobody knows, is refused."""

    def __init__(self, ctype: bytes) -> None:
        self._ctype = ctype
        self._steps = _HEADERS[ctype]
        self._step = 0
        self._bytes: list[int] = []  # the header's one-byte fields, in order
        self._inflater: zlib_ng._Decompress | None = None
        self._mode = "header"  # then "inflate", "stored" (an iTXt's plain text) or "skip"
        self.text = 0  # bytes of text it holds, for the file's total

    def feed(self, piece: bytes) -> None:
        if self._mode == "inflate":
            self._inflate(piece)
        elif self._mode == "stored":
            self.text += len(piece)
        elif self._mode == "header":
            pos = 0
            while self._step < len(self._steps) and pos < len(piece):
                if self._steps[self._step] == "nul":
                    end = piece.find(b"\0", pos)
                    if end < 0:
                        return  # the field goes on in the next piece
                    pos = end + 1
                else:
                    self._bytes.append(piece[pos])
                    pos += 1
                self._step += 1
            if self._step == len(self._steps):
                self._header_read()
                if pos < len(piece):
                    self.feed(piece[pos:])

    def _header_read(self) -> None:
        if self._ctype == b"iTXt":
            flag, method = self._bytes
            if flag == 0:
                self._mode = "stored"
            elif method == 0:
                self._start_inflating()
            else:
                self._mode = "skip"  # an unknown method: the text is left unread, not refused
            return
        if self._bytes[0] != 0:
            raise MetadataDamaged(f"a {self._ctype.decode()} chunk names an unknown compression")
        self._start_inflating()

    def finish(self) -> None:
        """The chunk ended. A header cut short is no text at all, except for a colour profile,
        which decoders refuse without its name and method."""
        if self._mode == "header":
            if self._ctype == b"iCCP":
                raise MetadataDamaged("an iCCP chunk has no profile name or method")
            self._mode = "skip"

    def _start_inflating(self) -> None:
        self._inflater = zlib_ng.decompressobj()
        self._mode = "inflate"

    def _inflate(self, data: bytes) -> None:
        assert self._inflater is not None
        if self._inflater.eof:
            return
        try:
            out = self._inflater.decompress(data, _TEXT_LIMIT + 1 - self.text)
        except ZLIB_ERROR:
            self._mode = "skip"  # unreadable text is dropped by decoders, not refused
            self.text = 0
            return
        self.text += len(out)
        if self.text > _TEXT_LIMIT:
            raise MetadataDamaged(
                f"a {self._ctype.decode()} chunk inflates to more than {_TEXT_LIMIT} bytes")


class Metadata:
    """The rules for one file's ancillary chunks. For each chunk, ``start`` and then ``chunk``
    with its length and its first ``HEAD`` bytes; pieces of compressed text go to what
    ``start`` returned."""

    def __init__(self) -> None:
        self._width = self._height = self._colour = 0
        self._sequence: int | None = None  # of fcTL and fdAT chunks, which share one count
        self._text = 0
        self.data_seen = False  # set by the reader at the first IDAT
        self.frames: int | None = None  # an APNG's frame count (acTL), when it has a valid one

    @property
    def animated(self) -> bool:
        """More than one frame of animation. A default image that is not part of the
        animation is not counted: viewers that play APNG never show it."""
        return self.frames is not None and self.frames > 1

    def header(self, width: int, height: int, colour: int) -> None:
        self._width, self._height, self._colour = width, height, colour

    def start(self, ctype: bytes) -> _CompressedText | None:
        return _CompressedText(ctype) if ctype in _COMPRESSED_TEXT else None

    def chunk(self, ctype: bytes, length: int, head: bytes,
              text: _CompressedText | None) -> None:
        if length < _MIN_LENGTH.get(ctype, 0):
            raise MetadataDamaged(f"a {ctype.decode()} chunk is too short")
        if ctype == b"PLTE" and (length > 768 or length % 3):
            raise MetadataDamaged("the palette holds more than 256 colours or a part of one")
        if ctype == b"tRNS" and length < {0: 2, 2: 6}.get(self._colour, 0):
            raise MetadataDamaged("a tRNS chunk is too short")
        if ctype == b"fcTL":
            self._next_in_sequence(head)
            width, height, x, y = struct.unpack(">4I", head[4:20])
            if x + width > self._width or y + height > self._height:
                raise MetadataDamaged("an animation frame lies outside the image")
            # Before the image data, the frame is the one it belongs to: its rows are laid out
            # by the frame's box, and the format asks for the whole image there.
            if not self.data_seen and (width, height, x, y) != (self._width, self._height, 0, 0):
                raise MetadataDamaged("the first frame is not the whole image")
        elif ctype == b"fdAT":
            if self._sequence is None:
                raise MetadataDamaged("frame data comes before any frame control")
            self._next_in_sequence(head)
        elif ctype == b"acTL" and not self.data_seen:  # after the image data it counts for naught
            frames = struct.unpack(">I", head[:4])[0]
            # As decoders read it: a second acTL, or a count of none or too many, leaves a
            # still image.
            self.frames = None if self.frames is not None or not 0 < frames <= 0x80000000 \
                else frames
        if ctype == b"tEXt":
            nul = head.find(b"\0")  # after a long keyword, the whole chunk is counted
            self._add_text(length - nul - 1 if nul >= 0 else length)
        elif text is not None:
            text.finish()
            self._add_text(text.text)

    def _next_in_sequence(self, head: bytes) -> None:
        number = struct.unpack(">I", head[:4])[0]
        expected = 0 if self._sequence is None else self._sequence + 1
        if number != expected:
            raise MetadataDamaged("animation chunks are out of sequence")
        self._sequence = number

    def _add_text(self, size: int) -> None:
        self._text += size
        if self._text > _TEXT_MEMORY:
            raise MetadataDamaged("the file holds too much text")
