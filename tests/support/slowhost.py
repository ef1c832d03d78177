"""Holding uploads at a chosen moment in front of the real host, and reading back what the host
stored, for the crash, network-loss, retry and rate-limit tests of the durable queue.

``Gate`` is a ``FaultProxy`` default (``FaultProxy(host.url, default=Gate())``): it relays every
request to the host and notes each one with the status of its answer. From the ``n``-th upload
POST on, it can hold the upload

* at ``"request"``: before the host sees a byte of it (the upload is in flight; the host has
  nothing), or
* at ``"answer"``: after the host answered (the host has stored the image; the client has not
  heard so): the moment when a crash makes an upload be sent twice.

A test kills or stops whatever it likes while uploads are held, then ``release()``s them. It
can also answer the next upload POSTs itself (``fail_uploads``), e.g. with a 500.

The readers (``stored_images``, ``host_deletehashes``, ``ledger_rows``) open files read-only,
so they can be used while the host and the app run.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.conftest import HostWithKeys
from tests.support.faults import CHUNK, Fault, FaultProxy, Reset, Respond, _Conn, send_upstream

UPLOAD_PATHS = ("/2/upload", "/2/account/images")


def is_upload(method: str, target: str) -> bool:
    path = urlsplit(target).path
    stem = path.rsplit(".", 1)[0] if "." in path.rsplit("/", 1)[-1] else path
    return method == "POST" and stem in UPLOAD_PATHS


@dataclass
class Exchange:
    """One request as the gate saw it; ``status`` None when no answer was relayed."""

    at: float  # time.monotonic() when its head arrived
    method: str
    path: str
    upload: bool
    status: int | None = None


class Gate(Fault):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.log: list[Exchange] = []
        self.uploads = 0  # upload POSTs seen
        self.held = 0  # uploads being held now
        self.fail_uploads: list[Fault] = []  # played, in order, for the next upload POSTs
        self._hold_from: int | None = None
        self._where = "answer"
        self._open = threading.Event()
        self._forward_held = True

    # -- what tests use ----------------------------------------------------------------------

    def hold(self, from_upload: int, *, where: str) -> Gate:
        """Hold the ``from_upload``-th upload POST (counting from 1) and every later one."""
        assert where in ("request", "answer")
        with self._lock:
            self._hold_from, self._where = from_upload, where
            self._open.clear()
        return self

    def release(self, *, forward_held: bool = True) -> None:
        """Let held uploads go on (``forward_held=False``: the ones held at "request" are
        dropped, never reaching the host) and hold no more."""
        with self._lock:
            self._hold_from = None
            self._forward_held = forward_held
        self._open.set()

    def wait_held(self, count: int, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while self.held < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.held} upload(s) held, wanted {count}; "
                                     f"seen: {self.log}")
            time.sleep(0.02)

    def upload_log(self) -> list[Exchange]:
        with self._lock:
            return [e for e in self.log if e.upload]

    def statuses(self) -> list[int | None]:
        with self._lock:
            return [e.status for e in self.log]

    # -- the fault ---------------------------------------------------------------------------

    def play(self, proxy: FaultProxy, conn: _Conn) -> None:
        upload = is_upload(conn.method, conn.target)
        record = Exchange(time.monotonic(), conn.method, urlsplit(conn.target).path, upload)
        with self._lock:
            self.log.append(record)
            self.uploads += upload
            fault = self.fail_uploads.pop(0) if upload and self.fail_uploads else None
            hold = (upload and self._hold_from is not None and self.uploads >= self._hold_from)
            where = self._where
        if fault is not None:
            fault.play(proxy, conn)
            record.status = getattr(fault, "status", None)
            return
        if hold and where == "request":
            self._wait(proxy)
            if not self._forward_held:
                Reset().play(proxy, conn)
                return
        answer = _relay(proxy, conn)
        record.status = _status(answer)
        if hold and where == "answer":
            self._wait(proxy)
        conn.send(answer)

    def _wait(self, proxy: FaultProxy) -> None:
        with self._lock:
            self.held += 1
        try:
            while not self._open.wait(0.05) and not proxy.closing.is_set():
                pass
        finally:
            with self._lock:
                self.held -= 1


def _relay(proxy: FaultProxy, conn: _Conn) -> bytes:
    """Send the request on to the host and return its whole answer (the host closes)."""
    up = send_upstream(proxy, conn)
    try:
        answer = bytearray()
        while data := up.recv(CHUNK):
            answer += data
        return bytes(answer)
    finally:
        up.close()


def _status(answer: bytes) -> int | None:
    parts = answer.split(b"\r\n", 1)[0].split()
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def error_500() -> Respond:
    return Respond(500, b"<html><body><h1>500 Internal Server Error</h1></body></html>")


def garbled_200() -> Respond:
    return Respond(200, b'{"upload": {"image": {"hash": ', content_type="application/json")


def through(host: HostWithKeys, proxy: FaultProxy) -> HostWithKeys:
    """The same host and keys, reached through ``proxy`` (for ``start_app(host=...)``)."""
    via = HostWithKeys(host.host, host.keys)
    via.url, via.api = proxy.url, proxy.api
    return via


# -- what the host stored, and what the ledger says ------------------------------------------


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stored_images(host_data_dir: Path) -> Counter[str]:
    """The images the host keeps on disk, by the sha256 of their bytes (a count above 1 is
    the same file uploaded twice)."""
    folder = host_data_dir / "images"
    if not folder.exists():
        return Counter()
    return Counter(sha256(p.read_bytes()) for p in folder.iterdir() if p.is_file())


def _read_only(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    db.row_factory = sqlite3.Row
    return db


def host_deletehashes(host_data_dir: Path) -> dict[str, str]:
    """Image hash -> delete hash, as the host's own database has them."""
    db = _read_only(host_data_dir / "imgur-host.sqlite3")
    try:
        return {r["hash"]: r["deletehash"] for r in db.execute(
            "SELECT hash, deletehash FROM images")}
    finally:
        db.close()


def ledger_rows(ledger_file: Path) -> list[dict[str, Any]]:
    """Every ledger row, oldest first, read without writing anything (the app may run)."""
    if not ledger_file.exists():
        return []
    db = _read_only(ledger_file)
    try:
        return [dict(r) for r in db.execute("SELECT * FROM uploads ORDER BY id")]
    except sqlite3.OperationalError:  # the app has not made the table yet
        return []
    finally:
        db.close()
