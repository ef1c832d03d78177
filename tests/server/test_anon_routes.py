"""Every anonymous Imgur API v2 route of the local host, over real HTTP, in JSON and in XML.

The wire contract is ``shared/api/imgur-api.md`` §1; the shapes are checked key for key against
the captured v2 bodies in ``shared/api/fixtures/v2-*``.
"""

from __future__ import annotations

import base64
import calendar
import io
import json
import random
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import pytest
import requests
from defusedxml import ElementTree
from PIL import Image
from requests_oauthlib import OAuth1Session

from tests.conftest import ALICE, HostWithKeys
from tests.support import images
from tests.support.browser import sign_in, signed_session
from tests.support.localhost import LocalHost, add_app, add_user

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "api" / "fixtures"
TIMEOUT = 30
XML_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>'
ERROR_KEYS = ["message", "request", "method", "format", "parameters"]
HASH = re.compile(r"[A-Za-z0-9]{7}")
DELETEHASH = re.compile(r"[A-Za-z0-9]{15}")
DATETIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
HUMAN_SIZE = re.compile(r"\d+(?:\.\d{2})? (?:B|KB|MB|GB|TB)")


# -- formats and parsing --------------------------------------------------------------------


@dataclass(frozen=True)
class Way:
    """One way of asking for a response format."""

    name: str
    suffix: str
    kind: str  # "json" or "xml": what the host must answer
    query: dict[str, str] = field(default_factory=dict)


WAYS = [
    Way("json-suffix", ".json", "json"),
    Way("xml-suffix", ".xml", "xml"),
    Way("no-suffix", "", "xml"),
    Way("_format=json", "", "json", {"_format": "json"}),
]


@pytest.fixture(params=WAYS, ids=[w.name for w in WAYS])
def way(request: pytest.FixtureRequest) -> Way:
    return request.param  # type: ignore[no-any-return]


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def fixture_json(name: str) -> dict[str, Any]:
    return json.loads(fixture_text(name))  # type: ignore[no-any-return]


def xml_obj(elem: Element) -> Any:
    """An element as plain data: text (None when empty), a list of ``<item>``s, or a dict."""
    children = list(elem)
    if not children:
        return elem.text if elem.text else None
    if all(c.tag == "item" for c in children):
        return [xml_obj(c) for c in children]
    tags = [c.tag for c in children]
    assert len(tags) == len(set(tags)), f"repeated elements in <{elem.tag}>: {tags}"
    return {c.tag: xml_obj(c) for c in children}


