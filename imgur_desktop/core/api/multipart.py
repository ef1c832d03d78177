"""A multipart/form-data request body streamed from the files it carries.

Each part's head is rendered once (by urllib3's ``RequestField``, as requests renders it) and
each file is read straight into the block that goes out. The length is fixed before the first
byte is sent; a file that grows or shrinks while it is read is reported, never sent short or
long, so the service cannot store a different file or wait for bytes that never come.
"""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Mapping
from typing import IO, Any

from urllib3.fields import RequestField

FileField = tuple[str, IO[bytes], str]  # (file name, open file, content type)


class SizeChanged(Exception):
    """A file in the body gave more or fewer bytes than it had when the length was fixed."""


def remaining_bytes(fh: IO[bytes]) -> int:
    """Bytes from the file's position to its end, without reading them."""
    if isinstance(fh, io.BytesIO):
        return len(fh.getbuffer()) - fh.tell()
    try:
        return os.fstat(fh.fileno()).st_size - fh.tell()
    except (AttributeError, io.UnsupportedOperation):
        here = fh.tell()
        end = fh.seek(0, os.SEEK_END)
        fh.seek(here)
        return end - here


class MultipartBody:
    """``read(size)`` hands out the body in blocks of at most ``size`` bytes; ``len`` is its
    whole length and ``content_type`` the header that names its boundary."""

    def __init__(self, fields: Mapping[str, str | FileField],
                 boundary: str | None = None) -> None:
        self.boundary = boundary or uuid.uuid4().hex
        self.content_type = f"multipart/form-data; boundary={self.boundary}"
        # Alternating runs of fixed bytes and files, each file with the length it has now.
        self._pieces: list[bytes | tuple[IO[bytes], int]] = []
        head = bytearray()
        for name, value in fields.items():
            head += f"--{self.boundary}\r\n".encode()
            if isinstance(value, tuple):
                filename, fh, mime = value
                head += _part_head(name, None, filename, mime)
                self._pieces += [bytes(head), (fh, remaining_bytes(fh))]
                head = bytearray(b"\r\n")
            else:
                head += _part_head(name, value, None, None) + value.encode() + b"\r\n"
        head += f"--{self.boundary}--\r\n".encode()
        self._pieces.append(bytes(head))
        self.len = sum(len(p) if isinstance(p, bytes) else p[1] for p in self._pieces)
        self._index = 0  # the piece being read
        self._offset = 0  # bytes of it already handed out

    def read(self, size: int) -> bytes:
        """Up to ``size`` bytes (fewer only at the end); b"" once the body is all out."""
        blocks: list[bytes] = []
        wanted = size
        while wanted > 0 and self._index < len(self._pieces):
            piece = self._pieces[self._index]
            if isinstance(piece, bytes):
                block = piece[self._offset:self._offset + wanted]
                left = len(piece) - self._offset - len(block)
            else:
                fh, length = piece
                block = fh.read(min(wanted, length - self._offset))
                left = length - self._offset - len(block)
                if not block and left:
                    raise SizeChanged  # shrunk: the bytes announced are not there
                if not left and fh.read(1):
                    raise SizeChanged  # grew: more than was announced
            blocks.append(block)
            wanted -= len(block)
            if left:
                self._offset += len(block)
            else:
                self._index += 1
                self._offset = 0
        return blocks[0] if len(blocks) == 1 else b"".join(blocks)


def _part_head(name: str, data: Any, filename: str | None, mime: str | None) -> bytes:
    field = RequestField(name=name, data=data, filename=filename)
    field.make_multipart(content_type=mime)
    return field.render_headers().encode()
