"""``POST /2/upload`` and ``POST /2/account/images``: from a streamed body to a stored image.

Order matters: the signature and the credits are checked before the body is read, the body is
spooled to disk as it arrives, the file is checked by content, and the database row is written
last, after the files are complete, so an upload exists completely or not at all.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import sqlite3
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from urllib.parse import urlsplit

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from imgur_desktop.core.formats import SNIFF_BYTES, UNSUPPORTED_MESSAGE, ImageFormat, sniff_bytes

from . import ids
from .forms import BadBody, BodyTooLarge, UploadBody, read_upload_body
from .host import MAX_SMALL_BODY, BodyStream, Call, Host, _is_oauth_signed
from .imaging import ImageRejected, Inspected, Source, inspect_image
from .payloads import image_item
from .storage import ImageRow
from .wire import ApiError, pick_format

OVER_LIMIT = "File is over the size limit"
NO_IMAGE = "No image data was sent to the upload api"
UPLOAD_TYPES = ("file", "base64", "url")
MAX_URL_LENGTH = 4096


def encoded_limit(limit: int) -> int:
    """Room for base64 text of a file at the limit (4/3 of it, plus line breaks)."""
    return limit * 4 // 3 + limit // 38 + 8192


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


def _temp_path(host: Host, prefix: str) -> Path:
    fd, name = tempfile.mkstemp(prefix=prefix, dir=host.tmp_dir)
    os.close(fd)
    return Path(name)


def _looks_like_url(head: bytes) -> bool:
    return head.lstrip().lower().startswith((b"http://", b"https://"))


def _decode_base64(host: Host, src: Path, work: list[Path]) -> Path:
    """Decode base64 text from ``src`` to a new file, chunk by chunk, refusing past the limit."""
    limit = host.config.max_upload_bytes
    dest = _temp_path(host, "b64-")
    work.append(dest)
    translate = bytes.maketrans(b"-_ ", b"+/+")  # URL-safe alphabet; '+' sent unescaped
    written = 0
    carry = b""
    first = True
    with src.open("rb") as fin, dest.open("wb") as fout:
        while True:
            chunk = fin.read(256 * 1024)
            if not chunk:
                break
            if first:
                first = False
                stripped = chunk.lstrip()
                if stripped[:5].lower() == b"data:" and b"," in stripped[:200]:
                    chunk = stripped.split(b",", 1)[1]  # a data: URI
            chunk = b"".join(chunk.split()).translate(translate)
            data = carry + chunk
            usable = len(data) - len(data) % 4
            carry = data[usable:]
            try:
                decoded = base64.b64decode(data[:usable], validate=True)
            except binascii.Error:
                raise ApiError(400, "Image data is not valid base64") from None
            written += len(decoded)
            if written > limit:
                raise ApiError(400, OVER_LIMIT)
            fout.write(decoded)
        if carry:
            try:
                tail = base64.b64decode(carry + b"=" * (-len(carry) % 4), validate=True)
            except binascii.Error:
                raise ApiError(400, "Image data is not valid base64") from None
            written += len(tail)
            if written > limit:
                raise ApiError(400, OVER_LIMIT)
            fout.write(tail)
    if written == 0:
        raise ApiError(400, NO_IMAGE)
    return dest


def _http_only_opener() -> urllib.request.OpenerDirector:
    # No file:, ftp: or data: handlers: a URL upload can only ever fetch over http(s).
    opener = urllib.request.OpenerDirector()
    for handler in (urllib.request.HTTPHandler(), urllib.request.HTTPSHandler(),
                    urllib.request.HTTPRedirectHandler(), urllib.request.HTTPErrorProcessor(),
                    urllib.request.HTTPDefaultErrorHandler()):
        opener.add_handler(handler)
    return opener


def _fetch_url(host: Host, src: Path, work: list[Path]) -> Path:
    raw = src.read_bytes()[:MAX_URL_LENGTH + 1]
    if len(raw) > MAX_URL_LENGTH:
        raise ApiError(400, "The image URL is too long")
    url = raw.decode("utf-8", errors="replace").strip()
    if urlsplit(url).scheme.lower() not in ("http", "https") or not urlsplit(url).netloc:
        raise ApiError(400, "Only http and https image URLs can be uploaded")
    limit = host.config.max_upload_bytes
    timeout = host.config.url_fetch_timeout
    deadline = time.monotonic() + 3 * timeout
    dest = _temp_path(host, "url-")
    work.append(dest)
    # The scheme was checked above and the opener has no handler but http(s).
    request = urllib.request.Request(url, headers={"User-Agent": "imgur-desktop-host"})  # noqa: S310
    try:
        with _http_only_opener().open(request, timeout=timeout) as resp, dest.open("wb") as out:
            written = 0
            while True:
                chunk = resp.read(64 * 1024)
                if not chunk:
                    break
                written += len(chunk)
                if written > limit:
                    raise ApiError(400, OVER_LIMIT)
                if time.monotonic() > deadline:
                    raise ApiError(400, "Fetching the image URL took too long")
                out.write(chunk)
    except urllib.error.HTTPError as exc:
        raise ApiError(400, f"The image URL answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ApiError(400, f"The image URL could not be fetched: {reason}") from None
    if written == 0:
        raise ApiError(400, NO_IMAGE)
    return dest


def _head(source: Source) -> bytes:
    if isinstance(source, bytes):
        return source[:SNIFF_BYTES]
    with source.open("rb") as fh:
        return fh.read(SNIFF_BYTES)


def _image_source(host: Host, body: UploadBody, kind: str, work: list[Path]) -> Source:
    """The image's own bytes (in memory when small, else their file), whichever way they
    were sent."""
    if not body.has_image or body.image_size == 0:
        raise ApiError(400, NO_IMAGE)
    if kind == "":
        sent = body.image_data if body.image_data is not None else body.image_path
        assert sent is not None  # has_image
        head = _head(sent)
        if body.image_is_file or sniff_bytes(head) is not None:
            kind = "file"
        elif _looks_like_url(head) and body.image_size <= MAX_URL_LENGTH:
            kind = "url"
        else:
            kind = "base64"
    if kind == "file":
        if body.image_size > host.config.max_upload_bytes:
            raise ApiError(400, OVER_LIMIT)
        if body.image_data is not None:
            return body.image_data
    spooled = body.spool_to_file(host.tmp_dir)
    assert spooled is not None  # has_image
    if kind == "file":
        return spooled
    if kind == "base64":
        return _decode_base64(host, spooled, work)
    return _fetch_url(host, spooled, work)


# A new file only: never follow a link planted in its place, never reuse a name (and on
# Windows, bytes as they are).
_NEW_FILE = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
             | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
# Draws of a fresh hash before giving up: each one taken has odds of about 1 in 62**7.
HASH_DRAWS = 8


def _new_hash(host: Host) -> str:
    hash_ = ids.image_hash()
    while host.storage.image_exists(hash_):
        hash_ = ids.image_hash()
    return hash_


def _new_image_file(host: Host, ext: str) -> tuple[str, str, str, int]:
    """A new file at an image's final place: its hash, delete hash, path and open descriptor.

    The file is created with ``O_EXCL`` under its hash: a hash whose file exists is taken (an
    image's file exists as long as its row does, and any file left without a row is swept at
    start), so no query is needed, and no temporary name and rename. Until its row exists the
    file is served to no one (``Pages.file`` looks the row up first). Plain ``os`` calls on
    strings: each system call lets another thread take the interpreter lock, and getting it
    back can wait."""
    while True:
        hash_, deletehash = ids.image_and_delete_hash()
        path = host.image_file(hash_, ext)
        try:
            return hash_, deletehash, path, os.open(path, _NEW_FILE, 0o600)
        except FileExistsError:
            continue


def _sync_and_close(fd: int) -> None:
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_or_close(fd: int, data: bytes) -> None:
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    except BaseException:
        os.close(fd)
        raise


def _recorded(insert: Callable[[ImageRow], None], row: ImageRow, path: str) -> bool:
    """Whether ``row`` (its file on disk at ``path``) was written; False, its file removed,
    when a row without a file holds its hash: the caller draws another."""
    try:
        insert(row)
    except sqlite3.IntegrityError as exc:
        _remove(path)
        if "UNIQUE" not in str(exc):
            raise
        return False
    return True


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _sync_file(path: Path) -> int:
    """fsync a spooled file; its size."""
    with path.open("rb+") as fh:  # writable: some systems sync only what may be written
        os.fsync(fh.fileno())
        return os.fstat(fh.fileno()).st_size


def _checked(host: Host, call: Call, body: UploadBody,
             work: list[Path]) -> tuple[Source, ImageFormat, Inspected]:
    """The image's bytes (or file), its format and what its check found; or ApiError."""
    kind = call.params.get("type", "").strip().lower()
    if kind not in ("", *UPLOAD_TYPES):
        raise ApiError(400, "Invalid upload type: use file, base64 or url")
    src = _image_source(host, body, kind, work)
    fmt: ImageFormat | None = sniff_bytes(_head(src))
    if fmt is None:
        raise ApiError(400, UNSUPPORTED_MESSAGE)
    try:
        inspected = inspect_image(src, fmt, max_pixels=host.config.max_image_pixels)
    except ImageRejected as exc:
        raise ApiError(400, str(exc)) from None
    return src, fmt, inspected


