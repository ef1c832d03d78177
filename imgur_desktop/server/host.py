"""What every request handler of the host shares: storage, credits, OAuth, templates, and the
pipeline of an API call (format, parameters, signature, credits, error body, rate headers)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import queue
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl

import jinja2
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, Response

from imgur_desktop.core.priority import lower_thread_priority

from .config import ServerConfig
from .credits import Credits, CreditState
from .oauth import OAuthProvider, SignedCaller
from .payloads import Links
from .storage import Storage, User
from .thumbnails import Thumbnails
from .wire import ApiError, Fmt, Value, error_payload, pick_format, render

logger = logging.getLogger(__name__)

MAX_SMALL_BODY = 1024 * 1024  # any API call but an upload
_HIDDEN_PARAMS = {"image", "password"}


class BodyStream:
    """The request body read straight from ASGI, so it can be parsed, stopped, and drained."""

    def __init__(self, request: Request) -> None:
        self._receive = request.receive
        self.finished = False
        self.received = 0

    async def chunks(self) -> AsyncIterator[bytes]:
        while not self.finished:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                self.finished = True
                raise ClientDisconnect
            chunk: bytes = message.get("body", b"")
            if not message.get("more_body", False):
                self.finished = True
            if chunk:
                self.received += len(chunk)
                yield chunk

    async def read(self, limit: int) -> bytes:
        data = bytearray()
        async for chunk in self.chunks():
            data += chunk
            if len(data) > limit:
                raise ApiError(400, "The request body is too large")
        return bytes(data)

    async def drain(self, limit: int) -> None:
        """Read and drop what is left (up to ``limit``) so the client gets to read the answer."""
        dropped = 0
        try:
            async for chunk in self.chunks():
                dropped += len(chunk)
                if dropped > limit:
                    return
        except ClientDisconnect:
            return


@dataclass(slots=True)
class Call:
    """One API request, as the handlers see it."""

    request: Request
    fmt: Fmt
    params: dict[str, str]
    base: str
    caller: SignedCaller | None = None
    user: User | None = None
    credits: CreditState | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)

    @property
    def links(self) -> Links:
        return Links(self.base)

    def require_user(self) -> User:
        if self.user is None:
            raise ApiError(401, "Authentication required")
        return self.user


Handler = Callable[[Call], tuple[str, Value]]
T = TypeVar("T")
# An upload's thread mostly waits for its fsync: more threads than cores keep the disk busy.
UPLOAD_THREADS = 8


def _is_oauth_signed(request: Request, params: Mapping[str, str]) -> bool:
    auth = request.headers.get("authorization", "")
    return auth.lower().startswith("oauth ") or "oauth_signature" in params


class UploadThreads:
    """The threads uploads are checked and stored on, and the one hand-off to them and back.

    Uploads are the host's busy path, and its event loop holds the interpreter lock most of the
    time: every Python call the loop makes to hand a job over delays the threads it hands to.
    ``loop.run_in_executor`` costs about twenty (an executor future, a work item, an asyncio
    future chained to it); here a job is one queue put and its answer one
    ``call_soon_threadsafe``. Threads start as jobs come, up to ``size``."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._jobs: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self._stopped = False
        self._lock = threading.Lock()

    async def run(self, fn: Callable[..., T], /, *args: object) -> T:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()

        def job() -> None:
            try:
                result = fn(*args)
            except BaseException as exc:  # handed back to the awaiting task
                _answer(loop, _settle_error, future, exc)
            else:
                _answer(loop, _settle, future, result)

        with self._lock:
            if self._stopped:
                raise RuntimeError("the upload threads were stopped")
            self._jobs.put(job)
            if self._idle:
                self._idle -= 1
            elif len(self._threads) < self._size:
                thread = threading.Thread(target=self._work, daemon=True,
                                          name=f"upload_{len(self._threads)}")
                thread.start()
                self._threads.append(thread)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            # The request was cancelled (the server is stopping): the job goes on, and its
            # caller cleans up its files after it, so the cancel waits for the job to end.
            with contextlib.suppress(BaseException):
                await future
            raise

    def _work(self) -> None:
        # Checking images is the host's heavy work, and this host usually shares the desktop
        # with the app that uploads to it: the window, and the host's own event loop answering
        # requests, come first.
        lower_thread_priority()
        while True:
            job = self._jobs.get()
            if job is None:
                return
            job()
            with self._lock:
                self._idle += 1

    def stop(self) -> None:
        """Let the jobs queued finish, then end the threads; no job is taken after."""
        with self._lock:
            self._stopped = True
            threads = list(self._threads)
        for _ in threads:
            self._jobs.put(None)
        for thread in threads:
            thread.join()


