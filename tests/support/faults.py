"""A misbehaving HTTP front for the real local host, over real sockets on 127.0.0.1.

``FaultProxy`` listens on a free loopback port and serves each request on its own connection
(every answer carries ``Connection: close``). Each request takes the next fault from its plan;
when the plan is used up it falls back to ``default``, which forwards to the real host unless
told otherwise. It counts and records every request it sees, so tests can check how often a
client retried. With ``listening=False`` its port is bound but refuses connections until
``start()``: a host that is down, then comes up.

Faults it can play (things the real host never does on its own):

* ``Forward()``: relay the request to the host and its answer back, byte for byte.
* ``Reset()``: read the request, then abort the connection with a TCP RST.
* ``Stall(seconds, read_body)``: say nothing for ``seconds`` (or until closed), after reading
  the request body or without reading it (an upload then stalls mid-send).
* ``Respond(status, body, content_type, headers, declare_length)``: answer this instead of the
  host (502, 503, an HTML error page, garbage with 200, a body cut short with no length, ...).
* ``Truncate(body, declared, stall)``: announce ``declared`` bytes, send fewer, hang up (after
  ``stall`` seconds of silence, when given).
* ``Huge(size, declare_length)``: a 200 answer of ``size`` bytes, with or without a
  Content-Length (when without, the end of the body is the end of the connection).
* ``Raw(data)``: these bytes as the whole answer (an SSH banner, 200 headers, ...).
* ``Drip(every, in_head)``: a few bytes every ``every`` seconds, never ending, so no single
  read waits long enough to time out: after a whole head, or the head itself dripped.
* ``Then(action, fault)``: call ``action()`` (e.g. delete a file the client will send next),
  then play ``fault``.

Bodies for hostile answers: ``billion_laughs()``, ``external_entity(url)``, ``gzip_bomb(size)``
and ``deep_nesting(depth, fmt)``. ``BlackHole`` is a port that takes connections and never
accepts them: the kernel completes the handshake, and nothing ever answers.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

CHUNK = 64 * 1024
MAX_HEAD = 64 * 1024


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    content_length: int


class _Conn:
    """One accepted client connection with its request head already parsed."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.head = b""
        self.extra = b""  # body bytes read along with the head
        self.method = ""
        self.target = ""
        self.headers: list[tuple[str, str]] = []
        self.body_bytes = 0

    def read_head(self) -> bool:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.sock.recv(CHUNK)
            if not chunk:
                return False
            data += chunk
            if len(data) > MAX_HEAD:
                return False
        head, _, self.extra = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.method, self.target, _ = lines[0].split(" ", 2)
        for line in lines[1:]:
            name, _, value = line.partition(":")
            self.headers.append((name.strip(), value.strip()))
        return True

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    @property
    def content_length(self) -> int:
        raw = self.header("Content-Length")
        return int(raw) if raw and raw.isdigit() else 0

    def body_chunks(self) -> Iterable[bytes]:
        """The request body as it arrives (what came with the head first)."""
        left = self.content_length
        if self.extra:
            first = self.extra[:left]
            left -= len(first)
            self.body_bytes += len(first)
            yield first
        while left > 0:
            chunk = self.sock.recv(min(CHUNK, left))
            if not chunk:
                return
            left -= len(chunk)
            self.body_bytes += len(chunk)
            yield chunk

    def drain(self) -> None:
        for _ in self.body_chunks():
            pass

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)


def _response_head(status: int, headers: Iterable[tuple[str, str]]) -> bytes:
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Whatever')}"]
    lines += [f"{k}: {v}" for k, v in headers]
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


_REASONS = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
            500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


class Fault:
    def play(self, proxy: FaultProxy, conn: _Conn) -> None:
        raise NotImplementedError


