"""The thumbnail disk cache and its fetch, against the real host and a fault proxy."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import requests

from imgur_desktop.core.api.v2 import V2Client
from imgur_desktop.core.errors import BadResponse, NetworkError
from imgur_desktop.core.messages import describe
from imgur_desktop.core.thumb_cache import ThumbCache, cache_key, fetch
from tests.conftest import HostWithKeys
from tests.core.conftest import fast_transport
from tests.support import images
from tests.support.faults import FaultProxy, Huge, Respond

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def session() -> requests.Session:
    s = requests.Session()
    s.trust_env = False
    return s


def upload(host_api: str, key: str, size: tuple[int, int] = (40, 30)) -> str:
    """An image on the host; returns its small-square link."""
    client = V2Client(host_api, key=key, transport=fast_transport())
    image = client.upload_bytes(images.raster("PNG", size, color=(9, 99, 199)), "t.png")
    assert image.links.small_square
    return image.links.small_square


def test_put_then_get_and_the_file_layout(tmp_path: Path) -> None:
    folder = tmp_path / "thumbs"
    cache = ThumbCache(folder)
    assert cache.get("http://x/a.jpg") is None
    assert not folder.exists(), "the folder is made only when something is stored"
    cache.put("http://x/a.jpg", b"AAA")
    cache.put("http://x/b.jpg", b"BBBB")
    assert cache.get("http://x/a.jpg") == b"AAA"
    assert cache.get("http://x/b.jpg") == b"BBBB"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [cache_key("http://x/a.jpg"), cache_key("http://x/b.jpg")])
    # A fresh cache on the same folder (the next run of the app) finds them.
    assert ThumbCache(folder).get("http://x/b.jpg") == b"BBBB"


def test_a_failed_write_leaves_no_partial_file(tmp_path: Path) -> None:
    cache = ThumbCache(tmp_path / "thumbs")
    cache.put("http://x/old.jpg", b"old")
    # The final rename cannot happen: a folder sits where the file would go.
    blocked = cache.path_for("http://x/blocked.jpg")
    blocked.mkdir()
    with pytest.raises(IsADirectoryError):
        cache.put("http://x/blocked.jpg", b"new" * 1000)
    names = sorted(p.name for p in cache.folder.iterdir())
    assert names == sorted([cache_key("http://x/old.jpg"), blocked.name]), "no temporary left"
    assert cache.get("http://x/old.jpg") == b"old"


def test_a_write_into_an_unwritable_folder_fails_loudly_and_leaves_nothing(
        tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    folder = tmp_path / "thumbs"
    cache = ThumbCache(folder)
    cache.put("http://x/a.jpg", b"a")
    folder.chmod(0o500)
    try:
        with pytest.raises(PermissionError):
            cache.put("http://x/b.jpg", b"b")
    finally:
        folder.chmod(0o700)
    assert [p.name for p in folder.iterdir()] == [cache_key("http://x/a.jpg")]


def test_trimming_drops_the_least_recently_used_past_max_bytes(tmp_path: Path) -> None:
    cache = ThumbCache(tmp_path / "thumbs", max_bytes=10_000)
    for n in range(8):
        cache.put(f"http://x/{n}.jpg", bytes([n]) * 1000)
        # mtimes one second apart, so "oldest" does not depend on the clock's resolution.
        os.utime(cache.path_for(f"http://x/{n}.jpg"), (1_000_000 + n, 1_000_000 + n))
    os.utime(cache.path_for("http://x/0.jpg"), (2_000_000, 2_000_000))  # just used
    for n in range(8, 12):
        cache.put(f"http://x/{n}.jpg", bytes([n]) * 1000)
    cache.trim()
    assert cache.size() <= 10_000
    kept = {n for n in range(12) if cache.get(f"http://x/{n}.jpg") is not None}
    assert 0 in kept, "the recently used file survives"
    assert {1, 2} & kept == set(), "the oldest go first"
    assert {8, 9, 10, 11} <= kept, "what was just added stays"


def test_trimming_happens_on_its_own_while_writing(tmp_path: Path) -> None:
    cache = ThumbCache(tmp_path / "thumbs", max_bytes=20_000)
    for n in range(120):
        cache.put(f"http://x/{n}.jpg", b"x" * 1000)
    # Trims run every so many writes: the cache never grows far past its budget.
    assert cache.size() <= 20_000 + 50 * 1000
    assert len(list(cache.folder.iterdir())) < 120


def test_fetch_gets_the_thumbnail_bytes(shared_host: HostWithKeys,
                                        session: requests.Session) -> None:
    url = upload(shared_host.api, shared_host.keys.key)
    data = fetch(url, session)
    assert data[:3] == b"\xff\xd8\xff", "the small square is a JPEG"
    assert data == requests.get(url, timeout=10).content


def test_fetch_404_is_a_clear_error(shared_host: HostWithKeys,
                                    session: requests.Session) -> None:
    with pytest.raises(BadResponse) as caught:
        fetch(shared_host.url + "/nosuchimgs.jpg", session)
    assert "404" in caught.value.message
    assert "thumbnail" in describe(caught.value)


def test_fetch_refuses_an_html_page(shared_host: HostWithKeys,
                                    session: requests.Session) -> None:
    with FaultProxy(shared_host.url) as proxy:
        proxy.plan(Respond(200, b"<html><body>Welcome to the hotel wifi</body></html>"))
        with pytest.raises(BadResponse) as caught:
            fetch(proxy.url + "abcdefgs.jpg", session)
        assert proxy.count == 1
    assert "not an image" in caught.value.message
    assert "text/html" in caught.value.message


@pytest.mark.parametrize("declare_length", [True, False])
def test_fetch_refuses_a_body_too_big(shared_host: HostWithKeys, session: requests.Session,
                                      declare_length: bool) -> None:
    with FaultProxy(shared_host.url) as proxy:
        proxy.plan(Huge(3 * 2**20, declare_length=declare_length))
        with pytest.raises(BadResponse) as caught:
            fetch(proxy.url + "abcdefgs.jpg", session, max_bytes=2**20)
    assert "too large" in caught.value.message


def test_fetch_of_an_unreachable_host_is_a_network_error(session: requests.Session) -> None:
    proxy = FaultProxy(None, listening=False)  # bound, refusing connections
    try:
        with pytest.raises(NetworkError) as caught:
            fetch(proxy.url + "abcdefgs.jpg", session, timeout=5)
    finally:
        proxy.close()
    assert "cannot be reached" in describe(caught.value)


def test_fetch_through_a_proxy_reaches_the_host_once(shared_host: HostWithKeys,
                                                     session: requests.Session) -> None:
    url = upload(shared_host.api, shared_host.keys.key)
    with FaultProxy(shared_host.url) as proxy:
        path = url.split("/", 3)[3]
        data = fetch(proxy.url + path, session)
        assert [s.path for s in proxy.seen] == ["/" + path]
    assert data == fetch(url, session)