def flat(value: Any) -> Any:
    """JSON data in the shape XML gives it: every scalar a string, empty text or list None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value or None
    if isinstance(value, list):
        return [flat(v) for v in value] or None
    assert isinstance(value, dict)
    return {k: flat(v) for k, v in value.items()}


def parse(resp: requests.Response, kind: str) -> tuple[str, Any]:
    """(root name, body as plain data); checks the Content-Type and, for XML, the declaration."""
    ctype = resp.headers.get("Content-Type", "")
    if kind == "json":
        assert ctype.startswith("application/json"), ctype
        body = resp.json()
        assert isinstance(body, dict)
        assert len(body) == 1, f"one root key expected: {list(body)}"
        ((root, value),) = body.items()
        return root, value
    assert ctype.startswith(("application/xml", "text/xml")), ctype
    assert resp.content.startswith(XML_DECLARATION), resp.content[:80]
    elem = ElementTree.fromstring(resp.content)
    return elem.tag, xml_obj(elem)


def parse_flat(resp: requests.Response, kind: str, root: str) -> Any:
    got_root, value = parse(resp, kind)
    assert got_root == root, resp.text[:300]
    return flat(value)


def as_list(value: Any) -> list[Any]:
    assert value is None or isinstance(value, list), value
    return value or []


def assert_rate_headers(resp: requests.Response) -> tuple[int, int, int]:
    limit = int(resp.headers["X-RateLimit-Limit"])
    remaining = int(resp.headers["X-RateLimit-Remaining"])
    reset = int(resp.headers["X-RateLimit-Reset"])
    assert 0 <= remaining <= limit
    assert reset > time.time() - 5
    return limit, remaining, reset


def check_error(resp: requests.Response, kind: str, status: int, message: str | None = None,
                *, method: str = "get", request: str | None = None) -> dict[str, Any]:
    """The v2 error body: root ``error`` with message, request, method, format, parameters."""
    assert resp.status_code == status, resp.text[:500]
    root, value = parse(resp, kind)
    assert root == "error"
    assert isinstance(value, dict)
    assert list(value) == ERROR_KEYS
    if kind == "json":
        assert all(isinstance(v, str) for v in value.values()), value
    err = flat(value)
    if message is not None:
        assert err["message"] == message
    else:
        assert err["message"]
    assert err["method"] == method
    assert err["format"] == kind
    if request is not None:
        assert err["request"] == request
    err["parameters"] = err["parameters"] or ""
    assert_rate_headers(resp)
    return err  # type: ignore[no-any-return]


# -- uploads --------------------------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def noise_png(seed: int, size: tuple[int, int] = (64, 64)) -> bytes:
    """A PNG that does not compress (so its size is in kilobytes)."""
    raw = random.Random(seed).randbytes(size[0] * size[1] * 3)
    buf = io.BytesIO()
    Image.frombytes("RGB", size, raw).save(buf, "PNG")
    return buf.getvalue()


def animated_gif(frames: int = 3) -> bytes:
    """A GIF with really different frames (``images.gif(n)`` comes out as one frame on Pillow
    13, whose GIF writer merges its palette-only frames)."""
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)]
    imgs = [Image.new("RGB", (32, 32), colours[i % len(colours)]) for i in range(frames)]
    buf = io.BytesIO()
    imgs[0].save(buf, "GIF", save_all=True, append_images=imgs[1:], duration=100, loop=0)
    data = buf.getvalue()
    with Image.open(io.BytesIO(data)) as check:
        assert check.n_frames == frames
    return data


def post_upload(host: HostWithKeys, way: Way, *, method: str = "POST",
                **kwargs: Any) -> requests.Response:
    params = dict(way.query)
    params.update(kwargs.pop("params", {}))
    return requests.request(method, host.api + "upload" + way.suffix, params=params,
                            timeout=TIMEOUT, **kwargs)


def upload_file(host: HostWithKeys, content: bytes, filename: str = "file.bin",
                **fields: str) -> dict[str, Any]:
    """A plain multipart upload answered in JSON; returns ``upload``."""
    resp = requests.post(host.api + "upload.json", data={"key": host.keys.key, **fields},
                         files={"image": (filename, content)}, timeout=TIMEOUT)
    assert resp.status_code == 200, resp.text
    return resp.json()["upload"]  # type: ignore[no-any-return]


def check_upload(host: HostWithKeys, resp: requests.Response, kind: str, content: bytes, *,
                 mime: str = "image/png", ext: str = "png", width: int = 64, height: int = 48,
                 animated: str = "false", name: str | None = None, title: str | None = None,
                 caption: str | None = None) -> tuple[str, str]:
    """A successful upload answer in either format; the direct link serves ``content``."""
    assert resp.status_code == 200, resp.text[:500]
    body = parse_flat(resp, kind, "upload")
    assert list(body) == ["image", "links"]
    img, links = body["image"], body["links"]
    assert img["name"] == name
    assert img["title"] == title
    assert img["caption"] == caption
    assert HASH.fullmatch(img["hash"]), img["hash"]
    assert DELETEHASH.fullmatch(img["deletehash"]), img["deletehash"]
    assert DATETIME.fullmatch(img["datetime"]), img["datetime"]
    uploaded = calendar.timegm(time.strptime(img["datetime"], "%Y-%m-%d %H:%M:%S"))
    assert abs(uploaded - time.time()) < 300, "datetime is not the upload time (UTC)"
    assert img["type"] == mime
    assert img["animated"] == animated
    assert img["width"] == str(width)
    assert img["height"] == str(height)
    assert img["size"] == str(len(content))
    assert img["views"] == "0"
    assert img["bandwidth"] == "0"
    hash_, deletehash = img["hash"], img["deletehash"]
    assert links == {
        "original": f"{host.url}{hash_}.{ext}",
        "imgur_page": f"{host.url}{hash_}",
        "delete_page": f"{host.url}delete/{deletehash}",
        "small_square": f"{host.url}{hash_}s.jpg",
        "large_thumbnail": f"{host.url}{hash_}l.jpg",
    }
    served = requests.get(links["original"], timeout=TIMEOUT)
    assert served.status_code == 200
    assert served.content == content, "the direct link does not serve the uploaded bytes"
    assert_rate_headers(resp)
    return hash_, deletehash


def test_upload_multipart_file_echoes_name_title_caption(shared_host: HostWithKeys,
                                                         way: Way) -> None:
    content = images.png()
    resp = post_upload(shared_host, way,
                       data={"key": shared_host.keys.key, "type": "file", "name": "holiday.png",
                             "title": "At the beach", "caption": "Sun & sea <3"},
                       files={"image": ("ignored.png", content, "image/png")})
    check_upload(shared_host, resp, way.kind, content, name="holiday.png",
                 title="At the beach", caption="Sun & sea <3")


def test_upload_multipart_without_type_or_name_uses_the_file_name(shared_host: HostWithKeys,
                                                                  way: Way) -> None:
    content = images.jpeg()
    resp = post_upload(shared_host, way, data={"key": shared_host.keys.key},
                       files={"image": ("photo.jpg", content)})
    check_upload(shared_host, resp, way.kind, content, mime="image/jpeg", ext="jpg",
                 name="photo.jpg")


@pytest.mark.parametrize(("encoding", "with_type"), [
    ("urlencoded", True), ("urlencoded", False), ("multipart", True), ("multipart", False),
])
def test_upload_base64_field(shared_host: HostWithKeys, way: Way, encoding: str,
                             with_type: bool) -> None:
    content = images.png()
    fields = {"key": shared_host.keys.key, "title": "from base64"}
    if with_type:
        fields["type"] = "base64"
    if encoding == "urlencoded":
        resp = post_upload(shared_host, way, data={**fields, "image": b64(content)})
        assert "x-www-form-urlencoded" in (resp.request.headers.get("Content-Type") or "")
    else:
        # A text part (no file name): base64 text, not a file.
        parts = {k: (None, v) for k, v in fields.items()}
        resp = post_upload(shared_host, way, files={**parts, "image": (None, b64(content))})
    check_upload(shared_host, resp, way.kind, content, title="from base64")


@pytest.mark.parametrize("with_type", [True, False], ids=["type=url", "auto-detected"])
def test_upload_by_url_of_an_image_on_the_host(shared_host: HostWithKeys, way: Way,
                                               with_type: bool) -> None:
    content = images.gif()
    source = upload_file(shared_host, content, "source.gif")
    url = source["links"]["original"]
    data = {"key": shared_host.keys.key, "image": url, "title": "fetched"}
    if with_type:
        data["type"] = "url"
    resp = post_upload(shared_host, way, data=data)
    new_hash, _ = check_upload(shared_host, resp, way.kind, content, mime="image/gif",
                               ext="gif", width=32, height=32, title="fetched")
    assert new_hash != source["image"]["hash"]


def test_upload_raw_body_with_parameters_in_the_query(shared_host: HostWithKeys,
                                                      way: Way) -> None:
    content = images.png()
    resp = post_upload(shared_host, way,
                       params={"key": shared_host.keys.key, "name": "raw.png",
                               "title": "Raw body"},
                       data=content, headers={"Content-Type": "application/octet-stream"})
    check_upload(shared_host, resp, way.kind, content, name="raw.png", title="Raw body")


@pytest.mark.parametrize("with_type", [True, False], ids=["type=base64", "auto-detected"])
def test_put_upload_with_the_image_in_the_query(shared_host: HostWithKeys, way: Way,
                                                with_type: bool) -> None:
    content = images.png()
    params = {"key": shared_host.keys.key, "image": b64(content), "caption": "put"}
    if with_type:
        params["type"] = "base64"
    resp = post_upload(shared_host, way, method="PUT", params=params, data=b"")
    assert resp.request.headers.get("Content-Length") == "0"
    check_upload(shared_host, resp, way.kind, content, caption="put")


def test_upload_json_matches_the_fixture_key_for_key(shared_host: HostWithKeys) -> None:
    """No name/title/caption sent: the body has the fixture's keys, order and JSON types."""
    fixture = fixture_json("v2-upload-anon.json")
    resp = requests.post(shared_host.api + "upload.json",
                         data={"key": shared_host.keys.key, "image": b64(images.jpeg()),
                               "type": "base64"}, timeout=TIMEOUT)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert list(body) == list(fixture)
    assert list(body["upload"]) == list(fixture["upload"])
    for part in ("image", "links"):
        assert list(body["upload"][part]) == list(fixture["upload"][part]), part
        for key, expected in fixture["upload"][part].items():
            got = body["upload"][part][key]
            assert type(got) is type(expected), f"{part}.{key}: {got!r} vs {expected!r}"
    image = body["upload"]["image"]
    assert image["name"] is None
    assert image["title"] is None
    assert image["caption"] is None
    assert image["animated"] == "false"
    assert DATETIME.fullmatch(image["datetime"])


