"""V2Client against the real local host: every public method, in JSON and in XML, checked
against what was sent; and the errors a client meets (404, bad key, unsigned, bad token)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from PIL import Image as PILImage

from imgur_desktop.core.api.transport import MIN_SEND_BLOCK
from imgur_desktop.core.api.v2 import OAuthCredentials, UploadMeta, V2Client
from imgur_desktop.core.errors import ApiError, AuthRequired, RateLimited
from imgur_desktop.core.models import Album, Image, Page
from tests.conftest import ALICE, HostWithKeys
from tests.core.conftest import Account, fast_transport, oauth_for
from tests.support import images
from tests.support.browser import Tokens, sign_in
from tests.support.faults import FaultProxy

MakeHost = Callable[..., HostWithKeys]
NewAccount = Callable[[], Account]

pytestmark = pytest.mark.timeout(60)


def noisy_png(path: Path, size: tuple[int, int] = (256, 256)) -> bytes:
    """A PNG that does not compress (random pixels): ~200 KB, several upload chunks."""
    img = PILImage.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    img.save(path, "PNG")
    return path.read_bytes()


def signed(host: HostWithKeys, account: Account | Tokens, fmt: str) -> V2Client:
    oauth = account.oauth if isinstance(account, Account) else oauth_for(host, account)
    return V2Client(host.api, oauth=oauth, fmt=fmt, transport=fast_transport())


def fetch(url: str) -> bytes:
    resp = requests.get(url, timeout=10)
    resp.raise_for_status()
    return resp.content


def human_size(num: int) -> str:
    """How v2 stats wrote sizes: ``139 B``, ``2.12 KB``, ``4.58 TB``."""
    if num < 1024:
        return f"{num} B"
    value = num / 1024
    for unit in ("KB", "MB", "GB"):
        if value < 1024:
            return f"{value:.2f} {unit}"
        value /= 1024
    return f"{value:.2f} TB"


def assert_recent(when: dt.datetime | None) -> None:
    assert when is not None
    assert when.utcoffset() == dt.timedelta(0)
    assert abs(dt.datetime.now(dt.UTC) - when) < dt.timedelta(minutes=5)


def assert_owner_view(image: Image) -> None:
    assert image.deletehash
    assert image.links.delete_page is not None
    assert image.links.delete_page.endswith("/delete/" + image.deletehash)


def assert_public_view(image: Image) -> None:
    assert image.deletehash is None
    assert image.links.delete_page is None
    assert image.name is None


# -- anonymous uploads -------------------------------------------------------------------------


def test_upload_file_with_progress(anon: V2Client, tmp_path: Path) -> None:
    path = tmp_path / "noise.png"
    data = noisy_png(path)
    seen: list[tuple[int, int]] = []
    meta = UploadMeta(title="Noise & more ✓", caption="caption with spaces + signs",
                      name="my-noise.png")
    image = anon.upload_file(path, meta, progress=lambda sent, total: seen.append((sent, total)))

    sent = [s for s, _ in seen]
    assert len(seen) >= 2  # in steps,
    assert sent[0] == MIN_SEND_BLOCK  # from a first small block
    totals = {t for _, t in seen}
    assert sent == sorted(sent)
    assert len(set(sent)) == len(sent)  # strictly increasing
    assert len(totals) == 1
    total = totals.pop()
    assert total > len(data)  # the multipart body: the file plus its fields
    assert sent[-1] == total

    assert len(image.hash) == 7
    assert_owner_view(image)
    assert (image.title, image.caption, image.name) == (meta.title, meta.caption, meta.name)
    assert (image.mime, image.width, image.height, image.size) == (
        "image/png", 256, 256, len(data))
    assert image.animated is False
    assert (image.views, image.bandwidth) == (0, 0)
    assert_recent(image.datetime)
    assert image.links.original.endswith(f"/{image.hash}.png")
    assert image.links.imgur_page.endswith(f"/{image.hash}")
    assert image.links.small_square is not None
    assert image.links.small_square.endswith(f"/{image.hash}s.jpg")
    assert image.links.large_thumbnail is not None
    assert image.links.large_thumbnail.endswith(f"/{image.hash}l.jpg")
    assert fetch(image.links.original) == data


def test_upload_file_name_defaults_to_the_file_name(anon: V2Client, tmp_path: Path) -> None:
    path = tmp_path / "holiday photo.jpg"
    path.write_bytes(images.jpeg())
    image = anon.upload_file(path)
    assert image.name == "holiday photo.jpg"
    assert (image.title, image.caption) == (None, None)
    assert image.mime == "image/jpeg"


def test_upload_bytes(anon: V2Client) -> None:
    data = images.apng(frames=3)
    image = anon.upload_bytes(data, "moving.png", UploadMeta(title="APNG"))
    assert_owner_view(image)
    assert (image.mime, image.animated, image.size, image.title, image.name) == (
        "image/png", True, len(data), "APNG", "moving.png")
    assert (image.width, image.height) == (32, 32)
    assert fetch(image.links.original) == data


def test_upload_base64(anon: V2Client) -> None:
    data = images.gif(frames=2)
    image = anon.upload_base64(data, UploadMeta(title="gif", caption="two frames"))
    assert_owner_view(image)
    assert (image.mime, image.animated, image.size) == ("image/gif", True, len(data))
    assert (image.title, image.caption) == ("gif", "two frames")
    assert fetch(image.links.original) == data


def test_upload_url_of_an_image_the_host_serves(anon: V2Client) -> None:
    data = images.tiff()
    source = anon.upload_bytes(data, "source.tif")
    copy = anon.upload_url(source.links.original, UploadMeta(title="copied"))
    assert copy.hash != source.hash
    assert_owner_view(copy)
    assert (copy.mime, copy.size, copy.width, copy.height, copy.title) == (
        "image/tiff", len(data), source.width, source.height, "copied")
    assert fetch(copy.links.original) == data


def test_upload_url_refuses_other_schemes_without_sending(anon: V2Client) -> None:
    for url in ("file:///etc/passwd", "ftp://127.0.0.1/x.png", "javascript:alert(1)"):
        with pytest.raises(ApiError) as info:
            anon.upload_url(url)
        assert info.value.status == 400


def test_upload_url_the_host_cannot_fetch(anon: V2Client, shared_host: HostWithKeys) -> None:
    with pytest.raises(ApiError) as info:
        anon.upload_url(shared_host.url + "NoSuchImage.png")
    assert info.value.status == 400
    assert "HTTP 404" in info.value.message


# -- anonymous reads ---------------------------------------------------------------------------


def test_image_public_view(anon: V2Client) -> None:
    data = images.bmp()
    uploaded = anon.upload_bytes(data, "pic.bmp", UploadMeta(title="T", caption="C"))
    image = anon.image(uploaded.hash)
    assert_public_view(image)
    assert image.hash == uploaded.hash
    assert (image.title, image.caption, image.mime, image.size, image.width, image.height) == (
        "T", "C", "image/bmp", len(data), 64, 48)
    assert image.datetime == uploaded.datetime
    assert image.links.original == uploaded.links.original
    assert image.links.imgur_page == uploaded.links.imgur_page


def test_unknown_hash_is_404(anon: V2Client) -> None:
    with pytest.raises(ApiError) as info:
        anon.image("NoSuchH")
    assert type(info.value) is ApiError
    assert info.value.status == 404
    assert info.value.message == "Image not found"
    assert info.value.url is not None
    assert info.value.url.endswith(f"/2/image/NoSuchH.{anon.fmt}")


def test_bad_key_is_401_invalid_api_key(shared_host: HostWithKeys, fmt: str,
                                        tmp_path: Path) -> None:
    client = V2Client(shared_host.api, key="cca0e9d41a2d7c7", fmt=fmt, transport=fast_transport())
    path = tmp_path / "a.png"
    path.write_bytes(images.png())
    with pytest.raises(ApiError) as info:
        client.upload_file(path)
    assert type(info.value) is ApiError
    assert info.value.status == 401
    assert info.value.message == "Invalid API Key"
    assert b"Invalid API Key" in (info.value.body or b"")
    assert "cca0e9d41a2d7c7" not in (info.value.url or "")


def test_delete(anon: V2Client) -> None:
    image = anon.upload_bytes(images.png(), "doomed.png")
    assert image.deletehash is not None
    anon.delete(image.deletehash)
    with pytest.raises(ApiError) as info:
        anon.image(image.hash)
    assert info.value.status == 404
    with pytest.raises(ApiError) as info:
        anon.delete(image.deletehash)  # twice: v2 said 400 "Invalid delete hash"
    assert info.value.status == 400
    assert info.value.message == "Invalid delete hash"
    assert requests.get(image.links.original, timeout=10).status_code == 404


def test_credits(anon: V2Client) -> None:
    credits = anon.credits()
    assert credits.limit == 100000
    assert 0 < credits.remaining < credits.limit
    assert credits.reset_at is not None
    ahead = credits.reset_at - dt.datetime.now(dt.UTC)
    assert dt.timedelta(0) < ahead <= dt.timedelta(hours=1, seconds=5)
    # The body and the rate headers of the same answer agree.
    assert anon.anonymous_rate.credits == credits
    assert anon.credits().remaining == credits.remaining - 1


def test_stats_and_gallery_on_a_fresh_host(make_host: MakeHost) -> None:
    host = make_host()  # alice and bob exist, nothing uploaded yet
    alice = sign_in(host.url, host.keys, *ALICE)
    for fmt in ("json", "xml"):
        client = V2Client(host.api, key=host.keys.key, fmt=fmt, transport=fast_transport())
        assert client.gallery().items == ()
        with pytest.raises(ApiError) as info:
            client.gallery(page=2)
        assert info.value.status == 404
        stats = client.stats("today")
        assert (stats.images_uploaded, stats.images_viewed, stats.most_popular_images) == (
            0, 0, ())
        assert (stats.bandwidth_used, stats.average_image_size) == ("0 B", "0 B")

    json_client = V2Client(host.api, key=host.keys.key, transport=fast_transport())
    one = json_client.upload_bytes(images.png(), "one.png")
    two = json_client.upload_bytes(images.jpeg(), "two.jpg")
    for _ in range(3):
        fetch(two.links.original)
    fetch(one.links.original)

    owner = V2Client(host.api, oauth=oauth_for(host, alice), transport=fast_transport())
    shown = owner.upload_bytes(images.gif(), "shown.gif", UploadMeta(title="In the gallery"),
                               account=True)
    hidden = owner.upload_bytes(images.png(), "hidden.png", account=True)
    owner.create_album(title="Public", privacy="public", images=[shown.hash])
    owner.create_album(title="Hidden", privacy="hidden", images=[hidden.hash])

    for fmt in ("json", "xml"):
        client = V2Client(host.api, key=host.keys.key, fmt=fmt, transport=fast_transport())
        stats = client.stats("today")
        assert stats.images_uploaded == 4
        assert stats.images_viewed == 4
        assert stats.most_popular_images == (two.hash, one.hash)
        assert stats.bandwidth_used == human_size(3 * two.size + one.size)
        assert stats.average_image_size == human_size(
            (one.size + two.size + shown.size + hidden.size) // 4)
        for view in ("week", "month"):
            assert client.stats(view).images_uploaded == 4
        with pytest.raises(ApiError) as info:
            client.stats("year")
        assert info.value.status == 400

        gallery = client.gallery(sort="latest", view="all", page=1, count=10)
        assert isinstance(gallery, Page)
        assert [i.hash for i in gallery.items] == [shown.hash]
        assert gallery.items[0].title == "In the gallery"
        assert_public_view(gallery.items[0])
        assert gallery.may_have_more is False
        popular = client.gallery(sort="popular", view="week")
        assert [i.hash for i in popular.items] == [shown.hash]

    assert json_client.image(two.hash).views == 3
    assert json_client.image(two.hash).bandwidth == 3 * two.size


# -- albums as anyone sees them ----------------------------------------------------------------


def test_album_public_hidden_and_secret(shared_host: HostWithKeys, fmt: str,
                                        new_account: NewAccount) -> None:
    owner = signed(shared_host, new_account(), fmt)
    a = owner.upload_bytes(images.png(), "a.png", UploadMeta(title="first"), account=True)
    b = owner.upload_bytes(images.jpeg(), "b.jpg", account=True)
    public = owner.create_album(title="Pub", description="about", layout="horizontal",
                                privacy="public", images=[a.hash, b.hash])
    hidden = owner.create_album(title="Hid", privacy="hidden", images=[b.hash])
    secret = owner.create_album(title="Sec", privacy="secret", images=[a.hash])
    anyone = V2Client(shared_host.api, fmt=fmt, transport=fast_transport())

    seen = anyone.album(public.id)
    assert isinstance(seen, Album)
    assert (seen.id, seen.title, seen.description, seen.layout, seen.cover) == (
        public.id, "Pub", "about", "horizontal", a.hash)
    assert [i.hash for i in seen.images] == [a.hash, b.hash]
    assert seen.images[0].title == "first"
    for image in seen.images:
        assert_public_view(image)

    assert [i.hash for i in anyone.album(hidden.id).images] == [b.hash]  # with its id, yes
    with pytest.raises(ApiError) as info:
        anyone.album(secret.id)
    assert info.value.status == 404
    assert [i.hash for i in owner.album(secret.id).images] == [a.hash]  # signed: the owner


# -- accounts ----------------------------------------------------------------------------------


def test_account(shared_host: HostWithKeys, fmt: str, alice_tokens: Tokens,
                 bob_tokens: Tokens) -> None:
    alice = signed(shared_host, alice_tokens, fmt).account()
    assert (alice.username, alice.is_pro, alice.default_album_privacy, alice.public_images) == (
        "alice", False, "public", False)
    bob = signed(shared_host, bob_tokens, fmt).account()
    assert (bob.username, bob.is_pro) == ("bob", True)


def test_signed_credits_are_the_accounts(shared_host: HostWithKeys, fmt: str,
                                         bob_tokens: Tokens) -> None:
    client = signed(shared_host, bob_tokens, fmt)
    credits = client.credits()
    assert credits.limit == 200000  # pro: twice --credits-user
    assert client.account_rate.credits == credits
    assert client.anonymous_rate.credits is None


def test_account_images(shared_host: HostWithKeys, fmt: str, new_account: NewAccount,
                        tmp_path: Path) -> None:
    account = new_account()
    client = signed(shared_host, account, fmt)
    assert client.images_count() == 0
    assert client.account_images().items == ()  # page 1 of nothing is empty, not an error

    path = tmp_path / "from disk.png"
    path.write_bytes(images.png())
    progress: list[int] = []
    uploaded = [
        client.upload_file(path, UploadMeta(title="file"), account=True,
                           progress=lambda sent, total: progress.append(sent)),
        client.upload_bytes(images.jpeg(), "bytes.jpg", UploadMeta(caption="bytes"),
                            account=True),
        client.upload_base64(images.gif(), UploadMeta(title="b64"), account=True),
    ]
    uploaded.append(client.upload_url(uploaded[0].links.original, UploadMeta(title="url"),
                                      account=True))
    assert progress
    for image in uploaded:
        assert_owner_view(image)
    assert [i.title for i in uploaded] == ["file", None, "b64", "url"]
    assert uploaded[1].caption == "bytes"
    assert client.images_count() == 4

    everything = client.account_images(count=30)
    assert {i.hash for i in everything.items} == {i.hash for i in uploaded}
    for image in everything.items:
        assert_owner_view(image)
    first = client.account_images(page=1, count=3)
    second = client.account_images(page=2, count=3)
    assert (len(first.items), len(second.items)) == (3, 1)
    assert (first.page, first.count, first.may_have_more) == (1, 3, True)
    assert second.may_have_more is False
    assert {i.hash for i in first.items + second.items} == {i.hash for i in uploaded}
    with pytest.raises(ApiError) as info:
        client.account_images(page=3, count=3)
    assert info.value.status == 404

    one = client.account_image(uploaded[1].hash)
    assert one.hash == uploaded[1].hash
    assert one.deletehash == uploaded[1].deletehash
    assert one.name == "bytes.jpg"

    title = "Edited: spaces, ümlauts & symbols +%/?=;"
    edited = client.edit_image(uploaded[1].hash, title=title, caption="new caption")
    assert (edited.hash, edited.title, edited.caption) == (uploaded[1].hash, title,
                                                           "new caption")
    only_caption = client.edit_image(uploaded[1].hash, caption="second caption")
    assert (only_caption.title, only_caption.caption) == (title, "second caption")
    assert client.account_image(uploaded[1].hash).title == title
    assert client.image(uploaded[1].hash).caption == "second caption"

    album = client.create_album(title="holds one", images=[uploaded[0].hash])
    outside = client.account_images(noalbum=True)
    assert {i.hash for i in outside.items} == {i.hash for i in uploaded[1:]}
    client.delete_album(album.id)

    client.delete_image(uploaded[2].hash)
    assert client.images_count() == 3
    with pytest.raises(ApiError) as info:
        client.account_image(uploaded[2].hash)
    assert info.value.status == 404
    with pytest.raises(ApiError) as info:
        client.image(uploaded[2].hash)
    assert info.value.status == 404


def test_albums(shared_host: HostWithKeys, fmt: str, new_account: NewAccount) -> None:
    client = signed(shared_host, new_account(), fmt)
    empty = client.albums()
    assert empty.items == ()  # v2 answers 404 "No albums found"; the client says: none
    assert client.albums_count() == 0

    h = [client.upload_bytes(images.png((10 + i, 10)), f"{i}.png", account=True).hash
         for i in range(4)]
    first = client.create_album(title="First album", description="with words & more",
                                privacy="hidden", layout="grid", images=[h[0], h[1]],
                                cover=h[1])
    assert len(first.id) >= 5
    assert (first.title, first.description, first.privacy, first.layout, first.cover) == (
        "First album", "with words & more", "hidden", "grid", h[1])
    assert first.link is not None
    assert first.link.endswith("/a/" + first.id)
    assert_recent(first.datetime)
    assert [i.hash for i in client.album_images(first.id).items] == [h[0], h[1]]

    edited = client.edit_album(first.id, title="Renamed", layout="vertical", privacy="secret",
                               add_images=[h[2], h[3]], del_images=[h[0]], cover=h[3])
    assert edited.id == first.id
    assert (edited.title, edited.description, edited.privacy, edited.layout, edited.cover) == (
        "Renamed", "with words & more", "secret", "vertical", h[3])
    assert [i.hash for i in client.album_images(first.id).items] == [h[1], h[2], h[3]]
    album_page = client.album_images(first.id, page=1, count=2)
    assert ([i.hash for i in album_page.items], album_page.may_have_more) == ([h[1], h[2]], True)
    for image in album_page.items:
        assert_owner_view(image)

    client.order_album_images(first.id, [h[3], h[1], h[2]])
    assert [i.hash for i in client.album_images(first.id).items] == [h[3], h[1], h[2]]

    replaced = client.edit_album(first.id, images=[h[0], h[2]], description="")
    assert replaced.description is None
    assert [i.hash for i in client.album_images(first.id).items] == [h[0], h[2]]

    second = client.create_album(title="Second")  # defaults: the account's privacy, blog
    assert (second.privacy, second.layout, second.cover) == ("public", "blog", None)
    assert client.album_images(second.id).items == ()
    assert client.albums_count() == 2
    listed = client.albums()
    assert [a.id for a in listed.items] == [first.id, second.id]
    assert [a.order for a in listed.items] == [0, 1]

    client.order_albums([second.id, first.id])
    assert [a.id for a in client.albums().items] == [second.id, first.id]

    client.delete_album(second.id)
    assert client.albums_count() == 1
    assert [a.id for a in client.albums().items] == [first.id]
    with pytest.raises(ApiError) as info:
        client.album_images(second.id)
    assert info.value.status == 404
    assert client.images_count() == 4  # deleting an album keeps its images


def test_album_arguments_checked_before_sending(proxy: FaultProxy, shared_host: HostWithKeys,
                                               alice_tokens: Tokens) -> None:
    client = V2Client(proxy.api, oauth=oauth_for(shared_host, alice_tokens),
                      transport=fast_transport())
    with pytest.raises(ValueError, match="privacy"):
        client.create_album(privacy="friends-only")
    with pytest.raises(ValueError, match="layout"):
        client.edit_album("abcde", layout="carousel")
    assert proxy.count == 0


def test_other_accounts_things_are_off_limits(shared_host: HostWithKeys, fmt: str,
                                             new_account: NewAccount) -> None:
    owner = signed(shared_host, new_account(), fmt)
    stranger = signed(shared_host, new_account(), fmt)
    image = owner.upload_bytes(images.png(), "mine.png", account=True)
    album = owner.create_album(title="mine")
    with pytest.raises(ApiError) as info:
        stranger.account_image(image.hash)
    assert info.value.status == 404
    with pytest.raises(ApiError) as info:
        stranger.edit_album(album.id, title="taken")
    assert info.value.status == 404
    theirs = stranger.create_album(title="theirs")
    with pytest.raises(ApiError) as info:
        stranger.edit_album(theirs.id, add_images=[image.hash])
    assert info.value.status == 403
    assert not isinstance(info.value, RateLimited)  # a 403 that is not about credits


# -- signing in --------------------------------------------------------------------------------


ACCOUNT_CALLS: dict[str, Callable[[V2Client], object]] = {
    "account": lambda c: c.account(),
    "account_images": lambda c: c.account_images(),
    "account_image": lambda c: c.account_image("abcdefg"),
    "edit_image": lambda c: c.edit_image("abcdefg", title="x"),
    "delete_image": lambda c: c.delete_image("abcdefg"),
    "images_count": lambda c: c.images_count(),
    "albums": lambda c: c.albums(),
    "create_album": lambda c: c.create_album(title="x"),
    "album_images": lambda c: c.album_images("abcde"),
    "edit_album": lambda c: c.edit_album("abcde", title="x"),
    "delete_album": lambda c: c.delete_album("abcde"),
    "albums_count": lambda c: c.albums_count(),
    "order_albums": lambda c: c.order_albums(["abcde"]),
    "order_album_images": lambda c: c.order_album_images("abcde", ["abcdefg"]),
    "upload_into_account": lambda c: c.upload_bytes(images.png(), "a.png", account=True),
}


@pytest.mark.parametrize("call", sorted(ACCOUNT_CALLS))
def test_account_calls_without_signing_in(proxy: FaultProxy, shared_host: HostWithKeys,
                                          call: str) -> None:
    client = V2Client(proxy.api, key=shared_host.keys.key, transport=fast_transport())
    assert client.signed_in is False
    with pytest.raises(AuthRequired):
        ACCOUNT_CALLS[call](client)
    assert proxy.count == 0  # refused before sending


@pytest.mark.parametrize("call", ["account", "images_count", "albums", "create_album",
                                  "upload_into_account"])
def test_wrong_token_is_auth_required(shared_host: HostWithKeys, fmt: str,
                                      alice_tokens: Tokens, call: str) -> None:
    keys = shared_host.keys
    wrong = [
        OAuthCredentials(keys.consumer_key, keys.consumer_secret, "not-a-token",
                         alice_tokens.secret),
        OAuthCredentials(keys.consumer_key, keys.consumer_secret, alice_tokens.token,
                         "wrong-secret"),
        OAuthCredentials(keys.consumer_key, "wrong-consumer-secret", alice_tokens.token,
                         alice_tokens.secret),
    ]
    for oauth in wrong:
        client = V2Client(shared_host.api, oauth=oauth, fmt=fmt, transport=fast_transport())
        with pytest.raises(AuthRequired) as info:
            ACCOUNT_CALLS[call](client)
        assert info.value.status == 401
        assert info.value.message == "Invalid OAuth signature or token"
