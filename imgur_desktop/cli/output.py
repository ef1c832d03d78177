"""Printing: JSON objects with the API's own field names, progress bars, errors."""

from __future__ import annotations

import json
import sys
from typing import Any

from imgur_desktop.core.models import Account, Album, Credits, Image, Stats


def image_json(image: Image) -> dict[str, Any]:
    links = {
        "original": image.links.original,
        "imgur_page": image.links.imgur_page,
        "delete_page": image.links.delete_page,
        "small_square": image.links.small_square,
        "large_thumbnail": image.links.large_thumbnail,
    }
    return {
        "hash": image.hash,
        "deletehash": image.deletehash,
        "name": image.name,
        "title": image.title,
        "caption": image.caption,
        "datetime": image.datetime.strftime("%Y-%m-%d %H:%M:%S") if image.datetime else None,
        "type": image.mime,
        "animated": image.animated,
        "width": image.width,
        "height": image.height,
        "size": image.size,
        "views": image.views,
        "bandwidth": image.bandwidth,
        "links": {k: v for k, v in links.items() if v is not None},
    }


def album_json(album: Album, *, with_images: bool = True) -> dict[str, Any]:
    """``with_images`` False for a listing: the account's album list carries no images, and
    an empty list there would say the album is empty."""
    record: dict[str, Any] = {
        "id": album.id,
        "title": album.title,
        "description": album.description,
        "privacy": album.privacy,
        "layout": album.layout,
        "cover": album.cover,
        "order": album.order,
        "datetime": album.datetime.strftime("%Y-%m-%d %H:%M:%S") if album.datetime else None,
        "link": album.link,
    }
    if with_images:
        record["images"] = [image_json(i) for i in album.images]
    return record


def account_json(account: Account) -> dict[str, Any]:
    return {"url": account.username, "is_pro": account.is_pro,
            "default_album_privacy": account.default_album_privacy,
            "public_images": account.public_images}


def credits_json(credits: Credits) -> dict[str, Any]:
    return {"limit": credits.limit, "remaining": credits.remaining,
            "reset": int(credits.reset_at.timestamp()) if credits.reset_at else None,
            "uploads_left": credits.uploads_left}


def stats_json(stats: Stats) -> dict[str, Any]:
    return {"most_popular_images": list(stats.most_popular_images),
            "images_uploaded": stats.images_uploaded, "images_viewed": stats.images_viewed,
            "bandwidth_used": stats.bandwidth_used,
            "average_image_size": stats.average_image_size}


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def say(text: str) -> None:
    """A line for the person (stderr), so stdout stays clean for links and JSON."""
    print(text, file=sys.stderr, flush=True)


def error(text: str) -> None:
    print(f"imgur-desktop: {text}", file=sys.stderr, flush=True)


class ProgressBar:
    """One line per file on a terminal, redrawn in place; silent when stderr is not a tty."""

    WIDTH = 28

    def __init__(self, label: str) -> None:
        self.label = label if len(label) <= 30 else "…" + label[-29:]
        self.enabled = sys.stderr.isatty()
        self._last = -1

    def __call__(self, sent: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        percent = min(100, sent * 100 // total)
        if percent == self._last:
            return
        self._last = percent
        filled = self.WIDTH * percent // 100
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        sys.stderr.write(f"\r{self.label:<30} [{bar}] {percent:3d}%")
        sys.stderr.flush()

    def done(self) -> None:
        if self.enabled and self._last >= 0:
            sys.stderr.write("\n")
            sys.stderr.flush()
