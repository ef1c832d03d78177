"""The Imgur API v2 dialect: every route the local host serves, returning models and raising
the core's error tree. Thread-safe: workers may share one client."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from requests_oauthlib import OAuth1

from ..cancel import CancelToken
from ..errors import ApiError, AuthRequired, BadResponse, RateLimited
from ..models import PRIVACIES as PRIVACIES
from ..models import Account, Album, Credits, Image, Page, Stats
from ..models import UploadMeta as UploadMeta
from ..validate import DEFAULT_MAX_BYTES, check_bytes, check_file
from . import v2_parse as p
from .ratelimit import RateLimitState
from .transport import Progress, RawResponse, Transport

UPLOAD_COST = 10
CALL_COST = 1
LAYOUTS = ("blog", "vertical", "horizontal", "grid")
NO_META = UploadMeta()


@dataclass(frozen=True, slots=True)
class OAuthCredentials:
    consumer_key: str
    consumer_secret: str
    token: str
    token_secret: str


def oauth_base(api_url: str) -> str:
    """``http://host/2/`` → ``http://host/``: the OAuth endpoints sit beside the versions."""
    base = api_url.rstrip("/")
    if base.endswith("/2"):
        base = base[:-2]
    return base + "/"


class V2Client:
    def __init__(self, api_url: str, *, key: str | None = None,
                 oauth: OAuthCredentials | None = None, fmt: str = p.JSON,
                 transport: Transport | None = None, wait_for_credits: bool = True,
                 max_upload_bytes: int = DEFAULT_MAX_BYTES) -> None:
        if fmt not in (p.JSON, p.XML):
            raise ValueError("fmt must be json or xml")
        self.api_url = api_url if api_url.endswith("/") else api_url + "/"
        self.key = key
        self.fmt = fmt
        self.transport = transport or Transport()
        self.wait_for_credits = wait_for_credits
        self.max_upload_bytes = max_upload_bytes
        self.anonymous_rate = RateLimitState()
        self.account_rate = RateLimitState()
        self._oauth = oauth
        self._auth = None if oauth is None else OAuth1(
            oauth.consumer_key, client_secret=oauth.consumer_secret,
            resource_owner_key=oauth.token, resource_owner_secret=oauth.token_secret)

    @property
    def signed_in(self) -> bool:
        return self._auth is not None

    def rate_state(self, *, signed: bool) -> RateLimitState:
        return self.account_rate if signed and self.signed_in else self.anonymous_rate

    # -- plumbing ------------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        return f"{self.api_url}{path}.{self.fmt}"

    def _result(self, raw: RawResponse, root: str | Sequence[str], *, signed: bool) -> Any:
        try:
            parsed = p.parse_body(raw.body, self.fmt)
        except BadResponse as exc:
            if raw.status >= 400:
                raise _status_error(raw, None, signed) from None
            exc.method, exc.url = raw.method, raw.url.split("?", 1)[0]
            raise
        if raw.status >= 400 or "error" in parsed:
            message = p.error_message(parsed)
            error = _status_error(raw, message, signed)
            if isinstance(error, RateLimited):
                rate = self.rate_state(signed=signed)
                if not _has_rate_headers(raw.headers):
                    rate.set_exhausted()  # nothing better known: none left until the reset
                credits = rate.credits
                error.reset_at = credits.reset_at if credits else None
            raise error
        roots = (root,) if isinstance(root, str) else tuple(root)
        for name in roots:
            if name in parsed:
                return parsed[name]
        raise BadResponse(f"The service's answer has no '{roots[0]}'", method=raw.method,
                          url=raw.url, body=raw.body)

    def _call(self, method: str, path: str, root: str | Sequence[str], *,
              params: Mapping[str, str] | None = None, data: Mapping[str, str] | None = None,
              signed: bool = False, cancel: CancelToken | None = None) -> Any:
        if signed and self._auth is None:
            raise AuthRequired("Sign in first: this needs an account")
        rate = self.rate_state(signed=signed)
        rate.before(CALL_COST, wait=self.wait_for_credits, cancel=cancel)
        raw = self.transport.request(
            method, self._url(path), params=params, data=data,
            auth=self._auth if signed else None, safe_to_retry=method in ("GET", "DELETE"),
            rate=rate, cancel=cancel)
        return self._result(raw, root, signed=signed)

    # -- uploads -------------------------------------------------------------------------------

    def _upload_fields(self, meta: UploadMeta, *, signed: bool) -> dict[str, Any]:
        fields: dict[str, Any] = dict(meta.fields())
        if not signed:
            if not self.key:
                raise ApiError(401, "An API key is needed for anonymous uploads")
            fields["key"] = self.key
        return fields

    def _send_upload(self, fields: dict[str, Any], *, account: bool,
                     progress: Progress | None, cancel: CancelToken | None,
                     reopen: Callable[[], IO[bytes]] | None = None) -> Image:
        if account and self._auth is None:
            raise AuthRequired("Sign in first to upload into an account")
        rate = self.rate_state(signed=account)
        rate.before(UPLOAD_COST, wait=self.wait_for_credits, cancel=cancel)
        url = self._url("account/images" if account else "upload")
        raw = self.transport.upload(url, fields=fields, auth=self._auth if account else None,
                                    rate=rate, progress=progress, cancel=cancel, reopen=reopen)
        return p.image_from(self._result(raw, ("images", "upload"), signed=account))

    def upload_file(self, path: Path, meta: UploadMeta = NO_META, *, account: bool = False,
                    progress: Progress | None = None,
                    cancel: CancelToken | None = None) -> Image:
        """Stream a file from disk; it is checked first, so a refused file costs nothing."""
        checked = check_file(path, self.max_upload_bytes)
        fields = self._upload_fields(meta, signed=account)
        fields["type"] = "file"
        # The name as a form field too: a multipart filename gets newlines and quotes escaped
        # on the way, and the host would keep the escaped form.
        fields.setdefault("name", checked.path.name)
        with checked.path.open("rb") as fh, ExitStack() as retries:
            fields["image"] = (checked.path.name, fh, checked.format.mime)
            return self._send_upload(fields, account=account, progress=progress, cancel=cancel,
                                     reopen=lambda: retries.enter_context(checked.path.open("rb")))

    def upload_bytes(self, data: bytes, filename: str, meta: UploadMeta = NO_META, *,
                     account: bool = False, progress: Progress | None = None,
                     cancel: CancelToken | None = None) -> Image:
        import io

        fmt = check_bytes(data, self.max_upload_bytes)
        fields = self._upload_fields(meta, signed=account)
        fields["type"] = "file"
        fields["image"] = (filename, io.BytesIO(data), fmt.mime)
        return self._send_upload(fields, account=account, progress=progress, cancel=cancel,
                                 reopen=lambda: io.BytesIO(data))

    def upload_base64(self, data: bytes, meta: UploadMeta = NO_META, *,
                      account: bool = False, cancel: CancelToken | None = None) -> Image:
        check_bytes(data, self.max_upload_bytes)
        fields = self._upload_fields(meta, signed=account)
        fields.update(type="base64", image=base64.b64encode(data).decode("ascii"))
        return self._send_upload(fields, account=account, progress=None, cancel=cancel)

    def upload_url(self, url: str, meta: UploadMeta = NO_META, *, account: bool = False,
                   cancel: CancelToken | None = None) -> Image:
        if not url.lower().startswith(("http://", "https://")):
            raise ApiError(400, "Only http and https links can be uploaded")
        fields = self._upload_fields(meta, signed=account)
        fields.update(type="url", image=url)
        return self._send_upload(fields, account=account, progress=None, cancel=cancel)

    # -- anonymous reads ---------------------------------------------------------------------

    def image(self, hash_: str) -> Image:
        return p.image_from(self._call("GET", f"image/{hash_}", "image"))

    def album(self, album_id: str) -> Album:
        """A public or hidden album; a secret one only for its signed-in owner."""
        return p.album_from(self._call("GET", f"album/{album_id}", "album",
                                       signed=self.signed_in), album_id)

    def delete(self, deletehash: str) -> None:
        self._call("DELETE", f"delete/{deletehash}", "delete")

    def stats(self, view: str = "month") -> Stats:
        return p.stats_from(self._call("GET", "stats", "stats", params={"view": view}))

    def credits(self) -> Credits:
        return p.credits_from(self._call("GET", "credits", "credits", signed=self.signed_in))

    def gallery(self, *, sort: str = "latest", view: str = "all", page: int = 1,
                count: int = 30) -> Page[Image]:
        value = self._call("GET", "gallery", "gallery", params={
            "sort": sort, "view": view, "page": str(page), "count": str(count)})
        images = p.images_from(value.get("images") if isinstance(value, Mapping) else value)
        return Page(images, page, count)

    # -- account ------------------------------------------------------------------------------

    def account(self) -> Account:
        return p.account_from(self._call("GET", "account", "account", signed=True))

    def account_images(self, *, page: int = 1, count: int = 30,
                       noalbum: bool = False) -> Page[Image]:
        params = {"page": str(page), "count": str(count)}
        if noalbum:
            params["noalbum"] = "1"
        value = self._call("GET", "account/images", "images", params=params, signed=True)
        return Page(p.images_from(value), page, count)

    def account_image(self, hash_: str) -> Image:
        return p.image_from(self._call("GET", f"account/images/{hash_}", "images", signed=True))

    def edit_image(self, hash_: str, *, title: str | None = None,
                   caption: str | None = None) -> Image:
        data = {k: v for k, v in (("title", title), ("caption", caption)) if v is not None}
        return p.image_from(self._call("POST", f"account/images/{hash_}", "images", data=data,
                                       signed=True))

    def delete_image(self, hash_: str) -> None:
        self._call("DELETE", f"account/images/{hash_}", "images", signed=True)

    def images_count(self) -> int:
        value = self._call("GET", "account/images_count", "images_count", signed=True)
        return p.as_int(value.get("count") if isinstance(value, Mapping) else value)

    def albums(self, *, page: int = 1, count: int = 30) -> Page[Album]:
        try:
            value = self._call("GET", "account/albums", "albums", signed=True,
                               params={"page": str(page), "count": str(count)})
        except ApiError as exc:
            if exc.status == 404 and page == 1 and "no albums" in exc.message.lower():
                return Page((), page, count)  # v2 says "No albums found" for none
            raise
        items = value if isinstance(value, list) else [value]
        return Page(tuple(p.album_from(a) for a in items), page, count)

    def create_album(self, *, title: str | None = None, description: str | None = None,
                     privacy: str | None = None, layout: str | None = None,
                     images: Sequence[str] = (), cover: str | None = None) -> Album:
        data = _album_fields(title=title, description=description, privacy=privacy,
                             layout=layout, cover=cover)
        if images:
            data["images"] = ",".join(images)
        return p.album_from(self._call("POST", "account/albums", "albums", data=data,
                                       signed=True))

    def album_images(self, album_id: str, *, page: int = 1, count: int = 100) -> Page[Image]:
        value = self._call("GET", f"account/albums/{album_id}", "images", signed=True,
                           params={"page": str(page), "count": str(count)})
        return Page(p.images_from(value), page, count)

    def edit_album(self, album_id: str, *, title: str | None = None,
                   description: str | None = None, privacy: str | None = None,
                   layout: str | None = None, cover: str | None = None,
                   add_images: Sequence[str] = (), del_images: Sequence[str] = (),
                   images: Sequence[str] | None = None) -> Album:
        data = _album_fields(title=title, description=description, privacy=privacy,
                             layout=layout, cover=cover)
        if add_images:
            data["add_images"] = ",".join(add_images)
        if del_images:
            data["del_images"] = ",".join(del_images)
        if images is not None:
            data["images"] = ",".join(images)
        return p.album_from(self._call("POST", f"account/albums/{album_id}", "albums",
                                       data=data, signed=True), album_id)

    def delete_album(self, album_id: str) -> None:
        self._call("DELETE", f"account/albums/{album_id}", "albums", signed=True)

    def albums_count(self) -> int:
        value = self._call("GET", "account/albums_count", "albums_count", signed=True)
        return p.as_int(value.get("count") if isinstance(value, Mapping) else value)

    def order_albums(self, album_ids: Sequence[str]) -> None:
        self._call("POST", "account/albums_order", "albums_order", signed=True,
                   data={"ids": ",".join(album_ids)})

    def order_album_images(self, album_id: str, hashes: Sequence[str]) -> None:
        self._call("POST", f"account/albums_order/{album_id}", "albums_order", signed=True,
                   data={"hashes": ",".join(hashes)})


