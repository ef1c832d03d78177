"""A cancel ends an upload at once while its body is still going out, even when the link has
stopped taking bytes (the socket is shut down, not left to the next block); once the whole
body has gone, the call is let finish, since the service may store it and only its answer
holds the delete link."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from imgur_desktop.core.api.transport import RetryPolicy, Transport
from imgur_desktop.core.api.v2 import V2Client
from imgur_desktop.core.cancel import CancelToken
from imgur_desktop.core.errors import Cancelled
from tests.conftest import HostWithKeys
from tests.support import images
from tests.support.faults import FaultProxy, Stall
from tests.support.slowhost import Gate

MB = 1024 * 1024


def _client(front: FaultProxy, host: HostWithKeys) -> V2Client:
    # Timeouts far longer than the test: only the cancel can end the call in time.
    transport = Transport(connect_timeout=5.0, read_timeout=60.0,
                          retry=RetryPolicy(attempts=1, base_delay=0.01, max_delay=0.05))
    return V2Client(front.api, key=host.keys.key, max_upload_bytes=64 * MB,
                    transport=transport)


def test_a_cancel_ends_an_upload_the_link_stopped_taking(
        proxy: FaultProxy, shared_host: HostWithKeys, tmp_path: Path) -> None:
    path = tmp_path / "large.pdf"
    with path.open("wb") as fh:  # far more than the socket buffers hold
        fh.write(b"%PDF-1.4\n" + bytes(40 * MB) + b"\n%%EOF\n")
    proxy.default = Stall(60, read_body=False)
    client = _client(proxy, shared_host)
    token = CancelToken()
    sent: list[int] = []
    timer = threading.Timer(1.0, token.cancel)
    timer.start()
    started = time.monotonic()
    try:
        with pytest.raises(Cancelled):
            client.upload_file(path, cancel=token,
                               progress=lambda done, _total: sent.append(done))
    finally:
        timer.cancel()
    assert time.monotonic() - started < 5.0  # not the 60 s the timeouts would take
    assert sent
    assert sent[-1] < path.stat().st_size  # it was stuck mid-body when cancelled


def test_a_cancel_after_the_whole_body_lets_the_answer_come(
        shared_host: HostWithKeys, tmp_path: Path) -> None:
    gate = Gate().hold(1, where="answer")  # the host has the upload; its answer waits
    with FaultProxy(shared_host.url) as front:
        front.default = gate
        client = _client(front, shared_host)
        token = CancelToken()
        answer: list[object] = []

        def upload() -> None:
            try:
                answer.append(client.upload_bytes(images.png((40, 30)), "shot.png",
                                                  cancel=token))
            except Exception as exc:  # examined below
                answer.append(exc)

        worker = threading.Thread(target=upload)
        worker.start()
        gate.wait_held(1)
        token.cancel()
        time.sleep(0.3)
        assert answer == []  # still waiting for the answer, not cut off
        gate.release()
        worker.join(30)
    (image,) = answer
    assert not isinstance(image, BaseException), image
    assert image.deletehash  # the delete link of what the host stored is not lost