def test_upload_json_escapes_slashes_like_the_fixture(shared_host: HostWithKeys) -> None:
    assert '"type":"image\\/jpeg"' in fixture_text("v2-upload-anon.json")
    upload = requests.post(shared_host.api + "upload.json",
                           data={"key": shared_host.keys.key, "title": "a/b"},
                           files={"image": ("x.png", images.png())}, timeout=TIMEOUT)
    text = upload.text
    assert '"type":"image\\/png"' in text
    assert '"title":"a\\/b"' in text
    assert '"original":"http:\\/\\/' in text
    assert "/" not in text.replace("\\/", ""), "an unescaped slash in the JSON text"
    assert upload.json()["upload"]["image"]["title"] == "a/b"


def test_upload_xml_matches_the_fixture_element_for_element(shared_host: HostWithKeys) -> None:
    fixture_raw = fixture_text("v2-upload-anon.xml").strip().encode()
    fixture = ElementTree.fromstring(fixture_raw)
    resp = requests.post(shared_host.api + "upload.xml",
                         data={"key": shared_host.keys.key, "image": b64(images.jpeg()),
                               "type": "base64"}, timeout=TIMEOUT)
    assert resp.status_code == 200, resp.text
    assert resp.content.startswith(XML_DECLARATION)
    assert fixture_raw.startswith(XML_DECLARATION)
    got = ElementTree.fromstring(resp.content)
    assert got.tag == fixture.tag == "upload"
    assert [c.tag for c in got] == [c.tag for c in fixture]
    for part in ("image", "links"):
        got_part, fix_part = got.find(part), fixture.find(part)
        assert got_part is not None
        assert fix_part is not None
        assert [c.tag for c in got_part] == [c.tag for c in fix_part], part
        assert all(len(c) == 0 for c in got_part)
    # Empty name/title/caption are self-closing tags, exactly as in the fixture.
    assert b"<image><name/><title/><caption/><hash>" in fixture_raw
    assert b"<image><name/><title/><caption/><hash>" in resp.content
    image = got.find("image")
    assert image is not None
    assert image.findtext("animated") == "false"
    assert image.findtext("type") == "image/jpeg"


def test_upload_xml_escapes_text(shared_host: HostWithKeys) -> None:
    title = "Tom & Jerry <in> \"quotes\""
    resp = requests.post(shared_host.api + "upload.xml",
                         data={"key": shared_host.keys.key, "title": title},
                         files={"image": ("x.png", images.png())}, timeout=TIMEOUT)
    assert resp.status_code == 200, resp.text
    assert b"<in>" not in resp.content
    assert ElementTree.fromstring(resp.content).findtext("image/title") == title