def _answer(loop: asyncio.AbstractEventLoop, settle: Callable[..., None], *args: object) -> None:
    try:
        loop.call_soon_threadsafe(settle, *args)
    except RuntimeError:  # the loop closed while the job ran (the server is stopping)
        logger.debug("an upload finished after the server stopped")


def _settle(future: asyncio.Future[T], result: T) -> None:
    if not future.done():  # the request may have been cancelled meanwhile
        future.set_result(result)


def _settle_error(future: asyncio.Future[Any], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)


class Host:
    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        # Worked out once: the config's folder properties build a new Path on every use.
        self.images_dir = config.images_dir
        self.tmp_dir = config.tmp_dir
        # The upload path joins strings: pathlib costs more than the system calls it names.
        self.tmp_dir_str = str(config.tmp_dir)
        self._images_dir_str = str(config.images_dir)
        self._base_urls: dict[tuple[object, ...], str] = {}
        for folder in (config.images_dir, config.thumbs_dir, config.tmp_dir):
            folder.mkdir(parents=True, exist_ok=True)
        self.storage = Storage(config.db_path)
        self.credits = Credits(config.credits_window_secs)
        self.oauth = OAuthProvider(self.storage, config.oauth_timestamp_lifetime)
        self.thumbnails = Thumbnails(config, self.storage)
        # API keys seen valid. Applications are added (by ``server add-app``, maybe while the
        # host runs) but never removed, so a key once found stays valid.
        self._app_keys: set[str] = set()
        self.templates = jinja2.Environment(
            loader=jinja2.PackageLoader("imgur_desktop.server", "templates"),
            autoescape=True,
        )
        self._upload_threads = UploadThreads(UPLOAD_THREADS)
        self.sweep()

    async def in_upload_thread(self, fn: Callable[..., T], /, *args: object) -> T:
        """``fn(*args)`` on one of the upload threads."""
        return await self._upload_threads.run(fn, *args)

    def close(self) -> None:
        """After the server has stopped: let uploads in progress finish, close the database."""
        self._upload_threads.stop()
        self.storage.close()

    # -- housekeeping ----------------------------------------------------------------------

    def sweep(self) -> None:
        """Remove what a crash may have left: spooled bodies and files with no database row."""
        for leftover in self.config.tmp_dir.iterdir():
            leftover.unlink(missing_ok=True)
        known = self.storage.all_image_hashes()
        for folder in (self.config.images_dir, self.config.thumbs_dir):
            for path in folder.iterdir():
                stem = path.stem if folder == self.config.images_dir else path.stem[:-1]
                if stem not in known:
                    logger.info("removing orphan file %s", path)
                    path.unlink(missing_ok=True)

    def image_path(self, hash_: str, ext: str) -> Path:
        return self.images_dir / f"{hash_}.{ext}"

    def image_file(self, hash_: str, ext: str) -> str:
        return os.path.join(self._images_dir_str, f"{hash_}.{ext}")

    def thumb_path(self, hash_: str, size: str) -> Path:
        return self.thumbnails.path(hash_, size)

    def remove_image_files(self, hash_: str, ext: str) -> None:
        for path in (self.image_path(hash_, ext), self.thumb_path(hash_, "s"),
                     self.thumb_path(hash_, "l")):
            path.unlink(missing_ok=True)

    def is_app_key(self, key: str) -> bool:
        if key in self._app_keys:
            return True
        if self.storage.app_by_api_key(key) is None:
            return False
        self._app_keys.add(key)
        return True

    # -- helpers for handlers ---------------------------------------------------------------

    def base_url(self, request: Request) -> str:
        if self.config.public_url:
            return self.config.public_url.rstrip("/")
        # Starlette builds ``request.base_url`` anew for every request from these parts of
        # the scope; the same few come back on every request, so the answer is kept.
        scope = request.scope
        key = (scope.get("scheme"), scope.get("server"), scope.get("root_path"),
               scope.get("app_root_path"), request.headers.get("host"))
        url = self._base_urls.get(key)
        if url is None:
            url = str(request.base_url).rstrip("/")
            if len(self._base_urls) >= 64:  # the Host header is the client's: keep it small
                self._base_urls.clear()
            self._base_urls[key] = url
        return url

    def page(self, template: str, http_status: int = 200, **context: object) -> HTMLResponse:
        html = self.templates.get_template(template).render(**context)
        return HTMLResponse(html, status_code=http_status)

    def error_page(self, status: int, message: str) -> HTMLResponse:
        return self.page("error.html", http_status=status, status=status, message=message)

    # -- credits -----------------------------------------------------------------------------

    def bucket(self, request: Request, user: User | None) -> tuple[str, int]:
        if user is not None:
            limit = self.config.credits_pro if user.is_pro else self.config.credits_user
            return f"user:{user.id}", limit
        client = request.client.host if request.client else "unknown"
        return f"ip:{client}", self.config.credits_anon

    def spend(self, call: Call, cost: int) -> None:
        name, limit = self.bucket(call.request, call.user)
        ok, state = self.credits.spend(name, limit, cost)
        call.credits = state
        if not ok:
            raise ApiError(403, "API limits exceeded")

    # -- the API pipeline -------------------------------------------------------------------

    def respond(self, call: Call, status: int, root: str, payload: Value) -> Response:
        headers = dict(call.extra_headers)
        if call.credits is None:
            name, limit = self.bucket(call.request, call.user)
            call.credits = self.credits.peek(name, limit)
        headers.update(call.credits.headers())
        body = render(root, payload, call.fmt)
        return Response(body, status_code=status, headers=headers,
                        media_type=f"{call.fmt.media_type}; charset=utf-8")

    def error(self, call: Call, exc: ApiError) -> Response:
        shown = [(k, v) for k, v in call.params.items()
                 if k not in _HIDDEN_PARAMS and not k.startswith("oauth_")]
        payload = error_payload(exc.message, path=call.request.url.path,
                                method=call.request.method, fmt=call.fmt, params=shown)
        return self.respond(call, exc.status, "error", payload)

    async def new_call(self, request: Request, params: Mapping[str, str]) -> Call:
        suffix = request.path_params.get("fmt", "")
        fmt = pick_format(suffix, params.get("_format"))
        return Call(request=request, fmt=fmt, params=dict(params), base=self.base_url(request))

    async def authenticate(self, call: Call, body: str) -> None:
        """Verify an OAuth 1.0a signature when the request carries one (401 when it fails)."""
        if not _is_oauth_signed(call.request, call.params):
            return
        headers = dict(call.request.headers)
        uri = str(call.request.url)
        caller = await run_in_threadpool(self.oauth.verify, uri, call.request.method, body,
                                         headers)
        if caller is None:
            raise ApiError(401, "Invalid OAuth signature or token")
        user = self.storage.user(caller.user_id)
        if user is None:
            raise ApiError(401, "Invalid OAuth signature or token")
        call.caller = caller
        call.user = user

    async def api(self, request: Request, handler: Handler, *, cost: int,
                  auth_required: bool = False) -> Response:
        """Run a (non-upload) API call: small body, signature, credits, then the handler."""
        stream = BodyStream(request)
        params = dict(request.query_params)
        call = await self.new_call(request, params)
        try:
            raw = await stream.read(MAX_SMALL_BODY)
            content_type = request.headers.get("content-type", "")
            body_text = ""
            if raw and "application/x-www-form-urlencoded" in content_type:
                body_text = raw.decode("utf-8", errors="replace")
                call.params.update(parse_qsl(body_text, keep_blank_values=True))
            elif raw and "multipart/form-data" in content_type:
                form = await _multipart_fields(request, raw)
                call.params.update(form)
            call.fmt = pick_format(request.path_params.get("fmt", ""), call.params.get("_format"))
            await self.authenticate(call, body_text)
            if auth_required:
                call.require_user()
            self.spend(call, cost)
            root, payload = await run_in_threadpool(handler, call)
            return self.respond(call, 200, root, payload)
        except ApiError as exc:
            await stream.drain(self.config.drain_limit_bytes)
            return self.error(call, exc)


async def _multipart_fields(request: Request, raw: bytes) -> dict[str, str]:
    """The text fields of a small multipart body already read into ``raw``."""
    from .forms import read_upload_body

    async def once() -> AsyncIterator[bytes]:
        yield raw

    body = await read_upload_body(once(), request.headers.get("content-type", ""),
                                  tmp_dir=Path(request.app.state.host.config.tmp_dir),
                                  file_limit=MAX_SMALL_BODY, text_limit=MAX_SMALL_BODY)
    body.discard()
    return body.fields


Endpoint = Callable[[Request], Awaitable[Response]]
