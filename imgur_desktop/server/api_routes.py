"""The v2 API routes other than uploads: images, albums, delete, stats, credits, gallery,
oEmbed, and the account routes. Handlers are plain functions of a ``Call`` run on a worker
thread; ``Host.api`` does format, signature, credits and the error body around them."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from .host import Call, Endpoint, Handler, Host
from .payloads import (
    LAYOUTS,
    PRIVACIES,
    account_object,
    album_object,
    human_size,
    image_item,
    page_params,
    parse_id_list,
)
from .storage import AlbumRow, ImageRow, User
from .wire import ApiError, Fmt, Value, pick_format

DAY = 86400
STATS_WINDOWS = {"today": 1, "week": 7, "month": 30}
GALLERY_WINDOWS = {"week": 7, "month": 30, "all": None}


class ApiRoutes:
    def __init__(self, host: Host) -> None:
        self.host = host
        self.storage = host.storage

    def endpoint(self, handler: Handler, *, auth: bool = False,
                 cost: int | None = None) -> Endpoint:
        price = self.host.config.call_cost if cost is None else cost

        async def run(request: Request) -> Response:
            return await self.host.api(request, handler, cost=price, auth_required=auth)

        return run

    # -- shared checks ------------------------------------------------------------------------

    def _cover(self, album: AlbumRow) -> str | None:
        if album.cover:
            return album.cover
        first = self.storage.album_images(album.id, limit=1)
        return first[0].hash if first else None

    def _readable_album(self, call: Call, album_id: str) -> AlbumRow:
        album = self.storage.album(album_id)
        owner = call.user is not None and album is not None and album.user_id == call.user.id
        if album is None or (album.privacy == "secret" and not owner):
            raise ApiError(404, "Album not found")
        return album

    def _own_album(self, call: Call, album_id: str) -> AlbumRow:
        user = call.require_user()
        album = self.storage.album(album_id)
        if album is None or album.user_id != user.id:
            raise ApiError(404, "Album not found")
        return album

    def _own_image(self, call: Call, hash_: str) -> ImageRow:
        user = call.require_user()
        image = self.storage.image(hash_)
        if image is None or image.user_id != user.id:
            raise ApiError(404, "Image not found")
        return image

    def _owned_hashes(self, user: User, hashes: list[str]) -> list[str]:
        for hash_ in hashes:
            image = self.storage.image(hash_)
            if image is None or image.user_id != user.id:
                raise ApiError(403, f"Image {hash_} is not in your account")
        return hashes

    def _choice(self, call: Call, name: str, allowed: tuple[str, ...]) -> str | None:
        value = call.params.get(name)
        if value is None or value == "":
            return None
        value = value.lower()
        if value not in allowed:
            raise ApiError(400, f"Invalid {name} '{value}': use {', '.join(allowed)}")
        return value

    # -- anonymous ----------------------------------------------------------------------------

    def image(self, call: Call) -> tuple[str, Value]:
        image = self.storage.image(call.request.path_params["hash"])
        if image is None:
            raise ApiError(404, "Image not found")
        return "image", image_item(image, call.links, owner=False)

    def album(self, call: Call) -> tuple[str, Value]:
        album = self._readable_album(call, call.request.path_params["hash"])
        images = self.storage.album_images(album.id)
        return "album", {
            "title": album.title or None,
            "description": album.description or None,
            "cover": self._cover(album),
            "layout": album.layout,
            "images": [image_item(i, call.links, owner=False) for i in images],
        }

    def delete(self, call: Call) -> tuple[str, Value]:
        image = self.storage.image_by_deletehash(call.request.path_params["hash"])
        if image is None:
            raise ApiError(400, "Invalid delete hash")
        self._remove(image)
        return "delete", {"message": "Success"}

    def _remove(self, image: ImageRow) -> None:
        self.storage.delete_image(image.hash)
        self.host.remove_image_files(image.hash, image.ext)

    def stats(self, call: Call) -> tuple[str, Value]:
        view = call.params.get("view", "month").lower() or "month"
        if view not in STATS_WINDOWS:
            raise ApiError(400, "Invalid view: use today, week or month")
        days = STATS_WINDOWS[view]
        since = time.time() - days * DAY
        since_day = time.strftime("%Y-%m-%d", time.gmtime(since))
        uploaded, total_size = self.storage.upload_stats(since)
        views, bandwidth = self.storage.view_stats(since_day)
        return "stats", {
            "most_popular_images": self.storage.most_popular(since),
            "images_uploaded": uploaded,
            "images_veiwed": views,  # sic: the v2 field name
            "bandwidth_used": human_size(bandwidth),
            "average_image_size": human_size(total_size // uploaded if uploaded else 0),
        }

    def credits(self, call: Call) -> tuple[str, Value]:
        assert call.credits is not None  # spent (and so known) before the handler runs
        state = call.credits
        return "credits", {
            "limit": state.limit,
            "remaining": state.remaining,
            "reset": state.reset,
            "refresh_in_secs": max(int(state.reset - time.time()), 0),
        }

    def gallery(self, call: Call) -> tuple[str, Value]:
        sort = self._choice(call, "sort", ("latest", "popular")) or "latest"
        view = self._choice(call, "view", tuple(GALLERY_WINDOWS)) or "all"
        page = page_params(call.params)
        days = GALLERY_WINDOWS[view]
        since = 0.0 if days is None else time.time() - days * DAY
        images = self.storage.gallery_images(since=since, popular=sort == "popular",
                                             offset=page.offset, limit=page.count)
        if page.page > 1 and not images:
            raise ApiError(404, f"No images found on page {page.page}")
        return "gallery", {"images": [image_item(i, call.links, owner=False) for i in images]}

    def oembed(self, call: Call) -> tuple[str, Value]:
        fmt = call.params.get("format", "").lower()
        if fmt in ("json", "xml"):
            call.fmt = Fmt(fmt)
        elif not call.request.path_params.get("fmt"):
            call.fmt = Fmt.JSON  # oEmbed's own default
        url = call.params.get("url", "")
        path = urlsplit(url).path.strip("/")
        stem = path.rsplit("/", 1)[-1].split(".", 1)[0]
        image = self.storage.image(stem) if stem else None
        if image is None:
            raise ApiError(404, "No image at that URL")
        width, height = image.width, image.height
        max_w = _int_or_none(call.params.get("maxwidth"))
        max_h = _int_or_none(call.params.get("maxheight"))
        scale = 1.0
        if max_w and width > max_w:
            scale = min(scale, max_w / width)
        if max_h and height > max_h:
            scale = min(scale, max_h / height)
        return "oembed", {
            "version": "1.0",
            "type": "photo",
            "provider_name": "Imgur",
            "provider_url": call.base,
            "url": call.links.original(image),
            "title": image.title or None,
            "width": int(width * scale),
            "height": int(height * scale),
        }

    # -- account --------------------------------------------------------------------------------

    def account(self, call: Call) -> tuple[str, Value]:
        return "account", account_object(call.require_user())

    def account_images(self, call: Call) -> tuple[str, Value]:
        user = call.require_user()
        page = page_params(call.params)
        noalbum = call.params.get("noalbum", "").lower() not in ("", "0", "false")
        total = self.storage.count_user_images(user.id, noalbum=noalbum)
        page.check_in_range(total, "images")
        rows = self.storage.user_images(user.id, offset=page.offset, limit=page.count,
                                        noalbum=noalbum)
        return "images", [image_item(i, call.links, owner=True) for i in rows]

    def account_image(self, call: Call) -> tuple[str, Value]:
        image = self._own_image(call, call.request.path_params["hash"])
        return "images", image_item(image, call.links, owner=True)

    def edit_image(self, call: Call) -> tuple[str, Value]:
        image = self._own_image(call, call.request.path_params["hash"])
        title = call.params.get("title", image.title)
        caption = call.params.get("caption", image.caption)
        self.storage.update_image(image.hash, title=title or None, caption=caption or None)
        updated = self.storage.image(image.hash)
        assert updated is not None
        return "images", image_item(updated, call.links, owner=True)

    def delete_account_image(self, call: Call) -> tuple[str, Value]:
        image = self._own_image(call, call.request.path_params["hash"])
        self._remove(image)
        return "images", {"message": "Success"}

    def images_count(self, call: Call) -> tuple[str, Value]:
        user = call.require_user()
        return "images_count", {"count": self.storage.count_user_images(user.id)}

    def albums(self, call: Call) -> tuple[str, Value]:
        user = call.require_user()
        page = page_params(call.params)
        total = self.storage.count_user_albums(user.id)
        if total == 0:
            raise ApiError(404, "No albums found")  # v2 said so for an empty account
        page.check_in_range(total, "albums")
        rows = self.storage.user_albums(user.id, offset=page.offset, limit=page.count)
        return "albums", [album_object(a, call.links, self._cover(a)) for a in rows]

    def create_album(self, call: Call) -> tuple[str, Value]:
        user = call.require_user()
        privacy = self._choice(call, "privacy", PRIVACIES) or user.default_album_privacy
        layout = self._choice(call, "layout", LAYOUTS) or "blog"
        images = parse_id_list(call.params.get("images", "")
                               or call.params.get("add_images", ""))
        cover = call.params.get("cover") or None
        if cover is not None and cover not in images:
            images.append(cover)
        self._owned_hashes(user, images)  # all checked before anything is created
        album = self.storage.create_album(
            user.id, title=call.params.get("title") or None,
            description=call.params.get("description") or None, privacy=privacy, layout=layout)
        if images:
            self.storage.update_album(album.id, fields={"cover": cover} if cover else {},
                                      add_images=images)
            refreshed = self.storage.album(album.id)
            assert refreshed is not None
            album = refreshed
        return "albums", album_object(album, call.links, self._cover(album))

    def account_album(self, call: Call) -> tuple[str, Value]:
        album = self._own_album(call, call.request.path_params["hash"])
        page = page_params(call.params)
        page.check_in_range(self.storage.count_album_images(album.id), "images")
        rows = self.storage.album_images(album.id, offset=page.offset, limit=page.count)
        return "images", [image_item(i, call.links, owner=True) for i in rows]

    def edit_album(self, call: Call) -> tuple[str, Value]:
        user = call.require_user()
        album = self._own_album(call, call.request.path_params["hash"])
        fields: dict[str, str | None] = {}
        for name in ("title", "description"):
            if name in call.params:
                fields[name] = call.params[name] or None
        privacy = self._choice(call, "privacy", PRIVACIES)
        if privacy:
            fields["privacy"] = privacy
        layout = self._choice(call, "layout", LAYOUTS)
        if layout:
            fields["layout"] = layout
        replace = None
        if "images" in call.params:
            replace = self._owned_hashes(user, parse_id_list(call.params["images"]))
        add = self._owned_hashes(user, parse_id_list(call.params.get("add_images", "")))
        remove = parse_id_list(call.params.get("del_images", ""))
        cover = call.params.get("cover")
        if cover:
            self._owned_hashes(user, [cover])
            in_album = {i.hash for i in self.storage.album_images(album.id)}
            if cover not in in_album and cover not in add and cover not in (replace or []):
                add.append(cover)
            fields["cover"] = cover
        self.storage.update_album(album.id, fields=fields, replace_images=replace,
                                  add_images=add, del_images=remove)
        updated = self.storage.album(album.id)
        assert updated is not None
        return "albums", album_object(updated, call.links, self._cover(updated))

    def delete_album(self, call: Call) -> tuple[str, Value]:
        album = self._own_album(call, call.request.path_params["hash"])
        self.storage.delete_album(album.id)
        return "albums", {"message": "Success"}

    def albums_count(self, call: Call) -> tuple[str, Value]:
        user = call.require_user()
        return "albums_count", {"count": self.storage.count_user_albums(user.id)}

    def albums_order(self, call: Call) -> tuple[str, Value]:
        user = call.require_user()
        album_ids = parse_id_list(call.params.get("ids", ""))
        if not album_ids:
            raise ApiError(400, "Parameter ids is required")
        for album_id in album_ids:
            self._own_album(call, album_id)
        self.storage.order_albums(user.id, album_ids)
        return "albums_order", {"message": "Success"}

    def album_images_order(self, call: Call) -> tuple[str, Value]:
        album = self._own_album(call, call.request.path_params["hash"])
        hashes = parse_id_list(call.params.get("hashes", ""))
        if not hashes:
            raise ApiError(400, "Parameter hashes is required")
        in_album = {i.hash for i in self.storage.album_images(album.id)}
        missing = [h for h in hashes if h not in in_album]
        if missing:
            raise ApiError(400, f"Image {missing[0]} is not in this album")
        self.storage.order_album_images(album.id, hashes)
        return "albums_order", {"message": "Success"}


def _int_or_none(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


def api_format_of(path: str, format_param: str | None) -> Fmt:
    """The format an unmatched /2/ path asked for, for its 404 body."""
    last = path.rsplit("/", 1)[-1]
    suffix = "." + last.rsplit(".", 1)[-1] if "." in last else ""
    return pick_format(suffix, format_param)
