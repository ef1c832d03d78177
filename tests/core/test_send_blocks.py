"""Upload body blocks are sized to the link: they grow on a fast one (a megabyte goes in a
handful of trips through Python) and stay small on a slow one (the bar keeps moving)."""

from __future__ import annotations

import io
import itertools
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection

from imgur_desktop.core.api.transport import (
    BLOCK_SECONDS,
    MAX_SEND_BLOCK,
    MIN_SEND_BLOCK,
    RetryPolicy,
    Transport,
    new_session,
    next_block,
)
from imgur_desktop.core.api.v2 import V2Client
from tests.conftest import HostWithKeys
from tests.core.conftest import fast_transport
from tests.core.test_upload_stream import write_pdf

MB = 1024 * 1024

pytestmark = pytest.mark.timeout(60)


# -- the rule ---------------------------------------------------------------------------------

FAST = (0.0, BLOCK_SECONDS / 100, BLOCK_SECONDS / 4)
BETWEEN = (BLOCK_SECONDS / 4 * 1.01, BLOCK_SECONDS / 2, BLOCK_SECONDS)


@pytest.mark.parametrize("seconds", FAST)
def test_a_fast_block_doubles_the_next(seconds: float) -> None:
    assert next_block(MIN_SEND_BLOCK, seconds) == 2 * MIN_SEND_BLOCK
    assert next_block(3 * MIN_SEND_BLOCK, seconds) == 6 * MIN_SEND_BLOCK


@pytest.mark.parametrize("seconds", FAST)
def test_doubling_stops_at_the_most(seconds: float) -> None:
    assert next_block(MAX_SEND_BLOCK, seconds) == MAX_SEND_BLOCK
    assert next_block(MAX_SEND_BLOCK // 2 + 1, seconds) == MAX_SEND_BLOCK
    block = MIN_SEND_BLOCK
    for _ in range(20):
        block = next_block(block, seconds)
    assert block == MAX_SEND_BLOCK


@pytest.mark.parametrize("slower", [1.5, 2, 4])
def test_a_slow_block_shrinks_the_next_in_proportion(slower: float) -> None:
    block = MAX_SEND_BLOCK
    expected = int(block / slower)
    assert expected >= MIN_SEND_BLOCK  # the floor plays no part here
    assert next_block(block, BLOCK_SECONDS * slower) == expected


@pytest.mark.parametrize("seconds", [BLOCK_SECONDS * 2, BLOCK_SECONDS * 50, 3600.0])
def test_shrinking_stops_at_the_least(seconds: float) -> None:
    assert next_block(MIN_SEND_BLOCK, seconds) == MIN_SEND_BLOCK
    assert next_block(MAX_SEND_BLOCK, seconds * MAX_SEND_BLOCK / MIN_SEND_BLOCK) \
        == MIN_SEND_BLOCK


@pytest.mark.parametrize("seconds", BETWEEN)
@pytest.mark.parametrize("block", [MIN_SEND_BLOCK, 3 * MIN_SEND_BLOCK, MAX_SEND_BLOCK])
def test_a_block_in_time_keeps_its_size(block: int, seconds: float) -> None:
    assert next_block(block, seconds) == block


# -- over a fast link: the real host on loopback ----------------------------------------------

def deltas(reports: list[tuple[int, int]]) -> list[int]:
    sent = [0] + [done for done, _ in reports]
    return [b - a for a, b in itertools.pairwise(sent)]


def test_blocks_grow_on_a_fast_link(shared_host: HostWithKeys, tmp_path: Path) -> None:
    path = tmp_path / "six.pdf"
    size = write_pdf(path, 6)  # under the host's 10 MB limit
    client = V2Client(shared_host.api, key=shared_host.keys.key,
                      transport=fast_transport(read_timeout=30))
    reports: list[tuple[int, int]] = []
    image = client.upload_file(path, progress=lambda sent, total: reports.append((sent, total)))
    try:
        assert image.size == size
        steps = deltas(reports)
        total = reports[-1][1]
        assert reports[-1][0] == total > size
        assert all(t == total for _, t in reports)
        assert all(s > 0 for s in steps)  # once per block, never an empty one
        assert max(steps) <= MAX_SEND_BLOCK
        assert all(s >= MIN_SEND_BLOCK for s in steps[:-1])
        # With fixed 64 KiB blocks this fails: the link took blocks fast, so they grew.
        assert sum(s > MIN_SEND_BLOCK for s in steps) > 0, steps
        assert len(steps) < size / MIN_SEND_BLOCK
    finally:
        if image.deletehash:
            client.delete(image.deletehash)


# -- over a slow link: a sink that takes the body a little at a time -------------------------

SINK_BUFFER = 16 * 1024  # the sink's receive buffer (the kernel doubles it): a small window
SINK_STEP = 16 * 1024
SINK_PAUSE = 0.03  # ~0.5 MB/s: a 64 KiB block waits ~4 steps, well over BLOCK_SECONDS
# The client's send buffer (doubled too): it takes the first few blocks at once, so they grow,
# then fills, and from there the link sets the pace.
CLIENT_BUFFER = 256 * 1024
ANSWER = b'{"data": {"id": "abc"}, "success": true, "status": 200}'


class SlowSink:
    """Takes one HTTP request, reading its body ``SINK_STEP`` bytes per ``SINK_PAUSE``, then
    answers 200 with a small JSON body. ``received`` is the body it got."""

    def __init__(self) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # Before listen, so the accepted socket's window is small from the handshake on.
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SINK_BUFFER)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(1)
        self._listener.settimeout(30)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}/2/upload.json"
        self.received = b""
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        try:
            conn, _ = self._listener.accept()
            with conn:
                conn.settimeout(30)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(SINK_STEP)
                    assert chunk, "the client hung up before sending its head"
                    data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length:"))
                received = bytearray(body)
                while len(received) < length:
                    time.sleep(SINK_PAUSE)  # the slow link itself, not a wait for a result
                    chunk = conn.recv(min(SINK_STEP, length - len(received)))
                    assert chunk, "the client hung up mid-body"
                    received += chunk
                self.received = bytes(received)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: %d\r\nConnection: close\r\n\r\n%s"
                             % (len(ANSWER), ANSWER))
        except BaseException as exc:  # examined by the test
            self.error = exc

    def close(self) -> None:
        self._listener.close()
        self._thread.join(30)


