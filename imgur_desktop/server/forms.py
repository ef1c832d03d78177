"""Read an upload request's body as it streams in, spooling the ``image`` field to disk.

An upload may arrive as multipart/form-data (a file part, or base64/URL text), as an
urlencoded form (base64 or URL), or as a raw image body with the other parameters in the query
string. Whatever the shape, only small text fields and a small image field stay in memory; an
image field past ``SPOOL_MEMORY_BYTES`` goes to a temporary file, and reading stops as soon as
it passes the size limit.
"""

from __future__ import annotations

import functools
import os
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import unquote_to_bytes

from python_multipart.multipart import MultipartParser, QuerystringParser, parse_options_header

from . import plain_multipart

IMAGE_FIELD = "image"
MAX_FIELD_BYTES = 64 * 1024  # any text field but the image
MAX_FIELDS = 100
_HEX_DIGITS = b"0123456789abcdefABCDEF"
# An image field up to this size is held in memory, and the upload's worker thread writes it to
# disk: creating a file on the event loop blocked every connection for ~0.5 ms per upload while
# other uploads fsynced (the file system's journal serialises the two).
SPOOL_MEMORY_BYTES = 256 * 1024
# A multipart body up to this size is gathered whole and split by ``plain_multipart`` when it
# has the plain shape; a larger one, or an unusual one, goes through the streaming parser.
WHOLE_BODY_BYTES = 64 * 1024


class BodyTooLarge(Exception):
    """The image field passed the limit; the rest of the body was not stored."""

    def __init__(self) -> None:
        super().__init__("over the size limit")
        self.fields: dict[str, str] = {}  # the text fields read before it, for the error echo


class BadBody(Exception):
    """The body is not a form this host can read."""


@dataclass(slots=True)
class UploadBody:
    fields: dict[str, str] = field(default_factory=dict)
    # The image field's bytes as sent (file data, base64 or URL): in a temporary file, or in
    # memory when small (see ``spool_to_file``).
    image_path: Path | None = None
    image_data: bytes | None = None
    image_size: int = 0
    image_is_file: bool = False  # a multipart part with a filename, or a raw body
    image_filename: str | None = None

    @property
    def has_image(self) -> bool:
        return self.image_path is not None or self.image_data is not None

    def spool_to_file(self, tmp_dir: Path) -> Path | None:
        """The image field as a file (written now if it was held in memory); None without one.
        Blocking: for a worker thread."""
        if self.image_data is not None:
            fd, name = tempfile.mkstemp(prefix="upload-", dir=tmp_dir)
            self.image_path = Path(name)
            with os.fdopen(fd, "wb") as fh:
                fh.write(self.image_data)
            self.image_data = None
        return self.image_path

    def discard(self) -> None:
        self.image_data = None
        if self.image_path is not None:
            self.image_path.unlink(missing_ok=True)
            self.image_path = None


class PercentDecoder:
    """Incremental ``application/x-www-form-urlencoded`` value decoding across chunk edges:
    '+' is a space and ``%XX`` a byte, as ``urllib.parse.unquote_plus`` reads them; a '%' that
    does not start two hex digits stays as it is. The work is done by the standard library's
    C-speed ``bytes`` methods and ``unquote_to_bytes``, not byte by byte in Python (a base64
    image sent in a form is megabytes of this)."""

    def __init__(self) -> None:
        self._carry = b""

    def feed(self, data: bytes) -> bytes:
        data = self._carry + data
        self._carry = b""
        # An escape cut by the chunk's end ('%' or '%X') waits for the next chunk.
        cut = data.rfind(b"%", max(len(data) - 2, 0))
        if cut != -1 and data[cut + 1:].translate(None, _HEX_DIGITS) == b"":
            data, self._carry = data[:cut], data[cut:]
        return unquote_to_bytes(data.replace(b"+", b" "))

    def flush(self) -> bytes:
        rest, self._carry = self._carry, b""
        return rest


