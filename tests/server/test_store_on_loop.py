"""A small PNG sent as a file is checked and stored on the host's event loop, with only its
fsync on an upload thread; anything whose check could take a while (big pixel counts, other
formats, base64 text, links) is checked and stored on an upload thread as before. Either way
the upload ends as the same file and row."""

from __future__ import annotations

import asyncio
import base64
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image as PILImage
from starlette.requests import Request

from imgur_desktop.server.config import ServerConfig
from imgur_desktop.server.forms import UploadBody
from imgur_desktop.server.host import Call, Host
from imgur_desktop.server.uploads import LOOP_CHECK_BYTES, LOOP_CHECK_PIXELS, store
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


def _png(size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", size, (10, 200, 30)).save(out, "PNG")
    return out.getvalue()


def _store(host: Host, data: bytes, params: dict[str, str] | None = None,
           *, as_file: bool = True) -> tuple[Any, list[str]]:
    """Store ``data`` as a multipart file field would bring it; the row, and the names of
    the jobs that ran on upload threads."""
    jobs: list[str] = []
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
    assert jobs == ["_sync_and_close"]
    assert (row.mime, row.width, row.height, row.size) == ("image/png", 64, 48, len(data))
    assert _stored_bytes(host, row) == data
    assert host.storage.image(row.hash) == row


@pytest.mark.parametrize(("what", "data", "params", "as_file"), [
    ("many pixels in few bytes", _png((1024, 1024)), None, True),
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


def test_the_pixel_bound_is_the_loops_limit() -> None:
    assert 1024 * 1024 > LOOP_CHECK_PIXELS >= 64 * 48


def test_a_broken_small_png_is_refused_on_the_loop_and_leaves_nothing(host: Host) -> None:
    data = bytearray(_png((64, 48)))
    data[40] ^= 0xFF  # inside the image data: its CRC no longer matches
    with pytest.raises(ApiError) as info:
        _store(host, bytes(data))
    assert info.value.status == 400
    assert list(host.config.images_dir.iterdir()) == []
