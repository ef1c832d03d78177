"""Thumbnails are drawn when first asked for, not at upload: an upload leaves none on disk, the
first GET draws it (right size, JPEG, showing the picture), it is kept on disk and served
unchanged afterwards, requests that arrive together get the same bytes, and a deleted image
leaves no thumbnail behind."""

from __future__ import annotations

import io
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from PIL import Image

from tests.conftest import HostWithKeys
from tests.support import images

TIMEOUT = 30
MakeHost = Callable[..., HostWithKeys]


def upload(host: HostWithKeys, content: bytes, name: str) -> dict[str, str]:
    resp = requests.post(host.api + "upload.json", data={"key": host.keys.key},
                         files={"image": (name, content)}, timeout=TIMEOUT)
    assert resp.status_code == 200, resp.text
    item = resp.json()["upload"]
    return {"hash": item["image"]["hash"], "deletehash": item["image"]["deletehash"],
            "s": item["links"]["small_square"], "l": item["links"]["large_thumbnail"]}


def files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def rgb(img: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    pixel = img.convert("RGB").getpixel(xy)
    assert isinstance(pixel, tuple)
    return pixel


def square(size: tuple[int, int]) -> bool:
    return size == (90, 90)


def fits(size: tuple[int, int]) -> bool:
    return max(size) <= 640


def two_colours(size: tuple[int, int]) -> bytes:
    """Left half red, right half blue: a thumbnail that kept the picture keeps both."""
    img = Image.new("RGB", size, (220, 20, 20))
    img.paste((20, 20, 220), (size[0] // 2, 0, size[0], size[1]))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def test_upload_draws_no_thumbnail_and_the_first_request_does(make_host: MakeHost) -> None:
    host = make_host(users=False)
    thumbs = host.data_dir / "thumbs"
    up = upload(host, two_colours((800, 400)), "wide.png")
    assert files(thumbs) == set(), "the upload itself draws no thumbnail"

    small = requests.get(up["s"], timeout=TIMEOUT)
    assert small.status_code == 200
    assert small.headers["Content-Type"].split(";")[0] == "image/jpeg"
    assert files(thumbs) == {f"{up['hash']}s.jpg"}, "only the one asked for is drawn"
    large = requests.get(up["l"], timeout=TIMEOUT)
    assert large.status_code == 200
    assert large.headers["Content-Type"].split(";")[0] == "image/jpeg"
    assert files(thumbs) == {f"{up['hash']}s.jpg", f"{up['hash']}l.jpg"}
    assert files(host.data_dir / "tmp") == set()

    square = Image.open(io.BytesIO(small.content))
    assert square.format == "JPEG"
    assert square.size == (90, 90)
    fitted = Image.open(io.BytesIO(large.content))
    assert fitted.format == "JPEG"
    assert fitted.size == (640, 320)
    left = rgb(fitted, (100, 160))
    right = rgb(fitted, (540, 160))
    assert left[0] > 150, left
    assert left[2] < 100, left
    assert right[2] > 150, right
    assert right[0] < 100, right

    # Kept: the file on disk is what is served, and a second request gets the same bytes.
    assert (thumbs / f"{up['hash']}l.jpg").read_bytes() == large.content
    again = requests.get(up["l"], timeout=TIMEOUT)
    assert again.status_code == 200
    assert again.content == large.content


def test_thumbnails_of_every_kind_are_drawn_on_request(make_host: MakeHost) -> None:
    host = make_host(users=False)
    kinds = {"a.jpg": images.jpeg((300, 1000)), "b.gif": images.gif(3), "c.pdf": images.pdf(),
             "d.xcf": images.xcf(), "e.png": images.apng()}
    for name, content in kinds.items():
        up = upload(host, content, name)
        for size, check in (("s", square), ("l", fits)):
            resp = requests.get(up[size], timeout=TIMEOUT)
            assert resp.status_code == 200, (name, size)
            assert resp.headers["Content-Type"].split(";")[0] == "image/jpeg"
            thumb = Image.open(io.BytesIO(resp.content))
            assert thumb.format == "JPEG", (name, size)
            assert check(thumb.size), (name, size, thumb.size)
    assert len(files(host.data_dir / "thumbs")) == 2 * len(kinds)
    assert files(host.data_dir / "tmp") == set()


def test_requests_arriving_together_get_one_thumbnail(make_host: MakeHost) -> None:
    host = make_host(users=False)
    up = upload(host, images.jpeg((1600, 1200)), "photo.jpg")
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: requests.get(up["l"], timeout=TIMEOUT), range(8)))
    assert [a.status_code for a in answers] == [200] * 8
    assert len({a.content for a in answers}) == 1
    assert Image.open(io.BytesIO(answers[0].content)).size == (640, 480)
    assert files(host.data_dir / "thumbs") == {f"{up['hash']}l.jpg"}
    assert files(host.data_dir / "tmp") == set()


def test_deleted_image_has_no_thumbnail(make_host: MakeHost) -> None:
    host = make_host(users=False)
    up = upload(host, images.png(), "gone.png")
    assert requests.get(up["s"], timeout=TIMEOUT).status_code == 200
    gone = requests.get(f"{host.api}delete/{up['deletehash']}.json", timeout=TIMEOUT)
    assert gone.status_code == 200
    assert files(host.data_dir / "thumbs") == set()
    for size in ("s", "l"):  # one that was drawn, one that never was
        assert requests.get(up[size], timeout=TIMEOUT).status_code == 404
    assert files(host.data_dir / "thumbs") == set()