def send_upstream(proxy: FaultProxy, conn: _Conn) -> socket.socket:
    """Open a connection to the host and send it the client's request, head and body (the
    answer is then read from the returned socket, which the caller closes)."""
    assert proxy.upstream is not None, "this proxy has no host behind it"
    up = socket.create_connection(proxy.upstream, timeout=60)
    try:
        lines = [f"{conn.method} {conn.target} HTTP/1.1"]
        lines += [f"{k}: {v}" for k, v in conn.headers
                  if k.lower() not in ("connection", "keep-alive")]
        lines.append("Connection: close")
        up.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        for chunk in conn.body_chunks():
            up.sendall(chunk)
        if conn.body_bytes < conn.content_length:
            up.shutdown(socket.SHUT_WR)  # the client hung up mid-body: so does the relay
    except BaseException:
        up.close()
        raise
    return up


class Forward(Fault):
    def play(self, proxy: FaultProxy, conn: _Conn) -> None:
        up = send_upstream(proxy, conn)
        try:
            while True:
                data = up.recv(CHUNK)
                if not data:
                    break
                conn.send(data)
        finally:
            up.close()


class Reset(Fault):
    def play(self, proxy: FaultProxy, conn: _Conn) -> None:
        conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.sock.close()


@dataclass
class Stall(Fault):
    seconds: float = 30.0
    read_body: bool = True  # False: stop reading after the head, so a large upload stalls too

    def play(self, proxy: FaultProxy, conn: _Conn) -> None:
        if self.read_body:
            conn.drain()
        proxy.closing.wait(self.seconds)


@dataclass
class Respond(Fault):
    status: int
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()
    declare_length: bool = True  # False: the body ends where the connection does

    def play(self, proxy: FaultProxy, conn: _Conn) -> None:
        conn.drain()
        length = [("Content-Length", str(len(self.body)))] if self.declare_length else []
        head = _response_head(self.status, [("Content-Type", self.content_type), *length,
                                             *self.headers])
        conn.send(head + self.body)


@dataclass
class Truncate(Fault):
    body: bytes
    declared: int
    stall: float = 0.0  # wait this long (or until closed) after the partial body, then hang up

    def play(self, proxy: FaultProxy, conn: _Conn) -> None:
        conn.drain()
        head = _response_head(200, [("Content-Type", "application/json"),
                                    ("Content-Length", str(self.declared))])
        conn.send(head + self.body)
        if self.stall:
            proxy.closing.wait(self.stall)


@dataclass
class Huge(Fault):
    size: int
    declare_length: bool = True

    def play(self, proxy: FaultProxy, conn: _Conn) -> None:
        conn.drain()
        headers = [("Content-Type", "application/json")]
        if self.declare_length:
            headers.append(("Content-Length", str(self.size)))
        conn.send(_response_head(200, headers))
        block = b'{"pad":"' + b"x" * (CHUNK - 8)
        sent = 0
        while sent < self.size and not proxy.closing.is_set():
            piece = block[: self.size - sent]
            conn.send(piece)
            sent += len(piece)


@dataclass
class Raw(Fault):
    """These bytes and nothing else, then hang up: not even HTTP, if so chosen."""

    data: bytes

    def play(self, proxy: FaultProxy, conn: _Conn) -> None:
        conn.drain()
        conn.send(self.data)


@dataclass
class Drip(Fault):
    every: float = 0.2
    in_head: bool = False  # True: drip the status line and headers too, never ending them
    piece: bytes = b" "

    def play(self, proxy: FaultProxy, conn: _Conn) -> None:
        conn.drain()
        if self.in_head:
            conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
            piece = b"X-Padding: " + self.piece * 8 + b"\r\n"  # a new header each time
        else:
            conn.send(_response_head(200, [("Content-Type", "application/json"),
                                           ("Content-Length", "4000")]))
            conn.send(b'{"image":')
            piece = self.piece
        while not proxy.closing.wait(self.every):
            conn.send(piece)


@dataclass
class Then(Fault):
    action: Callable[[], object]
    fault: Fault = field(default_factory=lambda: Forward())

    def play(self, proxy: FaultProxy, conn: _Conn) -> None:
        self.action()
        self.fault.play(proxy, conn)


