"""Measure 1, batch throughput: N files through the app's upload engine (the real UploadQueue,
concurrency 3, on the offscreen Qt platform), against (a) a sequential plain ``requests``
multipart loop, (b) a loop sending each file base64-encoded in an urlencoded form (what
imgurpython and pyimgur do) and (c) four ``curl`` processes in parallel, the practical ceiling
of this machine. Every runner uploads the same files to the same host; each runs
``sizes.batch_rounds`` times, interleaved, and its best round counts."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from pathlib import Path

import requests

from . import engine, qtapp
from .fixtures import jpeg_batch
from .hosts import Host, run_curls
from .report import RATIO_MIN, Budget, Row
from .suite import Run

UNIT = "uploads/s"
CURL_PROCESSES = 4
TIMEOUT = 600.0  # seconds for one batch, whatever the runner


def run_engine(host: Host, files: list[Path]) -> float:
    queue = engine.make_queue(host)
    try:
        start = time.perf_counter()
        queue.add_paths(files)
        if not qtapp.run_until(lambda: engine.finished(queue, len(files)), TIMEOUT):
            raise RuntimeError("the engine did not finish the batch in time")
        elapsed = time.perf_counter() - start
        engine.check_done(queue)
        return elapsed
    finally:
        engine.dispose(queue)


def _ok(resp: requests.Response) -> None:
    if resp.status_code != 200:
        raise RuntimeError(f"upload failed: HTTP {resp.status_code} {resp.text[:200]}")


def run_requests(host: Host, files: list[Path]) -> float:
    """(a) The plain way with requests: one multipart POST after another on a session."""
    with requests.Session() as session:
        start = time.perf_counter()
        for path in files:
            with path.open("rb") as fh:
                _ok(session.post(host.upload_url, data={"key": host.key, "type": "file"},
                                 files={"image": (path.name, fh, "image/jpeg")},
                                 timeout=TIMEOUT))
        return time.perf_counter() - start


def run_base64(host: Host, files: list[Path]) -> float:
    """(b) As imgurpython and pyimgur upload: the file read whole, base64-encoded, sent as an
    urlencoded form with ``requests.post`` (a new connection each time)."""
    start = time.perf_counter()
    for path in files:
        data = base64.b64encode(path.read_bytes())
        _ok(requests.post(host.upload_url, timeout=TIMEOUT,
                          data={"key": host.key, "type": "base64", "image": data}))
    return time.perf_counter() - start


def curl_args(host: Host, files: list[Path]) -> list[str]:
    """One curl process uploading ``files`` one after another on one kept-alive connection."""
    args = ["curl", "--silent", "--show-error", "--noproxy", "*", "--max-time", str(TIMEOUT)]
    for n, path in enumerate(files):
        if n:
            args.append("--next")
        args += ["--output", "/dev/null", "--write-out", "%{http_code}\\n",
                 "--form", f"key={host.key}", "--form", "type=file",
                 "--form", f"image=@{path};type=image/jpeg", host.upload_url]
    return args


def run_curl(host: Host, files: list[Path], processes: int = CURL_PROCESSES) -> float:
    """(c) ``processes`` curl processes in parallel, the files dealt out between them."""
    shares = [files[k::processes] for k in range(processes)]
    commands = [curl_args(host, share) for share in shares if share]
    return run_curls(commands, len(files), TIMEOUT, "curl uploads")


def measure(run: Run) -> list[Row]:
    sizes = run.sizes
    files = jpeg_batch(run.folder("batch"), sizes.batch_files, sizes.batch_file_bytes)
    host = run.host
    run_engine(host, files[:4])  # warm-up: connections, thread pools, the host's caches
    runners: dict[str, Callable[[Host, list[Path]], float]] = {
        "engine": run_engine, "curl": run_curl, "requests": run_requests,
        "base64": run_base64}
    seconds: dict[str, list[float]] = {name: [] for name in runners}
    for _round in range(sizes.batch_rounds):
        for name, runner in runners.items():
            if name == "base64" and seconds[name]:
                continue  # the slowest by far, and its spread is far from the budget
            seconds[name].append(runner(host, files))
    best = {name: len(files) / min(times) for name, times in seconds.items()}
    details = {"files": len(files), "file_bytes": sizes.batch_file_bytes,
               "seconds": {k: [round(t, 3) for t in v] for k, v in seconds.items()},
               "engine": "UploadQueue (concurrency 3) on the offscreen Qt platform"}
    size = f"{len(files)} x {sizes.batch_file_bytes // 1024} KB"
    return [
        Row("1a", f"Batch throughput, {size}", UNIT, best["engine"], best["requests"],
            "requests multipart loop", None, details=details),
        Row("1b", f"Batch throughput, {size}", UNIT, best["engine"], best["base64"],
            "base64 form loop", Budget(RATIO_MIN, 2.0)),
        Row("1c", f"Batch throughput, {size}", UNIT, best["engine"], best["curl"],
            f"curl x{CURL_PROCESSES} in parallel", Budget(RATIO_MIN, 0.8)),
    ]
