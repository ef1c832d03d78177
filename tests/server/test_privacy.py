"""Album privacy and account isolation on the local host: alice's things against bob and
against anonymous callers (contract §1.5 album object, §1.6 #4 and #9, §1.7)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import requests
from defusedxml import ElementTree

from tests.support import images
from tests.support.browser import Tokens, signed_session


@dataclass
class World:
    """Alice's images and albums (one per privacy), and bob's own image and album."""

    host: Any
    alice: Any  # OAuth1Session
    bob: Any
    pub_image: str
    hidden_image: str
    secret_image: str
    loose_image: str
    albums: dict[str, str]  # privacy -> album id
    bob_image: str
    bob_album: str

    @property
    def alice_images(self) -> list[str]:
        return [self.pub_image, self.hidden_image, self.secret_image, self.loose_image]


def _ok(r: requests.Response) -> Any:
    assert r.status_code == 200, (r.request.method, r.url, r.status_code, r.text[:300])
    return r.json()


def _upload(session: Any, api: str, title: str) -> str:
    body = _ok(session.post(api + "account/images.json", data={"title": title,
                                                               "caption": title + " caption"},
                            files={"image": (title + ".png", images.png())}))
    return str(body["images"]["image"]["hash"])


def _album(session: Any, api: str, **fields: str) -> str:
    return str(_ok(session.post(api + "account/albums.json", data=fields))["albums"]["id"])


@pytest.fixture(scope="module")
def world(shared_host: Any, alice_tokens: Tokens, bob_tokens: Tokens) -> World:
    api = shared_host.api
    alice = signed_session(shared_host.keys, alice_tokens)
    bob = signed_session(shared_host.keys, bob_tokens)
    pub, hidden, secret, loose = (_upload(alice, api, f"alice-{n}")
                                  for n in ("pub", "hidden", "secret", "loose"))
    albums = {
        "public": _album(alice, api, title="Alice public", description="for all",
                         privacy="public", add_images=pub),
        "hidden": _album(alice, api, title="Alice hidden", description="by link",
                         privacy="hidden", layout="grid", add_images=hidden),
        "secret": _album(alice, api, title="Alice secret", description="mine only",
                         privacy="secret", layout="vertical", add_images=secret),
    }
    bob_image = _upload(bob, api, "bob-own")
    bob_album = _album(bob, api, title="Bob's album", add_images=bob_image)
    return World(shared_host, alice, bob, pub, hidden, secret, loose, albums, bob_image,
                 bob_album)


def album_hashes(body: dict[str, Any]) -> list[str]:
    return [i["image"]["hash"] for i in body["album"]["images"]]


def gallery_hashes(api: str, **params: str) -> set[str]:
    """Every hash the public gallery lists, over all its pages."""
    seen: set[str] = set()
    for page in range(1, 200):
        r = requests.get(api + "gallery.json", params={**params, "count": "50",
                                                        "page": str(page)}, timeout=10)
        if r.status_code == 404 and page > 1:
            return seen
        items = _ok(r)["gallery"]["images"]
        seen.update(i["image"]["hash"] for i in items)
        if len(items) < 50:
            return seen
    raise AssertionError("the gallery does not end")


def alice_snapshot(w: World) -> dict[str, Any]:
    """All of alice's data that bob might try to change, as alice sees it."""
    api = w.host.api
    snap: dict[str, Any] = {}
    for hash_ in w.alice_images:
        snap[hash_] = _ok(w.alice.get(api + f"account/images/{hash_}.json"))
    listed = _ok(w.alice.get(api + "account/albums.json", params={"count": "100"}))["albums"]
    by_id = {a["id"]: a for a in listed}
    pages = 2
    while len(listed) == 100:  # other tests may have given alice many albums
        more = w.alice.get(api + "account/albums.json", params={"count": "100",
                                                                "page": str(pages)})
        if more.status_code == 404:
            break
        listed = _ok(more)["albums"]
        by_id.update({a["id"]: a for a in listed})
        pages += 1
    for album_id in w.albums.values():
        snap["album " + album_id] = by_id[album_id]
        snap["images " + album_id] = _ok(w.alice.get(api + f"account/albums/{album_id}.json"))
    return snap