# -- format sniffing ---------------------------------------------------------------------------


@pytest.mark.parametrize(("make", "mime", "ext", "animated", "size"), [
    (images.png, "image/png", "png", "false", (64, 48)),
    (images.apng, "image/png", "png", "true", (32, 32)),
    (animated_gif, "image/gif", "gif", "true", (32, 32)),
    (lambda: images.gif(1), "image/gif", "gif", "false", (32, 32)),
    (images.jpeg, "image/jpeg", "jpg", "false", (64, 48)),
    (images.tiff, "image/tiff", "tif", "false", (64, 48)),
    (images.bmp, "image/bmp", "bmp", "false", (64, 48)),
    (images.pdf, "application/pdf", "pdf", "false", None),
    (images.xcf, "image/x-xcf", "xcf", "false", (40, 30)),
], ids=["png", "apng", "gif-animated", "gif-still", "jpeg", "tiff", "bmp", "pdf", "xcf"])
def test_upload_type_is_sniffed_from_content(shared_host: HostWithKeys, make: Any, mime: str,
                                             ext: str, animated: str,
                                             size: tuple[int, int] | None) -> None:
    content = make()
    # A misleading file name: only the bytes decide.
    upload = upload_file(shared_host, content, "misleading.txt")
    image = upload["image"]
    assert image["type"] == mime
    assert image["animated"] == animated
    assert image["size"] == len(content)
    if size is not None:
        assert (image["width"], image["height"]) == size
    assert upload["links"]["original"] == f"{shared_host.url}{image['hash']}.{ext}"
    served = requests.get(upload["links"]["original"], timeout=TIMEOUT)
    assert served.content == content


@pytest.mark.parametrize("content", [images.webp(), b"just some text, not an image\n"],
                         ids=["webp", "text"])
def test_upload_of_an_unsupported_type_is_400(shared_host: HostWithKeys, way: Way,
                                              content: bytes) -> None:
    resp = post_upload(shared_host, way, data={"key": shared_host.keys.key},
                       files={"image": ("image.png", content)})
    err = check_error(resp, way.kind, 400, method="post")
    assert "not supported" in err["message"]


# -- image ------------------------------------------------------------------------------------


def test_get_image_is_the_public_view(shared_host: HostWithKeys, way: Way) -> None:
    content = images.png()
    upload = upload_file(shared_host, content, "private-file-name.png", title="Public title",
                         caption="Public caption")
    hash_, deletehash = upload["image"]["hash"], upload["image"]["deletehash"]
    resp = requests.get(f"{shared_host.api}image/{hash_}{way.suffix}", params=way.query,
                        timeout=TIMEOUT)
    assert resp.status_code == 200, resp.text
    body = parse_flat(resp, way.kind, "image")
    fixture = fixture_json("v2-upload-anon.json")["upload"]
    assert list(body) == ["image", "links"]
    public_keys = [k for k in fixture["image"] if k not in ("name", "deletehash")]
    assert list(body["image"]) == public_keys
    assert list(body["links"]) == [k for k in fixture["links"] if k != "delete_page"]
    assert deletehash not in resp.text
    assert "private-file-name" not in resp.text
    assert body["image"] == {
        "title": "Public title", "caption": "Public caption", "hash": hash_,
        "datetime": upload["image"]["datetime"], "type": "image/png", "animated": "false",
        "width": "64", "height": "48", "size": str(len(content)),
        "views": body["image"]["views"], "bandwidth": body["image"]["bandwidth"],
    }
    assert body["links"] == {k: v for k, v in flat(upload["links"]).items()
                             if k != "delete_page"}
    if way.kind == "json":
        image = resp.json()["image"]["image"]
        assert isinstance(image["width"], int)
        assert isinstance(image["views"], int)
        assert image["animated"] == "false"
    assert_rate_headers(resp)


def test_get_unknown_image_is_404_with_the_error_body(shared_host: HostWithKeys,
                                                      way: Way) -> None:
    resp = requests.get(f"{shared_host.api}image/zzzzzzz{way.suffix}", params=way.query,
                        timeout=TIMEOUT)
    err = check_error(resp, way.kind, 404, request=f"/2/image/zzzzzzz{way.suffix}")
    assert err["parameters"] == ", ".join(f"{k} = {v}" for k, v in way.query.items())


# -- album ------------------------------------------------------------------------------------


@dataclass
class Albums:
    hashes: list[str]  # in album order (not upload order)
    uploads: dict[str, dict[str, Any]]
    public: str
    hidden: str
    secret: str


def account_upload(session: OAuth1Session, api: str, content: bytes,
                   **fields: str) -> dict[str, Any]:
    resp = session.post(api + "account/images.json", data=fields,
                        files={"image": ("a.png", content)}, timeout=TIMEOUT)
    assert resp.status_code == 200, resp.text
    return resp.json()["images"]  # type: ignore[no-any-return]


