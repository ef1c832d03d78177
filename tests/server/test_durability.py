"""Crash safety and resource use of uploads on the real host: a kill -9 mid-upload leaves nothing
that is ever served, orphan files are swept at start, a huge upload streams through disk (the
server's memory does not grow with it), and a client hanging up mid-body leaves no tmp file."""

from __future__ import annotations

import socket
import sqlite3
import struct
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import requests
from requests_toolbelt import MultipartEncoder

from tests.conftest import HostWithKeys
from tests.support import images
from tests.support.localhost import LocalHost

MakeHost = Callable[..., HostWithKeys]
MB = 1024 * 1024
BOUNDARY = "durability-boundary-7f3a"


def image_hashes(data_dir: Path) -> set[str]:
    con = sqlite3.connect(f"file:{data_dir / 'imgur-host.sqlite3'}?mode=ro", uri=True)
    try:
        return {row[0] for row in con.execute("SELECT hash FROM images")}
    finally:
        con.close()


def names(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what or predicate}")


def spooled_bytes(data_dir: Path) -> int:
    return sum(p.stat().st_size for p in (data_dir / "tmp").iterdir() if p.is_file())


def vm_hwm_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM in /proc status")


def start_raw_upload(host: HostWithKeys, declared: int, body_part: bytes) -> socket.socket:
    """Open a socket and send the headers of a multipart upload declaring ``declared`` bytes of
    image data, then ``body_part`` of that data; the rest never comes."""
    url = urlsplit(host.url)
    head = (f"--{BOUNDARY}\r\n"
            'Content-Disposition: form-data; name="image"; filename="big.bmp"\r\n'
            "Content-Type: image/bmp\r\n\r\n").encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    length = len(head) + declared + len(tail)
    request = (f"POST /2/upload.json?key={host.keys.key} HTTP/1.1\r\n"
               f"Host: {url.hostname}:{url.port}\r\n"
               f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
               f"Content-Length: {length}\r\n\r\n").encode()
    sock = socket.create_connection((url.hostname, url.port), timeout=10)
    sock.sendall(request + head + body_part)
    return sock


def big_bmp() -> bytes:
    data = images.raster("BMP", (1500, 1100))  # ~4.9 MB, a valid image
    assert len(data) > 4 * MB
    return data


def upload_png(host: HostWithKeys | LocalHost, key: str) -> requests.Response:
    api = host.api
    return requests.post(api + "upload.json", data={"key": key},
                         files={"image": ("ok.png", images.png(), "image/png")}, timeout=30)


# -- kill -9 mid-upload, then restart --------------------------------------------------------------

def test_kill_mid_upload_then_restart_leaves_nothing(make_host: MakeHost) -> None:
    host = make_host("--max-upload-mb", "20")
    data_dir = host.data_dir
    kept = upload_png(host, host.keys.key)
    assert kept.status_code == 200
    kept_hash = kept.json()["upload"]["image"]["hash"]
    for size in "sl":  # thumbnails are drawn on first request; the sweep must keep these
        assert requests.get(host.url + f"{kept_hash}{size}.jpg", timeout=30).status_code == 200

    bmp = big_bmp()
    sock = start_raw_upload(host, declared=len(bmp), body_part=bmp[:2 * MB])
    try:
        wait_for(lambda: spooled_bytes(data_dir) > 0, what="a spooled body in tmp/")
        host.host.kill()  # SIGKILL: no cleanup of any kind
    finally:
        sock.close()
    assert spooled_bytes(data_dir) > 0, "the crash left the half body in tmp/"

    # what a crash (or anything else) may leave: an image and thumbs with no row, tmp junk
    (data_dir / "images" / "ZZZZZZZ.png").write_bytes(images.png())
    (data_dir / "thumbs" / "ZZZZZZZs.jpg").write_bytes(images.jpeg())
    (data_dir / "thumbs" / "ZZZZZZZl.jpg").write_bytes(images.jpeg())
    (data_dir / "tmp" / "upload-stale").write_bytes(b"x" * 1000)

    again = LocalHost(data_dir).start()
    try:
        assert names(data_dir / "tmp") == set()
        assert image_hashes(data_dir) == {kept_hash}, "no row for the killed upload"
        assert names(data_dir / "images") == {f"{kept_hash}.png"}
        assert names(data_dir / "thumbs") == {f"{kept_hash}s.jpg", f"{kept_hash}l.jpg"}
        for path in ("ZZZZZZZ.png", "ZZZZZZZs.jpg", "ZZZZZZZl.jpg", "ZZZZZZZ"):
            assert requests.get(again.url + path, timeout=10).status_code == 404, path
        assert requests.get(again.api + "image/ZZZZZZZ.json", timeout=10).status_code == 404
        # the image that was complete before the crash survives and is served
        served = requests.get(again.url + f"{kept_hash}.png", timeout=10)
        assert served.status_code == 200
        assert served.content == images.png()
        assert upload_png(again, host.keys.key).status_code == 200
    finally:
        assert again.stop() == 0


