"""What a browser sees: image files and thumbnails, image and album pages, the delete page,
and the OAuth sign-in and consent form."""

from __future__ import annotations

import logging
import time
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response

from imgur_desktop.core.formats import PDF, XCF
from imgur_desktop.core.layouts import LAYOUTS as LAYOUTS_TEXT

from .host import MAX_SMALL_BODY, BodyStream, Host
from .payloads import LAYOUTS, Links, human_size, v2_datetime
from .storage import ImageRow
from .thumbnails import SIZES as THUMB_SIZES

logger = logging.getLogger(__name__)

LAYOUT_TEXT = LAYOUTS_TEXT
LAYOUT_ORDER = tuple(LAYOUTS_TEXT)
assert set(LAYOUT_ORDER) == set(LAYOUTS)


class Pages:
    def __init__(self, host: Host) -> None:
        self.host = host
        self.storage = host.storage

    def _links(self, request: Request) -> Links:
        return Links(self.host.base_url(request))

    async def home(self, request: Request) -> Response:
        count = await run_in_threadpool(self.storage.upload_stats, 0.0)
        return self.host.page("home.html", public_url=self.host.base_url(request),
                              images=count[0], albums=self.storage.count_albums())

    async def health(self, request: Request) -> Response:
        """Free and cheap: tells a client that this is an imgur-desktop host, and alive."""
        return JSONResponse({"service": "imgur-desktop", "api": "2", "status": "ok"})

    async def file(self, request: Request) -> Response:
        """``/{hash}.{ext}`` (the image) and ``/{hash}s.jpg`` / ``/{hash}l.jpg`` (thumbnails)."""
        name = request.path_params["name"]
        image = self.storage.image(name)
        if image is not None:
            path = self.host.image_path(image.hash, image.ext)
            if not path.exists():
                return self.host.error_page(404, "That image is gone.")
            await run_in_threadpool(self.storage.record_view, image.hash, image.size,
                                    day=time.strftime("%Y-%m-%d", time.gmtime()))
            return FileResponse(path, media_type=image.mime,
                                headers={"Cache-Control": "public, max-age=31536000"})
        stem, size = name[:-1], name[-1:]
        if size in THUMB_SIZES and request.path_params["ext"].lower() == "jpg":
            of = self.storage.image(stem)
            if of is not None:
                return await self._thumbnail(of, size)
        return self.host.error_page(404, "There is no image at this address.")

    async def _thumbnail(self, image: ImageRow, size: str) -> Response:
        try:
            path = await run_in_threadpool(self.host.thumbnails.get, image, size)
        except Exception:
            logger.exception("could not draw thumbnail %s of %s", size, image.hash)
            return self.host.error_page(500, "This thumbnail could not be drawn.")
        if path is None:
            return self.host.error_page(404, "That image is gone.")
        return FileResponse(path, media_type="image/jpeg",
                            headers={"Cache-Control": "public, max-age=31536000"})

    def _image_context(self, image: ImageRow, links: Links) -> dict[str, object]:
        return {
            "hash": image.hash,
            "title": image.title,
            "caption": image.caption,
            "width": image.width,
            "height": image.height,
            "size_text": human_size(image.size),
            "datetime": v2_datetime(image.created),
            "views": image.views,
            "animated": image.animated,
            "mime": image.mime,
        }

    async def image_page(self, request: Request) -> Response:
        image = self.storage.image(request.path_params["hash"])
        if image is None:
            return self.host.error_page(404, "There is no image at this address.")
        links = self._links(request)
        return self.host.page(
            "image.html",
            image=self._image_context(image, links),
            links={"original": links.original(image), "imgur_page": links.page(image),
                   "small_square": links.small_square(image),
                   "large_thumbnail": links.large_thumbnail(image)},
            is_document=image.mime in (PDF.mime, XCF.mime),
        )

    async def album_page(self, request: Request) -> Response:
        album = self.storage.album(request.path_params["hash"])
        # A secret album is its owner's alone; a browser carries no OAuth signature, so it is
        # never shown here. Hidden albums are shown to anyone who has the link.
        if album is None or album.privacy == "secret":
            return self.host.error_page(404, "There is no album at this address.")
        layout = request.query_params.get("layout", album.layout)
        if layout not in LAYOUT_TEXT:
            layout = album.layout
        links = self._links(request)
        rows = self.storage.album_images(album.id)
        try:
            current = int(request.query_params.get("image", "0"))
        except ValueError:
            current = 0
        current = min(max(current, 0), max(len(rows) - 1, 0))
        images = [{
            "hash": i.hash, "title": i.title, "caption": i.caption,
            "original": links.original(i), "large_thumbnail": links.large_thumbnail(i),
            "small_square": links.small_square(i), "page": links.page(i),
            "width": i.width, "height": i.height,
        } for i in rows]
        return self.host.page(
            "album.html",
            album={"id": album.id, "title": album.title, "description": album.description,
                   "layout": album.layout, "privacy": album.privacy},
            images=images, layout=layout, current=current,
            layouts=[(name, *LAYOUT_TEXT[name]) for name in LAYOUT_ORDER],
        )

    async def delete_page(self, request: Request) -> Response:
        deletehash = request.path_params["hash"]
        image = self.storage.image_by_deletehash(deletehash)
        if image is None:
            return self.host.error_page(404, "This delete link is not valid, or the image "
                                             "was already deleted.")
        if request.method == "POST":
            await BodyStream(request).drain(MAX_SMALL_BODY)
            self.storage.delete_image(image.hash)
            self.host.remove_image_files(image.hash, image.ext)
            return self.host.page("deleted.html", hash=image.hash)
        links = self._links(request)
        return self.host.page(
            "delete.html", deletehash=deletehash,
            image={"hash": image.hash, "title": image.title,
                   "small_square": links.small_square(image)},
        )

    # -- OAuth 1.0a -------------------------------------------------------------------------

    async def _oauth_token_call(self, request: Request, *, access: bool) -> Response:
        body = (await BodyStream(request).read(MAX_SMALL_BODY)).decode("utf-8", "replace")
        method = self.host.oauth.access_token if access else self.host.oauth.request_token
        answer = await run_in_threadpool(method, str(request.url), request.method, body,
                                         dict(request.headers))
        headers = {k: v for k, v in answer.headers.items() if k.lower() != "content-type"}
        return Response(answer.body, status_code=answer.status, headers=headers,
                        media_type="application/x-www-form-urlencoded")

    async def request_token(self, request: Request) -> Response:
        return await self._oauth_token_call(request, access=False)

    async def access_token(self, request: Request) -> Response:
        return await self._oauth_token_call(request, access=True)

    def _app_name(self, consumer_key: str) -> str:
        app = self.storage.app_by_consumer_key(consumer_key)
        return app.name if app else "An application"

    async def authorize(self, request: Request) -> Response:
        if request.method == "GET":
            token = request.query_params.get("oauth_token", "")
            row = self.storage.request_token(token)
            if row is None or row.verifier is not None:
                return self.host.error_page(400, "This sign-in link has expired. Start the "
                                                 "sign-in again from the app.")
            return self.host.page("authorize.html", app_name=self._app_name(row.consumer_key),
                                  oauth_token=token, username="", error=None)

        raw = await BodyStream(request).read(MAX_SMALL_BODY)
        form = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        token = form.get("oauth_token", "")
        row = self.storage.request_token(token)
        if row is None or row.verifier is not None:
            return self.host.error_page(400, "This sign-in link has expired. Start the sign-in "
                                             "again from the app.")
        app_name = self._app_name(row.consumer_key)
        if "deny" in form:
            self.storage.delete_request_token(token)
            if row.callback != "oob":
                # Tell the waiting app at once (the usual OAuth 1.0a "denied" convention).
                parts = urlsplit(row.callback)
                query = [*parse_qsl(parts.query, keep_blank_values=True), ("denied", token)]
                return RedirectResponse(urlunsplit(parts._replace(query=urlencode(query))),
                                        status_code=302)
            return self.host.page("denied.html", app_name=app_name)
        username = form.get("username", "")
        user = await run_in_threadpool(self.storage.authenticate, username,
                                       form.get("password", ""))
        if user is None:
            return self.host.page("authorize.html", http_status=401, app_name=app_name,
                                  oauth_token=token, username=username,
                                  error="That user name and password do not match.")
        verifier, callback = self.host.oauth.authorize(token, user.id)
        if callback == "oob":
            return self.host.page("pin.html", app_name=app_name, verifier=verifier)
        parts = urlsplit(callback)
        query = [*parse_qsl(parts.query, keep_blank_values=True),
                 ("oauth_token", token), ("oauth_verifier", verifier)]
        return RedirectResponse(urlunsplit(parts._replace(query=urlencode(query))),
                                status_code=302)