def create_album(session: OAuth1Session, api: str, hashes: list[str], **fields: str) -> str:
    resp = session.post(api + "account/albums.json",
                        data={"add_images": ",".join(hashes), **fields}, timeout=TIMEOUT)
    assert resp.status_code == 200, resp.text
    return resp.json()["albums"]["id"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def albums(shared_host: HostWithKeys, alice_tokens: Any) -> Albums:
    alice = signed_session(shared_host.keys, alice_tokens)
    uploads = [account_upload(alice, shared_host.api, images.png((40 + i, 30 + i)),
                              title=f"Image {i}", caption=f"Caption {i}") for i in range(3)]
    hashes = [uploads[i]["image"]["hash"] for i in (2, 0, 1)]
    public = create_album(alice, shared_host.api, hashes, title="Holiday & more",
                          description="Three pictures", layout="vertical", privacy="public",
                          cover=hashes[1])
    hidden = create_album(alice, shared_host.api, hashes[:1], title="Hidden one",
                          layout="grid", privacy="hidden")
    secret = create_album(alice, shared_host.api, hashes[:1], title="Secret one",
                          privacy="secret")
    return Albums(hashes, {u["image"]["hash"]: u for u in uploads}, public, hidden, secret)


def test_get_album_anonymously(shared_host: HostWithKeys, albums: Albums, way: Way) -> None:
    resp = requests.get(f"{shared_host.api}album/{albums.public}{way.suffix}", params=way.query,
                        timeout=TIMEOUT)
    assert resp.status_code == 200, resp.text
    body = parse_flat(resp, way.kind, "album")
    assert list(body) == ["title", "description", "cover", "layout", "images"]
    assert body["title"] == "Holiday & more"
    assert body["description"] == "Three pictures"
    assert body["cover"] == albums.hashes[1]
    assert body["layout"] == "vertical"
    items = as_list(body["images"])
    assert [item["image"]["hash"] for item in items] == albums.hashes
    for item in items:
        assert list(item) == ["image", "links"]
        upload = albums.uploads[item["image"]["hash"]]
        assert "deletehash" not in item["image"]
        assert "name" not in item["image"]
        assert "delete_page" not in item["links"]
        assert item["image"]["title"] == upload["image"]["title"]
        assert item["image"]["caption"] == upload["image"]["caption"]
        assert item["image"]["width"] == str(upload["image"]["width"])
        assert item["links"]["original"] == upload["links"]["original"]
        assert upload["image"]["deletehash"] not in resp.text
    if way.kind == "json":
        raw_images = resp.json()["album"]["images"]
        assert isinstance(raw_images, list)
        assert isinstance(raw_images[0]["image"]["size"], int)
    else:
        root = ElementTree.fromstring(resp.content)
        members = root.find("images")
        assert members is not None
        assert [m.tag for m in members] == ["item"] * 3
        assert all([c.tag for c in m] == ["image", "links"] for m in members)
    assert_rate_headers(resp)


def test_hidden_album_is_readable_secret_album_is_404(shared_host: HostWithKeys,
                                                      albums: Albums, way: Way) -> None:
    hidden = requests.get(f"{shared_host.api}album/{albums.hidden}{way.suffix}",
                          params=way.query, timeout=TIMEOUT)
    assert hidden.status_code == 200, hidden.text
    body = parse_flat(hidden, way.kind, "album")
    assert body["title"] == "Hidden one"
    assert body["layout"] == "grid"
    assert [i["image"]["hash"] for i in as_list(body["images"])] == albums.hashes[:1]
    secret = requests.get(f"{shared_host.api}album/{albums.secret}{way.suffix}",
                          params=way.query, timeout=TIMEOUT)
    check_error(secret, way.kind, 404)
    assert "Secret one" not in secret.text


def test_get_unknown_album_is_404(shared_host: HostWithKeys, way: Way) -> None:
    resp = requests.get(f"{shared_host.api}album/nope0{way.suffix}", params=way.query,
                        timeout=TIMEOUT)
    check_error(resp, way.kind, 404, request=f"/2/album/nope0{way.suffix}")


# -- delete ------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["DELETE", "GET"])
def test_delete_by_deletehash(shared_host: HostWithKeys, way: Way, method: str) -> None:
    upload = upload_file(shared_host, images.png(), "doomed.png")
    hash_, deletehash = upload["image"]["hash"], upload["image"]["deletehash"]
    url = f"{shared_host.api}delete/{deletehash}{way.suffix}"
    resp = requests.request(method, url, params=way.query, timeout=TIMEOUT)
    assert resp.status_code == 200, resp.text
    assert parse_flat(resp, way.kind, "delete") == {"message": "Success"}
    if way.kind == "json":
        assert resp.json() == {"delete": {"message": "Success"}}
    assert_rate_headers(resp)

    gone = requests.get(f"{shared_host.api}image/{hash_}.json", timeout=TIMEOUT)
    check_error(gone, "json", 404)
    assert requests.get(upload["links"]["original"], timeout=TIMEOUT).status_code == 404
    again = requests.request(method, url, params=way.query, timeout=TIMEOUT)
    check_error(again, way.kind, 400, "Invalid delete hash", method=method.lower())


def test_delete_with_a_bad_deletehash_is_400(shared_host: HostWithKeys, way: Way) -> None:
    for method in ("DELETE", "GET"):
        resp = requests.request(method, f"{shared_host.api}delete/notADeleteHash1{way.suffix}",
                                params=way.query, timeout=TIMEOUT)
        check_error(resp, way.kind, 400, "Invalid delete hash", method=method.lower(),
                    request=f"/2/delete/notADeleteHash1{way.suffix}")


# -- stats ------------------------------------------------------------------------------------


def kb(num: int) -> str:
    assert 1024 <= num < 1024 * 1024, num
    return f"{num / 1024:.2f} KB"


def test_stats_count_uploads_views_and_bandwidth(make_host: Any) -> None:
    host: HostWithKeys = make_host(users=False)
    first, second = noise_png(1), noise_png(2, (48, 48))
    a = upload_file(host, first, "a.png")
    b = upload_file(host, second, "b.png")
    for _ in range(3):
        assert requests.get(a["links"]["original"], timeout=TIMEOUT).content == first
    assert requests.get(b["links"]["original"], timeout=TIMEOUT).content == second
    expected = {
        "most_popular_images": [a["image"]["hash"], b["image"]["hash"]],
        "images_uploaded": 2,
        "images_veiwed": 4,
        "bandwidth_used": kb(3 * len(first) + len(second)),
        "average_image_size": kb((len(first) + len(second)) // 2),
    }
    fixture = fixture_json("v2-stats.json")["stats"]
    for w in WAYS:
        for view in ("today", "week", "month", None):
            params = dict(w.query)
            if view is not None:
                params["view"] = view
            resp = requests.get(f"{host.api}stats{w.suffix}", params=params, timeout=TIMEOUT)
            assert resp.status_code == 200, resp.text
            body = parse_flat(resp, w.kind, "stats")
            assert body == flat(expected), (w.name, view)
            assert list(body) == list(fixture)
            assert HUMAN_SIZE.fullmatch(body["bandwidth_used"])
            assert HUMAN_SIZE.fullmatch(body["average_image_size"])
            if w.kind == "json":
                raw = resp.json()["stats"]
                assert raw == expected
                for key, sample in fixture.items():
                    assert type(raw[key]) is type(sample), key
            assert_rate_headers(resp)


def test_stats_with_a_bad_view_is_400(shared_host: HostWithKeys, way: Way) -> None:
    resp = requests.get(f"{shared_host.api}stats{way.suffix}",
                        params={**way.query, "view": "decade"}, timeout=TIMEOUT)
    err = check_error(resp, way.kind, 400, request=f"/2/stats{way.suffix}")
    assert "view = decade" in err["parameters"]


# -- credits ----------------------------------------------------------------------------------


def test_credits(shared_host: HostWithKeys, way: Way) -> None:
    url = f"{shared_host.api}credits{way.suffix}"
    first = requests.get(url, params=way.query, timeout=TIMEOUT)
    assert first.status_code == 200, first.text
    body = parse_flat(first, way.kind, "credits")
    assert list(body) == ["limit", "remaining", "reset", "refresh_in_secs"]
    limit, remaining, reset = assert_rate_headers(first)
    assert body["limit"] == str(limit) == "100000"
    assert body["remaining"] == str(remaining)
    assert body["reset"] == str(reset)
    assert 0 <= int(body["refresh_in_secs"]) <= 3600
    assert abs(int(body["reset"]) - time.time() - int(body["refresh_in_secs"])) <= 2
    if way.kind == "json":
        raw = first.json()["credits"]
        assert all(isinstance(v, int) for v in raw.values()), raw
    second = requests.get(url, params=way.query, timeout=TIMEOUT)
    assert int(parse_flat(second, way.kind, "credits")["remaining"]) == remaining - 1


def test_an_upload_costs_ten_credits(shared_host: HostWithKeys) -> None:
    before = requests.get(shared_host.api + "credits.json", timeout=TIMEOUT)
    remaining = before.json()["credits"]["remaining"]
    upload = requests.post(shared_host.api + "upload.json", data={"key": shared_host.keys.key},
                           files={"image": ("x.png", images.png())}, timeout=TIMEOUT)
    assert upload.status_code == 200
    assert int(upload.headers["X-RateLimit-Remaining"]) == remaining - 10
    after = requests.get(shared_host.api + "credits.json", timeout=TIMEOUT)
    assert after.json()["credits"]["remaining"] == remaining - 11


def test_every_api_response_carries_rate_limit_headers(shared_host: HostWithKeys) -> None:
    api, key = shared_host.api, shared_host.keys.key
    answers = [
        requests.get(api + "credits", timeout=TIMEOUT),
        requests.get(api + "stats.json", timeout=TIMEOUT),
        requests.get(api + "gallery.json", timeout=TIMEOUT),
        requests.get(api + "image/zzzzzzz.json", timeout=TIMEOUT),
        requests.get(api + "album/zzzzz", timeout=TIMEOUT),
        requests.get(api + "delete/zzzzzzzzzzzzzzz.json", timeout=TIMEOUT),
        requests.get(api + "stats.json?view=never", timeout=TIMEOUT),
        requests.get(api + "no/such/route.json", timeout=TIMEOUT),
        requests.get(shared_host.url + "oembed", params={"url": "http://x/zzzzzzz"},
                     timeout=TIMEOUT),
        requests.post(api + "upload.json", data={"key": "bogus"},
                      files={"image": ("x.png", images.png())}, timeout=TIMEOUT),
        requests.post(api + "upload.json", files={"image": ("x.png", images.png())},
                      timeout=TIMEOUT),
        requests.post(api + "upload.xml", data={"key": key},
                      files={"image": ("x.png", images.png())}, timeout=TIMEOUT),
    ]
    assert {r.status_code for r in answers} == {200, 400, 401, 404}
    for resp in answers:
        limit, _, _ = assert_rate_headers(resp)
        assert limit == 100000, resp.url


def test_credits_follow_the_configured_limit_and_run_out(make_host: Any) -> None:
    host: HostWithKeys = make_host("--credits-anon", "25", users=False)
    first = requests.get(host.api + "credits.json", timeout=TIMEOUT).json()["credits"]
    assert first["limit"] == 25
    assert first["remaining"] == 24  # the credits call itself costs one
    upload_file(host, images.png())
    upload_file(host, images.png())  # 4 left: not enough for another upload
    refused = requests.post(host.api + "upload.json", data={"key": host.keys.key},
                            files={"image": ("x.png", images.png())}, timeout=TIMEOUT)
    check_error(refused, "json", 403, "API limits exceeded", method="post")
    assert refused.headers["X-RateLimit-Remaining"] == "4"
    last = requests.get(host.api + "credits.json", timeout=TIMEOUT).json()["credits"]
    assert last["remaining"] == 3


# -- gallery ----------------------------------------------------------------------------------


@dataclass
class Gallery:
    host: LocalHost
    key: str
    public: list[str]  # a, b: in a public album; a has 2 views, b none
    unlisted: list[str]  # hidden album, secret album, no album, anonymous


@pytest.fixture(scope="module")
def gallery(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gallery]:
    """A host of its own, so the gallery holds exactly what this module put there."""
    data_dir = tmp_path_factory.mktemp("gallery-host")
    keys = add_app(data_dir)
    add_user(data_dir, *ALICE)
    host = LocalHost(data_dir).start()
    try:
        alice = signed_session(keys, sign_in(host.url, keys, *ALICE))
        ups = [account_upload(alice, host.api, images.png(), title=f"g{i}") for i in range(5)]
        h = [u["image"]["hash"] for u in ups]
        create_album(alice, host.api, [h[0], h[1]], title="Public", privacy="public")
        create_album(alice, host.api, [h[2]], title="Hidden", privacy="hidden")
        create_album(alice, host.api, [h[3]], title="Secret", privacy="secret")
        anon = requests.post(host.api + "upload.json", data={"key": keys.key},
                             files={"image": ("x.png", images.png())}, timeout=TIMEOUT)
        assert anon.status_code == 200
        for _ in range(2):
            assert requests.get(ups[0]["links"]["original"], timeout=TIMEOUT).ok
        yield Gallery(host, keys.key, [h[0], h[1]],
                      [h[2], h[3], h[4], anon.json()["upload"]["image"]["hash"]])
    finally:
        host.stop()


def gallery_hashes(resp: requests.Response, kind: str) -> list[str]:
    assert resp.status_code == 200, resp.text
    body = parse_flat(resp, kind, "gallery")
    assert list(body) == ["images"]
    items = as_list(body["images"])
    for item in items:
        assert list(item) == ["image", "links"]
        assert "deletehash" not in item["image"]
        assert "delete_page" not in item["links"]
    return [item["image"]["hash"] for item in items]


def test_gallery_lists_public_album_images_latest_first(gallery: Gallery, way: Way) -> None:
    a, b = gallery.public
    for view in (None, "week", "month", "all"):
        params = dict(way.query, sort="latest")
        if view:
            params["view"] = view
        resp = requests.get(f"{gallery.host.api}gallery{way.suffix}", params=params,
                            timeout=TIMEOUT)
        assert gallery_hashes(resp, way.kind) == [b, a], view
        for hidden in gallery.unlisted:
            assert hidden not in resp.text
    if way.kind == "xml":
        resp = requests.get(f"{gallery.host.api}gallery{way.suffix}", params=way.query,
                            timeout=TIMEOUT)
        members = ElementTree.fromstring(resp.content).find("images")
        assert members is not None
        assert [m.tag for m in members] == ["item", "item"]


def test_gallery_popular_sorts_by_views(gallery: Gallery, way: Way) -> None:
    a, b = gallery.public
    resp = requests.get(f"{gallery.host.api}gallery{way.suffix}",
                        params=dict(way.query, sort="popular"), timeout=TIMEOUT)
    assert gallery_hashes(resp, way.kind) == [a, b]
    body = parse_flat(resp, way.kind, "gallery")
    assert [i["image"]["views"] for i in body["images"]] == ["2", "0"]


def test_gallery_pages(gallery: Gallery, way: Way) -> None:
    a, b = gallery.public
    url = f"{gallery.host.api}gallery{way.suffix}"
    pages = [requests.get(url, params=dict(way.query, count="1", page=str(p)), timeout=TIMEOUT)
             for p in (1, 2, 3)]
    assert gallery_hashes(pages[0], way.kind) == [b]
    assert gallery_hashes(pages[1], way.kind) == [a]
    check_error(pages[2], way.kind, 404, request=f"/2/gallery{way.suffix}")
    bad = requests.get(url, params=dict(way.query, sort="random"), timeout=TIMEOUT)
    check_error(bad, way.kind, 400)


# -- oEmbed -----------------------------------------------------------------------------------


def parse_oembed(resp: requests.Response, kind: str) -> Any:
    """oEmbed's own shapes: a bare JSON object (no root key), or XML with root <oembed>."""
    if kind == "json":
        assert resp.headers.get("Content-Type", "").startswith("application/json")
        body = resp.json()
        assert isinstance(body, dict)
        assert "oembed" not in body, body
        return flat(body)
    return parse_flat(resp, kind, "oembed")


@pytest.fixture(scope="module")
def embeddable(shared_host: HostWithKeys) -> dict[str, Any]:
    return upload_file(shared_host, images.png((64, 48)), "embed.png", title="Embed me")


@pytest.mark.parametrize(("suffix", "fmt", "kind"), [
    ("", "json", "json"), ("", "xml", "xml"), (".json", None, "json"), (".xml", None, "xml"),
])
def test_oembed(shared_host: HostWithKeys, embeddable: dict[str, Any], suffix: str,
                fmt: str | None, kind: str) -> None:
    hash_ = embeddable["image"]["hash"]
    params = {"url": embeddable["links"]["imgur_page"]}
    if fmt:
        params["format"] = fmt
    resp = requests.get(f"{shared_host.url}oembed{suffix}", params=params, timeout=TIMEOUT)
    assert resp.status_code == 200, resp.text
    body = parse_oembed(resp, kind)
    assert body["version"] == "1.0"
    assert body["type"] == "photo"
    assert body["provider_name"]
    assert body["provider_url"].rstrip("/") == shared_host.url.rstrip("/")
    assert body["url"] == f"{shared_host.url}{hash_}.png"
    assert body["title"] == "Embed me"
    assert (body["width"], body["height"]) == ("64", "48")
    if kind == "json":
        raw = resp.json()
        assert isinstance(raw["width"], int)
        assert isinstance(raw["height"], int)
    # maxwidth / maxheight scale the size down, keeping the aspect ratio.
    for extra, size in (({"maxwidth": "32"}, ("32", "24")), ({"maxheight": "12"}, ("16", "12")),
                        ({"maxwidth": "640"}, ("64", "48"))):
        scaled = requests.get(f"{shared_host.url}oembed{suffix}", params={**params, **extra},
                              timeout=TIMEOUT)
        got = parse_oembed(scaled, kind)
        assert (got["width"], got["height"]) == size, extra
    # The direct link finds the same image.
    direct = requests.get(f"{shared_host.url}oembed{suffix}",
                          params={**params, "url": embeddable["links"]["original"]},
                          timeout=TIMEOUT)
    assert parse_oembed(direct, kind)["url"] == body["url"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_oembed_of_an_unknown_url_is_404(shared_host: HostWithKeys, fmt: str) -> None:
    for url in (shared_host.url + "zzzzzzz", "http://example.com/nothing/here"):
        resp = requests.get(shared_host.url + "oembed", params={"url": url, "format": fmt},
                            timeout=TIMEOUT)
        assert resp.status_code == 404
        root, _ = parse(resp, fmt)
        assert root == "error"


# -- errors -----------------------------------------------------------------------------------


def test_unknown_api_path_is_404_with_the_error_body(shared_host: HostWithKeys,
                                                     way: Way) -> None:
    for path in ("nothing", "image", "upload/extra/segments"):
        resp = requests.get(f"{shared_host.api}{path}{way.suffix}", params=way.query,
                            timeout=TIMEOUT)
        check_error(resp, way.kind, 404, request=f"/2/{path}{way.suffix}")


def test_bad_api_key_error_matches_the_fixture(shared_host: HostWithKeys) -> None:
    fixture_raw = fixture_text("v2-error-invalid-api-key.json")
    fixture = json.loads(fixture_raw)["error"]
    resp = requests.post(shared_host.api + "upload.json",
                         data={"key": "cca0e9d41a2d7c7", "type": "file"},
                         files={"image": ("x.png", images.png())}, timeout=TIMEOUT)
    assert resp.status_code == 401
    body = resp.json()
    assert list(body) == ["error"]
    err = body["error"]
    assert list(err) == list(fixture)
    assert all(type(err[k]) is type(v) for k, v in fixture.items())
    assert err["message"] == fixture["message"] == "Invalid API Key"
    assert err["method"] == fixture["method"] == "post"
    assert err["format"] == fixture["format"] == "json"
    assert err["parameters"] == fixture["parameters"] == "key = cca0e9d41a2d7c7, type = file"
    assert fixture["request"].endswith("/2/upload.json")
    assert err["request"].endswith("/2/upload.json")
    assert "\\/2\\/upload.json" in fixture_raw
    assert '"request":"\\/2\\/upload.json"' in resp.text
    assert_rate_headers(resp)


def test_bad_api_key_in_each_format(shared_host: HostWithKeys, way: Way) -> None:
    resp = post_upload(shared_host, way, data={"key": "bogus", "type": "base64",
                                               "image": b64(images.png())})
    err = check_error(resp, way.kind, 401, "Invalid API Key", method="post",
                      request=f"/2/upload{way.suffix}")
    assert "key = bogus" in err["parameters"]
    assert "type = base64" in err["parameters"]
    assert b64(images.png())[:40] not in resp.text, "the image data is echoed back"


def test_upload_without_key_is_401(shared_host: HostWithKeys, way: Way) -> None:
    resp = post_upload(shared_host, way, files={"image": ("x.png", images.png())})
    check_error(resp, way.kind, 401, method="post")
    put = post_upload(shared_host, way, method="PUT",
                      params={"image": b64(images.png()), "type": "base64"}, data=b"")
    check_error(put, way.kind, 401, method="put")