def bounded_buffer_transport() -> Transport:
    """The app's own transport, on sockets with a bounded send buffer: left to itself, the
    kernel here lets megabytes queue on loopback, and the whole body would go at once."""
    session = new_session()
    options = [*HTTPConnection.default_socket_options,
               (socket.SOL_SOCKET, socket.SO_SNDBUF, CLIENT_BUFFER)]
    for adapter in session.adapters.values():
        assert isinstance(adapter, HTTPAdapter)
        adapter.poolmanager.connection_pool_kw["socket_options"] = options
    return Transport(connect_timeout=2.0, read_timeout=30.0, session=session,
                     retry=RetryPolicy(attempts=1, base_delay=0.01, max_delay=0.05))


@pytest.fixture
def sink() -> Iterator[SlowSink]:
    server = SlowSink()
    yield server
    server.close()


def test_blocks_shrink_back_on_a_slow_link(sink: SlowSink) -> None:
    data = bytes(range(256)) * (2 * MB // 256)  # ~4 s through the sink
    transport = bounded_buffer_transport()
    reports: list[tuple[int, int]] = []
    raw = transport.upload(sink.url,
                           fields={"type": "file",
                                   "image": ("big.bin", io.BytesIO(data),
                                             "application/octet-stream")},
                           progress=lambda sent, total: reports.append((sent, total)))
    sink.close()
    assert sink.error is None
    assert raw.status == 200
    assert raw.body == ANSWER
    total = reports[-1][1]
    assert reports[-1][0] == total == len(sink.received)
    assert data in sink.received
    steps = deltas(reports)
    assert max(steps) <= MAX_SEND_BLOCK
    assert all(s >= MIN_SEND_BLOCK for s in steps[:-1])
    # While the send buffer took blocks at once they grew; once it was full, each block
    # waited on the link for longer than BLOCK_SECONDS and the next fell back to the least.
    peak = steps.index(max(steps))
    assert steps[peak] > MIN_SEND_BLOCK, steps
    after = steps[peak + 1:-1]
    assert len(after) >= 10, steps
    assert statistics.median(after) == MIN_SEND_BLOCK, steps
    # The bar moved in many small steps, not a few large ones.
    assert len(steps) > len(data) / (2 * MIN_SEND_BLOCK), steps
