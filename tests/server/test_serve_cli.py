"""The ``imgur-desktop serve`` and ``imgur-desktop server …`` command lines, run as real
processes: the announce line, clean exits on SIGTERM/SIGINT, IPv6 loopback, a port in use,
add-app's JSON, and add-user's password handling (scrypt, never in plain text, duplicates)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support import images
from tests.support.browser import sign_in, signed_session
from tests.support.localhost import AppKeys, add_app, cli

ANNOUNCE_V4 = re.compile(r"Serving on http://127\.0\.0\.1:(\d+)/")
ANNOUNCE_V6 = re.compile(r"Serving on http://\[::1\]:(\d+)/")


class Served:
    """``imgur-desktop serve`` as a child process, with its first stdout line."""

    def __init__(self, data_dir: Path, *args: str) -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "imgur_desktop", "serve", "--data-dir", str(data_dir),
             *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        lines: list[str] = []
        reader = threading.Thread(
            target=lambda: lines.append(self.proc.stdout.readline()),  # type: ignore[union-attr]
            daemon=True)
        reader.start()
        reader.join(30)
        self.first_line = lines[0].rstrip("\n") if lines else ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout)
            raise AssertionError(f"serve did not exit within {timeout} s of {sig!r}") from None

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(15)
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                pipe.close()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    return folder


@pytest.fixture
def served() -> Iterator[list[Served]]:
    """Every process started by a test; killed afterwards if it is still running."""
    procs: list[Served] = []
    yield procs
    for proc in procs:
        proc.close()


def ipv6_loopback() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(("::1", 0))
        return True
    except OSError:
        return False


def user_rows(data_dir: Path) -> list[tuple[str, str, int]]:
    con = sqlite3.connect(f"file:{data_dir / 'imgur-host.sqlite3'}?mode=ro", uri=True)
    try:
        return [(r[0], r[1], r[2]) for r in
                con.execute("SELECT username, password_hash, is_pro FROM users ORDER BY id")]
    finally:
        con.close()


def all_file_bytes(folder: Path) -> Iterator[tuple[Path, bytes]]:
    for path in folder.rglob("*"):
        if path.is_file():
            yield path, path.read_bytes()


# -- serve ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_announces_its_port_and_exits_cleanly(
        data_dir: Path, served: list[Served], sig: signal.Signals) -> None:
    keys = add_app(data_dir)
    proc = Served(data_dir, "--port", "0")
    served.append(proc)
    match = ANNOUNCE_V4.fullmatch(proc.first_line)
    assert match, f"first stdout line: {proc.first_line!r}"
    port = int(match.group(1))
    assert port > 0
    base = f"http://127.0.0.1:{port}/"
    assert requests.get(base + "2/credits.json", timeout=10).status_code == 200
    up = requests.post(base + "2/upload.json", data={"key": keys.key},
                       files={"image": ("a.png", images.png(), "image/png")}, timeout=30)
    assert up.status_code == 200, up.text

    assert proc.stop(sig) == 0
    stderr = proc.proc.stderr.read() if proc.proc.stderr else ""
    assert "Traceback" not in stderr, stderr
    with pytest.raises(requests.ConnectionError):
        requests.get(base + "2/credits.json", timeout=5)


def test_serve_stops_with_an_upload_in_flight(data_dir: Path, served: list[Served]) -> None:
    """SIGTERM with a client stuck mid-body: the host still exits, with 0, within its grace
    period (5 s), and the next start finds tmp/ empty."""
    keys = add_app(data_dir)
    proc = Served(data_dir, "--port", "0")
    served.append(proc)
    match = ANNOUNCE_V4.fullmatch(proc.first_line)
    assert match, proc.first_line
    port = int(match.group(1))
    body = b"--b\r\nContent-Disposition: form-data; name=\"image\"; filename=\"x.bmp\"\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"POST /2/upload.json?key={keys.key} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Content-Type: multipart/form-data; boundary=b\r\n"
                     "Content-Length: 3000000\r\n\r\n".encode() + body
                     + images.raster("BMP", (400, 400))[:300_000])
        deadline = time.monotonic() + 10
        while not any((data_dir / "tmp").iterdir()) and time.monotonic() < deadline:
            time.sleep(0.02)
        started = time.monotonic()
        assert proc.stop(signal.SIGTERM, timeout=20) == 0
        assert time.monotonic() - started < 12
    again = Served(data_dir, "--port", "0")
    served.append(again)
    match = ANNOUNCE_V4.fullmatch(again.first_line)
    assert match, again.first_line
    assert requests.get(f"http://127.0.0.1:{match.group(1)}/2/credits.json",
                        timeout=10).status_code == 200
    assert list((data_dir / "tmp").iterdir()) == []
    assert again.stop() == 0


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_right_after_the_announce_exits_cleanly(
        tmp_path: Path, served: list[Served], sig: signal.Signals) -> None:
    """A supervisor waits for the "Serving on" line and may stop the host at once: that stop
    is a clean exit (0) too, not a death by the signal. Three tries, as it is a race."""
    outcomes: list[int | str] = []
    for i in range(3):
        proc = Served(tmp_path / f"data{i}", "--port", "0")
        served.append(proc)
        assert ANNOUNCE_V4.fullmatch(proc.first_line), proc.first_line
        proc.proc.send_signal(sig)
        try:
            outcomes.append(proc.proc.wait(5))
        except subprocess.TimeoutExpired:
            outcomes.append("still running 5 s later")
            proc.close()
    assert outcomes == [0, 0, 0]


@pytest.mark.skipif(not ipv6_loopback(), reason="no IPv6 loopback (::1) on this machine")
def test_serve_on_ipv6_loopback(data_dir: Path, served: list[Served]) -> None:
    add_app(data_dir)
    proc = Served(data_dir, "--host", "::1", "--port", "0")
    served.append(proc)
    match = ANNOUNCE_V6.fullmatch(proc.first_line)
    assert match, f"first stdout line: {proc.first_line!r}"
    url = f"http://[::1]:{match.group(1)}/"
    resp = requests.get(url + "2/credits.json", timeout=10)
    assert resp.status_code == 200
    assert resp.json()["credits"]["remaining"] == 499
    assert requests.get(url, timeout=10).status_code == 200
    assert proc.stop() == 0


def test_serve_on_a_port_in_use_fails_clearly(data_dir: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen(1)
        port = blocker.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "imgur_desktop", "serve", "--port", str(port),
             "--data-dir", str(data_dir)],
            capture_output=True, text=True, timeout=30, check=False,
        )
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
    assert "Serving on" not in done.stdout
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "in use" in done.stderr.lower()
    assert "Traceback" not in done.stderr


# -- server add-app / add-user ------------------------------------------------------------------

def test_add_app_json_prints_exactly_the_keys(data_dir: Path) -> None:
    done = cli("server", "add-app", "My Uploader", "--json", data_dir=data_dir)
    assert done.returncode == 0
    assert len(done.stdout.strip().splitlines()) == 1
    keys = json.loads(done.stdout)
    assert set(keys) == {"key", "consumer_key", "consumer_secret"}
    assert all(isinstance(v, str) and len(v) >= 16 for v in keys.values()), keys
    assert len(set(keys.values())) == 3
    other = json.loads(cli("server", "add-app", "Another", "--json", data_dir=data_dir).stdout)
    assert set(other.values()).isdisjoint(keys.values()), "each app gets its own keys"


def test_add_user_stores_only_an_scrypt_hash(data_dir: Path, served: list[Served]) -> None:
    password = "Corr3ct-Horse-Battery-Staple-q8Zx"
    keys = AppKeys(**json.loads(cli("server", "add-app", "t", "--json",
                                    data_dir=data_dir).stdout))
    done = cli("server", "add-user", "carol", "--password-stdin", data_dir=data_dir,
               stdin=password + "\n")
    assert done.returncode == 0
    assert password not in done.stdout + done.stderr
    rows = user_rows(data_dir)
    assert [(u, pro) for u, _, pro in rows] == [("carol", 0)]
    assert rows[0][1].startswith("scrypt$")
    assert password not in rows[0][1]

    # sign in with it through the real host, then look at every byte the host keeps
    proc = Served(data_dir, "--port", "0")
    served.append(proc)
    match = ANNOUNCE_V4.fullmatch(proc.first_line)
    assert match, proc.first_line
    base = f"http://127.0.0.1:{match.group(1)}/"
    tokens = sign_in(base, keys, "carol", password)
    me = signed_session(keys, tokens).get(base + "2/account.json", timeout=10)
    assert me.status_code == 200
    assert me.json()["account"]["url"] == "carol"
    needles = [password.encode(), password.encode("utf-16-le")]
    for path, data in all_file_bytes(data_dir):
        for needle in needles:
            assert needle not in data, f"the password is in {path.relative_to(data_dir)}"
    assert proc.stop() == 0
    for path, data in all_file_bytes(data_dir):  # after the WAL is checkpointed too
        assert password.encode() not in data, path
    stderr = proc.proc.stderr.read() if proc.proc.stderr else ""
    assert password not in stderr


def test_duplicate_user_is_refused(data_dir: Path) -> None:
    cli("server", "add-user", "alice", "--password-stdin", data_dir=data_dir,
        stdin="first-password-1\n")
    stored = user_rows(data_dir)
    for name in ("alice", "ALICE"):
        done = cli("server", "add-user", name, "--password-stdin", data_dir=data_dir,
                   stdin="second-password-2\n", check=False)
        assert done.returncode == 1, (name, done.stdout, done.stderr)
        assert "taken" in done.stderr
        assert "Traceback" not in done.stderr
    assert user_rows(data_dir) == stored, "the first account is left as it was"


def test_add_user_with_an_empty_password_is_refused(data_dir: Path) -> None:
    done = cli("server", "add-user", "dave", "--password-stdin", data_dir=data_dir,
               stdin="\n", check=False)
    assert done.returncode == 2
    assert "empty" in done.stderr
    db = data_dir / "imgur-host.sqlite3"
    assert not db.exists() or user_rows(data_dir) == []


def test_pro_flag_shows_on_the_account(data_dir: Path, served: list[Served]) -> None:
    keys = add_app(data_dir)
    cli("server", "add-user", "erin", "--pro", "--password-stdin", data_dir=data_dir,
        stdin="erin-password-9\n")
    cli("server", "add-user", "frank", "--password-stdin", data_dir=data_dir,
        stdin="frank-password-9\n")
    proc = Served(data_dir, "--port", "0", "--credits-user", "50")
    served.append(proc)
    match = ANNOUNCE_V4.fullmatch(proc.first_line)
    assert match, proc.first_line
    base = f"http://127.0.0.1:{match.group(1)}/"
    for name, pro, limit in (("erin", "true", "100"), ("frank", "false", "50")):
        tokens = sign_in(base, keys, name, f"{name}-password-9")
        resp = signed_session(keys, tokens).get(base + "2/account.json", timeout=10)
        assert resp.status_code == 200, resp.text
        account = resp.json()["account"]
        assert account["url"] == name
        assert account["is_pro"] == pro
        assert resp.headers["X-RateLimit-Limit"] == limit
    assert proc.stop() == 0