def _album_fields(**values: str | None) -> dict[str, str]:
    if values.get("privacy") not in (None, *PRIVACIES):
        raise ValueError(f"privacy must be one of {', '.join(PRIVACIES)}")
    if values.get("layout") not in (None, *LAYOUTS):
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}")
    return {k: v for k, v in values.items() if v is not None}


def _has_rate_headers(headers: Mapping[str, str]) -> bool:
    """Whether the answer said what is left (then RateLimitState.update has already read it)."""
    return any(name in headers for name in ("X-RateLimit-Remaining",
                                            "X-RateLimit-UserRemaining"))


def _status_error(raw: RawResponse, message: str | None, signed: bool) -> ApiError:
    text = message or _DEFAULT_TEXT.get(raw.status, f"The service answered HTTP {raw.status}")
    kwargs: dict[str, Any] = {"method": raw.method, "url": raw.url, "body": raw.body}
    # 429 always means "too many"; a 403 only when it says so ("API limits exceeded"): a
    # forbidden page from a proxy or a regional block is not a reason to wait an hour.
    if raw.status == 429 or (raw.status == 403 and message is not None
                             and "limit" in message.lower()):
        return RateLimited(None, text, **kwargs)
    if raw.status == 401 and signed:
        return AuthRequired(text, **kwargs)
    return ApiError(raw.status, text, **kwargs)


_DEFAULT_TEXT = {
    400: "The service refused the request as malformed",
    401: "The service wants you to sign in",
    403: "The service refused this action",
    404: "Not found",
    500: "The service had an internal error",
    502: "The service is unreachable behind its gateway",
    503: "The service is temporarily down",
}
