"""Imgur API v2 bodies: the response format, JSON and XML envelopes, the error body.

v2 quirks kept on purpose, since real clients parse them: booleans are the strings
"true"/"false", empty text is ``null`` in JSON and a self-closing tag in XML, array members in
XML are ``<item>`` elements, JSON escapes ``/`` as ``\\/`` the way Imgur's PHP did.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Union
from xml.sax.saxutils import escape

Value = Union[None, bool, int, float, str, "Items", Sequence["Value"], Mapping[str, "Value"]]


class Fmt(Enum):
    JSON = "json"
    XML = "xml"

    @property
    def media_type(self) -> str:
        return "application/json" if self is Fmt.JSON else "application/xml"


@dataclass(frozen=True, slots=True)
class Items:
    """A list whose XML members get a tag other than ``item``."""

    values: Sequence[Value]
    tag: str = "item"


class ApiError(Exception):
    """An error answered with the v2 error body and an HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def pick_format(suffix: str, format_param: str | None) -> Fmt:
    """``.json``/``.xml`` on the path wins, then ``_format``; XML when neither says."""
    if suffix == ".json":
        return Fmt.JSON
    if suffix == ".xml":
        return Fmt.XML
    if format_param and format_param.lower() == "json":
        return Fmt.JSON
    return Fmt.XML


def _scalar(value: bool | int | float | str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_PLAIN = (str, int, float, type(None))


def _jsonable(value: Value) -> object:
    if type(value) in _PLAIN:  # the usual leaf: no ABC checks (bool is not int here)
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if type(value) is dict:
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, Items):
        return [_jsonable(v) for v in value.values]
    if isinstance(value, Mapping):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


#: oEmbed is its own standard: its JSON is the bare object, its XML root is <oembed>.
FLAT_JSON_ROOTS = frozenset({"oembed"})


def to_json(root: str, payload: Value) -> bytes:
    document = _jsonable(payload) if root in FLAT_JSON_ROOTS else {root: _jsonable(payload)}
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=True)
    return text.replace("/", "\\/").encode("ascii")


# Characters XML 1.0 cannot carry at all; they are dropped rather than breaking the document.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(value: str) -> str:
    return escape(_XML_INVALID.sub("", value))


def _xml_element(tag: str, value: Value, out: list[str]) -> None:
    if value is None or value == "":
        out.append(f"<{tag}/>")
    elif isinstance(value, Items):
        out.append(f"<{tag}>")
        for member in value.values:
            _xml_element(value.tag, member, out)
        out.append(f"</{tag}>")
    elif isinstance(value, Mapping):
        out.append(f"<{tag}>")
        for key, member in value.items():
            _xml_element(key, member, out)
        out.append(f"</{tag}>")
    elif isinstance(value, (list, tuple)):
        _xml_element(tag, Items(value), out)
    else:
        out.append(f"<{tag}>{_xml_text(_scalar(value))}</{tag}>")  # type: ignore[arg-type]


def to_xml(root: str, payload: Value) -> bytes:
    out = ['<?xml version="1.0" encoding="utf-8"?>']
    _xml_element(root, payload, out)
    return "".join(out).encode("utf-8")


def render(root: str, payload: Value, fmt: Fmt) -> bytes:
    return to_json(root, payload) if fmt is Fmt.JSON else to_xml(root, payload)


def error_payload(message: str, *, path: str, method: str, fmt: Fmt,
                  params: Sequence[tuple[str, str]]) -> dict[str, Value]:
    """The v2 error body: what was asked, echoed back (never file data or OAuth secrets)."""
    shown = ", ".join(f"{k} = {v}" for k, v in params)
    return {
        "message": message,
        "request": path,
        "method": method.lower(),
        "format": fmt.value,
        "parameters": shown,
    }
