"""A corpus of bad uploads against the real local host: each one is refused with the exact v2
status and message, leaves nothing behind (no spooled body in tmp/, no row, no file), and the
host keeps serving afterwards."""

from __future__ import annotations

import base64
import http.server
import io
import random
import sqlite3
import struct
import threading
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image

from tests.support import images
from tests.support.localhost import LocalHost, add_app

UNSUPPORTED = ("That file type is not supported! Supported formats: "
               "JPEG, GIF, PNG, APNG, TIFF, BMP, PDF, XCF")
OVER_LIMIT = "File is over the size limit"
NO_IMAGE = "No image data was sent to the upload api"
CORRUPT = "Image is corrupt or incomplete"
BAD_BASE64 = "Image data is not valid base64"
HTTP_ONLY = "Only http and https image URLs can be uploaded"
ERROR_KEYS = {"message", "request", "method", "format", "parameters"}


# -- helpers -------------------------------------------------------------------------------------

def noise(fmt: str, size: tuple[int, int] = (300, 200), seed: int = 7) -> bytes:
    """A real image of random pixels (it does not compress away, so halves are truly cut)."""
    rnd = random.Random(seed)
    img = Image.frombytes("RGB", size, rnd.randbytes(size[0] * size[1] * 3))
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


def png_chunks(data: bytes) -> list[tuple[int, bytes, int]]:
    """(offset, kind, length) of each chunk of a PNG."""
    out = []
    pos = 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        out.append((pos, data[pos + 4:pos + 8], length))
        pos += 12 + length
    return out


def png_with_corrupt_idat() -> bytes:
    """A PNG whose IDAT data has a flipped byte, its CRC left as it was."""
    data = bytearray(images.png((64, 48)))
    pos, _, length = next(c for c in png_chunks(bytes(data)) if c[1] == b"IDAT")
    data[pos + 8 + length // 2] ^= 0xFF
    return bytes(data)


def png_with_bad_ihdr_crc() -> bytes:
    data = bytearray(images.png((64, 48)))
    pos, kind, length = png_chunks(bytes(data))[0]
    assert kind == b"IHDR"
    data[pos + 8 + length] ^= 0x55  # first byte of the CRC
    return bytes(data)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG claiming width x height pixels with a token IDAT (never decoded)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def image_rows(data_dir: Path) -> int:
    con = sqlite3.connect(f"file:{data_dir / 'imgur-host.sqlite3'}?mode=ro", uri=True)
    try:
        return int(con.execute("SELECT COUNT(*) FROM images").fetchone()[0])
    finally:
        con.close()


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@dataclass
class Target:
    """A host for this module, with a tiny helper HTTP server for URL-upload cases."""

    host: LocalHost
    key: str
    helper_url: str
    data_dir: Path = field(init=False)

    def __post_init__(self) -> None:
        self.data_dir = self.host.data_dir


class _Helper(http.server.BaseHTTPRequestHandler):
    """Answers for URL uploads: a redirect to file://, an HTML page."""

    def do_GET(self) -> None:
        if self.path == "/to-file":
            self.send_response(302)
            self.send_header("Location", "file:///etc/passwd")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b"<!doctype html><html><body>not an image</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "image/png")  # lies: the content decides
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def helper_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Helper)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def start_host(data_dir: Path) -> tuple[LocalHost, str]:
    data_dir.mkdir()
    key = add_app(data_dir).key
    host = LocalHost(data_dir, extra_args=["--max-upload-mb", "1",
                                           "--credits-anon", "100000"]).start()
    return host, key


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory, helper_server: str) -> Iterator[Target]:
    """A host of its own (1 MB limit) so the file and row counts see only this module."""
    host, key = start_host(tmp_path_factory.mktemp("bad-uploads") / "host")
    yield Target(host, key, helper_server)
    assert host.stop() == 0


# -- the corpus ----------------------------------------------------------------------------------

Request = dict[str, Any]


def file_part(name: str, data: bytes, ctype: str = "application/octet-stream",
              **fields: str) -> Callable[[Target], Request]:
    return lambda t: {"files": {"image": (name, data, ctype)}, "data": fields}


def form(**fields: str | Callable[[Target], str]) -> Callable[[Target], Request]:
    def build(t: Target) -> Request:
        return {"data": {k: v(t) if callable(v) else v for k, v in fields.items()}}
    return build


def raw_body(data: bytes, ctype: str) -> Callable[[Target], Request]:
    return lambda t: {"data": data, "headers": {"Content-Type": ctype}}


@dataclass(frozen=True)
class Bad:
    id: str
    build: Callable[[Target], Request]
    message: str
    status: int = 400
    prefix: bool = False  # the message carries a detail after this fixed text