# -- a huge upload streams through disk ---------------------------------------------------------

def _big_pdf(path: Path, size: int) -> None:
    head, tail = b"%PDF-1.4\n", b"\n%%EOF\n"
    block = b"% padding padding padding padding padding padding padding padding\n" * 1024
    with path.open("wb") as fh:
        fh.write(head)
        left = size - len(head) - len(tail)
        while left > 0:
            piece = block[:left]
            fh.write(piece)
            left -= len(piece)
        fh.write(tail)


def test_huge_upload_does_not_grow_server_memory(make_host: MakeHost, tmp_path: Path) -> None:
    host = make_host("--max-upload-mb", "300", users=False)
    pid = host.host.pid
    # warm up the whole upload path (PDF placeholders, thumbnails) with a small PDF
    warm = requests.post(host.api + "upload.json", data={"key": host.keys.key},
                         files={"image": ("w.pdf", images.pdf(), "application/pdf")},
                         timeout=30)
    assert warm.status_code == 200, warm.text
    baseline = vm_hwm_kb(pid)

    size = 150 * MB
    pdf = tmp_path / "huge.pdf"
    _big_pdf(pdf, size)
    assert pdf.stat().st_size == size
    with pdf.open("rb") as fh:
        encoder = MultipartEncoder(fields={"key": host.keys.key,
                                           "image": ("huge.pdf", fh, "application/pdf")})
        resp = requests.post(host.api + "upload.json", data=encoder,
                             headers={"Content-Type": encoder.content_type}, timeout=120)
    assert resp.status_code == 200, resp.text[:300]
    item = resp.json()["upload"]["image"]
    assert item["type"] == "application/pdf"
    assert item["size"] == size
    stored = host.data_dir / "images" / f"{item['hash']}.pdf"
    assert stored.stat().st_size == size
    grown_mb = (vm_hwm_kb(pid) - baseline) / 1024
    assert grown_mb < 60, f"peak RSS grew by {grown_mb:.1f} MB for a 150 MB upload"
    assert names(host.data_dir / "tmp") == set()
    # do not leave 300 MB in pytest's kept temp dirs
    pdf.unlink()
    gone = requests.get(host.api + f"delete/{item['deletehash']}.json", timeout=30)
    assert gone.status_code == 200
    assert not stored.exists()


# -- the client hangs up mid-body --------------------------------------------------------------

def test_client_disconnect_mid_upload_leaves_no_tmp_file(make_host: MakeHost) -> None:
    host = make_host(users=False)
    data_dir = host.data_dir
    bmp = big_bmp()
    for _ in range(3):
        sock = start_raw_upload(host, declared=len(bmp), body_part=bmp[:1 * MB])
        wait_for(lambda: spooled_bytes(data_dir) > 0, what="a spooled body in tmp/")
        sock.close()
        wait_for(lambda: names(data_dir / "tmp") == set(), what="tmp/ to be emptied")
    assert image_hashes(data_dir) == set()
    assert names(data_dir / "images") == set()
    # still serving, and uploads still work
    assert requests.get(host.api + "credits.json", timeout=10).status_code == 200
    ok = upload_png(host, host.keys.key)
    assert ok.status_code == 200
    assert len(image_hashes(data_dir)) == 1
    assert names(data_dir / "tmp") == set()


def test_client_disconnect_with_reset_mid_upload(make_host: MakeHost) -> None:
    """The same with an abortive close (RST), as when a client process dies."""
    host = make_host(users=False)
    data_dir = host.data_dir
    bmp = big_bmp()
    sock = start_raw_upload(host, declared=len(bmp), body_part=bmp[:1 * MB])
    wait_for(lambda: spooled_bytes(data_dir) > 0, what="a spooled body in tmp/")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
    wait_for(lambda: names(data_dir / "tmp") == set(), what="tmp/ to be emptied")
    assert upload_png(host, host.keys.key).status_code == 200
    assert len(image_hashes(data_dir)) == 1
