"""The floor of measure 8: a minimal Starlette app whose one endpoint only stores the request
body in a file (written and fsynced, as the image host stores an upload, unless --no-fsync)
and answers a small JSON. Served like ``imgur-desktop serve``: uvicorn on a socket bound by
us, same uvicorn settings, ``Serving on URL`` as the first stdout line.

    python -m benchmarks.floor_host --data-dir DIR [--port 0] [--no-fsync]
"""

from __future__ import annotations

import argparse
import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


def create_app(data_dir: Path, on_startup: Callable[[], None], *,
               fsync: bool = True) -> Starlette:
    data_dir.mkdir(parents=True, exist_ok=True)

    async def store(request: Request) -> JSONResponse:
        path = data_dir / uuid.uuid4().hex
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        size = 0
        try:
            async for chunk in request.stream():
                size += len(chunk)
                os.write(fd, chunk)
            if fsync:
                await run_in_threadpool(os.fsync, fd)
        finally:
            os.close(fd)
        return JSONResponse({"upload": {"stored": path.name, "size": size}})

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        on_startup()
        yield

    return Starlette(routes=[Route("/2/upload.json", store, methods=["POST"])],
                     lifespan=lifespan)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--no-fsync", action="store_true")
    args = parser.parse_args()
    # IPPROTO_TCP, as asyncio's own listeners have: accepted sockets inherit the protocol
    # number, and asyncio turns Nagle off (TCP_NODELAY) only on sockets that say TCP. With 0,
    # every request after the first on a kept-alive connection waits ~40 ms for a delayed ACK
    # (uvicorn issue #3149).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    sock.listen(128)
    host, port = sock.getsockname()[:2]
    app = create_app(args.data_dir,
                     lambda: print(f"Serving on http://{host}:{port}/", flush=True),
                     fsync=not args.no_fsync)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on",
                            timeout_graceful_shutdown=5)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
