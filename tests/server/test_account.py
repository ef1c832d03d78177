"""Every authenticated account route of the local host, in JSON and XML (contract §1.7).

The module runs one host of its own; each test signs in as a brand-new account on it, so counts,
pages and orders are exact.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from defusedxml import ElementTree

from imgur_desktop.server import admin
from tests.support import images
from tests.support.browser import Tokens, sign_in, signed_session
from tests.support.localhost import AppKeys, LocalHost, add_app

PASSWORD = "account-password-1"
ALBUM_FIELDS = ["id", "title", "description", "privacy", "cover", "order", "layout",
                "datetime", "link", "anonymous_link"]
IMAGE_FIELDS_OWNER = ["name", "title", "caption", "hash", "deletehash", "datetime", "type",
                      "animated", "width", "height", "size", "views", "bandwidth"]
LINK_FIELDS_OWNER = ["original", "imgur_page", "delete_page", "small_square",
                     "large_thumbnail"]
DATETIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")


class Account:
    """A signed-in account on one host, speaking to ``/2/``."""

    def __init__(self, host: Any, tokens: Tokens, name: str) -> None:
        self.host = host
        self.name = name
        self.tokens = tokens
        self.api = host.api
        self.session = signed_session(host.keys, tokens)

    def call(self, method: str, path: str, params: dict[str, str] | None = None,
             data: Any = None, files: Any = None) -> requests.Response:
        r: requests.Response = self.session.request(method, self.api + path, params=params,
                                                    data=data, files=files, timeout=10)
        return r

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        """A call that must succeed; its JSON body."""
        r = self.call(method, path, **kwargs)
        assert r.status_code == 200, (method, path, r.status_code, r.text[:400])
        assert r.headers["content-type"].startswith("application/json")
        return r.json()

    def upload(self, title: str | None = None, caption: str | None = None,
               data: bytes | None = None, filename: str = "image.png") -> dict[str, Any]:
        fields = {k: v for k, v in (("title", title), ("caption", caption)) if v is not None}
        body = self.ok("POST", "account/images.json", data=fields,
                       files={"image": (filename, data or images.png())})
        item: dict[str, Any] = body["images"]
        return item

    def upload_many(self, n: int) -> list[str]:
        """``n`` uploads in parallel (each thread signs with a session of its own)."""
        def one(i: int) -> str:
            session = signed_session(self.host.keys, self.tokens)
            r = session.post(self.api + "account/images.json", data={"title": f"n{i}"},
                             files={"image": (f"{i}.png", images.png())}, timeout=30)
            assert r.status_code == 200, r.text[:300]
            return str(r.json()["images"]["image"]["hash"])

        with ThreadPoolExecutor(max_workers=6) as pool:
            return list(pool.map(one, range(n)))

    def album(self, **fields: str) -> dict[str, Any]:
        album: dict[str, Any] = self.ok("POST", "account/albums.json", data=fields)["albums"]
        return album

    def album_hashes(self, album_id: str, **params: str) -> list[str]:
        body = self.ok("GET", f"account/albums/{album_id}.json", params=params)
        return [i["image"]["hash"] for i in body["images"]]

    def listed_albums(self) -> list[dict[str, Any]]:
        albums: list[dict[str, Any]] = self.ok("GET", "account/albums.json",
                                               params={"count": "100"})["albums"]
        return albums

    def count(self, what: str) -> int:
        return int(self.ok("GET", f"account/{what}_count.json")[f"{what}_count"]["count"])


@dataclass
class Host:
    url: str
    api: str
    keys: AppKeys
    data_dir: Path


@pytest.fixture(scope="module")
def account_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Host]:
    """One host of this module's own (no other module's data), with credits to spare."""
    data_dir = tmp_path_factory.mktemp("account-host")
    keys = add_app(data_dir)
    host = LocalHost(data_dir, extra_args=["--credits-user", "1000000"]).start()
    yield Host(host.url, host.api, keys, data_dir)
    assert host.stop() == 0


@pytest.fixture
def alice(account_host: Host) -> Account:
    """A brand-new account for each test, so its counts, pages and orders are exact.

    Made with the same call ``imgur-desktop server add-user`` makes, in this process: one CLI
    process per test would cost more than the tests themselves.
    """
    name = "u" + uuid.uuid4().hex[:12]
    admin.add_user(account_host.data_dir, name, PASSWORD, is_pro=False)
    return Account(account_host, sign_in(account_host.url, account_host.keys, name, PASSWORD),
                   name)


def assert_error(r: requests.Response, status: int, message: str | None = None) -> None:
    assert r.status_code == status, (r.status_code, r.text[:300])
    error = r.json()["error"]
    assert error["message"]
    if message is not None:
        assert error["message"] == message


def xml_value(element: Any) -> Any:
    """XML as JSON-like data: leaves are text (None when empty), ``<item>`` runs are lists."""
    children = list(element)
    if not children:
        return element.text
    if all(c.tag == "item" for c in children):
        return [xml_value(c) for c in children]
    assert len({c.tag for c in children}) == len(children), element.tag
    return {c.tag: xml_value(c) for c in children}


def as_text(value: Any) -> Any:
    """JSON data with every scalar as the text XML would carry."""
    if isinstance(value, dict):
        return {k: as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_text(v) for v in value]
    return None if value is None else str(value)


def parse_xml(r: requests.Response) -> tuple[str, Any]:
    assert r.headers["content-type"].startswith("application/xml"), r.headers
    assert r.text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    root = ElementTree.fromstring(r.content)
    return root.tag, xml_value(root)


def check_owner_item(item: dict[str, Any]) -> None:
    assert list(item) == ["image", "links"]
    assert list(item["image"]) == IMAGE_FIELDS_OWNER
    assert list(item["links"]) == LINK_FIELDS_OWNER
    assert DATETIME.match(item["image"]["datetime"])
    assert item["image"]["animated"] in ("true", "false")
    for field in ("width", "height", "size", "views", "bandwidth"):
        assert isinstance(item["image"][field], int)


def check_album(album: dict[str, Any]) -> None:
    assert set(album) == set(ALBUM_FIELDS), album
    assert isinstance(album["id"], str)
    assert album["id"].isalnum()
    assert DATETIME.match(album["datetime"])
    assert isinstance(album["order"], int)
    assert album["link"].endswith("/a/" + album["id"])
    assert album["anonymous_link"].endswith(album["id"])


# -- account -----------------------------------------------------------------------------------


def test_account(alice: Account) -> None:
    expected = {"url": alice.name, "is_pro": "false", "default_album_privacy": "public",
                "public_images": "false"}
    assert alice.ok("GET", "account.json") == {"account": expected}
    tag, value = parse_xml(alice.call("GET", "account.xml"))
    assert tag == "account"
    assert value == expected


def test_read_routes_agree_in_json_and_xml(alice: Account) -> None:
    item = alice.upload("T", "C")
    hash_ = item["image"]["hash"]
    album = alice.album(title="A", description="D", add_images=hash_)
    routes = ["account", "account/images", f"account/images/{hash_}", "account/images_count",
              "account/albums", f"account/albums/{album['id']}", "account/albums_count"]
    for route in routes:
        as_json = alice.ok("GET", route + ".json")
        assert len(as_json) == 1, as_json
        (root, payload), = as_json.items()
        tag, value = parse_xml(alice.call("GET", route + ".xml"))
        assert tag == root, route
        assert value == as_text(payload), route
        # no suffix is XML too; _format=json picks JSON
        assert parse_xml(alice.call("GET", route)) == (tag, value), route
        assert alice.ok("GET", route, params={"_format": "json"}) == as_json, route


# -- account/images: the list ------------------------------------------------------------------


def test_images_list_pages(alice: Account) -> None:
    assert alice.ok("GET", "account/images.json") == {"images": []}
    uploaded = alice.upload_many(101)
    assert len(set(uploaded)) == 101
    assert alice.count("images") == 101

    first = alice.ok("GET", "account/images.json")["images"]
    assert len(first) == 30  # default count
    for item in first:
        check_owner_item(item)

    clamped = alice.ok("GET", "account/images.json", params={"count": "150"})["images"]
    assert len(clamped) == 100  # count is at most 100
    assert alice.ok("GET", "account/images.json", params={"count": "100"})["images"] == clamped

    second = alice.ok("GET", "account/images.json", params={"page": "2"})["images"]
    assert len(second) == 30
    assert clamped[30:60] == second

    default_pages = [first, second]
    for page in (3, 4):
        default_pages.append(alice.ok("GET", "account/images.json",
                                      params={"page": str(page)})["images"])
    assert [len(p) for p in default_pages] == [30, 30, 30, 11]
    seen = [i["image"]["hash"] for p in default_pages for i in p]
    assert len(seen) == len(set(seen)) == 101
    assert set(seen) == set(uploaded)

    last = alice.ok("GET", "account/images.json", params={"count": "100", "page": "2"})
    assert len(last["images"]) == 1
    assert last["images"][0]["image"]["hash"] not in {i["image"]["hash"] for i in clamped}

    assert_error(alice.call("GET", "account/images.json", params={"page": "5"}), 404)
    assert_error(alice.call("GET", "account/images.json",
                            params={"count": "100", "page": "3"}), 404)
    r = alice.call("GET", "account/images.xml", params={"page": "99"})
    assert r.status_code == 404
    assert parse_xml(r)[0] == "error"
    assert len(parse_xml(alice.call("GET", "account/images.xml",
                                    params={"count": "7"}))[1]) == 7


def test_images_list_noalbum(alice: Account) -> None:
    hashes = [alice.upload(f"t{i}")["image"]["hash"] for i in range(4)]
    alice.album(add_images=f"{hashes[0]},{hashes[1]}")
    other = alice.album()
    alice.ok("POST", f"account/albums/{other['id']}.json", data={"add_images": hashes[1]})

    def listed(**params: str) -> set[str]:
        body = alice.ok("GET", "account/images.json", params=params)
        return {i["image"]["hash"] for i in body["images"]}

    assert listed() == set(hashes)
    assert listed(noalbum="1") == {hashes[2], hashes[3]}
    assert listed(noalbum="0") == set(hashes)
    tag, value = parse_xml(alice.call("GET", "account/images.xml", params={"noalbum": "1"}))
    assert tag == "images"
    assert {i["image"]["hash"] for i in value} == {hashes[2], hashes[3]}

    # paging applies to the filtered list
    page1 = alice.ok("GET", "account/images.json",
                     params={"noalbum": "1", "count": "1"})["images"]
    page2 = alice.ok("GET", "account/images.json",
                     params={"noalbum": "1", "count": "1", "page": "2"})["images"]
    assert {page1[0]["image"]["hash"], page2[0]["image"]["hash"]} == {hashes[2], hashes[3]}
    assert_error(alice.call("GET", "account/images.json",
                            params={"noalbum": "1", "count": "1", "page": "3"}), 404)


# -- account/images: upload --------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["multipart-file", "urlencoded-base64", "multipart-base64",
                                  "url"])
def test_upload_into_account(alice: Account, kind: str) -> None:
    data = images.jpeg((40, 30))
    fields = {"title": "Holiday + sea", "caption": "Day 1 & night"}
    if kind == "url":
        # the source: an anonymous upload on the same host, fetched back by its own link
        anon = requests.post(alice.api + "upload.json", data={"key": alice.host.keys.key},
                             files={"image": ("src.jpg", data)}, timeout=10)
        assert anon.status_code == 200, anon.text
        source = anon.json()["upload"]["links"]["original"]
        r = alice.call("POST", "account/images.json",
                       data={**fields, "type": "url", "image": source})
    elif kind == "multipart-file":
        r = alice.call("POST", "account/images.json", data=fields,
                       files={"image": ("photo.jpg", data, "image/jpeg")})
    elif kind == "urlencoded-base64":
        r = alice.call("POST", "account/images.json", data={
            **fields, "type": "base64", "image": base64.b64encode(data).decode()})
    else:
        r = alice.call("POST", "account/images.json", data={**fields, "type": "base64"},
                       files={"image": (None, base64.b64encode(data).decode())})
    assert r.status_code == 200, r.text
    body = r.json()
    assert list(body) == ["images"]  # root `images`, not `upload`
    item = body["images"]
    check_owner_item(item)
    image = item["image"]
    assert (image["title"], image["caption"]) == (fields["title"], fields["caption"])
    assert (image["type"], image["width"], image["height"]) == ("image/jpeg", 40, 30)
    assert image["size"] == len(data)
    assert len(image["deletehash"]) >= 10
    if kind == "multipart-file":
        assert image["name"] == "photo.jpg"
    assert item["links"]["original"].endswith(image["hash"] + ".jpg")
    assert requests.get(item["links"]["original"], timeout=10).content == data

    assert alice.count("images") == 1
    listed = alice.ok("GET", "account/images.json")["images"]
    assert [i["image"]["hash"] for i in listed] == [image["hash"]]
    assert listed[0]["image"]["title"] == fields["title"]


def test_upload_into_account_xml_and_name(alice: Account) -> None:
    r = alice.call("POST", "account/images.xml", data={"title": "X", "name": "given.png"},
                   files={"image": ("file.png", images.png())})
    assert r.status_code == 200, r.text
    tag, value = parse_xml(r)
    assert tag == "images"
    assert list(value) == ["image", "links"]
    assert value["image"]["title"] == "X"
    assert value["image"]["caption"] is None  # empty: a self-closing tag
    assert value["image"]["name"] == "given.png"
    assert value["image"]["type"] == "image/png"
    assert alice.count("images") == 1


def test_upload_into_account_without_key_needs_no_key(alice: Account) -> None:
    # the anonymous route insists on `key`; the account route must not
    anon = requests.post(alice.api + "upload.json", files={"image": ("a.png", images.png())},
                         timeout=10)
    assert anon.status_code == 401
    assert alice.upload()["image"]["hash"]


# -- account/images/{hash} ---------------------------------------------------------------------


def test_image_get_edit_delete(alice: Account) -> None:
    item = alice.upload("first title", "first caption")
    hash_ = item["image"]["hash"]
    other = alice.upload("keep me")["image"]["hash"]

    got = alice.ok("GET", f"account/images/{hash_}.json")
    assert list(got) == ["images"]
    check_owner_item(got["images"])
    assert got["images"]["image"] == item["image"]
    tag, value = parse_xml(alice.call("GET", f"account/images/{hash_}.xml"))
    assert (tag, value) == ("images", as_text(got["images"]))

    edited = alice.ok("POST", f"account/images/{hash_}.json",
                      data={"title": "new title", "caption": "new caption"})
    assert list(edited) == ["images"]
    assert edited["images"]["image"]["title"] == "new title"
    assert edited["images"]["image"]["caption"] == "new caption"
    assert edited["images"]["image"]["hash"] == hash_
    again = alice.ok("GET", f"account/images/{hash_}.json")["images"]["image"]
    assert (again["title"], again["caption"]) == ("new title", "new caption")

    # title alone leaves the caption; XML edit
    r = alice.call("POST", f"account/images/{hash_}.xml", data={"title": "third"})
    assert r.status_code == 200
    tag, value = parse_xml(r)
    assert tag == "images"
    assert (value["image"]["title"], value["image"]["caption"]) == ("third", "new caption")
    public = requests.get(alice.api + f"image/{hash_}.json", timeout=10).json()
    assert public["image"]["image"]["title"] == "third"

    deleted = alice.call("DELETE", f"account/images/{hash_}.json")
    assert deleted.status_code == 200
    assert deleted.json() == {"images": {"message": "Success"}}
    assert_error(alice.call("GET", f"account/images/{hash_}.json"), 404)
    assert_error(alice.call("POST", f"account/images/{hash_}.json", data={"title": "x"}), 404)
    assert_error(alice.call("DELETE", f"account/images/{hash_}.json"), 404)
    assert requests.get(alice.api + f"image/{hash_}.json", timeout=10).status_code == 404
    assert requests.get(item["links"]["original"], timeout=10).status_code == 404
    assert alice.count("images") == 1
    assert alice.ok("GET", f"account/images/{other}.json")["images"]["image"]["title"] == \
        "keep me"

    r = alice.call("DELETE", f"account/images/{other}.xml")
    assert r.status_code == 200
    assert parse_xml(r) == ("images", {"message": "Success"})
    assert alice.count("images") == 0


def test_unknown_image_is_404(alice: Account) -> None:
    assert_error(alice.call("GET", "account/images/nosuch1.json"), 404)
    assert_error(alice.call("POST", "account/images/nosuch1.json", data={"title": "x"}), 404)
    assert_error(alice.call("DELETE", "account/images/nosuch1.json"), 404)


def test_images_count(alice: Account) -> None:
    assert alice.ok("GET", "account/images_count.json") == {"images_count": {"count": 0}}
    for _ in range(3):
        alice.upload()
    assert alice.ok("GET", "account/images_count.json") == {"images_count": {"count": 3}}
    assert parse_xml(alice.call("GET", "account/images_count.xml")) == \
        ("images_count", {"count": "3"})


# -- account/albums ----------------------------------------------------------------------------


def test_no_albums_is_404(alice: Account) -> None:
    assert_error(alice.call("GET", "account/albums.json"), 404, "No albums found")
    r = alice.call("GET", "account/albums.xml")
    assert r.status_code == 404
    tag, value = parse_xml(r)
    assert tag == "error"
    assert value["message"] == "No albums found"
    assert alice.ok("GET", "account/albums_count.json") == {"albums_count": {"count": 0}}

    alice.album(title="now one")
    listed = alice.ok("GET", "account/albums.json")
    assert [a["title"] for a in listed["albums"]] == ["now one"]


def test_create_album_defaults(alice: Account) -> None:
    body = alice.ok("POST", "account/albums.json")
    assert list(body) == ["albums"]
    album = body["albums"]
    check_album(album)
    assert album["privacy"] == "public"
    assert album["layout"] == "blog"
    assert album["title"] is None
    assert album["description"] is None
    assert album["cover"] is None
    assert album["order"] == 0
    page = requests.get(album["link"], timeout=10)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert alice.listed_albums() == [album]


def test_create_album_every_privacy_and_layout(alice: Account) -> None:
    created = []
    for privacy in ("public", "hidden", "secret"):
        for layout in ("blog", "horizontal", "vertical", "grid"):
            album = alice.album(title=f"{privacy} {layout}", description=f"about {layout}",
                                privacy=privacy, layout=layout)
            check_album(album)
            assert album["title"] == f"{privacy} {layout}"
            assert album["description"] == f"about {layout}"
            assert (album["privacy"], album["layout"]) == (privacy, layout)
            created.append(album)
    assert len({a["id"] for a in created}) == 12
    assert alice.listed_albums() == created
    assert [a["order"] for a in created] == sorted(a["order"] for a in created)
    assert alice.count("albums") == 12

    r = alice.call("POST", "account/albums.xml", data={"title": "x", "privacy": "hidden",
                                                       "layout": "grid"})
    assert r.status_code == 200
    tag, value = parse_xml(r)
    assert tag == "albums"
    assert list(value) == list(created[0])
    assert (value["title"], value["privacy"], value["layout"]) == ("x", "hidden", "grid")


@pytest.mark.parametrize("bad", [{"layout": "carousel"}, {"privacy": "friends"}])
def test_create_album_invalid_choice_is_400(alice: Account, bad: dict[str, str]) -> None:
    assert_error(alice.call("POST", "account/albums.json", data={"title": "bad", **bad}), 400)
    assert alice.count("albums") == 0


def test_album_images_paginated(alice: Account) -> None:
    hashes = [alice.upload(f"i{i}")["image"]["hash"] for i in range(5)]
    album = alice.album(title="five")
    alice.ok("POST", f"account/albums/{album['id']}.json", data={"add_images": ",".join(hashes)})

    body = alice.ok("GET", f"account/albums/{album['id']}.json")
    assert list(body) == ["images"]
    for item in body["images"]:
        check_owner_item(item)
    assert [i["image"]["hash"] for i in body["images"]] == hashes
    pages = [alice.album_hashes(album["id"], count="2", page=str(p)) for p in (1, 2, 3)]
    assert pages == [hashes[0:2], hashes[2:4], hashes[4:5]]
    assert_error(alice.call("GET", f"account/albums/{album['id']}.json",
                            params={"count": "2", "page": "4"}), 404)
    tag, value = parse_xml(alice.call("GET", f"account/albums/{album['id']}.xml",
                                      params={"count": "3"}))
    assert tag == "images"
    assert [i["image"]["hash"] for i in value] == hashes[:3]
    assert_error(alice.call("GET", "account/albums/nosuch.json"), 404)


def test_edit_album_fields(alice: Account) -> None:
    album = alice.album(title="before", description="old")
    path = f"account/albums/{album['id']}.json"
    for fields in ({"title": "after"}, {"description": "new words"}, {"privacy": "hidden"},
                   {"privacy": "secret"}, {"layout": "grid"}, {"layout": "vertical"}):
        body = alice.ok("POST", path, data=fields)
        assert list(body) == ["albums"]
        check_album(body["albums"])
        for key, value in fields.items():
            assert body["albums"][key] == value
    final = {"title": "after", "description": "new words", "privacy": "secret",
             "layout": "vertical"}
    listed = alice.listed_albums()[0]
    assert {k: listed[k] for k in final} == final
    assert listed["id"] == album["id"]

    assert_error(alice.call("POST", path, data={"layout": "diagonal"}), 400)
    assert_error(alice.call("POST", path, data={"privacy": "everyone"}), 400)
    assert {k: alice.listed_albums()[0][k] for k in final} == final

    r = alice.call("POST", f"account/albums/{album['id']}.xml", data={"title": "xml title"})
    assert r.status_code == 200
    tag, value = parse_xml(r)
    assert tag == "albums"
    assert value["title"] == "xml title"
    assert value["privacy"] == "secret"


def test_edit_album_images_and_cover(alice: Account) -> None:
    a, b, c, d, e = (alice.upload(n)["image"]["hash"] for n in "abcde")
    album = alice.album(title="set")
    album_id = album["id"]
    path = f"account/albums/{album_id}.json"

    alice.ok("POST", path, data={"add_images": f"{a},{b}"})
    assert alice.album_hashes(album_id) == [a, b]
    alice.ok("POST", path, data={"add_images": f"{b},{a},{b}"})  # already in: no duplicates
    assert alice.album_hashes(album_id) == [a, b]
    body = alice.ok("POST", path, data={"add_images": f"({c},{d})"})
    assert alice.album_hashes(album_id) == [a, b, c, d]
    assert body["albums"]["cover"] == a  # no cover chosen: the first image

    body = alice.ok("POST", path, data={"cover": c})
    assert body["albums"]["cover"] == c
    assert alice.listed_albums()[0]["cover"] == c
    public = requests.get(alice.api + f"album/{album_id}.json", timeout=10).json()
    assert public["album"]["cover"] == c
    assert [i["image"]["hash"] for i in public["album"]["images"]] == [a, b, c, d]

    alice.ok("POST", path, data={"del_images": f"{b},{c}"})
    assert alice.album_hashes(album_id) == [a, d]
    # the chosen cover left the album: the cover is an image of the album again
    assert alice.listed_albums()[0]["cover"] == a
    alice.ok("POST", path, data={"del_images": f"({a})"})
    assert alice.album_hashes(album_id) == [d]

    alice.ok("POST", path, data={"images": f"{e},{b}"})
    assert alice.album_hashes(album_id) == [e, b]
    alice.ok("POST", path, data={"images": f"({a},{d},{c})"})
    assert alice.album_hashes(album_id) == [a, d, c]

    # images that left the album are still in the account
    assert alice.count("images") == 5
    assert alice.ok("GET", f"account/images/{e}.json")["images"]["image"]["hash"] == e


def test_create_album_with_images(alice: Account) -> None:
    a, b = (alice.upload(n)["image"]["hash"] for n in "ab")
    album = alice.album(title="filled", images=f"{a},{b}", cover=b)
    assert album["cover"] == b
    assert alice.album_hashes(album["id"]) == [a, b]


def test_delete_album_keeps_images(alice: Account) -> None:
    a, b = (alice.upload(n)["image"]["hash"] for n in "ab")
    keep = alice.album(title="keep")
    gone = alice.album(title="gone", add_images=f"{a},{b}")
    assert alice.count("albums") == 2

    r = alice.call("DELETE", f"account/albums/{gone['id']}.json")
    assert r.status_code == 200
    assert r.json() == {"albums": {"message": "Success"}}
    assert alice.count("albums") == 1
    assert [x["id"] for x in alice.listed_albums()] == [keep["id"]]
    assert_error(alice.call("GET", f"account/albums/{gone['id']}.json"), 404)
    assert requests.get(alice.api + f"album/{gone['id']}.json", timeout=10).status_code == 404
    assert_error(alice.call("DELETE", f"account/albums/{gone['id']}.json"), 404)
    assert_error(alice.call("POST", f"account/albums/{gone['id']}.json",
                            data={"title": "x"}), 404)

    assert alice.count("images") == 2
    for hash_ in (a, b):
        assert alice.ok("GET", f"account/images/{hash_}.json")["images"]["image"]["hash"] == hash_
    listed = alice.ok("GET", "account/images.json", params={"noalbum": "1"})["images"]
    assert {i["image"]["hash"] for i in listed} == {a, b}

    r = alice.call("DELETE", f"account/albums/{keep['id']}.xml")
    assert r.status_code == 200
    assert parse_xml(r) == ("albums", {"message": "Success"})
    assert_error(alice.call("GET", "account/albums.json"), 404, "No albums found")


def test_albums_count(alice: Account) -> None:
    assert alice.ok("GET", "account/albums_count.json") == {"albums_count": {"count": 0}}
    ids = [alice.album(title=str(i))["id"] for i in range(3)]
    assert alice.ok("GET", "account/albums_count.json") == {"albums_count": {"count": 3}}
    assert parse_xml(alice.call("GET", "account/albums_count.xml")) == \
        ("albums_count", {"count": "3"})
    alice.ok("DELETE", f"account/albums/{ids[1]}.json")
    assert alice.count("albums") == 2


def test_albums_list_pages(alice: Account) -> None:
    ids = [alice.album(title=str(i))["id"] for i in range(5)]
    page = alice.ok("GET", "account/albums.json", params={"count": "2", "page": "3"})
    assert [a["id"] for a in page["albums"]] == ids[4:]
    assert_error(alice.call("GET", "account/albums.json",
                            params={"count": "2", "page": "4"}), 404)


def test_albums_order(alice: Account) -> None:
    a, b, c = (alice.album(title=t)["id"] for t in "abc")
    assert [x["id"] for x in alice.listed_albums()] == [a, b, c]

    body = alice.ok("POST", "account/albums_order.json", data={"ids": f"{c},{a},{b}"})
    assert list(body) == ["albums_order"]
    listed = alice.listed_albums()
    assert [x["id"] for x in listed] == [c, a, b]
    assert [x["order"] for x in listed] == sorted(x["order"] for x in listed)
    assert len({x["order"] for x in listed}) == 3

    r = alice.call("POST", "account/albums_order.xml", data={"ids": f"({b},{c},{a})"})
    assert r.status_code == 200
    assert parse_xml(r)[0] == "albums_order"
    assert [x["id"] for x in alice.listed_albums()] == [b, c, a]

    assert_error(alice.call("POST", "account/albums_order.json", data={"ids": "nosuch"}), 404)
    assert [x["id"] for x in alice.listed_albums()] == [b, c, a]


def test_album_images_order(alice: Account) -> None:
    h1, h2, h3 = (alice.upload(n)["image"]["hash"] for n in ("1", "2", "3"))
    album = alice.album(title="ordered", add_images=f"{h1},{h2},{h3}")
    assert alice.album_hashes(album["id"]) == [h1, h2, h3]

    body = alice.ok("POST", f"account/albums_order/{album['id']}.json",
                    data={"hashes": f"{h3},{h1},{h2}"})
    assert list(body) == ["albums_order"]
    assert alice.album_hashes(album["id"]) == [h3, h1, h2]
    public = requests.get(alice.api + f"album/{album['id']}.json", timeout=10).json()
    assert [i["image"]["hash"] for i in public["album"]["images"]] == [h3, h1, h2]

    r = alice.call("POST", f"account/albums_order/{album['id']}.xml",
                   data={"hashes": f"({h2},{h3},{h1})"})
    assert r.status_code == 200
    assert parse_xml(r)[0] == "albums_order"
    assert alice.album_hashes(album["id"]) == [h2, h3, h1]

    stranger = alice.upload("not in the album")["image"]["hash"]
    assert_error(alice.call("POST", f"account/albums_order/{album['id']}.json",
                            data={"hashes": f"{stranger},{h1}"}), 400)
    assert alice.album_hashes(album["id"]) == [h2, h3, h1]
    assert_error(alice.call("POST", "account/albums_order/nosuch.json",
                            data={"hashes": h1}), 404)


def test_deleting_the_cover_image_resets_the_cover(alice: Account) -> None:
    a, b = (alice.upload(n)["image"]["hash"] for n in "ab")
    album = alice.album(title="covered", add_images=f"{a},{b}", cover=b)
    assert album["cover"] == b
    alice.ok("DELETE", f"account/images/{b}.json")
    assert alice.album_hashes(album["id"]) == [a]
    assert alice.listed_albums()[0]["cover"] == a
    public = requests.get(alice.api + f"album/{album['id']}.json", timeout=10).json()
    assert public["album"]["cover"] == a
    alice.ok("DELETE", f"account/images/{a}.json")
    assert alice.listed_albums()[0]["cover"] is None
    assert alice.album_hashes(album["id"]) == []
