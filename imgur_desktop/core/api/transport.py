"""HTTP for every dialect: one ``requests.Session`` with timeouts, a User-Agent, retries with
exponential backoff and jitter, bounded response bodies, a deadline on each whole answer, and
streamed multipart uploads that report progress and stop promptly when cancelled."""

from __future__ import annotations

import contextlib
import functools
import http.client
import logging
import random
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError, ProtocolError, ReadTimeoutError

from imgur_desktop import __version__

from ..cancel import CancelToken
from ..errors import BadFile, BadResponse, Cancelled, NetworkError
from .deadlines import ANSWERS, Deadline
from .multipart import MultipartBody, SizeChanged
from .ratelimit import RateLimitState

logger = logging.getLogger(__name__)

USER_AGENT = f"imgur-desktop/{__version__} (+https://github.com/imgur-desktop)"
MAX_RESPONSE_BYTES = 8 * 1024 * 1024  # no real v2 answer comes near this
# Bytes per write of a request body: each block is a trip through Python (a read, a progress
# report to the app's list, a send), so a block that went out in a moment makes the next one
# twice as big, up to MAX; one that took longer than BLOCK_SECONDS makes the next one smaller,
# in proportion, down to MIN. On a fast link a megabyte goes in a handful of trips; on a slow
# one the bar still moves every fraction of a second. A cancel does not wait for a write to
# end: it shuts the socket down (``_AnswerWatch.use``).
MIN_SEND_BLOCK = 64 * 1024
MAX_SEND_BLOCK = 512 * 1024
BLOCK_SECONDS = 0.05
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class RawResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes
    method: str
    url: str


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 4  # the first try and three retries
    base_delay: float = 0.5
    max_delay: float = 8.0

    def delay(self, attempt: int) -> float:
        """"Equal jitter": a random wait between half the exponential bound and the bound, so
        clients that failed together do not retry together, yet none retries at once."""
        bound = min(self.max_delay, self.base_delay * (2 ** attempt))
        return random.uniform(bound / 2, bound)  # noqa: S311 (not for security)