class _Spool:
    """The image field's destination: memory, then a temporary file once it passes
    ``SPOOL_MEMORY_BYTES``; it refuses to grow past a limit."""

    def __init__(self, tmp_dir: Path, limit: int) -> None:
        self._tmp_dir = tmp_dir
        self._limit = limit
        self.memory: bytearray | None = bytearray()
        self.path: Path | None = None
        self._fh: IO[bytes] | None = None
        self.size = 0
        self.overflow = False

    def write(self, data: bytes) -> None:
        if self.overflow:
            return
        self.size += len(data)
        if self.size > self._limit:
            self.overflow = True
            return
        if self._fh is not None:
            self._fh.write(data)
            return
        assert self.memory is not None
        self.memory += data
        if len(self.memory) > SPOOL_MEMORY_BYTES:
            fd, name = tempfile.mkstemp(prefix="upload-", dir=self._tmp_dir)
            self.path = Path(name)
            self._fh = os.fdopen(fd, "wb")
            self._fh.write(self.memory)
            self.memory = None

    def close(self) -> None:
        if self._fh is not None and not self._fh.closed:
            self._fh.close()

    def remove(self) -> None:
        self.close()
        self.memory = None
        if self.path is not None:
            self.path.unlink(missing_ok=True)


class _Collector:
    """Shared bookkeeping of the text fields and the single image field."""

    def __init__(self, tmp_dir: Path, file_limit: int, text_limit: int) -> None:
        self.body = UploadBody()
        self._tmp_dir = tmp_dir
        self._file_limit = file_limit
        self._text_limit = text_limit
        self.spool: _Spool | None = None
        self._name = bytearray()
        self._value = bytearray()
        self._in_image = False

    @property
    def named(self) -> bool:
        return bool(self._name)

    def start(self) -> None:
        self._name.clear()
        self._value.clear()
        self._in_image = False

    def name_done(self, name: str) -> None:
        self._name[:] = name.encode()
        if name == IMAGE_FIELD and self.spool is None:
            # File bytes are held to the limit itself; base64 or URL text gets 4/3 of room.
            limit = self._file_limit if self.body.image_is_file else self._text_limit
            self.spool = _Spool(self._tmp_dir, limit)
            self._in_image = True

    def data(self, chunk: bytes) -> None:
        if self._in_image:
            assert self.spool is not None
            self.spool.write(chunk)
            if self.spool.overflow:
                raise BodyTooLarge
        else:
            if len(self._value) + len(chunk) > MAX_FIELD_BYTES:
                raise BadBody(f"The field {self._name.decode(errors='replace')!r} is too long")
            self._value += chunk

    def end(self) -> None:
        if not self._in_image:
            if len(self.body.fields) >= MAX_FIELDS:
                raise BadBody("Too many fields")
            name = self._name.decode("utf-8", errors="replace")
            self.body.fields.setdefault(name, self._value.decode("utf-8", errors="replace"))
        self._in_image = False

    def finish(self) -> UploadBody:
        if self.spool is not None:
            self.spool.close()
            self.body.image_path = self.spool.path
            self.body.image_data = (None if self.spool.memory is None
                                    else bytes(self.spool.memory))
            self.body.image_size = self.spool.size
        return self.body

    def abort(self) -> None:
        if self.spool is not None:
            self.spool.remove()


_PLAIN_MULTIPART = "multipart/form-data; boundary="


def _content_type(value: str) -> tuple[bytes, dict[bytes, bytes]]:
    """The media type and its options. The header every client sends for an upload (an
    unquoted token boundary) is read directly; anything else by the full parser."""
    if value.startswith(_PLAIN_MULTIPART):
        boundary = value[len(_PLAIN_MULTIPART):]
        if boundary and boundary.isascii() and all(c in _TOKEN_CHARS for c in boundary):
            return b"multipart/form-data", {b"boundary": boundary.encode("ascii")}
    return parse_options_header(value or "")


