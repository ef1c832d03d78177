"""Unit tests of ``imgur_desktop.server.wire``: the v2 JSON and XML bodies, byte for byte where
the captured fixtures (``shared/api/fixtures/v2-*``) allow it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import pytest
from defusedxml import ElementTree

from imgur_desktop.server.wire import (
    ApiError,
    Fmt,
    Items,
    error_payload,
    pick_format,
    render,
    to_json,
    to_xml,
)

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "api" / "fixtures"
DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>'


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes().strip()


def xml_payload(elem: Element) -> Any:
    """An element's children as the payload dict ``to_xml`` takes (empty element: None)."""
    children = list(elem)
    if not children:
        return elem.text or None
    return {child.tag: xml_payload(child) for child in children}


def xml_tree(elem: Element) -> Any:
    """Tag, text and children, recursively: what two equal XML documents share."""
    return (elem.tag, (elem.text or None) if len(elem) == 0 else None,
            [xml_tree(c) for c in elem])


# -- pick_format -------------------------------------------------------------------------------


@pytest.mark.parametrize(("suffix", "param", "expected"), [
    (".json", None, Fmt.JSON),
    (".xml", None, Fmt.XML),
    ("", None, Fmt.XML),
    ("", "", Fmt.XML),
    ("", "json", Fmt.JSON),
    ("", "JSON", Fmt.JSON),
    ("", "xml", Fmt.XML),
    ("", "yaml", Fmt.XML),
    (".xml", "json", Fmt.XML),  # the suffix wins over _format
    (".json", "xml", Fmt.JSON),
])
def test_pick_format(suffix: str, param: str | None, expected: Fmt) -> None:
    assert pick_format(suffix, param) is expected


def test_media_types() -> None:
    assert Fmt.JSON.media_type == "application/json"
    assert Fmt.XML.media_type == "application/xml"
    assert Fmt("json") is Fmt.JSON
    assert Fmt("xml") is Fmt.XML


# -- the fixtures, reproduced ----------------------------------------------------------------------


def test_upload_json_fixture_is_reproduced_byte_for_byte() -> None:
    raw = fixture_bytes("v2-upload-anon.json")
    fixture = json.loads(raw)
    body = to_json("upload", fixture["upload"])
    assert json.loads(body) == fixture
    assert body == raw


def test_upload_xml_fixture_is_reproduced_byte_for_byte() -> None:
    raw = fixture_bytes("v2-upload-anon.xml")
    root = ElementTree.fromstring(raw)
    body = to_xml(root.tag, xml_payload(root))
    assert xml_tree(ElementTree.fromstring(body)) == xml_tree(root)
    assert body == raw


def test_upload_fixture_values_render_as_the_xml_fixture() -> None:
    """Native values (None, ints, the string booleans) give self-closing tags and plain text."""
    image = json.loads(fixture_bytes("v2-upload-anon.json"))["upload"]["image"]
    body = to_xml("upload", {"image": image})
    assert body.startswith(DECLARATION + b"<upload><image><name/><title/><caption/>")
    assert b"<width>1680</width><height>988</height><size>228631</size>" in body
    assert b"<animated>false</animated>" in body
    assert b"<type>image/jpeg</type>" in body


def test_stats_fixture_is_reproduced() -> None:
    fixture = json.loads(fixture_bytes("v2-stats.json"))
    body = to_json("stats", fixture["stats"])
    assert json.loads(body) == fixture
    assert list(json.loads(body)["stats"]) == list(fixture["stats"])


def test_error_fixture_is_reproduced() -> None:
    fixture = json.loads(fixture_bytes("v2-error-invalid-api-key.json"))
    payload = error_payload("Invalid API Key", path="//2/upload.json", method="POST",
                            fmt=Fmt.JSON, params=[("key", "cca0e9d41a2d7c7"), ("type", "file")])
    body = to_json("error", payload)
    assert json.loads(body) == fixture
    assert list(json.loads(body)["error"]) == list(fixture["error"])
    assert b'"request":"\\/\\/2\\/upload.json"' in body


def test_error_payload_fields() -> None:
    payload = error_payload("Nope", path="/2/image/x.xml", method="DELETE", fmt=Fmt.XML,
                            params=[])
    assert payload == {"message": "Nope", "request": "/2/image/x.xml", "method": "delete",
                       "format": "xml", "parameters": ""}
    body = to_xml("error", payload)
    assert body == (DECLARATION + b"<error><message>Nope</message>"
                    b"<request>/2/image/x.xml</request><method>delete</method>"
                    b"<format>xml</format><parameters/></error>")


def test_api_error_carries_status_and_message() -> None:
    exc = ApiError(404, "Image not found")
    assert exc.status == 404
    assert exc.message == "Image not found"
    assert str(exc) == "Image not found"


# -- JSON ------------------------------------------------------------------------------------------


def test_json_escapes_slashes_and_is_compact() -> None:
    body = to_json("r", {"url": "http://h/a/b", "n": 1})
    assert body == b'{"r":{"url":"http:\\/\\/h\\/a\\/b","n":1}}'
    assert json.loads(body) == {"r": {"url": "http://h/a/b", "n": 1}}


