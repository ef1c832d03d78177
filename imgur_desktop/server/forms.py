"""Read an upload request's body as it streams in, spooling the ``image`` field to disk.

An upload may arrive as multipart/form-data (a file part, or base64/URL text), as an
urlencoded form (base64 or URL), or as a raw image body with the other parameters in the query
string. Whatever the shape, only small text fields stay in memory; the image field goes to a
temporary file, and reading stops as soon as it passes the size limit.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from python_multipart.multipart import MultipartParser, QuerystringParser, parse_options_header

IMAGE_FIELD = "image"
MAX_FIELD_BYTES = 64 * 1024  # any text field but the image
MAX_FIELDS = 100


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
    image_path: Path | None = None  # the image field's bytes as sent (file data, base64 or URL)
    image_size: int = 0
    image_is_file: bool = False  # a multipart part with a filename, or a raw body
    image_filename: str | None = None

    def discard(self) -> None:
        if self.image_path is not None:
            self.image_path.unlink(missing_ok=True)
            self.image_path = None


class PercentDecoder:
    """Incremental ``application/x-www-form-urlencoded`` value decoding across chunk edges."""

    def __init__(self) -> None:
        self._carry = b""

    def feed(self, data: bytes) -> bytes:
        data = self._carry + data
        self._carry = b""
        out = bytearray()
        i, n = 0, len(data)
        while i < n:
            c = data[i]
            if c == 0x25:  # '%'
                if i + 2 >= n:
                    self._carry = data[i:]
                    break
                try:
                    out.append(int(data[i + 1:i + 3], 16))
                    i += 3
                    continue
                except ValueError:
                    out.append(c)
            elif c == 0x2B:  # '+'
                out.append(0x20)
            else:
                out.append(c)
            i += 1
        return bytes(out)

    def flush(self) -> bytes:
        rest, self._carry = self._carry, b""
        return rest


class _Spool:
    """The image field's destination: a temporary file that refuses to grow past a limit."""

    def __init__(self, tmp_dir: Path, limit: int) -> None:
        fd, name = tempfile.mkstemp(prefix="upload-", dir=tmp_dir)
        self.path = Path(name)
        self._fh: IO[bytes] = os.fdopen(fd, "wb")
        self._limit = limit
        self.size = 0
        self.overflow = False

    def write(self, data: bytes) -> None:
        if self.overflow:
            return
        self.size += len(data)
        if self.size > self._limit:
            self.overflow = True
            return
        self._fh.write(data)

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()


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
            self.body.image_size = self.spool.size
        return self.body

    def abort(self) -> None:
        if self.spool is not None:
            self.spool.close()
            self.spool.path.unlink(missing_ok=True)


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
        _, options = parse_options_header(headers.get("content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", errors="replace")
        if name == IMAGE_FIELD and col.spool is None and b"filename" in options:
            col.body.image_is_file = True
            col.body.image_filename = options[b"filename"].decode("utf-8", errors="replace")
        col.name_done(name)

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
    media_type, options = parse_options_header(content_type or "")
    col = _Collector(tmp_dir, file_limit, text_limit)
    try:
        if media_type == b"multipart/form-data":
            boundary = options.get(b"boundary")
            if not boundary:
                raise BadBody("multipart/form-data without a boundary")
            parser = _multipart_parser(boundary, col)
            async for chunk in chunks:
                parser.write(chunk)
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
