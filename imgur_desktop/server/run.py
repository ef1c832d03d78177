"""Start the local image host on a socket we bind ourselves, so ``--port 0`` can report the
port it got before serving."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from types import FrameType

import uvicorn

from .app import create_app
from .config import ServerConfig


class _Server(uvicorn.Server):
    """uvicorn re-raises a caught SIGINT/SIGTERM after its graceful shutdown, so the process
    would die by the signal; a stop asked for is a clean exit, status 0."""

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        self._captured_signals.clear()


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: accepted sockets inherit the protocol number, and asyncio turns Nagle
    # off (TCP_NODELAY) only on sockets that say TCP. With 0 every request after the first on
    # a kept-alive connection waited ~40 ms for the client's delayed ACK (uvicorn issue #3149).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def serve(config: ServerConfig, host: str, port: int,
          announce: Callable[[str], None]) -> None:
    """Serve until SIGINT or SIGTERM; ``announce`` gets the URL once the socket is bound."""
    sock = bind(host, port)
    url = url_of(sock)
    # Announced from the app's startup, when uvicorn already handles SIGINT/SIGTERM: whoever
    # reads the line may stop the server at once and still get a clean exit.
    app = create_app(config, on_startup=lambda: announce(url))
    uv_config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on",
                               timeout_graceful_shutdown=5)
    server = _Server(uv_config)
    logging.getLogger(__name__).info("data in %s", config.data_dir)
    server.run(sockets=[sock])