def assert_404(r: requests.Response) -> None:
    assert r.status_code == 404, (r.request.method, r.url, r.status_code, r.text[:300])
    assert r.json()["error"]["message"]


# -- reading albums by id ----------------------------------------------------------------------


def test_public_album_readable_by_anyone(world: World) -> None:
    api, album_id = world.host.api, world.albums["public"]
    anon = _ok(requests.get(api + f"album/{album_id}.json", timeout=10))
    assert list(anon) == ["album"]
    assert list(anon["album"]) == ["title", "description", "cover", "layout", "images"]
    assert (anon["album"]["title"], anon["album"]["description"]) == ("Alice public", "for all")
    assert anon["album"]["cover"] == world.pub_image
    assert album_hashes(anon) == [world.pub_image]
    image = anon["album"]["images"][0]
    assert "deletehash" not in image["image"]  # the public view
    assert "delete_page" not in image["links"]
    assert _ok(world.bob.get(api + f"album/{album_id}.json")) == anon
    assert _ok(world.alice.get(api + f"album/{album_id}.json")) == anon

    xml = requests.get(api + f"album/{album_id}", timeout=10)
    assert xml.status_code == 200
    root = ElementTree.fromstring(xml.content)
    assert root.tag == "album"
    assert root.findtext("title") == "Alice public"
    assert [e.text for e in root.iterfind("images/item/image/hash")] == [world.pub_image]

    page = requests.get(world.host.url + f"a/{album_id}", timeout=10)
    assert page.status_code == 200
    assert "Alice public" in page.text


def test_public_album_images_are_in_the_gallery(world: World) -> None:
    assert world.pub_image in gallery_hashes(world.host.api)
    listed = requests.get(world.host.api + "gallery.json", timeout=10)
    assert "deletehash" not in listed.text
    assert "/delete/" not in listed.text


def test_public_view_of_alice_image_hides_owner_fields(world: World) -> None:
    for hash_ in world.alice_images:
        body = _ok(requests.get(world.host.api + f"image/{hash_}.json", timeout=10))
        assert "deletehash" not in body["image"]["image"]
        assert "name" not in body["image"]["image"]
        assert "delete_page" not in body["image"]["links"]


def test_album_made_secret_leaves_the_gallery(shared_host: Any, alice_tokens: Tokens) -> None:
    api = shared_host.api
    alice = signed_session(shared_host.keys, alice_tokens)
    hash_ = _upload(alice, api, "alice-going-secret")
    album_id = _album(alice, api, title="soon secret", privacy="public", add_images=hash_)
    assert hash_ in gallery_hashes(api)
    for privacy in ("hidden", "secret"):
        _ok(alice.post(api + f"account/albums/{album_id}.json", data={"privacy": privacy}))
        assert hash_ not in gallery_hashes(api), privacy
        assert (requests.get(api + f"album/{album_id}.json", timeout=10).status_code
                == (200 if privacy == "hidden" else 404))
    _ok(alice.post(api + f"account/albums/{album_id}.json", data={"privacy": "public"}))
    assert hash_ in gallery_hashes(api)


def test_secret_album_image_is_not_listed_in_stats(make_host: Any) -> None:
    """/2/stats lists image hashes to anyone; an image that lives only in a secret album
    must not be revealed there (its hash is all it takes to see it)."""
    from tests.support.browser import sign_in

    host = make_host()
    alice = signed_session(host.keys, sign_in(host.url, host.keys, "alice", "alice-password-1"))
    secret = _ok(alice.post(host.api + "account/images.json",
                            files={"image": ("s.png", images.png())}))["images"]
    _album(alice, host.api, title="diary", privacy="secret", add_images=secret["image"]["hash"])
    for _ in range(3):  # alice looks at her own picture
        assert requests.get(secret["links"]["original"], timeout=10).status_code == 200
    stats = _ok(requests.get(host.api + "stats.json", timeout=10))
    assert stats["stats"]["images_veiwed"] == 3  # the views were counted
    assert secret["image"]["hash"] not in stats["stats"]["most_popular_images"]
    assert secret["image"]["hash"] not in requests.get(host.api + "stats", timeout=10).text


