"""The v2 objects as the wire shows them: image + links, album, account, pagination."""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping
from dataclasses import dataclass

from .storage import AlbumRow, ImageRow, User
from .wire import ApiError, Value

PRIVACIES = ("public", "hidden", "secret")
LAYOUTS = ("blog", "horizontal", "vertical", "grid")
DEFAULT_COUNT = 30
MAX_COUNT = 100


def v2_datetime(epoch: float) -> str:
    return _v2_second(int(epoch))


@functools.lru_cache(maxsize=64)
def _v2_second(second: int) -> str:
    # Uploads answered in the same second share it: formatting is most of an answer's cost.
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(second))


def text_or_none(value: str | None) -> str | None:
    return value if value else None


@dataclass(frozen=True, slots=True)
class Links:
    base: str

    def original(self, image: ImageRow) -> str:
        return f"{self.base}/{image.hash}.{image.ext}"

    def page(self, image: ImageRow) -> str:
        return f"{self.base}/{image.hash}"

    def delete_page(self, image: ImageRow) -> str:
        return f"{self.base}/delete/{image.deletehash}"

    def small_square(self, image: ImageRow) -> str:
        return f"{self.base}/{image.hash}s.jpg"

    def large_thumbnail(self, image: ImageRow) -> str:
        return f"{self.base}/{image.hash}l.jpg"

    def album(self, album_id: str) -> str:
        return f"{self.base}/a/{album_id}"


def image_item(image: ImageRow, links: Links, *, owner: bool) -> dict[str, Value]:
    """``{image: {...}, links: {...}}``; the owner's view adds name, deletehash, delete page."""
    fields: dict[str, Value] = {}
    if owner:
        fields["name"] = text_or_none(image.name)
    fields["title"] = text_or_none(image.title)
    fields["caption"] = text_or_none(image.caption)
    fields["hash"] = image.hash
    if owner:
        fields["deletehash"] = image.deletehash
    fields.update({
        "datetime": v2_datetime(image.created),
        "type": image.mime,
        "animated": image.animated,
        "width": image.width,
        "height": image.height,
        "size": image.size,
        "views": image.views,
        "bandwidth": image.bandwidth,
    })
    link_fields: dict[str, Value] = {
        "original": links.original(image),
        "imgur_page": links.page(image),
    }
    if owner:
        link_fields["delete_page"] = links.delete_page(image)
    link_fields["small_square"] = links.small_square(image)
    link_fields["large_thumbnail"] = links.large_thumbnail(image)
    return {"image": fields, "links": link_fields}


def album_object(album: AlbumRow, links: Links, cover: str | None) -> dict[str, Value]:
    return {
        "id": album.id,
        "title": text_or_none(album.title),
        "description": text_or_none(album.description),
        "privacy": album.privacy,
        "cover": cover,
        "order": album.position,
        "layout": album.layout,
        "datetime": v2_datetime(album.created),
        "link": links.album(album.id),
        "anonymous_link": links.album(album.id),
    }


def account_object(user: User) -> dict[str, Value]:
    return {
        "url": user.username,
        "is_pro": user.is_pro,
        "default_album_privacy": user.default_album_privacy,
        "public_images": user.public_images,
    }


@dataclass(frozen=True, slots=True)
class Page:
    page: int
    count: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.count

    def check_in_range(self, total: int, what: str) -> None:
        """Page 1 always exists; any later page must start inside the list (else 404)."""
        if self.page > 1 and self.offset >= total:
            raise ApiError(404, f"No {what} found on page {self.page}")


def _positive_int(params: Mapping[str, str], name: str, default: int) -> int:
    raw = params.get(name, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"Parameter {name} must be a whole number") from None
    if value < 1:
        raise ApiError(400, f"Parameter {name} must be 1 or more")
    return value


def page_params(params: Mapping[str, str]) -> Page:
    page = _positive_int(params, "page", 1)
    count = min(_positive_int(params, "count", DEFAULT_COUNT), MAX_COUNT)
    return Page(page, count)


def parse_id_list(raw: str) -> list[str]:
    """``a,b,c``, ``(a,b,c)`` and space-separated forms, as v2 clients sent them."""
    cleaned = raw.strip().strip("()[]")
    parts = [p.strip() for p in cleaned.replace(" ", ",").split(",")]
    seen: list[str] = []
    for part in parts:
        if part and part not in seen:
            seen.append(part)
    return seen


def human_size(num: int) -> str:
    """``4.58 TB``, ``40.74 KB``: how v2 stats showed sizes."""
    value = float(num)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:.2f} {unit}" if unit != "B" else f"{int(value)} B"
        value /= 1024
    return f"{value:.2f} TB"
