"""HTTP for every dialect: one ``requests.Session`` with timeouts, a User-Agent, retries with
exponential backoff and jitter, bounded response bodies, and streamed multipart uploads that
report progress and stop promptly when cancelled."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import IO, Any

import requests
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase
from requests_toolbelt.multipart.encoder import MultipartEncoder
from urllib3.exceptions import NewConnectionError, ProtocolError, ReadTimeoutError

from imgur_desktop import __version__

from ..cancel import CancelToken
from ..errors import BadResponse, Cancelled, NetworkError
from .ratelimit import RateLimitState

logger = logging.getLogger(__name__)

USER_AGENT = f"imgur-desktop/{__version__} (+https://github.com/imgur-desktop)"
MAX_RESPONSE_BYTES = 8 * 1024 * 1024  # no real v2 answer comes near this
# Bytes per write of a request body. urllib3 writes 16 KiB at a time, each a trip through the
# Python reader (and a progress report, a signal to the app's list): 64 KiB, the most one read
# hands on anyway, sends a megabyte in 16 trips instead of 64; a cancel still stops within one.
SEND_BLOCK_BYTES = 64 * 1024
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
    """Reads a MultipartEncoder for requests, reporting progress and honouring cancel."""

    def __init__(self, encoder: MultipartEncoder, progress: Progress | None,
                 cancel: CancelToken | None) -> None:
        self._encoder = encoder
        self._progress = progress
        self._cancel = cancel
        self.len = encoder.len
        self._sent = 0

    def read(self, size: int = -1) -> bytes:
        if self._cancel is not None and self._cancel.cancelled:
            raise Cancelled
        chunk: bytes = self._encoder.read(64 * 1024 if size is None or size < 0 else size)
        self._sent += len(chunk)
        if self._progress is not None and chunk:
            self._progress(min(self._sent, self.len), self.len)
        return chunk


class _Adapter(HTTPAdapter):
    """requests' adapter, writing request bodies SEND_BLOCK_BYTES at a time."""

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False,
                         **pool_kwargs: Any) -> None:
        pool_kwargs.setdefault("blocksize", SEND_BLOCK_BYTES)
        super().init_poolmanager(connections, maxsize, block=block, **pool_kwargs)


def new_session() -> requests.Session:
    session = requests.Session()
    for prefix in ("http://", "https://"):
        session.mount(prefix, _Adapter())
    return session


class Transport:
    def __init__(self, *, connect_timeout: float = 10.0, read_timeout: float = 60.0,
                 retry: RetryPolicy | None = None,
                 session: requests.Session | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.session = session or new_session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.trust_env = False  # no proxies or netrc creds sneaking into API calls
        self.timeout = (connect_timeout, read_timeout)
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
                resp = self.session.request(method, url, params=params, data=data, auth=auth,
                                            timeout=self.timeout, stream=True)
                raw = RawResponse(resp.status_code, resp.headers,
                                  self._read_body(resp, method, url), method, url)
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
            encoder = MultipartEncoder(fields=fields)
            reader = _ProgressReader(encoder, progress, cancel)
            headers = {"Content-Type": encoder.content_type,
                       "Content-Length": str(encoder.len)}
            try:
                resp = self.session.post(url, data=reader, headers=headers, params=params,
                                         auth=auth, timeout=self.timeout, stream=True)
                raw = RawResponse(resp.status_code, resp.headers,
                                  self._read_body(resp, "POST", url), "POST", url)
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


def _network_error(exc: requests.RequestException, method: str, url: str) -> NetworkError:
    if _timed_out(exc):
        text = "The service did not answer in time"
    elif never_reached_server(exc):
        text = "The service cannot be reached (is it running, and is the network up?)"
    else:
        text = "The connection to the service broke"
    return NetworkError(text, method=method, url=url)