def test_hidden_album_readable_by_id_but_not_listed(world: World) -> None:
    api, album_id = world.host.api, world.albums["hidden"]
    anon = _ok(requests.get(api + f"album/{album_id}.json", timeout=10))
    assert anon["album"]["title"] == "Alice hidden"
    assert anon["album"]["layout"] == "grid"
    assert album_hashes(anon) == [world.hidden_image]
    assert _ok(world.bob.get(api + f"album/{album_id}.json")) == anon
    assert requests.get(world.host.url + f"a/{album_id}", timeout=10).status_code == 200

    for params in ({}, {"sort": "popular"}, {"view": "week"}, {"sort": "latest",
                                                              "view": "all"}):
        listed = gallery_hashes(api, **params)
        assert world.hidden_image not in listed, params
        assert world.secret_image not in listed, params
        assert world.loose_image not in listed, params


def test_secret_album_is_its_owners_alone(world: World) -> None:
    api, album_id = world.host.api, world.albums["secret"]
    missing = requests.get(api + "album/zzzzz.json", timeout=10)
    assert_404(missing)

    anon = requests.get(api + f"album/{album_id}.json", timeout=10)
    assert_404(anon)
    # no hint that it exists: the same answer as for an album that does not
    assert anon.json()["error"]["message"] == missing.json()["error"]["message"]
    assert "Alice secret" not in anon.text
    assert world.secret_image not in anon.text

    anon_xml = requests.get(api + f"album/{album_id}.xml", timeout=10)
    assert anon_xml.status_code == 404
    assert ElementTree.fromstring(anon_xml.content).tag == "error"

    by_bob = world.bob.get(api + f"album/{album_id}.json")
    assert_404(by_bob)
    assert by_bob.json()["error"]["message"] == missing.json()["error"]["message"]
    assert world.secret_image not in by_bob.text

    by_alice = _ok(world.alice.get(api + f"album/{album_id}.json"))
    assert by_alice["album"]["title"] == "Alice secret"
    assert by_alice["album"]["description"] == "mine only"
    assert album_hashes(by_alice) == [world.secret_image]

    assert requests.get(world.host.url + f"a/{album_id}", timeout=10).status_code == 404


# -- bob against alice's image -----------------------------------------------------------------


@pytest.mark.parametrize("which", ["pub_image", "secret_image", "loose_image"])
def test_bob_cannot_read_edit_or_delete_alice_image(world: World, which: str) -> None:
    api, hash_ = world.host.api, getattr(world, which)
    before = alice_snapshot(world)
    original = before[hash_]["images"]["links"]["original"]

    attempts = [
        world.bob.get(api + f"account/images/{hash_}.json"),
        world.bob.get(api + f"account/images/{hash_}.xml"),
        world.bob.post(api + f"account/images/{hash_}.json",
                       data={"title": "bob was here", "caption": "pwned"}),
        world.bob.delete(api + f"account/images/{hash_}.json"),
    ]
    for r in attempts[:1] + attempts[2:]:
        assert_404(r)
        assert before[hash_]["images"]["image"]["deletehash"] not in r.text
    assert attempts[1].status_code == 404
    assert ElementTree.fromstring(attempts[1].content).tag == "error"

    assert alice_snapshot(world) == before
    assert requests.get(api + f"image/{hash_}.json", timeout=10).status_code == 200
    assert requests.get(original, timeout=10).content == images.png()


def test_bob_gets_same_404_as_for_a_missing_image(world: World) -> None:
    api = world.host.api
    theirs = world.bob.get(api + f"account/images/{world.loose_image}.json")
    nothing = world.bob.get(api + "account/images/zzzzzzz.json")
    assert theirs.status_code == nothing.status_code == 404
    assert theirs.json()["error"]["message"] == nothing.json()["error"]["message"]


# -- bob against alice's albums ----------------------------------------------------------------


