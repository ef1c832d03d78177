"""Turn v2 bodies (JSON or XML) into models, tolerating what real servers sent: string
booleans, nulls, missing and extra fields, numbers as strings, and both error envelopes."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping
from typing import Any
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from ..errors import BadResponse
from ..models import Account, Album, Credits, Image, ImageLinks, Stats

JSON, XML = "json", "xml"

# A page of 100 images is about 300 JSON objects and lists, 3,000 values and 5,000 XML tags.
# Bodies of many tiny parts turn 8 MB into 200 MB of objects; these bounds refuse them first.
MAX_JSON_CONTAINERS = 20_000
MAX_JSON_VALUES = 100_000
MAX_XML_TAGS = 50_000

logger = logging.getLogger(__name__)


def _xml_value(elem: Element) -> Any:
    children = list(elem)
    if not children:
        text = elem.text
        return text if text is not None and text.strip() != "" else None
    tags = [c.tag for c in children]
    if len(set(tags)) == 1 and (tags[0] == "item" or len(tags) > 1):
        return [_xml_value(c) for c in children]
    return {c.tag: _xml_value(c) for c in children}


def _looks_like_html(body: bytes) -> bool:
    head = body[:1024].lstrip().lower()
    if head.startswith(b"<?xml"):  # XHTML: look past the declaration
        head = head[head.find(b"?>") + 2:].lstrip()
    return head.startswith((b"<!doctype html", b"<html"))


def _parse_xml(body: bytes, fmt: str) -> dict[str, Any]:
    stripped = body.strip()
    if not stripped:
        raise BadResponse("The service sent an empty answer instead of XML", body=body)
    if fmt == XML and stripped[:1] in (b"{", b"["):
        raise BadResponse("The service sent JSON instead of the XML asked for", body=body)
    if body.count(b"<") > MAX_XML_TAGS:
        raise BadResponse(_TOO_MANY, body=body)
    try:
        root = SafeET.fromstring(body, forbid_dtd=True)
    except DefusedXmlException:
        # Entities are how XML bombs and file-reading tricks work; no v2 answer has any.
        raise BadResponse("The service sent XML that cannot be read (Forbidden: it declares "
                          "entities, which are refused for safety)", body=body) from None
    except SafeET.ParseError as exc:
        logger.debug("unreadable XML from the service: %s", exc)
        # expat's "no element found" (3) and "unclosed token" (5) mean the text stopped early.
        why = "it ends too early" if getattr(exc, "code", None) in (3, 5) else "it is malformed"
        raise BadResponse(f"The service sent XML that cannot be read ({why})",
                          body=body) from None
    except ValueError:
        raise BadResponse("The service sent XML that cannot be read", body=body) from None
    try:
        return {root.tag: _xml_value(root)}
    except RecursionError:
        raise BadResponse(_TOO_DEEP, body=body) from None


def _parse_json(body: bytes) -> dict[str, Any]:
    if (body.count(b"{") + body.count(b"[") > MAX_JSON_CONTAINERS
            or body.count(b",") > MAX_JSON_VALUES):
        raise BadResponse(_TOO_MANY, body=body)
    try:
        value = json.loads(body)
    except RecursionError:
        raise BadResponse(_TOO_DEEP, body=body) from None
    except json.JSONDecodeError as exc:
        ended_early = bool(exc.doc.strip()) and (exc.pos >= len(exc.doc.rstrip())
                                                 or exc.msg.startswith("Unterminated string"))
        text = ("The service sent an incomplete answer (it ends too early)" if ended_early
                else "The service sent garbage instead of an API answer")
        raise BadResponse(text, body=body) from None
    except ValueError:  # not UTF-8 (or -16, -32) at all
        raise BadResponse("The service sent garbage instead of an API answer",
                          body=body) from None
    if not isinstance(value, dict):
        raise BadResponse("The service sent an answer of the wrong shape", body=body)
    return value


_TOO_DEEP = "The service sent an answer nested too deeply to read"
_TOO_MANY = "The service sent an answer of far too many parts to be real"


def parse_body(body: bytes, fmt: str) -> dict[str, Any]:
    """The body as ``{root: value}``; BadResponse when it is not a v2 body at all.

    The body decides, not its Content-Type: real servers label answers loosely (text/html,
    application/vnd.imgur.v1+json). A JSON-dialect answer that starts as XML is read by the
    hardened XML parser; an XML-dialect answer that is JSON is refused.
    """
    if _looks_like_html(body):
        raise BadResponse("The service sent a web page instead of an API answer", body=body)
    if fmt == XML or body.lstrip()[:5] == b"<?xml":
        return _parse_xml(body, fmt)
    return _parse_json(body)


def error_message(parsed: Mapping[str, Any]) -> str | None:
    """The message of a v2 (``error.message``) or v3 (``data.error``, ``errors[]``) error."""
    err = parsed.get("error")
    if isinstance(err, Mapping):
        msg = err.get("message")
        if isinstance(msg, str):
            return msg
    if isinstance(err, str):
        return err
    data = parsed.get("data")
    if isinstance(data, Mapping):
        inner = data.get("error")
        if isinstance(inner, str):
            return inner
        if isinstance(inner, Mapping) and isinstance(inner.get("message"), str):
            return str(inner["message"])
    errors = parsed.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], Mapping):
        first = errors[0]
        for key in ("detail", "title", "status"):
            if isinstance(first.get(key), str):
                return str(first[key])
    return None


def as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return False


def as_int(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str):
        try:
            return int(float(value.strip()))
        except ValueError:
            return 0
    return 0


def as_text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text if text != "" else None


def as_datetime(value: Any) -> dt.datetime | None:
    """``"2012-09-09 00:48:28"`` (v2, read as UTC) or an epoch number (v3)."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.isdigit()):
        return dt.datetime.fromtimestamp(int(value), dt.UTC)
    try:
        return dt.datetime.strptime(str(value), "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.UTC)
    except ValueError:
        return None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if value is None:
        return []
    return [value]


def image_from(item: Any) -> Image:
    """``{image: {...}, links: {...}}``; a flat object with ``hash`` is read too."""
    item = _mapping(item)
    fields = _mapping(item.get("image")) or item
    links = _mapping(item.get("links"))
    hash_ = as_text(fields.get("hash")) or as_text(fields.get("id"))
    if hash_ is None:
        raise BadResponse("The service sent an image without its hash")
    return Image(
        hash=hash_,
        links=ImageLinks(
            original=as_text(links.get("original")) or as_text(fields.get("link")) or "",
            imgur_page=as_text(links.get("imgur_page")) or "",
            small_square=as_text(links.get("small_square")),
            large_thumbnail=as_text(links.get("large_thumbnail")),
            delete_page=as_text(links.get("delete_page")),
        ),
        deletehash=as_text(fields.get("deletehash")),
        name=as_text(fields.get("name")),
        title=as_text(fields.get("title")),
        caption=as_text(fields.get("caption")),
        datetime=as_datetime(fields.get("datetime")),
        mime=as_text(fields.get("type")),
        animated=as_bool(fields.get("animated")),
        width=as_int(fields.get("width")),
        height=as_int(fields.get("height")),
        size=as_int(fields.get("size")),
        views=as_int(fields.get("views")),
        bandwidth=as_int(fields.get("bandwidth")),
    )


def images_from(value: Any) -> tuple[Image, ...]:
    return tuple(image_from(i) for i in _list(value))


def album_from(value: Any, album_id: str | None = None) -> Album:
    fields = _mapping(value)
    found_id = as_text(fields.get("id")) or album_id
    if found_id is None:
        raise BadResponse("The service sent an album without its id")
    return Album(
        id=found_id,
        title=as_text(fields.get("title")),
        description=as_text(fields.get("description")),
        privacy=as_text(fields.get("privacy")),
        layout=as_text(fields.get("layout")),
        cover=as_text(fields.get("cover")),
        order=as_int(fields["order"]) if fields.get("order") is not None else None,
        datetime=as_datetime(fields.get("datetime")),
        link=as_text(fields.get("link")),
        images=images_from(fields.get("images")),
    )


def account_from(value: Any) -> Account:
    fields = _mapping(value)
    return Account(
        username=as_text(fields.get("url")) or "",
        is_pro=as_bool(fields.get("is_pro")),
        default_album_privacy=as_text(fields.get("default_album_privacy")),
        public_images=as_bool(fields.get("public_images")),
    )


def credits_from(value: Any) -> Credits:
    fields = _mapping(value)
    reset = fields.get("reset")
    return Credits(
        limit=as_int(fields.get("limit")),
        remaining=as_int(fields.get("remaining")),
        reset_at=as_datetime(as_int(reset)) if reset not in (None, "") else None,
    )


def stats_from(value: Any) -> Stats:
    fields = _mapping(value)
    popular = fields.get("most_popular_images")
    if isinstance(popular, Mapping):  # XML with one member not called <item>: <image_hash>
        popular = list(popular.values())
    return Stats(
        most_popular_images=tuple(str(h) for h in _list(popular) if h),
        images_uploaded=as_int(fields.get("images_uploaded")),
        images_viewed=as_int(fields.get("images_veiwed", fields.get("images_viewed"))),
        bandwidth_used=as_text(fields.get("bandwidth_used")) or "",
        average_image_size=as_text(fields.get("average_image_size")) or "",
    )
