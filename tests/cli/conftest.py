"""Running ``imgur-desktop`` as a real subprocess, with its own config/data dirs and a
file-backed test keyring, against the real local image host."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import ALICE, HostWithKeys
from tests.support.browser import consent, pin_from
from tests.support.localhost import LocalHost, add_app, add_user

ROOT = Path(__file__).resolve().parents[2]
SERVICE = "imgur-desktop"
TEST_BACKEND = "tests.support.testkeyring.FileKeyring"
UNSUPPORTED = ("That file type is not supported! Supported formats: JPEG, GIF, PNG, APNG, "
               "TIFF, BMP, PDF, XCF")
LINK_KEYS = {"original", "imgur_page", "delete_page", "small_square", "large_thumbnail"}


@dataclass
class Result:
    args: list[str]
    rc: int
    stdout: str
    stderr: str

    def json_lines(self) -> list[Any]:
        """stdout as JSON lines; fails if anything else is on stdout."""
        assert self.stdout.endswith("\n"), (self.stdout, self.stderr)
        lines = self.stdout.splitlines()
        out = []
        for line in lines:
            try:
                out.append(json.loads(line))
            except ValueError:
                pytest.fail(f"not JSON on stdout: {line!r}\nstderr: {self.stderr}")
        return out

    def one_json(self) -> Any:
        lines = self.json_lines()
        assert len(lines) == 1, self.stdout
        return lines[0]


@dataclass
class Cli:
    """One person's machine: a config dir, a data dir and a keyring file."""

    root: Path
    extra_env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.config_dir = self.root / "config"
        self.data_dir = self.root / "data"
        self.keyring_file = self.root / "keyring.json"

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("IMGUR_DESKTOP_")}
        env.update(
            PYTHONPATH=str(ROOT),
            PYTHONUNBUFFERED="1",
            PYTHON_KEYRING_BACKEND=TEST_BACKEND,
            IMGUR_DESKTOP_TEST_KEYRING=str(self.keyring_file),
            IMGUR_DESKTOP_CONFIG_DIR=str(self.config_dir),
            IMGUR_DESKTOP_DATA_DIR=str(self.data_dir),
        )
        env.update(self.extra_env)
        return env

    def run(self, *args: str, stdin: bytes | str | None = None,
            env: dict[str, str] | None = None, timeout: float = 60) -> Result:
        data = stdin.encode() if isinstance(stdin, str) else stdin
        proc = subprocess.run(
            [sys.executable, "-m", "imgur_desktop", *args], input=data,
            capture_output=True, timeout=timeout, cwd=self.root,
            env={**self.env, **(env or {})},
            stdin=None if data is not None else subprocess.DEVNULL)
        return Result(list(args), proc.returncode, proc.stdout.decode("utf-8", "replace"),
                      proc.stderr.decode("utf-8", "replace"))

    def popen(self, *args: str, env: dict[str, str] | None = None) -> Running:
        proc = subprocess.Popen(
            [sys.executable, "-m", "imgur_desktop", *args], cwd=self.root,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**self.env, **(env or {})})
        return Running(proc)

    def keyring(self) -> dict[str, str]:
        """The entries of service "imgur-desktop" in the test keyring."""
        if not self.keyring_file.exists():
            return {}
        data: dict[str, dict[str, str]] = json.loads(self.keyring_file.read_text())
        return data.get(SERVICE, {})

    def login(self, host: HostWithKeys, user: tuple[str, str] = ALICE,
              *extra: str) -> Result:
        """The PIN flow end to end, as a person would do it."""
        running = self.popen("login", "--pin", "--no-browser", "--api-url", host.api,
                             "--consumer-key", host.keys.consumer_key,
                             "--consumer-secret", host.keys.consumer_secret, *extra)
        url = running.authorize_url()
        pin = pin_from(consent(url, *user))
        return running.finish(pin + "\n")

    def stop_local_host(self, data_dir: Path | None = None) -> None:
        """Stop a background host this machine's CLI started, whatever happens."""
        data_dir = data_dir or self.data_dir
        pid_file = data_dir / "local-host" / "serve.pid"
        if not pid_file.exists():
            return
        self.run("server", "stop", env={"IMGUR_DESKTOP_DATA_DIR": str(data_dir)}, timeout=30)
        if pid_file.exists():  # the command failed: do it by hand
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid_file.read_text().strip()), signal.SIGKILL)


