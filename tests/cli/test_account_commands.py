"""The signed-in commands as subprocesses against a host of this module's own: images,
albums (create/list/edit/add/remove/order/delete), uploads into albums, delete, info,
credits and stats, each checked against what the host then really serves."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ALICE, HostWithKeys
from tests.support import images

from .conftest import LINK_KEYS, Cli, fetch


@pytest.fixture(scope="module")
def alice(own_host: HostWithKeys, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    machine = Cli(tmp_path_factory.mktemp("alice-machine"))
    result = machine.login(own_host, ALICE)
    assert result.rc == 0, result.stderr
    yield machine
    machine.stop_local_host()


class Session:
    """alice's CLI bound to the module's host."""

    def __init__(self, cli: Cli, host: HostWithKeys, files: Path) -> None:
        self.cli = cli
        self.host = host
        self.files = files
        self._n = 0

    def run(self, *args: str, stdin: bytes | None = None) -> Any:
        result = self.cli.run(*args, "--api-url", self.host.api, stdin=stdin)
        assert result.rc == 0, (args, result.stdout, result.stderr)
        return result

    def json(self, *args: str) -> Any:
        return self.run(*args, "--json").one_json()

    def image_file(self, name: str = "") -> Path:
        self._n += 1
        path = self.files / f"{name or 'img'}{self._n}.png"
        path.write_bytes(images.png((10 + self._n, 10)))
        return path

    def upload(self, *extra: str) -> dict[str, Any]:
        line: dict[str, Any] = self.json("upload", str(self.image_file()), *extra)
        assert line["ok"] is True
        return line

    def upload_many(self, count: int, *extra: str) -> list[dict[str, Any]]:
        """One command, several files: returns the image lines (and the album line, if any)."""
        paths = [str(self.image_file()) for _ in range(count)]
        lines: list[dict[str, Any]] = self.run("upload", *paths, *extra, "--json").json_lines()
        assert all(line["ok"] for line in lines), lines
        return lines

    def public_album(self, album_id: str) -> dict[str, Any]:
        """What anyone with the id sees (hidden albums included)."""
        resp = fetch(f"{self.host.api}album/{album_id}.json")
        assert resp.status_code == 200, resp.text
        album: dict[str, Any] = resp.json()["album"]
        return album

    def album_hashes(self, album_id: str) -> list[str]:
        return [i["image"]["hash"] for i in self.public_album(album_id)["images"]]


@pytest.fixture
def me(alice: Cli, own_host: HostWithKeys, tmp_path: Path) -> Session:
    return Session(alice, own_host, tmp_path)


def test_whoami(me: Session) -> None:
    assert me.json("whoami") == {"url": "alice", "is_pro": False,
                                 "default_album_privacy": "public", "public_images": False,
                                 "api_url": me.host.api}


def test_signed_in_uploads_go_into_the_account(me: Session) -> None:
    line = me.upload()
    listed = me.json("images")
    assert line["hash"] in [i["hash"] for i in listed]
    mine = next(i for i in listed if i["hash"] == line["hash"])
    assert mine["links"]["original"] == line["links"]["original"]

    anonymous = me.upload("--anonymous", "--key", me.host.keys.key)
    assert anonymous["hash"] not in [i["hash"] for i in me.json("images")]
    assert fetch(anonymous["links"]["original"]).status_code == 200


def test_images_pages(me: Session) -> None:
    me.upload_many(3)
    everything = [i["hash"] for i in me.json("images", "--count", "100")]
    assert len(everything) >= 3
    first = [i["hash"] for i in me.json("images", "--page", "1", "--count", "2")]
    second = [i["hash"] for i in me.json("images", "--page", "2", "--count", "2")]
    assert len(first) == 2
    assert 1 <= len(second) <= 2
    assert not set(first) & set(second)
    assert first + second == everything[:len(first) + len(second)]


def test_images_human_output_lists_hash_and_link(me: Session) -> None:
    line = me.upload()
    text = me.run("images").stdout
    assert f"{line['hash']}  {line['links']['original']}" in text.splitlines()


def test_album_create_list_edit_delete(me: Session) -> None:
    created = me.json("albums", "create", "--title", "Trip", "--layout", "grid",
                      "--privacy", "hidden")
    assert created["title"] == "Trip"
    assert created["layout"] == "grid"
    assert created["privacy"] == "hidden"
    album_id = created["id"]
    assert album_id
    assert me.public_album(album_id)["layout"] == "grid"

    listed = {a["id"]: a for a in me.json("albums", "list")}
    assert listed[album_id]["layout"] == "grid"
    assert listed[album_id]["privacy"] == "hidden"
    assert listed[album_id]["title"] == "Trip"
    assert "images" not in listed[album_id]  # a listing does not claim the album is empty

    edited = me.json("albums", "edit", album_id, "--layout", "blog", "--title", "Trip 2")
    assert edited["id"] == album_id
    assert edited["layout"] == "blog"
    assert edited["title"] == "Trip 2"
    assert edited["privacy"] == "hidden"  # untouched
    assert me.public_album(album_id)["layout"] == "blog"
    listed = {a["id"]: a for a in me.json("albums", "list")}
    assert listed[album_id]["layout"] == "blog"

    assert me.json("albums", "delete", album_id) == {"id": album_id, "deleted": True}
    assert album_id not in [a["id"] for a in me.json("albums", "list")]
    assert fetch(f"{me.host.api}album/{album_id}.json").status_code == 404


def test_album_add_and_remove_images(me: Session) -> None:
    one, two = (line["hash"] for line in me.upload_many(2))
    album_id = me.json("albums", "create", "--title", "Adds")["id"]

    me.json("albums", "add", album_id, one, two)
    assert sorted(me.album_hashes(album_id)) == sorted([one, two])

    me.json("albums", "remove", album_id, one)
    assert me.album_hashes(album_id) == [two]
    # removing from the album keeps the image in the account
    assert one in [i["hash"] for i in me.json("images", "--count", "100")]


def test_album_create_with_images(me: Session) -> None:
    one, two = (line["hash"] for line in me.upload_many(2))
    created = me.json("albums", "create", "--title", "Pre", "--images", f"{one},{two}")
    assert sorted(me.album_hashes(created["id"])) == sorted([one, two])


def test_order_albums_and_an_albums_images(me: Session) -> None:
    a = me.json("albums", "create", "--title", "A")["id"]
    b = me.json("albums", "create", "--title", "B")["id"]

    def order_of_a_and_b() -> list[str]:
        albums = sorted(me.json("albums", "list"), key=lambda x: x["order"])
        return [x["id"] for x in albums if x["id"] in (a, b)]

    assert me.json("albums", "order", b, a) == {"ok": True}
    assert order_of_a_and_b() == [b, a]
    assert me.json("albums", "order", a, b) == {"ok": True}
    assert order_of_a_and_b() == [a, b]

    h1, h2, h3 = (line["hash"] for line in me.upload_many(3)[:3])
    me.json("albums", "add", a, h1, h2, h3)
    me.json("albums", "order", "--album", a, h3, h1, h2)
    assert me.album_hashes(a) == [h3, h1, h2]
    me.json("albums", "order", "--album", a, f"{h2},{h3},{h1}")
    assert me.album_hashes(a) == [h2, h3, h1]


def test_upload_into_a_new_album(me: Session) -> None:
    path = me.image_file("new-album")
    result = me.run("upload", str(path), "--new-album", "Fresh", "--layout", "vertical",
                    "--privacy", "secret", "--json")
    image, album = result.json_lines()
    assert image["ok"] is True
    assert set(album) == {"album", "ok", "link", "layout", "privacy"}
    assert album["ok"] is True
    assert album["layout"] == "vertical"
    assert album["privacy"] == "secret"
    listed = {a["id"]: a for a in me.json("albums", "list")}
    assert listed[album["album"]]["title"] == "Fresh"
    assert listed[album["album"]]["layout"] == "vertical"
    assert listed[album["album"]]["privacy"] == "secret"


def test_upload_into_an_existing_album(me: Session) -> None:
    album_id = me.json("albums", "create", "--title", "Existing", "--layout",
                       "horizontal")["id"]
    first = me.run("upload", str(me.image_file()), str(me.image_file()), "--album", album_id,
                   "--json").json_lines()
    assert [line["ok"] for line in first] == [True, True, True]
    assert first[2]["album"] == album_id
    assert first[2]["layout"] == "horizontal"
    assert me.album_hashes(album_id) == [first[0]["hash"], first[1]["hash"]]


def test_upload_into_an_unknown_album_fails_after_uploading(me: Session) -> None:
    result = me.cli.run("upload", str(me.image_file()), "--album", "zzzzz", "--json",
                        "--api-url", me.host.api)
    assert result.rc == 1
    image, album = result.json_lines()
    assert image["ok"] is True
    assert album["ok"] is False
    assert album["album"] == "zzzzz"
    assert album["error"]


def test_delete_by_deletehash_and_by_hash(me: Session) -> None:
    by_deletehash, by_hash, by_link = me.upload_many(3)
    for line in (by_deletehash, by_hash, by_link):
        assert fetch(line["links"]["original"]).status_code == 200

    assert me.json("delete", by_deletehash["deletehash"]) == \
        {"deleted": by_deletehash["deletehash"]}
    assert me.json("delete", by_hash["hash"]) == {"deleted": by_hash["hash"]}
    assert me.json("delete", by_link["links"]["delete_page"]) == \
        {"deleted": by_link["deletehash"]}

    for line in (by_deletehash, by_hash, by_link):
        assert fetch(line["links"]["original"]).status_code == 404
    remaining = [i["hash"] for i in me.json("images", "--count", "100")]
    assert by_hash["hash"] not in remaining
    assert by_deletehash["hash"] not in remaining


def test_deleting_by_hash_needs_the_owner(me: Session, cli: Cli) -> None:
    line = me.upload()
    stranger = cli.run("delete", line["hash"], "--api-url", me.host.api,
                       "--key", me.host.keys.key)
    assert stranger.rc == 2
    assert "sign-in" in stranger.stderr
    assert fetch(line["links"]["original"]).status_code == 200
    wrong = cli.run("delete", "A" * 15, "--api-url", me.host.api, "--key", me.host.keys.key)
    assert wrong.rc == 1
    assert "Traceback" not in wrong.stderr


def test_info(me: Session) -> None:
    line = me.upload("--title", "Info title")
    info = me.json("info", line["hash"])
    assert info["hash"] == line["hash"]
    assert info["title"] == "Info title"
    assert info["type"] == "image/png"
    assert (info["width"], info["height"]) >= (11, 10)
    assert info["size"] == len(fetch(line["links"]["original"]).content)
    assert set(info["links"]) <= LINK_KEYS
    assert info["links"]["original"] == line["links"]["original"]
    assert "delete_page" not in info["links"]  # only the uploader's answer has it
    mine = me.json("info", line["hash"], "--mine")
    assert mine["deletehash"] == line["deletehash"]

    missing = me.cli.run("info", "NoSuch1", "--json", "--api-url", me.host.api)
    assert missing.rc == 1
    assert missing.stdout == ""
    assert missing.stderr.strip()


def test_credits_signed_in_are_the_accounts(me: Session) -> None:
    value = me.json("credits")
    assert set(value) == {"limit", "remaining", "reset", "uploads_left"}
    assert value["limit"] == 9000  # --credits-user of the module's host, not --credits-anon
    assert value["uploads_left"] == value["remaining"] // 10
    before = value["remaining"]
    me.upload()
    assert me.json("credits")["remaining"] <= before - 10


def test_stats(me: Session) -> None:
    before = me.json("stats")
    assert set(before) == {"most_popular_images", "images_uploaded", "images_viewed",
                           "bandwidth_used", "average_image_size"}
    me.upload()
    after = me.json("stats")
    assert after["images_uploaded"] == before["images_uploaded"] + 1
    assert isinstance(after["most_popular_images"], list)
