"""The embedded default service: the local image host, started in the background when no
other service is configured, with an application key registered for this machine on first use.

The host is started as a detached process so the links it hands out keep working after the
command that started it exits; ``imgur-desktop server stop`` ends it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from imgur_desktop.core import paths

DEFAULT_PORT = 8750
KEYS_FILE = "default-app.json"
PID_FILE = "serve.pid"
LOG_FILE = "serve.log"


@dataclass(frozen=True, slots=True)
class LocalService:
    url: str  # ends with "/"
    key: str
    consumer_key: str
    consumer_secret: str
    started_now: bool

    @property
    def api_url(self) -> str:
        return self.url + "2/"


class LocalServiceError(Exception):
    pass


def local_port() -> int:
    raw = os.environ.get("IMGUR_DESKTOP_LOCAL_PORT", "")
    return int(raw) if raw.isdigit() else DEFAULT_PORT


def is_running(url: str, timeout: float = 0.5) -> bool:
    try:
        resp = requests.get(url + "health", timeout=timeout,
                            proxies={"http": "", "https": ""})
        return resp.ok and resp.json().get("service") == "imgur-desktop"
    except (requests.RequestException, ValueError):
        return False


def _default_app(host_dir: Path) -> dict[str, str]:
    """The keys of this machine's own app on the local host, registered once."""
    keys_path = host_dir / KEYS_FILE
    try:
        data: dict[str, str] = json.loads(keys_path.read_text(encoding="utf-8"))
        return data
    except (FileNotFoundError, ValueError):
        pass
    from imgur_desktop.server.admin import add_app

    host_dir.mkdir(parents=True, exist_ok=True)
    app = add_app(host_dir, "imgur-desktop")
    data = {"key": app.api_key, "consumer_key": app.consumer_key,
            "consumer_secret": app.consumer_secret}
    # The same secrets sit in the host's own database in this folder; 0600 like it.
    fd = os.open(keys_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh)
    return data


def ensure(data_dir: Path | None = None, *, start: bool = True,
           timeout: float = 20.0) -> LocalService:
    """The local host's address and keys, starting it first if it is not running."""
    host_dir = paths.local_host_dir(data_dir)
    keys = _default_app(host_dir)
    url = f"http://127.0.0.1:{local_port()}/"
    started = False
    if not is_running(url):
        if not start:
            raise LocalServiceError(
                f"The local image host is not running. Start it with: imgur-desktop serve "
                f"--port {local_port()}")
        proc = _spawn(host_dir)
        started = True
        deadline = time.monotonic() + timeout
        while not is_running(url):
            # A host that exited (port taken, bad data dir) will not come up: say so now.
            if proc.poll() is not None or time.monotonic() > deadline:
                if proc.poll() is None:
                    proc.terminate()  # not in the pid file: nothing else could stop it
                log = host_dir / LOG_FILE
                raise LocalServiceError(
                    f"The local image host did not start; see {log}")
            time.sleep(0.1)
        if proc.poll() is None:
            # Only a host that is really ours and running goes in the pid file: if another
            # one answered (a slow health check), ours exited and the old file stays valid.
            (host_dir / PID_FILE).write_text(str(proc.pid), encoding="utf-8")
        else:
            started = False
    return LocalService(url, keys["key"], keys["consumer_key"], keys["consumer_secret"],
                        started)


def _spawn(host_dir: Path) -> subprocess.Popen[bytes]:
    log = (host_dir / LOG_FILE).open("ab")
    proc = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
        [sys.executable, "-m", "imgur_desktop", "serve", "--port", str(local_port()),
         "--data-dir", str(host_dir)],
        stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
    )
    log.close()
    return proc


def _is_host_process(pid: int) -> bool:
    """Whether ``pid`` still is an ``imgur_desktop serve`` (a pid can be reused after the
    host died, e.g. across a reboot). Where /proc is missing, trust the pid file."""
    proc = Path("/proc")
    if not proc.is_dir():
        return True
    try:
        cmdline = (proc / str(pid) / "cmdline").read_bytes()
    except OSError:
        return False
    return b"imgur_desktop" in cmdline and b"serve" in cmdline


def stop(data_dir: Path | None = None) -> bool:
    """Stop a host started by ``ensure``; False when none was running."""
    return stop_in(paths.local_host_dir(data_dir))


def stop_in(host_dir: Path) -> bool:
    pid_path = host_dir / PID_FILE
    try:
        pid = int(pid_path.read_text(encoding="utf-8").strip())
    except (FileNotFoundError, ValueError):
        return False
    if not _is_host_process(pid):
        pid_path.unlink(missing_ok=True)
        return False
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pid_path.unlink(missing_ok=True)
        return False
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        if not _is_host_process(pid):
            break  # exited; a zombie until its parent (init) reaps it
        time.sleep(0.05)
    pid_path.unlink(missing_ok=True)
    return True
