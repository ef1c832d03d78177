"""The Starlette application of the local image host: every route in one table."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable

from starlette.applications import Starlette
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from .api_routes import ApiRoutes, api_format_of
from .config import ServerConfig
from .host import Call, Endpoint, Host
from .pages import Pages
from .uploads import upload
from .wire import ApiError


class FormatSuffix(Convertor[str]):
    """An optional ``.json`` / ``.xml`` at the end of an API path."""

    regex = r"(?:\.json|\.xml)?"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


class Hash(Convertor[str]):
    """An image hash, delete hash or album id: letters and digits only."""

    regex = r"[A-Za-z0-9]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("fmt", FormatSuffix())
register_url_convertor("hid", Hash())


def _routes(host: Host) -> list[BaseRoute]:
    api = ApiRoutes(host)
    pages = Pages(host)
    e = api.endpoint

    async def upload_anon(request: Request) -> Response:
        return await upload(host, request, account=False)

    async def upload_account(request: Request) -> Response:
        return await upload(host, request, account=True)

    account_images_get = e(api.account_images, auth=True)

    async def account_images(request: Request) -> Response:
        if request.method == "POST":
            return await upload_account(request)
        return await account_images_get(request)

    def by_method(**handlers: Endpoint) -> Endpoint:
        async def dispatch(request: Request) -> Response:
            return await handlers[request.method.lower()](request)
        return dispatch

    return [
        Route("/2/upload{fmt:fmt}", upload_anon, methods=["POST", "PUT"]),
        Route("/2/image/{hash:hid}{fmt:fmt}", e(api.image), methods=["GET"]),
        Route("/2/album/{hash:hid}{fmt:fmt}", e(api.album), methods=["GET"]),
        Route("/2/delete/{hash:hid}{fmt:fmt}", e(api.delete), methods=["GET", "DELETE", "POST"]),
        Route("/2/stats{fmt:fmt}", e(api.stats), methods=["GET"]),
        Route("/2/credits{fmt:fmt}", e(api.credits), methods=["GET"]),
        Route("/2/gallery{fmt:fmt}", e(api.gallery), methods=["GET"]),
        Route("/oembed{fmt:fmt}", e(api.oembed), methods=["GET"]),
        Route("/2/account{fmt:fmt}", e(api.account, auth=True), methods=["GET"]),
        Route("/2/account/images{fmt:fmt}", account_images, methods=["GET", "POST"]),
        Route("/2/account/images/{hash:hid}{fmt:fmt}", by_method(
            get=e(api.account_image, auth=True), post=e(api.edit_image, auth=True),
            delete=e(api.delete_account_image, auth=True),
        ), methods=["GET", "POST", "DELETE"]),
        Route("/2/account/images_count{fmt:fmt}", e(api.images_count, auth=True),
              methods=["GET"]),
        Route("/2/account/albums{fmt:fmt}", by_method(
            get=e(api.albums, auth=True), post=e(api.create_album, auth=True),
        ), methods=["GET", "POST"]),
        Route("/2/account/albums/{hash:hid}{fmt:fmt}", by_method(
            get=e(api.account_album, auth=True), post=e(api.edit_album, auth=True),
            delete=e(api.delete_album, auth=True),
        ), methods=["GET", "POST", "DELETE"]),
        Route("/2/account/albums_count{fmt:fmt}", e(api.albums_count, auth=True),
              methods=["GET"]),
        Route("/2/account/albums_order{fmt:fmt}", e(api.albums_order, auth=True),
              methods=["POST"]),
        Route("/2/account/albums_order/{hash:hid}{fmt:fmt}", e(api.album_images_order, auth=True),
              methods=["POST"]),
        Route("/oauth/request_token", pages.request_token, methods=["GET", "POST"]),
        Route("/oauth/access_token", pages.access_token, methods=["GET", "POST"]),
        Route("/oauth/authorize", pages.authorize, methods=["GET", "POST"]),
        Route("/", pages.home, methods=["GET"]),
        Route("/health", pages.health, methods=["GET"]),
        Route("/a/{hash:hid}", pages.album_page, methods=["GET"]),
        Route("/delete/{hash:hid}", pages.delete_page, methods=["GET", "POST"]),
        Route("/{name:hid}.{ext:hid}", pages.file, methods=["GET", "HEAD"]),
        Route("/{hash:hid}", pages.image_page, methods=["GET"]),
    ]


def create_app(config: ServerConfig,
               on_startup: Callable[[], None] | None = None) -> Starlette:
    """``on_startup`` runs once the server is up, its stop-signal handlers installed."""
    host = Host(config)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        path = request.url.path
        if path.startswith(("/2/", "/oembed")):
            # Unknown API paths and wrong methods answer in the API's own error body.
            fmt = api_format_of(path, request.query_params.get("_format"))
            call = Call(request=request, fmt=fmt, params=dict(request.query_params),
                        base=host.base_url(request))
            message = ("Action not supported" if exc.status_code == 404
                       else f"Method {request.method} is not allowed here")
            return host.error(call, ApiError(exc.status_code, message))
        return host.error_page(exc.status_code, "There is nothing at this address."
                               if exc.status_code == 404 else str(exc.detail))

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        if on_startup is not None:
            on_startup()
        yield
        host.close()

    app = Starlette(routes=_routes(host), exception_handlers={HTTPException: http_error},
                    lifespan=lifespan)
    app.state.host = host
    return app
