"""What the API layer returns: plain, typed, immutable records."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


PRIVACIES = ("public", "hidden", "secret")  # an album's privacy


@dataclass(frozen=True, slots=True)
class UploadMeta:
    """What an upload may carry besides the image."""

    title: str | None = None
    caption: str | None = None
    name: str | None = None

    def fields(self) -> dict[str, str]:
        return {k: v for k, v in (("title", self.title), ("caption", self.caption),
                                  ("name", self.name)) if v}


@dataclass(frozen=True, slots=True)
class ImageLinks:
    original: str
    imgur_page: str
    small_square: str | None = None
    large_thumbnail: str | None = None
    delete_page: str | None = None


@dataclass(frozen=True, slots=True)
class Image:
    hash: str
    links: ImageLinks
    deletehash: str | None = None
    name: str | None = None
    title: str | None = None
    caption: str | None = None
    datetime: dt.datetime | None = None
    mime: str | None = None
    animated: bool = False
    width: int = 0
    height: int = 0
    size: int = 0
    views: int = 0
    bandwidth: int = 0


@dataclass(frozen=True, slots=True)
class Album:
    id: str
    title: str | None = None
    description: str | None = None
    privacy: str | None = None
    layout: str | None = None
    cover: str | None = None
    order: int | None = None
    datetime: dt.datetime | None = None
    link: str | None = None
    images: tuple[Image, ...] = ()


@dataclass(frozen=True, slots=True)
class Account:
    username: str
    is_pro: bool = False
    default_album_privacy: str | None = None
    public_images: bool = False


@dataclass(frozen=True, slots=True)
class Credits:
    limit: int
    remaining: int
    reset_at: dt.datetime | None  # UTC

    @property
    def uploads_left(self) -> int:
        return self.remaining // 10


@dataclass(frozen=True, slots=True)
class Stats:
    most_popular_images: tuple[str, ...]
    images_uploaded: int
    images_viewed: int
    bandwidth_used: str
    average_image_size: str


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    page: int
    count: int
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def may_have_more(self) -> bool:
        return len(self.items) >= self.count
