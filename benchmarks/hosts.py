"""The servers the measures talk to, each a subprocess on 127.0.0.1 that the benchmark stops
itself: the project's own image host (``imgur-desktop serve``) and, for measure 8, the floor
(``benchmarks/floor_host.py``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.localhost import AppKeys, LocalHost, add_app

# Loopback traffic never goes through a proxy from the environment.
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost,::1"

START_TIMEOUT = 30.0
UNLIMITED_CREDITS = "1000000000"


@dataclass(frozen=True)
class Host:
    url: str  # ends with "/"
    key: str
    pid: int

    @property
    def api(self) -> str:
        return self.url + "2/"

    @property
    def upload_url(self) -> str:
        return self.api + "upload.json"


@contextmanager
def image_host(data_dir: Path, *, max_upload_mb: int = 10) -> Iterator[Host]:
    """``imgur-desktop serve --port 0`` with its own data dir and an application registered,
    credits out of the way (a benchmark uploads thousands of files in an hour)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    keys: AppKeys = add_app(data_dir, "benchmarks")
    host = LocalHost(data_dir, extra_args=["--max-upload-mb", str(max_upload_mb),
                                           "--credits-anon", UNLIMITED_CREDITS,
                                           "--credits-user", UNLIMITED_CREDITS])
    try:
        host.start()
        yield Host(host.url, keys.key, host.pid)
    finally:
        host.stop()


@contextmanager
def server_process(argv: Sequence[str]) -> Iterator[tuple[str, int]]:
    """A server whose first stdout line is ``Serving on URL``; stopped with SIGTERM (then
    SIGKILL) on leaving. Yields the URL and the pid."""
    proc = subprocess.Popen(list(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=dict(os.environ, PYTHONUNBUFFERED="1"))
    try:
        first: list[str] = []
        reader = threading.Thread(target=lambda: first.append(proc.stdout.readline()),  # type: ignore[union-attr]
                                  daemon=True)
        reader.start()
        reader.join(START_TIMEOUT)
        line = first[0] if first else ""
        if not line.startswith("Serving on http://"):
            raise RuntimeError(f"{argv[2:]} did not start: {line!r}")
        threading.Thread(target=proc.stderr.read, daemon=True).start()  # type: ignore[union-attr]
        yield line.split()[-1], proc.pid
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[str], timeout: float = 15.0) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout)


def python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


def run_curls(commands: list[list[str]], expected: int, timeout: float, what: str) -> float:
    """Start the curl ``commands`` at once; seconds until all are done. Each prints one HTTP
    code per upload (``--write-out``), and all ``expected`` of them must be 200. Every process
    is ended, whatever happens."""
    procs: list[subprocess.Popen[str]] = []
    try:
        start = time.perf_counter()
        for args in commands:
            procs.append(subprocess.Popen(args, stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE, text=True))
        outputs = [proc.communicate(timeout=timeout + 30) for proc in procs]
        elapsed = time.perf_counter() - start
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
    codes = [code for out, _err in outputs for code in out.split()]
    if len(codes) != expected or set(codes) != {"200"}:
        errors = " ".join(err.strip() for _out, err in outputs)[:300]
        raise RuntimeError(f"{what} failed: {sorted(set(codes))} {errors}")
    return elapsed