def test_json_booleans_are_strings_none_is_null_numbers_stay_numbers() -> None:
    body = to_json("r", {"yes": True, "no": False, "none": None, "i": 3, "f": 1.5,
                         "nested": [True, {"b": False}]})
    assert json.loads(body) == {"r": {"yes": "true", "no": "false", "none": None, "i": 3,
                                      "f": 1.5, "nested": ["true", {"b": "false"}]}}
    assert b'"none":null' in body


def test_json_keeps_key_order() -> None:
    keys = ["zeta", "alpha", "mid", "beta"]
    body = to_json("r", {k: 1 for k in keys})
    assert list(json.loads(body)["r"]) == keys


def test_json_is_ascii_with_unicode_escapes() -> None:
    body = to_json("r", {"t": "café ✓", "c": "a\x00b"})
    body.decode("ascii")  # no raw non-ASCII bytes
    assert json.loads(body) == {"r": {"t": "café ✓", "c": "a\x00b"}}


def test_json_items_are_plain_lists() -> None:
    body = to_json("r", {"list": Items(["a", "b"], tag="image_hash"), "empty": Items([])})
    assert json.loads(body) == {"r": {"list": ["a", "b"], "empty": []}}


# -- XML -------------------------------------------------------------------------------------------


def test_xml_declaration_and_root() -> None:
    body = to_xml("credits", {"limit": 500, "remaining": 490})
    assert body == (DECLARATION + b"<credits><limit>500</limit>"
                    b"<remaining>490</remaining></credits>")


def test_xml_none_and_empty_string_are_self_closing() -> None:
    body = to_xml("r", {"a": None, "b": "", "c": "x"})
    assert body == DECLARATION + b"<r><a/><b/><c>x</c></r>"


def test_xml_booleans_are_true_false() -> None:
    body = to_xml("r", {"t": True, "f": False})
    assert body == DECLARATION + b"<r><t>true</t><f>false</f></r>"


def test_xml_lists_use_item_elements() -> None:
    payload = {"images": [{"image": {"hash": "abc"}, "links": {"original": "http://h/abc.png"}},
                          {"image": {"hash": "def"}, "links": {"original": "http://h/def.png"}}]}
    body = to_xml("album", payload)
    assert body == (DECLARATION + b"<album><images>"
                    b"<item><image><hash>abc</hash></image>"
                    b"<links><original>http://h/abc.png</original></links></item>"
                    b"<item><image><hash>def</hash></image>"
                    b"<links><original>http://h/def.png</original></links></item>"
                    b"</images></album>")
    root = ElementTree.fromstring(body)
    assert [i.findtext("image/hash") for i in root.iter("item")] == ["abc", "def"]


def test_xml_items_tag_override() -> None:
    body = to_xml("stats", {"most_popular_images": Items(["a1", "b2"], tag="image_hash")})
    assert body == (DECLARATION + b"<stats><most_popular_images><image_hash>a1</image_hash>"
                    b"<image_hash>b2</image_hash></most_popular_images></stats>")
    default = to_xml("stats", {"most_popular_images": Items(["a1"])})
    assert b"<most_popular_images><item>a1</item></most_popular_images>" in default


def test_xml_top_level_list_payload() -> None:
    body = to_xml("images", [{"image": {"hash": "h1"}}, {"image": {"hash": "h2"}}])
    root = ElementTree.fromstring(body)
    assert root.tag == "images"
    assert [c.tag for c in root] == ["item", "item"]
    assert [c.findtext("image/hash") for c in root] == ["h1", "h2"]


def test_xml_strips_control_characters_but_keeps_whitespace() -> None:
    text = "a\x00b\x01c\x08d\x0be\x0cf\x0eg\x1fh\ufffei\uffffj\tk\nl\rm"
    body = to_xml("r", {"t": text})
    for bad in ("\x00", "\x01", "\x08", "\x0b", "\x0c", "\x0e", "\x1f", "\ufffe", "\uffff"):
        assert bad.encode("utf-8") not in body
    parsed = ElementTree.fromstring(body).findtext("t")
    assert parsed is not None
    assert parsed.replace("\r", "\n") == "abcdefghij\tk\nl\nm"


def test_xml_escapes_markup() -> None:
    text = "<script>alert('x')</script> & \"q\""
    body = to_xml("r", {"t": text})
    assert b"<script>" not in body
    assert b"&lt;script&gt;" in body
    assert b"&amp;" in body
    assert ElementTree.fromstring(body).findtext("t") == text


def test_xml_is_utf8() -> None:
    body = to_xml("r", {"t": "café ✓"})
    assert "café ✓".encode() in body
    assert ElementTree.fromstring(body).findtext("t") == "café ✓"


def test_xml_numbers_and_nested_order() -> None:
    body = to_xml("r", {"z": 1, "a": {"y": 2.5, "b": 0}, "m": -3})
    assert body == DECLARATION + b"<r><z>1</z><a><y>2.5</y><b>0</b></a><m>-3</m></r>"


def test_render_dispatches_on_format() -> None:
    payload = {"message": "Success"}
    assert render("delete", payload, Fmt.JSON) == to_json("delete", payload)
    assert render("delete", payload, Fmt.XML) == to_xml("delete", payload)
    assert render("delete", payload, Fmt.JSON) == b'{"delete":{"message":"Success"}}'
    assert render("delete", payload, Fmt.XML) == (DECLARATION
                                                   + b"<delete><message>Success</message></delete>")