# A small PNG sent as a file is checked, written and recorded on the event loop, and only its
# fsync runs on an upload thread. Its check (chunk CRCs, one inflate of at most a megabyte of
# rows, no compressed text or profile to inflate besides) and its row cost the loop less than
# handing the whole job to a thread, where each system call had to win the interpreter lock
# back from the busy loop (docs/performance.md, 8a). The loop's row never runs a checkpoint
# (``Storage.insert_image_from_loop``): the thread job runs one when it falls due.
LOOP_CHECK_BYTES = 64 * 1024
LOOP_CHECK_ROW_BYTES = 1024 * 1024  # the image's rows, inflated: what its check reads
_PNG_HEAD = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # by PNG colour type
_INFLATED_EXTRAS = (b"zTXt", b"iTXt", b"iCCP")  # each may inflate to a megabyte of its own


def _checks_on_the_loop(call: Call, body: UploadBody) -> bool:
    data = body.image_data
    if (data is None or not body.image_is_file or len(data) > LOOP_CHECK_BYTES
            or call.params.get("type", "").strip().lower() not in ("", "file")
            or len(data) < 26 or not data.startswith(_PNG_HEAD)
            or any(tag in data for tag in _INFLATED_EXTRAS)):
        return False
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    bits = data[24] * _CHANNELS.get(data[25], 4)
    return height * (1 + (width * bits + 7) // 8) <= LOOP_CHECK_ROW_BYTES


async def store(host: Host, call: Call, body: UploadBody, work: list[Path]) -> ImageRow:
    """Validate and store: on an upload thread, or a small PNG on the loop (above)."""
    if not _checks_on_the_loop(call, body):
        return await host.in_upload_thread(_store, host, call, body, work)
    data, fmt, inspected = _checked(host, call, body, work)
    assert isinstance(data, bytes)  # a file field's bytes, held in memory
    for _ in range(HASH_DRAWS):
        hash_, deletehash, path, fd = _new_image_file(host, fmt.ext)
        ran: list[bool] = []

        def sync(fd: int = fd, ran: list[bool] = ran) -> None:
            ran.append(True)
            _sync_and_close(fd)
            host.storage.checkpoint_if_due()

        try:
            _write_or_close(fd, data)
            try:
                await host.in_upload_thread(sync)
            finally:
                if not ran:  # never taken (the threads had stopped): closed here
                    with contextlib.suppress(OSError):
                        os.close(fd)
            row = _row(call, body, hash_, deletehash, fmt, inspected, len(data))
            recorded = _recorded(host.storage.insert_image_from_loop, row, path)
        except BaseException:  # a cancelled request too: its sync has ended by now
            _remove(path)
            raise
        if recorded:
            return row
    raise RuntimeError("no free image hash after several draws")


def _store(host: Host, call: Call, body: UploadBody, work: list[Path]) -> ImageRow:
    """Validate and store; runs on a worker thread."""
    src, fmt, inspected = _checked(host, call, body, work)
    # The bytes are on disk before any record points at them.
    if isinstance(src, bytes):
        for _ in range(HASH_DRAWS):
            hash_, deletehash, path, fd = _new_image_file(host, fmt.ext)
            try:
                _write_or_close(fd, src)
                _sync_and_close(fd)
                row = _row(call, body, hash_, deletehash, fmt, inspected, len(src))
                recorded = _recorded(host.storage.insert_image, row, path)
            except BaseException:
                _remove(path)
                raise
            if recorded:
                return row
        raise RuntimeError("no free image hash after several draws")
    # A big upload is already a file (spooled as it arrived): synced, then linked into place
    # under a hash no file holds either (a link, unlike a rename, never replaces one).
    size = _sync_file(src)
    for _ in range(HASH_DRAWS):
        hash_ = _new_hash(host)
        final = host.image_file(hash_, fmt.ext)
        try:
            os.link(src, final)
        except FileExistsError:
            continue
        except OSError:  # a file system without hard links: a rename, once the name is free
            if os.path.lexists(final):
                continue
            os.replace(src, final)
        break
    else:
        raise RuntimeError("no free image hash after several draws")
    try:
        row = _row(call, body, hash_, ids.delete_hash(), fmt, inspected, size)
    except BaseException:
        _remove(final)
        raise
    # Thumbnails are made when first asked for (``Thumbnails.get``), not here: an upload is
    # its checked bytes and its row.
    try:
        host.storage.insert_image(row)
    except BaseException:
        host.remove_image_files(hash_, fmt.ext)
        raise
    return row


def _row(call: Call, body: UploadBody, hash_: str, deletehash: str, fmt: ImageFormat,
         inspected: Inspected, size: int) -> ImageRow:
    user = call.user
    return ImageRow(
        hash=hash_, deletehash=deletehash, user_id=None if user is None else user.id,
        name=call.params.get("name") or body.image_filename or None,
        title=call.params.get("title") or None, caption=call.params.get("caption") or None,
        mime=fmt.mime, ext=fmt.ext, animated=inspected.animated, width=inspected.width,
        height=inspected.height, size=size, views=0, bandwidth=0, created=time.time(),
    )


def _check_key(host: Host, call: Call) -> None:
    key = call.params.get("key", "")
    if not key:
        raise ApiError(401, "An API key is required for anonymous uploads")
    if not host.is_app_key(key):
        raise ApiError(401, "Invalid API Key")


async def upload(host: Host, request: Request, *, account: bool) -> Response:
    stream = BodyStream(request)
    # Most uploads have no query string: skip building Starlette's parsed copy of it.
    query = dict(request.query_params) if request.scope.get("query_string") else {}
    call = await host.new_call(request, query)
    body: UploadBody | None = None
    work: list[Path] = []
    limit = host.config.max_upload_bytes
    cost = host.config.upload_cost
    try:
        content_type = request.headers.get("content-type", "")
        pre_read: bytes | None = None
        body_text = ""
        if (_is_oauth_signed(request, call.params)
                and "application/x-www-form-urlencoded" in content_type):
            # OAuth 1.0a signs every form parameter, so a signed form must be read whole.
            pre_read = await stream.read(encoded_limit(limit) + MAX_SMALL_BODY)
            body_text = pre_read.decode("utf-8", errors="replace")
        await host.authenticate(call, body_text)
        if account:
            call.require_user()
        name, bucket_limit = host.bucket(request, call.user)
        call.credits = host.credits.peek(name, bucket_limit)
        if call.credits.remaining < cost:
            raise ApiError(403, "API limits exceeded")  # refused before a byte is stored
        if not account and "key" in call.params:
            _check_key(host, call)

        chunks = _once(pre_read) if pre_read is not None else stream.chunks()
        body = await read_upload_body(chunks, content_type, tmp_dir=host.tmp_dir,
                                      file_limit=limit, text_limit=encoded_limit(limit))
        for key, value in body.fields.items():
            call.params.setdefault(key, value)
        if not body.has_image and call.params.get("image"):
            # PUT /2/upload?image=... with an empty body: the image is a query parameter.
            body.image_data = call.params["image"].encode()
            body.image_size = len(body.image_data)
            body.image_is_file = False  # query text is base64 or a URL, never raw bytes
        call.fmt = pick_format(request.path_params.get("fmt", ""), call.params.get("_format"))
        if not account:
            _check_key(host, call)
        host.spend(call, cost)
        row = await store(host, call, body, work)
        root = "images" if account else "upload"
        return host.respond(call, 200, root, image_item(row, call.links, owner=True))
    except BodyTooLarge as exc:
        for key, value in exc.fields.items():
            call.params.setdefault(key, value)
        await stream.drain(host.config.drain_limit_bytes)
        return host.error(call, ApiError(400, OVER_LIMIT))
    except BadBody as exc:
        await stream.drain(host.config.drain_limit_bytes)
        return host.error(call, ApiError(400, str(exc)))
    except ApiError as exc:
        await stream.drain(host.config.drain_limit_bytes)
        return host.error(call, exc)
    except ClientDisconnect:
        return Response(status_code=400)
    finally:
        if body is not None:
            body.discard()
        for path in work:
            path.unlink(missing_ok=True)
