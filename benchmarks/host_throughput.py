"""Measure 8, the local host: uploads per second of ``imgur-desktop serve`` against its floor,
a minimal Starlette endpoint that only stores the body (``benchmarks/floor_host.py``), both
under uvicorn on 127.0.0.1, each started fresh for this measure, under the same client load:
``sizes.host_clients`` curl processes in parallel, each sending its share of
``sizes.host_uploads`` multipart uploads of the same small PNG on one kept-alive connection.

The budgeted floor stores like the host: the body written and fsynced before the answer (the
host fsyncs each image; its SQLite commits do not sync, WAL with synchronous=NORMAL). The same
floor without the fsync is reported too, for information. The servers run alternately, twice
each in the full run; the best run of each counts."""

from __future__ import annotations

import io
from contextlib import ExitStack
from pathlib import Path

from PIL import Image

from .hosts import Host, image_host, python_module, run_curls, server_process
from .report import RATIO_MIN, Budget, Row
from .suite import Run

TIMEOUT = 300.0


def small_png(path: Path) -> Path:
    """A 256x256 crop of the screenshot (a window's corner and its text), a few KB: the
    request, not the image, is what this measure is about."""
    from .fixtures import screenshot_png

    shot = Image.open(io.BytesIO(screenshot_png((1920, 1080))))
    buf = io.BytesIO()
    shot.crop((60, 80, 316, 336)).save(buf, "PNG")
    path.write_bytes(buf.getvalue())
    return path


def curl_load(url: str, key: str, image: Path, uploads: int, clients: int) -> float:
    """Seconds for ``uploads`` POSTs from ``clients`` curl processes at once."""
    commands = []
    for k in range(clients):
        share = uploads // clients + (1 if k < uploads % clients else 0)
        args = ["curl", "--silent", "--show-error", "--noproxy", "*",
                "--max-time", str(TIMEOUT)]
        for n in range(share):
            if n:
                args.append("--next")
            args += ["--output", "/dev/null", "--write-out", "%{http_code}\\n",
                     "--form", f"key={key}", "--form", "type=file",
                     "--form", f"image=@{image};type=image/png", url]
        commands.append(args)
    return run_curls(commands, uploads, TIMEOUT, f"uploads to {url}")


def measure(run: Run) -> list[Row]:
    sizes = run.sizes
    folder = run.folder("host-throughput")
    image = small_png(folder / "small.png")
    rounds = 1 if run.quick else 2
    seconds: dict[str, list[float]] = {"host": [], "floor": [], "floor-no-fsync": []}
    with ExitStack() as servers:
        host = servers.enter_context(image_host(folder / "host"))
        targets = {"host": host}
        for name, extra in (("floor", ()), ("floor-no-fsync", ("--no-fsync",))):
            url, pid = servers.enter_context(server_process(python_module(
                "benchmarks.floor_host", "--data-dir", str(folder / name), *extra)))
            targets[name] = Host(url, "unused", pid)
        for target in targets.values():  # warm-up: connections, imports, caches
            curl_load(target.upload_url, target.key, image, 2 * sizes.host_clients,
                      sizes.host_clients)
        for _ in range(rounds):
            for name, target in targets.items():
                seconds[name].append(curl_load(target.upload_url, target.key, image,
                                               sizes.host_uploads, sizes.host_clients))
    n = sizes.host_uploads
    best = {name: n / min(times) for name, times in seconds.items()}
    what = (f"Local host, {n} uploads of a {image.stat().st_size // 1024} KB PNG, "
            f"{sizes.host_clients} clients")
    details = {name: [round(t, 2) for t in times] for name, times in seconds.items()}
    return [
        Row("8a", what, "uploads/s", best["host"], best["floor"],
            "minimal Starlette endpoint storing the body (fsync)", Budget(RATIO_MIN, 0.5),
            details={"seconds": details}),
        Row("8b", what, "uploads/s", best["host"], best["floor-no-fsync"],
            "the same endpoint without fsync", None),
    ]