class Running:
    """A CLI process we talk to: stderr is read line by line as it comes."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.err_lines: list[str] = []
        self.out_lines: list[str] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._readers = [threading.Thread(target=self._read, daemon=True),
                         threading.Thread(target=self._read_out, daemon=True)]
        for reader in self._readers:
            reader.start()

    def _read_out(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.out_lines.append(line)

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.err_lines.append(line)
            self._lines.put(line)
        self._lines.put(None)

    def authorize_url(self, timeout: float = 30) -> str:
        """The address the CLI tells the person to open."""
        while True:
            try:
                line = self._lines.get(timeout=timeout)
            except queue.Empty:
                self.proc.kill()
                pytest.fail(f"no authorize URL on stderr: {''.join(self.err_lines)}")
            if line is None:
                pytest.fail(f"the CLI exited before showing the authorize URL "
                            f"(rc {self.proc.wait()}): {''.join(self.err_lines)}")
            if "/oauth/authorize?" in line:
                return line.strip()

    def finish(self, stdin: str = "", timeout: float = 60) -> Result:
        """Type ``stdin``, close it, and wait for the command to end."""
        assert self.proc.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            self.proc.stdin.write(stdin)
            self.proc.stdin.flush()
        with contextlib.suppress(BrokenPipeError):
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            raise
        for reader in self._readers:
            reader.join(10)
        return Result([], self.proc.returncode, "".join(self.out_lines),
                      "".join(self.err_lines))


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[Cli]:
    machine = Cli(tmp_path / "machine")
    machine.root.mkdir()
    yield machine
    machine.stop_local_host()  # a test that forgot --api-url must not leave a host behind


@pytest.fixture(scope="module")
def own_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostWithKeys]:
    """A host of this module's own, so account listings hold only what the module made."""
    data_dir = tmp_path_factory.mktemp("own-host")
    keys = add_app(data_dir)
    add_user(data_dir, *ALICE)
    host = LocalHost(data_dir, extra_args=["--credits-anon", "7000",
                                           "--credits-user", "9000"]).start()
    yield HostWithKeys(host, keys)
    host.stop()


def fetch(url: str) -> requests.Response:
    return requests.get(url, timeout=10)


def files_bytes(*roots: Path, skip: Path | None = None) -> dict[Path, bytes]:
    """Every regular file under ``roots`` (except ``skip``), with its bytes."""
    found: dict[Path, bytes] = {}
    for root in roots:
        if not root.exists():
            continue
        for path in root.rglob("*"):
            if path.is_file() and path != skip:
                found[path] = path.read_bytes()
    return found


class Relay:
    """A recording pass-through on 127.0.0.1 in front of the host: it shows which API paths
    (and so which format, ``.json`` or ``.xml``) the CLI really asked for."""

    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        self.seen: list[tuple[str, str]] = []
        relay = self

        class Handler(BaseHTTPRequestHandler):
            def _body(self) -> bytes:
                if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                    data = b""
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                        chunk = self.rfile.read(size + 2)[:size]
                        if size == 0:
                            break
                        data += chunk
                    return data
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _forward(self) -> None:
                body = self._body()
                relay.seen.append((self.command, self.path))
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("host", "content-length", "transfer-encoding",
                                                "connection")}
                answer = requests.request(self.command, relay.target + self.path, data=body,
                                          headers=headers, allow_redirects=False, timeout=30)
                self.send_response(answer.status_code)
                for name in ("Content-Type", "Location"):
                    if name in answer.headers:
                        self.send_header(name, answer.headers[name])
                for name, value in answer.headers.items():
                    if name.lower().startswith("x-ratelimit"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.content)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = do_DELETE = _forward

            def log_message(self, format: str, *args: object) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