PNG_NOISE = noise("PNG")
JPEG_NOISE = noise("JPEG")
GIF_NOISE = noise("GIF")
BIG_BMP = images.raster("BMP", (730, 700))  # ~1.5 MB, over the 1 MB limit
assert 1_400_000 < len(BIG_BMP) < 1_700_000
TEXT = b"Just some words in a text file, not an image at all.\n" * 20
HTML = b"<!DOCTYPE html>\n<html><head><title>x</title></head><body><p>hi</p></body></html>\n"
SVG = (b'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" '
       b'width="10" height="10"><rect width="10" height="10" fill="red"/></svg>\n')
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 20 + b"a.png" + b"\x00" * 200
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 200
EXE = (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 50
       + b"PE\x00\x00" + b"\x00" * 200)
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00\x00\x00\x08free" + b"\x00" * 200
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00\x00\x00\x08meta" + b"\x00" * 200
PDF_NO_EOF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n" + b"x" * 4000
XCF_NO_SIZE = b"gimp xcf v011\x00" + struct.pack(">II", 0, 0) + b"\x00" * 64

CORPUS: list[Bad] = [
    Bad("zero-byte-file", file_part("empty.png", b"", "image/png"), NO_IMAGE),
    Bad("missing-image-field", form(title="no image here"), NO_IMAGE),
    Bad("empty-base64", form(image="", type="base64"), NO_IMAGE),
    Bad("truncated-png", file_part("half.png", PNG_NOISE[:len(PNG_NOISE) // 2]), CORRUPT),
    Bad("truncated-jpeg", file_part("half.jpg", JPEG_NOISE[:len(JPEG_NOISE) // 2]), CORRUPT),
    Bad("truncated-gif", file_part("half.gif", GIF_NOISE[:len(GIF_NOISE) // 2]), CORRUPT),
    Bad("png-corrupt-idat", file_part("crc.png", png_with_corrupt_idat()), CORRUPT),
    Bad("png-bad-ihdr-crc", file_part("ihdr.png", png_with_bad_ihdr_crc()), CORRUPT),
    Bad("pdf-without-eof", file_part("doc.pdf", PDF_NO_EOF), "PDF is corrupt or incomplete"),
    Bad("xcf-without-size", file_part("a.xcf", XCF_NO_SIZE), "XCF is corrupt or incomplete"),
    Bad("text-named-png", file_part("notes.png", TEXT, "image/png"), UNSUPPORTED),
    Bad("html", file_part("page.html", HTML, "text/html"), UNSUPPORTED),
    Bad("webp", file_part("pic.webp", images.webp(), "image/webp"), UNSUPPORTED),
    Bad("svg", file_part("pic.svg", SVG, "image/svg+xml"), UNSUPPORTED),
    Bad("zip", file_part("pics.zip", ZIP, "application/zip"), UNSUPPORTED),
    Bad("elf", file_part("a.png", ELF, "image/png"), UNSUPPORTED),
    Bad("exe-mz", file_part("setup.exe", EXE), UNSUPPORTED),
    Bad("mp4", file_part("clip.mp4", MP4, "video/mp4"), UNSUPPORTED),
    Bad("heic", file_part("photo.heic", HEIC, "image/heic"), UNSUPPORTED),
    Bad("raw-body-text", raw_body(TEXT, "application/octet-stream"), UNSUPPORTED),
    Bad("type-file-with-text", form(image="plain words, not an image", type="file"),
        UNSUPPORTED),
    Bad("over-size-bmp", file_part("big.bmp", BIG_BMP, "image/bmp"), OVER_LIMIT),
    Bad("over-size-raw-body", raw_body(BIG_BMP, "image/bmp"), OVER_LIMIT),
    Bad("over-size-base64", form(image=base64.b64encode(BIG_BMP).decode(), type="base64"),
        OVER_LIMIT),
    Bad("decompression-bomb", file_part("bomb.png", images.png_bomb()),
        "Image dimensions are too large", prefix=True),
    Bad("over-64-megapixels", file_part("wide.png", png_header_only(9000, 8000)),
        "Image dimensions are too large (9000x8000 pixels)"),
    Bad("base64-garbage", form(image="!!!*** this is ~not~ base64 at all ***!!!" * 4,
                               type="base64"), BAD_BASE64),
    Bad("base64-of-text", form(image=base64.b64encode(TEXT).decode(), type="base64"),
        UNSUPPORTED),
    Bad("base64-untyped-of-text", form(image=base64.b64encode(TEXT).decode()), UNSUPPORTED),
    Bad("url-unreachable", form(image="http://127.0.0.1:1/x.png", type="url"),
        "The image URL could not be fetched: ", prefix=True),
    Bad("url-404", form(image=lambda t: t.host.url + "no-such-image-here.png", type="url"),
        "The image URL answered HTTP 404"),
    Bad("url-file-scheme", form(image="file:///etc/passwd", type="url"), HTTP_ONLY),
    Bad("url-ftp-scheme", form(image="ftp://127.0.0.1/x.png", type="url"), HTTP_ONLY),
    Bad("url-redirect-to-file", form(image=lambda t: t.helper_url + "to-file", type="url"),
        "The image URL ", prefix=True),
    Bad("url-serving-html", form(image=lambda t: t.helper_url + "page.png", type="url"),
        UNSUPPORTED),
    Bad("bad-type", form(image=base64.b64encode(images.png()).decode(), type="jpeg"),
        "Invalid upload type: use file, base64 or url"),
]
assert len(CORPUS) >= 18
assert len({c.id for c in CORPUS}) == len(CORPUS)


def send(t: Target, case: Bad, suffix: str = ".json") -> requests.Response:
    req = case.build(t)
    params = {"key": t.key}
    if "headers" in req:  # a raw body: the parameters ride in the query string
        return requests.post(t.host.api + f"upload{suffix}", params=params, data=req["data"],
                             headers=req["headers"], timeout=60)
    data = {"key": t.key, **req.get("data", {})}
    return requests.post(t.host.api + f"upload{suffix}", data=data, files=req.get("files"),
                         timeout=60)


def assert_refused(resp: requests.Response, case: Bad) -> None:
    assert resp.status_code == case.status, resp.text[:500]
    assert resp.headers["Content-Type"].startswith("application/json")
    body = resp.json()
    assert set(body) == {"error"}, body
    err = body["error"]
    assert set(err) == ERROR_KEYS, err
    if case.prefix:
        assert err["message"].startswith(case.message), err["message"]
    else:
        assert err["message"] == case.message
    assert err["request"] == "/2/upload.json"
    assert err["method"] == "post"
    assert err["format"] == "json"
    assert isinstance(err["parameters"], str)
    assert "image =" not in err["parameters"]  # image data is never echoed back
    for name in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"):
        assert resp.headers[name].isdigit()


# -- tests ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", CORPUS, ids=[c.id for c in CORPUS])
def test_bad_upload_is_refused_and_leaves_nothing(target: Target, case: Bad) -> None:
    resp = send(target, case)
    assert_refused(resp, case)
    assert files_in(target.data_dir / "tmp") == []
    assert files_in(target.data_dir / "images") == []
    assert files_in(target.data_dir / "thumbs") == []
    assert image_rows(target.data_dir) == 0


ECHO_CASES = [c for c in CORPUS if c.id in ("text-named-png", "base64-garbage",
                                             "over-size-bmp", "over-size-base64")]


@pytest.mark.parametrize("case", ECHO_CASES, ids=[c.id for c in ECHO_CASES])
def test_error_parameters_echo_the_key_sent_in_the_body(target: Target, case: Bad) -> None:
    """`parameters` is the "k = v, k = v" string of what was sent (never the image data): the
    `key` sent as a form field before the image is echoed, whatever went wrong with the image."""
    resp = send(target, case)
    assert resp.status_code == 400
    params = resp.json()["error"]["parameters"]
    assert f"key = {target.key}" in params
    assert "image" not in params


def test_bad_upload_error_body_in_xml(target: Target) -> None:
    """Without a suffix the error body is XML: <error><message>…</message>…</error>."""
    import xml.etree.ElementTree as ET

    resp = requests.post(target.host.api + "upload", data={"key": target.key},
                         files={"image": ("notes.png", TEXT, "image/png")}, timeout=30)
    assert resp.status_code == 400
    assert resp.headers["Content-Type"].startswith("application/xml")
    root = ET.fromstring(resp.content)
    assert root.tag == "error"
    assert [child.tag for child in root] == ["message", "request", "method", "format",
                                             "parameters"]
    assert root.findtext("message") == UNSUPPORTED
    assert root.findtext("request") == "/2/upload"
    assert root.findtext("method") == "post"
    assert root.findtext("format") == "xml"


def test_host_still_serves_after_the_whole_corpus(
        tmp_path: Path, helper_server: str) -> None:
    """The corpus in one go on a fresh host: afterwards a valid upload works, and it is the
    only row and the only stored image; no spooled body is left in tmp/."""
    host, key = start_host(tmp_path / "host")
    try:
        t = Target(host, key, helper_server)
        for case in CORPUS:
            resp = send(t, case)
            assert resp.status_code == case.status, (case.id, resp.text[:300])
        assert image_rows(host.data_dir) == 0
        assert files_in(host.data_dir / "images") == []

        good = images.png((40, 30))
        resp = requests.post(host.api + "upload.json", data={"key": key},
                             files={"image": ("good.png", good, "image/png")}, timeout=30)
        assert resp.status_code == 200, resp.text
        item = resp.json()["upload"]
        hash_ = item["image"]["hash"]
        assert item["image"]["width"] == 40
        assert item["image"]["height"] == 30
        assert image_rows(host.data_dir) == 1
        assert files_in(host.data_dir / "images") == [f"{hash_}.png"]
        assert files_in(host.data_dir / "thumbs") == []  # drawn on first request
        for size in "sl":
            thumb = requests.get(host.url + f"{hash_}{size}.jpg", timeout=10)
            assert thumb.status_code == 200
        assert files_in(host.data_dir / "thumbs") == sorted([f"{hash_}s.jpg", f"{hash_}l.jpg"])
        assert files_in(host.data_dir / "tmp") == []
        served = requests.get(host.url + f"{hash_}.png", timeout=10)
        assert served.status_code == 200
        assert served.content == good
    finally:
        assert host.stop() == 0
