"""A small PNG sent as a file is checked, written and recorded on the host's event loop,
with only its fsync (and, now and then, a checkpoint of the database's log) on an upload
thread; anything whose check could take a while (many rows, compressed text, other formats,
base64 text, links) is checked and stored on an upload thread as before. Either way the upload
ends as the same file and row, and a failure leaves neither a file nor an open descriptor."""

from __future__ import annotations

import asyncio
import base64
import io
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image as PILImage
from starlette.requests import Request

from imgur_desktop.server import storage, uploads
from imgur_desktop.server.config import ServerConfig
from imgur_desktop.server.forms import UploadBody
from imgur_desktop.server.host import Call, Host
from imgur_desktop.server.uploads import LOOP_CHECK_BYTES, LOOP_CHECK_ROW_BYTES, store
from imgur_desktop.server.wire import ApiError, Fmt
from tests.support import images


@pytest.fixture
def host(tmp_path: Path) -> Iterator[Host]:
    host = Host(ServerConfig(data_dir=tmp_path))
    yield host
    host.close()


def _call(params: dict[str, str] | None = None) -> Call:
    request = Request({"type": "http", "method": "POST", "path": "/2/upload.json",
                       "headers": [], "query_string": b""})
    return Call(request=request, fmt=Fmt.JSON, params=params or {}, base="http://h/")


def _png(size: tuple[int, int], mode: str = "RGB", **options: Any) -> bytes:
    out = io.BytesIO()
    PILImage.new(mode, size, 30).save(out, "PNG", **options)
    return out.getvalue()


def _png_with_text(size: tuple[int, int]) -> bytes:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "made small " * 500, zip=True)  # a zTXt chunk
    return _png(size, pnginfo=info)


def _store(host: Host, data: bytes, params: dict[str, str] | None = None,
           *, as_file: bool = True, jobs: list[str] | None = None) -> tuple[Any, list[str]]:
    """Store ``data`` as a multipart file field would bring it; the row, and the names of
    the jobs that ran on upload threads."""
    jobs = [] if jobs is None else jobs
    on_thread = host.in_upload_thread

    async def recording(fn: Callable[..., Any], /, *args: object) -> Any:
        jobs.append(fn.__name__)
        return await on_thread(fn, *args)

    host.in_upload_thread = recording  # type: ignore[method-assign]
    body = UploadBody(image_data=data, image_size=len(data), image_is_file=as_file,
                      image_filename="shot.png")
    row = asyncio.run(store(host, _call(params), body, []))
    return row, jobs


def _stored_bytes(host: Host, row: Any) -> bytes:
    return Path(host.image_file(row.hash, row.ext)).read_bytes()


def test_a_small_png_is_checked_on_the_loop_and_only_synced_on_a_thread(host: Host) -> None:
    data = _png((64, 48))
    assert len(data) <= LOOP_CHECK_BYTES
    row, jobs = _store(host, data)
    assert jobs == ["sync"]
    assert (row.mime, row.width, row.height, row.size) == ("image/png", 64, 48, len(data))
    assert _stored_bytes(host, row) == data
    assert host.storage.image(row.hash) == row
    # The loop's own connection never checkpoints (that copies pages and syncs the file).
    assert host.storage._conn().execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0


def test_the_checkpoint_the_loop_puts_off_runs_on_a_thread(
        host: Host, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(storage, "LOOP_ROWS_PER_CHECKPOINT", 3)
    ran: list[tuple[bool, str]] = []
    due = host.storage.checkpoint_if_due

    def recording() -> bool:
        done = due()
        ran.append((done, threading.current_thread().name))
        return done

    monkeypatch.setattr(host.storage, "checkpoint_if_due", recording)
    for n in range(5):
        _store(host, _png((32 + n, 24)))
    # Due after the third row; run by the fourth upload's job, on an upload thread.
    assert [done for done, _ in ran] == [False, False, False, True, False]
    assert all(name.startswith("upload_") for _, name in ran)


@pytest.mark.parametrize(("what", "data", "params", "as_file"), [
    ("many pixels in few bytes", _png((1024, 1024)), None, True),
    ("1.4 MB of rows: 600x600 RGBA", _png((600, 600), "RGBA"), None, True),
    ("compressed text to inflate", _png_with_text((64, 48)), None, True),
    ("a JPEG", images.raster("JPEG", (64, 48)), None, True),
    ("base64 text", base64.b64encode(_png((8, 8))), {"type": "base64"}, False),
])
def test_what_may_take_a_while_is_checked_on_a_thread(host: Host, what: str, data: bytes,
                                                      params: dict[str, str] | None,
                                                      as_file: bool) -> None:
    assert len(data) <= LOOP_CHECK_BYTES  # small in bytes, every one
    row, jobs = _store(host, data, params, as_file=as_file)
    assert jobs == ["_store"], what
    assert host.storage.image(row.hash) == row


def test_the_bound_is_the_rows_to_inflate_not_the_pixels(host: Host) -> None:
    grey = _png((600, 600), "L")  # 600 x (1 + 600) bytes of rows: under the bound
    assert 600 * 601 <= LOOP_CHECK_ROW_BYTES < 600 * (1 + 600 * 4)
    _row, jobs = _store(host, grey)
    assert jobs == ["sync"]


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_a_broken_small_png_is_refused_on_the_loop_and_leaves_nothing(host: Host) -> None:
    data = bytearray(_png((64, 48)))
    data[40] ^= 0xFF  # inside the image data: its CRC no longer matches
    jobs: list[str] = []
    with pytest.raises(ApiError) as info:
        _store(host, bytes(data), jobs=jobs)
    assert info.value.status == 400
    assert jobs == []  # refused before anything went to a thread
    assert list(host.config.images_dir.iterdir()) == []


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts descriptors in /proc")
def test_a_failed_sync_leaves_no_file_no_row_and_no_open_file(
        host: Host, monkeypatch: pytest.MonkeyPatch) -> None:
    def disk_full(fd: int) -> None:
        os.close(fd)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(uploads, "_sync_and_close", disk_full)
    before = _open_fds()
    with pytest.raises(OSError, match="No space left"):
        _store(host, _png((64, 48)))
    assert list(host.config.images_dir.iterdir()) == []
    assert host.storage.all_image_hashes() == set()
    assert _open_fds() == before


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts descriptors in /proc")
def test_an_upload_while_the_threads_stop_leaves_no_file_and_no_open_file(host: Host) -> None:
    host._upload_threads.stop()  # the server is shutting down
    before = _open_fds()
    with pytest.raises(RuntimeError, match="stopped"):
        _store(host, _png((64, 48)))
    assert list(host.config.images_dir.iterdir()) == []
    assert _open_fds() == before