@pytest.mark.parametrize("privacy", ["public", "hidden", "secret"])
def test_bob_cannot_edit_or_delete_alice_album(world: World, privacy: str) -> None:
    api, album_id = world.host.api, world.albums[privacy]
    before = alice_snapshot(world)
    own = world.alice_images[["public", "hidden", "secret"].index(privacy)]

    assert_404(world.bob.get(api + f"account/albums/{album_id}.json"))
    assert_404(world.bob.post(api + f"account/albums/{album_id}.json",
                              data={"title": "hacked", "description": "by bob"}))
    assert_404(world.bob.post(api + f"account/albums/{album_id}.json",
                              data={"privacy": "public", "layout": "blog"}))
    assert_404(world.bob.post(api + f"account/albums/{album_id}.json",
                              data={"add_images": world.bob_image}))
    assert_404(world.bob.post(api + f"account/albums/{album_id}.json",
                              data={"del_images": own}))
    assert_404(world.bob.post(api + f"account/albums/{album_id}.json",
                              data={"images": world.bob_image}))
    assert_404(world.bob.post(api + f"account/albums_order/{album_id}.json",
                              data={"hashes": own}))
    assert_404(world.bob.post(api + "account/albums_order.json",
                              data={"ids": f"{world.bob_album},{album_id}"}))
    assert_404(world.bob.delete(api + f"account/albums/{album_id}.json"))

    assert alice_snapshot(world) == before
    assert before["album " + album_id]["privacy"] == privacy
    public = requests.get(api + f"album/{album_id}.json", timeout=10)
    assert public.status_code == (404 if privacy == "secret" else 200)


# -- bob cannot put alice's image into his own album -------------------------------------------


def test_bob_cannot_add_alice_image_to_his_album(world: World) -> None:
    api = world.host.api
    before = alice_snapshot(world)
    path = api + f"account/albums/{world.bob_album}.json"
    bob_before = _ok(world.bob.get(path))
    bob_count = _ok(world.bob.get(api + "account/albums_count.json"))

    for data in ({"add_images": world.loose_image},
                 {"add_images": f"{world.bob_image},{world.pub_image}"},
                 {"add_images": f"({world.secret_image})"},
                 {"images": f"{world.bob_image},{world.hidden_image}"},
                 {"cover": world.loose_image}):
        r = world.bob.post(path, data=data)
        assert r.status_code == 403, (data, r.status_code, r.text[:300])
        assert r.json()["error"]["message"]
        assert _ok(world.bob.get(path)) == bob_before, data

    # creating an album with her image is refused, and nothing is created
    for field in ("images", "add_images", "cover"):
        r = world.bob.post(api + "account/albums.json",
                           data={"title": f"with alice's ({field})", field: world.loose_image})
        assert r.status_code == 403, (field, r.text)
        assert _ok(world.bob.get(api + "account/albums_count.json")) == bob_count, field

    assert alice_snapshot(world) == before
    loose = _ok(world.alice.get(api + "account/images.json", params={"noalbum": "1",
                                                                     "count": "100"}))
    assert world.loose_image in {i["image"]["hash"] for i in loose["images"]}


# -- listings never mix accounts ---------------------------------------------------------------


def _all_images(session: Any, api: str, **params: str) -> list[str]:
    hashes: list[str] = []
    for page in range(1, 1000):
        r = session.get(api + "account/images.json",
                        params={**params, "count": "100", "page": str(page)})
        if r.status_code == 404 and page > 1:
            break
        items = _ok(r)["images"]
        hashes += [i["image"]["hash"] for i in items]
        if len(items) < 100:
            break
    return hashes


def test_bob_lists_only_his_own_images(world: World) -> None:
    api = world.host.api
    bob_images = _all_images(world.bob, api)
    assert world.bob_image in bob_images
    assert not set(bob_images) & set(world.alice_images)
    assert _ok(world.bob.get(api + "account/images_count.json")) == \
        {"images_count": {"count": len(bob_images)}}
    assert not set(_all_images(world.bob, api, noalbum="1")) & set(world.alice_images)

    bob_in_album = _ok(world.bob.get(api + f"account/albums/{world.bob_album}.json"))
    assert [i["image"]["hash"] for i in bob_in_album["images"]] == [world.bob_image]

    alice_images = _all_images(world.alice, api)
    assert set(world.alice_images) <= set(alice_images)
    assert world.bob_image not in alice_images


def test_albums_lists_never_mix_accounts(world: World) -> None:
    api = world.host.api
    bob_albums = _ok(world.bob.get(api + "account/albums.json", params={"count": "100"}))
    bob_ids = {a["id"] for a in bob_albums["albums"]}
    assert world.bob_album in bob_ids
    assert not bob_ids & set(world.albums.values())
    alice_ids = {a["id"] for a in _ok(world.alice.get(
        api + "account/albums.json", params={"count": "100"}))["albums"]}
    assert world.bob_album not in alice_ids
