"""Uploads stream from disk: a 200 MB file costs little memory, and a cancel mid-way stops at
once and leaves nothing behind on the host (and spends no credit)."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from imgur_desktop.core.api.transport import MAX_SEND_BLOCK
from imgur_desktop.core.api.v2 import V2Client
from imgur_desktop.core.cancel import CancelToken
from imgur_desktop.core.errors import Cancelled
from tests.conftest import HostWithKeys
from tests.core.conftest import fast_transport
from tests.support.localhost import LocalHost, add_app

MB = 1024 * 1024
CHUNK = MAX_SEND_BLOCK  # the most one read of the upload body hands on

pytestmark = pytest.mark.timeout(90)


@pytest.fixture(scope="module")
def big_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostWithKeys]:
    data_dir = tmp_path_factory.mktemp("bighost")
    keys = add_app(data_dir)
    host = LocalHost(data_dir, extra_args=["--max-upload-mb", "300"]).start()
    yield HostWithKeys(host, keys)
    host.stop()


def write_pdf(path: Path, megabytes: int) -> int:
    """A valid-enough PDF of the given size, written in 1 MB chunks (never held in memory)."""
    zeros = bytes(MB)
    with path.open("wb") as fh:
        fh.write(b"%PDF-1.4\n")
        for _ in range(megabytes):
            fh.write(zeros)
        fh.write(b"\n%%EOF\n")
    return path.stat().st_size


def host_files(host: HostWithKeys, folder: str) -> list[str]:
    return sorted(p.name for p in (host.data_dir / folder).iterdir())


def test_200_mb_upload_streams(big_host: HostWithKeys, tmp_path: Path) -> None:
    path = tmp_path / "big.pdf"
    size = write_pdf(path, 200)
    client = V2Client(big_host.api, key=big_host.keys.key, max_upload_bytes=300 * MB,
                      transport=fast_transport(read_timeout=60))
    last: list[tuple[int, int]] = []
    calls = [0]

    def progress(sent: int, total: int) -> None:
        calls[0] += 1
        last[:] = [(sent, total)]

    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        image = client.upload_file(path, progress=progress)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    try:
        grown = peak - before
        assert grown < 30 * MB, f"the upload held {grown / MB:.1f} MB in memory"
        assert image.size == size
        assert image.mime == "application/pdf"
        stored = big_host.data_dir / "images" / f"{image.hash}.pdf"
        assert stored.stat().st_size == size
        with stored.open("rb") as fh:
            assert fh.read(9) == b"%PDF-1.4\n"
            fh.seek(-7, 2)
            assert fh.read() == b"\n%%EOF\n"
        assert calls[0] > 100  # reported all the way, chunk by chunk
        sent, total = last[0]
        assert sent == total
        assert total > size
    finally:
        path.unlink()
        if image.deletehash:
            client.delete(image.deletehash)


def test_cancel_mid_upload_leaves_nothing(big_host: HostWithKeys, tmp_path: Path) -> None:
    path = tmp_path / "medium.pdf"
    size = write_pdf(path, 20)
    client = V2Client(big_host.api, key=big_host.keys.key, max_upload_bytes=300 * MB,
                      transport=fast_transport())
    spent_before = client.credits().remaining
    images_before = host_files(big_host, "images")
    token = CancelToken()
    reported: list[int] = []

    def progress(sent: int, total: int) -> None:
        reported.append(sent)
        if sent > MB:
            token.cancel()

    with pytest.raises(Cancelled):
        client.upload_file(path, progress=progress, cancel=token)

    # Stopped at the next chunk after the cancel: nothing more was read or reported.
    assert reported[-1] > MB
    assert reported[-1] <= MB + CHUNK
    assert reported[-1] < size
    assert host_files(big_host, "images") == images_before
    # The host drops the spooled part once it sees the connection go.
    deadline = time.monotonic() + 15
    while host_files(big_host, "tmp") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert host_files(big_host, "tmp") == []
    # A cancelled upload cost nothing: only the two credits calls have.
    assert client.credits().remaining == spent_before - 1


def test_cancelled_before_start_sends_nothing(big_host: HostWithKeys, tmp_path: Path) -> None:
    path = tmp_path / "small.pdf"
    write_pdf(path, 1)
    client = V2Client(big_host.api, key=big_host.keys.key, transport=fast_transport())
    spent_before = client.credits().remaining
    token = CancelToken()
    token.cancel()
    progress: list[int] = []
    with pytest.raises(Cancelled):
        client.upload_file(path, progress=lambda sent, total: progress.append(sent),
                           cancel=token)
    assert progress == []
    assert client.credits().remaining == spent_before - 1