# RFC 7230 token characters, what an unquoted boundary is made of.
_TOKEN_CHARS = frozenset("!#$%&'*+-.^_`|~0123456789"
                         "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


@functools.lru_cache(maxsize=256)
def _disposition(value: bytes) -> tuple[bytes, dict[bytes, bytes]]:
    """``parse_options_header`` of a part's Content-Disposition: the same few come with every
    upload (``form-data; name="key"``). The result is shared: never change it."""
    return parse_options_header(value)


def _part_headers_done(headers: dict[str, bytes], col: _Collector) -> None:
    _, options = _disposition(headers.get("content-disposition", b""))
    name = options.get(b"name", b"").decode("utf-8", errors="replace")
    if name == IMAGE_FIELD and col.spool is None and b"filename" in options:
        col.body.image_is_file = True
        col.body.image_filename = options[b"filename"].decode("utf-8", errors="replace")
    col.name_done(name)


def _plain_parts(parts: list[plain_multipart.Part], col: _Collector) -> None:
    """What the streaming parser's callbacks do, for parts split by ``plain_multipart``."""
    for headers, data in parts:
        col.start()
        _part_headers_done(headers, col)
        if data:
            col.data(data)
        col.end()


def _multipart_parser(boundary: bytes, col: _Collector) -> MultipartParser:
    header_field = bytearray()
    header_value = bytearray()
    headers: dict[str, bytes] = {}

    def on_part_begin() -> None:
        headers.clear()
        col.start()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_field.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.extend(data[start:end])

    def on_header_end() -> None:
        headers[header_field.decode("latin-1").lower()] = bytes(header_value)
        header_field.clear()
        header_value.clear()

    def on_headers_finished() -> None:
        _part_headers_done(headers, col)

    def on_part_data(data: bytes, start: int, end: int) -> None:
        col.data(data[start:end])

    def on_part_end() -> None:
        col.end()

    return MultipartParser(boundary, callbacks={
        "on_part_begin": on_part_begin,
        "on_header_field": on_header_field,
        "on_header_value": on_header_value,
        "on_header_end": on_header_end,
        "on_headers_finished": on_headers_finished,
        "on_part_data": on_part_data,
        "on_part_end": on_part_end,
    })


def _urlencoded_parser(col: _Collector) -> tuple[QuerystringParser, Callable[[], None]]:
    name = bytearray()
    value = PercentDecoder()

    def on_field_start() -> None:
        name.clear()
        col.start()

    def on_field_name(data: bytes, start: int, end: int) -> None:
        name.extend(data[start:end])

    def name_complete() -> None:
        if not col.named and name:
            decoder = PercentDecoder()
            col.name_done((decoder.feed(bytes(name)) + decoder.flush()).decode(
                "utf-8", errors="replace"))

    def on_field_data(data: bytes, start: int, end: int) -> None:
        name_complete()  # data follows the '=', so the name is whole by now
        col.data(value.feed(data[start:end]))

    def on_field_end() -> None:
        name_complete()  # a field with an empty value has had no data callback
        col.data(value.flush())
        col.end()

    parser = QuerystringParser(callbacks={
        "on_field_start": on_field_start,
        "on_field_name": on_field_name,
        "on_field_data": on_field_data,
        "on_field_end": on_field_end,
    })
    return parser, parser.finalize


async def read_upload_body(
    chunks: AsyncIterator[bytes],
    content_type: str,
    *,
    tmp_dir: Path,
    file_limit: int,
    text_limit: int,
) -> UploadBody:
    """Parse an upload body from ``chunks``; raises BodyTooLarge or BadBody."""
    media_type, options = _content_type(content_type)
    col = _Collector(tmp_dir, file_limit, text_limit)
    try:
        if media_type == b"multipart/form-data":
            boundary = options.get(b"boundary")
            if not boundary:
                raise BadBody("multipart/form-data without a boundary")
            parser: MultipartParser | None = None  # made only when the body needs it
            gathered: list[bytes] | None = []  # while the body may still be small
            size = 0
            async for chunk in chunks:
                if gathered is None:
                    assert parser is not None
                    parser.write(chunk)
                    continue
                gathered.append(chunk)
                size += len(chunk)
                if size > WHOLE_BODY_BYTES:
                    parser = _multipart_parser(boundary, col)
                    for piece in gathered:
                        parser.write(piece)
                    gathered = None
            if gathered is not None:
                whole = b"".join(gathered)
                parts = plain_multipart.split(whole, boundary)
                if parts is not None:
                    _plain_parts(parts, col)
                else:
                    parser = _multipart_parser(boundary, col)
                    parser.write(whole)
            if parser is not None:
                parser.finalize()
        elif media_type == b"application/x-www-form-urlencoded":
            qs, finalize = _urlencoded_parser(col)
            async for chunk in chunks:
                qs.write(chunk)
            finalize()
        else:
            # A raw image body (application/octet-stream, image/*, or no type at all).
            col.body.image_is_file = True
            col.name_done(IMAGE_FIELD)
            async for chunk in chunks:
                col.data(chunk)
            col.end()
            if col.spool is not None and col.spool.size == 0:
                col.abort()
                col.spool = None
                col.body.image_is_file = False
        return col.finish()
    except BodyTooLarge as exc:
        col.abort()
        exc.fields = dict(col.body.fields)
        raise
    except BadBody:
        col.abort()
        raise
    except Exception as exc:  # the parser's own errors: a malformed body
        col.abort()
        raise BadBody(f"The request body could not be read: {exc}") from exc