def billion_laughs(levels: int = 9, root: str = "upload") -> bytes:
    """The classic XML bomb: ten entities of ten of the previous one, a few hundred bytes that
    expand to 10**levels copies of "lol" in a parser that expands entities."""
    decls = ['<!ENTITY lol0 "lol">']
    decls += [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels + 1)]
    return (f'<?xml version="1.0"?>\n<!DOCTYPE {root} [\n ' + "\n ".join(decls) + "\n]>\n"
            f"<{root}><image><hash>&lol{levels};</hash></image><links/></{root}>").encode()


def external_entity(url: str, root: str = "upload") -> bytes:
    """XML whose entity names an outside resource (``file:///etc/passwd``, a local listener)."""
    return (f'<?xml version="1.0"?>\n<!DOCTYPE {root} [<!ENTITY xxe SYSTEM "{url}">]>\n'
            f"<{root}><image><hash>abcde</hash><title>&xxe;</title></image><links/></{root}>"
            ).encode()


def gzip_bomb(size: int) -> bytes:
    """``size`` bytes of JSON-ish padding gzipped to a few kilobytes per megabyte, to be sent
    with ``Content-Encoding: gzip``."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # gzip framing
    parts = [packer.compress(b'{"pad":"')]
    block = b"x" * CHUNK
    left = size - 8
    while left > 0:  # never the whole padding in memory at once
        parts.append(packer.compress(block[:left]))
        left -= CHUNK
    parts.append(packer.flush())
    return b"".join(parts)


def deep_nesting(depth: int, fmt: str) -> bytes:
    """A body nested ``depth`` levels deep: small, but too deep for a recursive reader."""
    if fmt == "xml":
        return b'<?xml version="1.0"?>' + b"<a>" * depth + b"</a>" * depth
    return b'{"a":' * depth + b"1" + b"}" * depth


class BlackHole:
    """A port that listens and never accepts: connections complete (the kernel's backlog) and
    then nothing is read or written, ever."""

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.port = self._sock.getsockname()[1]

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}/2/"

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> BlackHole:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class FaultProxy:
    """Listens on 127.0.0.1; ``upstream`` is the real host's base URL (or None)."""

    upstream_url: str | None = None
    default: Fault = field(default_factory=Forward)
    listening: bool = True  # False: the port is bound but refuses connections until start()
    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.upstream: tuple[str, int] | None = None
        if self.upstream_url:
            parts = urlsplit(self.upstream_url)
            assert parts.hostname
            assert parts.port
            self.upstream = (parts.hostname, parts.port)
        self.closing = threading.Event()
        self.connections = 0  # accepted, whether or not a request head followed
        self._plan: list[Fault] = []
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._acceptor = threading.Thread(target=self._accept_loop, daemon=True,
                                          name="fault-proxy")
        if self.listening:
            self.start()

    def start(self) -> None:
        """Start accepting (a bound socket that does not listen refuses every connection)."""
        self.listening = True
        self._listener.settimeout(0.1)
        self._listener.listen(64)
        self._acceptor.start()

    # -- what tests use ----------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def api(self) -> str:
        return self.url + "2/"

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.seen)

    def plan(self, *faults: Fault) -> FaultProxy:
        """The faults for the next requests, in order; then ``default`` again."""
        with self._lock:
            self._plan = list(faults)
        return self

    def close(self) -> None:
        self.closing.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        if self._acceptor.is_alive():
            self._acceptor.join(5)
        for thread in list(self._threads):
            thread.join(5)

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the server ----------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        while not self.closing.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            sock.settimeout(None)
            with self._lock:
                self.connections += 1
            thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _next_fault(self) -> Fault:
        if self._plan:
            return self._plan.pop(0)
        return self.default

    def _serve(self, sock: socket.socket) -> None:
        conn = _Conn(sock)
        try:
            if not conn.read_head():
                return
            with self._lock:
                fault = self._next_fault()
                seen = Seen(conn.method, conn.target, conn.content_length)
                self.seen.append(seen)
            fault.play(self, conn)
        except OSError:
            pass  # the client gave up (a timeout, a cancel, a body too big): that is its right
        finally:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()