def never_reached_server(exc: requests.RequestException) -> bool:
    """True when the request cannot have reached the service (so resending is safe)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError):
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        return isinstance(reason, NewConnectionError)
    return False


class _ProgressReader:
    """Reads a multipart body for requests in blocks sized to the link, reporting progress
    and honouring cancel.

    The Content-Length was fixed from the file's size before the first byte went out; a file
    still being written (or cut short) would send more or fewer bytes than that, which the
    service takes as a different file or waits on forever. Either stops the upload here.
    """

    def __init__(self, body: MultipartBody, progress: Progress | None,
                 cancel: CancelToken | None, label: str = "The file") -> None:
        self._body = body
        self._progress = progress
        self._cancel = cancel
        self._label = label
        self.len = body.len
        self._sent = 0
        self.block = MIN_SEND_BLOCK
        self._handed_out: float | None = None  # when the last block was returned to be sent

    def read(self, size: int = -1) -> bytes:
        if self._cancel is not None and self._cancel.cancelled:
            raise Cancelled
        if self._handed_out is not None:
            self.block = next_block(self.block, time.monotonic() - self._handed_out)
        try:
            chunk = self._body.read(self.block)
        except SizeChanged:
            raise BadFile(f"{self._label} changed size while it was being sent (is it still "
                          "being written?); try again once it is complete") from None
        self._sent += len(chunk)
        if self._sent >= self.len:
            # Read before it is sent: from here a cancel lets the call end, as the service
            # may store what it gets whole (and its answer holds the delete link).
            watch: _AnswerWatch | None = getattr(_watching, "watch", None)
            if watch is not None:
                watch.body_read()
        if self._progress is not None and chunk:
            self._progress(self._sent, self.len)
        self._handed_out = time.monotonic()
        return chunk


def next_block(block: int, seconds: float) -> int:
    """The size of the next body block, given how long the last one of ``block`` bytes took
    to go out (from being handed over to the next read)."""
    if seconds <= BLOCK_SECONDS / 4:
        return min(MAX_SEND_BLOCK, block * 2)
    if seconds > BLOCK_SECONDS:
        return max(MIN_SEND_BLOCK, int(block * BLOCK_SECONDS / seconds))
    return block


class _AnswerWatch:
    """A deadline on one whole answer, from the end of the request to the end of its body.

    The read timeout bounds each wait for bytes; a server that drips a byte every few seconds
    never trips it and could hold a call for days. When the deadline passes, the socket is shut
    down from the deadlines thread (``deadlines.ANSWERS``), which ends the blocked read at once.
    """

    def __init__(self, seconds: float, cancel: CancelToken | None = None) -> None:
        self.seconds = seconds
        self.expired = False
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._deadline: Deadline | None = None
        self._over = False
        self._cancel = cancel
        self._sending: socket.socket | None = None  # the socket a cancel shuts down
        self._forget_cancel: Callable[[], None] | None = None
        self._body_read = False

    def use(self, sock: socket.socket) -> None:
        """The call is being sent on ``sock``: a cancel shuts it down, so a write blocked on a
        slow or stalled link ends at once rather than when the link takes the next block."""
        if self._cancel is None or sock is self._sending:
            return
        with self._lock:
            if self._over or self._body_read:
                return
            self._sending = sock
        forget = self._cancel.on_cancel(self._cancelled)
        with self._lock:
            if self._sending is sock and self._forget_cancel is None:
                self._forget_cancel = forget
                return
        forget()  # the body was read out (or the call ended) meanwhile

    def body_read(self) -> None:
        """The last of the body is about to go out: a cancel no longer cuts the call."""
        with self._lock:
            self._sending = None
            self._body_read = True
            forget, self._forget_cancel = self._forget_cancel, None
        if forget is not None:
            forget()

    def _cancelled(self) -> None:
        with self._lock:
            sock = None if self._over else self._sending
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def arm(self, sock: socket.socket) -> None:
        """The whole request is sent: the answer's deadline starts, and a cancel no longer
        cuts the call (the service may have stored the upload: its answer holds the delete
        link, which must not be lost)."""
        with self._lock:
            if self._over or self._deadline is not None:
                return
            self._sock = sock
            self._sending = None
            forget, self._forget_cancel = self._forget_cancel, None
            self._deadline = ANSWERS.at(time.monotonic() + self.seconds, self._expire)
        if forget is not None:
            forget()

    def _expire(self) -> None:
        with self._lock:
            if self._over or self._sock is None:
                return
            self.expired = True
            with contextlib.suppress(OSError):  # already closed: the read has ended anyway
                self._sock.shutdown(socket.SHUT_RDWR)

    def disarm(self) -> None:
        with self._lock:
            self._over = True
            self._sock = self._sending = None
            deadline, self._deadline = self._deadline, None
            forget, self._forget_cancel = self._forget_cancel, None
        if deadline is not None:
            ANSWERS.cancel(deadline)
        if forget is not None:
            forget()


_watching = threading.local()  # the calling thread's _AnswerWatch, while a call is under way


def _arm_watch(conn: HTTPConnection) -> None:
    watch: _AnswerWatch | None = getattr(_watching, "watch", None)
    if watch is not None and conn.sock is not None:
        watch.arm(conn.sock)


def _sending_on(conn: HTTPConnection) -> None:
    watch: _AnswerWatch | None = getattr(_watching, "watch", None)
    if watch is not None and conn.sock is not None:
        watch.use(conn.sock)


class _WatchedHTTPConnection(HTTPConnection):
    def send(self, data: Any) -> None:  # the head, then each block of the body
        _sending_on(self)
        super().send(data)
        _sending_on(self)  # the first send connects

    def getresponse(self) -> Any:  # called once the whole request has been sent
        _arm_watch(self)
        return super().getresponse()


class _WatchedHTTPSConnection(HTTPSConnection):
    def send(self, data: Any) -> None:
        _sending_on(self)
        super().send(data)
        _sending_on(self)

    def getresponse(self) -> Any:
        _arm_watch(self)
        return super().getresponse()


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _Adapter(HTTPAdapter):
    """requests' adapter, on connections that put a deadline on each answer."""

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False,
                         **pool_kwargs: Any) -> None:
        super().init_poolmanager(connections, maxsize, block=block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


def new_session() -> requests.Session:
    session = requests.Session()
    for prefix in ("http://", "https://"):
        session.mount(prefix, _Adapter())
    return session


class Transport:
    """``read_timeout`` bounds each wait for bytes of an answer; ``answer_timeout`` (twice the
    read timeout unless given) bounds the whole answer, from the end of the request to the end
    of the body, so a server that drips bytes cannot hold a call open."""

    def __init__(self, *, connect_timeout: float = 10.0, read_timeout: float = 60.0,
                 answer_timeout: float | None = None,
                 retry: RetryPolicy | None = None,
                 session: requests.Session | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.session = session or new_session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.trust_env = False  # no proxies or netrc creds sneaking into API calls
        self.timeout = (connect_timeout, read_timeout)
        self.answer_timeout = answer_timeout if answer_timeout is not None else 2 * read_timeout
        self.retry = retry or RetryPolicy()
        self._sleep = sleep

    def close(self) -> None:
        self.session.close()

    def _read_body(self, resp: requests.Response, method: str, url: str) -> bytes:
        declared = resp.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > MAX_RESPONSE_BYTES:
            resp.close()
            raise BadResponse("The service sent an answer far too large to be real",
                              method=method, url=url)
        data = bytearray()
        try:  # a break while reading raises requests' own error: the caller may retry it
            for chunk in resp.iter_content(64 * 1024):
                data += chunk
                if len(data) > MAX_RESPONSE_BYTES:
                    raise BadResponse("The service sent an answer far too large to be real",
                                      method=method, url=url)
        finally:
            resp.close()
        return bytes(data)

    def _exchange(self, send: Callable[[], requests.Response], method: str,
                  url: str, cancel: CancelToken | None = None) -> RawResponse:
        """Send, and read the whole answer within ``answer_timeout``; a cancel ends it."""
        watch = _AnswerWatch(self.answer_timeout, cancel)
        _watching.watch = watch
        try:
            resp = send()
            body = self._read_body(resp, method, url)
        except requests.RequestException as exc:
            if cancel is not None and cancel.cancelled:  # it shut the socket down
                raise Cancelled from exc
            if watch.expired:  # the shut-down socket looks like a broken connection
                raise requests.ReadTimeout(f"no whole answer within {self.answer_timeout}s",
                                           request=exc.request) from exc
            raise
        finally:
            _watching.watch = None
            watch.disarm()
        if watch.expired:  # without a Content-Length, the cut-off body looked complete
            raise requests.ReadTimeout(f"no whole answer within {self.answer_timeout}s")
        if 300 <= resp.status_code < 400:
            raise _redirected(resp, method, url)
        return RawResponse(resp.status_code, resp.headers, body, method, url)

    def request(self, method: str, url: str, *, params: Mapping[str, str] | None = None,
                data: Mapping[str, str] | None = None, auth: AuthBase | None = None,
                safe_to_retry: bool, rate: RateLimitState | None = None,
                cancel: CancelToken | None = None) -> RawResponse:
        """Send one API call. ``safe_to_retry``: retry on timeouts and 5xx too (idempotent)."""
        attempt = 0
        while True:
            if cancel is not None:
                cancel.raise_if_cancelled()
            try:
                raw = self._exchange(
                    functools.partial(self.session.request, method, url, params=params,
                                      data=data, auth=auth, timeout=self.timeout, stream=True,
                                      allow_redirects=False),
                    method, url, cancel)
            except requests.RequestException as exc:
                retryable = safe_to_retry or never_reached_server(exc)
                if not retryable or attempt + 1 >= self.retry.attempts:
                    raise _network_error(exc, method, url) from exc
                self._backoff(attempt, cancel, f"{method} {url}: {exc}")
                attempt += 1
                continue
            if rate is not None:
                rate.update(raw.headers)
            if raw.status >= 500 and safe_to_retry and attempt + 1 < self.retry.attempts:
                self._backoff(attempt, cancel, f"{method} {url}: HTTP {raw.status}")
                attempt += 1
                continue
            return raw

    def upload(self, url: str, *, fields: dict[str, Any], auth: AuthBase | None = None,
               params: Mapping[str, str] | None = None, rate: RateLimitState | None = None,
               progress: Progress | None = None,
               cancel: CancelToken | None = None,
               reopen: Callable[[], IO[bytes]] | None = None) -> RawResponse:
        """POST a multipart body streamed from its file objects.

        Retried only when the connection could not be made at all (the service cannot have
        seen it); ``reopen`` gives a fresh file object for the retry (its caller closes it).
        Fields without file objects need no ``reopen``.
        """
        has_files = any(isinstance(v, tuple) for v in fields.values())
        attempt = 0
        while True:
            if cancel is not None:
                cancel.raise_if_cancelled()
            body = MultipartBody(fields)
            reader = _ProgressReader(body, progress, cancel, _file_label(fields))
            headers = {"Content-Type": body.content_type, "Content-Length": str(body.len)}
            try:
                raw = self._exchange(
                    functools.partial(self.session.post, url, data=reader, headers=headers,
                                      params=params, auth=auth, timeout=self.timeout,
                                      stream=True, allow_redirects=False),
                    "POST", url, cancel)
            except requests.RequestException as exc:
                if (not never_reached_server(exc) or (has_files and reopen is None)
                        or attempt + 1 >= self.retry.attempts):
                    raise _network_error(exc, "POST", url) from exc
                self._backoff(attempt, cancel, f"upload to {url}: {exc}")
                attempt += 1
                if reopen is not None:
                    fields = {k: (v[0], reopen(), *v[2:]) if isinstance(v, tuple) else v
                              for k, v in fields.items()}
                continue
            if rate is not None:
                rate.update(raw.headers)
            return raw

    def _backoff(self, attempt: int, cancel: CancelToken | None, why: str) -> None:
        delay = self.retry.delay(attempt)
        logger.info("retrying in %.1fs after %s", delay, why)
        if cancel is not None:
            if cancel.wait(delay):
                raise Cancelled
        else:
            self._sleep(delay)


def _file_label(fields: Mapping[str, Any]) -> str:
    """The name of the first file among multipart fields, for messages."""
    for value in fields.values():
        if isinstance(value, tuple) and value and isinstance(value[0], str) and value[0]:
            return value[0]
    return "The file"


def _redirected(resp: requests.Response, method: str, url: str) -> BadResponse:
    """An API call is never redirected. Following one would send an upload (and its key) to
    wherever the answer points, or go round a loop; say where it pointed, so a person can fix
    the service address (http:// for https://, say)."""
    target = urlsplit(resp.headers.get("Location", ""))
    where = (f" to {target.scheme}://{target.netloc}"[:120]
             if target.scheme in ("http", "https") and target.netloc else "")
    return BadResponse(f"The service sent the request elsewhere (HTTP {resp.status_code}"
                       f"{where}); check the service address", method=method, url=url)


def _timed_out(exc: requests.RequestException) -> bool:
    """A timeout, also one met while sending the body or reading the answer's body (requests
    reports those as a ConnectionError around urllib3's timeout or the socket's)."""
    if isinstance(exc, requests.Timeout):
        return True
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, ReadTimeoutError):
        return True
    return isinstance(reason, ProtocolError) and any(
        isinstance(arg, TimeoutError) for arg in reason.args)


def _not_http(exc: requests.RequestException) -> bool:
    """An answer that broke HTTP's own rules: a status line that is not HTTP, a header line
    over 64 KiB, more than 100 headers (a hang-up is a broken connection, not this)."""
    reason = exc.args[0] if exc.args else None
    if not isinstance(reason, ProtocolError):
        return False
    return any(isinstance(arg, http.client.HTTPException)
               and not isinstance(arg, (http.client.RemoteDisconnected,
                                        http.client.IncompleteRead))
               for arg in reason.args)


def _network_error(exc: requests.RequestException, method: str,
                   url: str) -> NetworkError | BadResponse:
    if _not_http(exc):
        return BadResponse("The service sent an answer that is not valid HTTP",
                           method=method, url=url)
    unsent = never_reached_server(exc)
    if _timed_out(exc):
        text = "The service did not answer in time"
    elif unsent:
        text = "The service cannot be reached (is it running, and is the network up?)"
    else:
        text = "The connection to the service broke"
    return NetworkError(text, sent=not unsent, method=method, url=url)
