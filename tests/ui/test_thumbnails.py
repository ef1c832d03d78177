"""ThumbnailLoader: memory, then the disk cache, then the network, with every network fetch
counted at a proxy in front of the real host."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from imgur_desktop.core.api.v2 import V2Client
from imgur_desktop.core.thumb_cache import ThumbCache
from imgur_desktop.ui.thumbnails import ThumbnailLoader
from tests.conftest import HostWithKeys
from tests.core.conftest import fast_transport
from tests.support.faults import FaultProxy, Stall
from tests.ui.conftest import unique_png

pytestmark = pytest.mark.timeout(60)
WAIT = 20_000


@pytest.fixture
def proxy(shared_host: HostWithKeys) -> Iterator[FaultProxy]:
    with FaultProxy(shared_host.url) as front:
        yield front


def small_squares(proxy: FaultProxy, key: str, n: int) -> list[str]:
    """Upload ``n`` images through the proxy (so their links point at it); their 90x90 links."""
    client = V2Client(proxy.api, key=key, transport=fast_transport())
    urls = []
    for _ in range(n):
        link = client.upload_bytes(unique_png((120, 80)), "t.png").links.small_square
        assert link is not None
        assert link.startswith(proxy.url)
        urls.append(link)
    return urls


def thumb_gets(proxy: FaultProxy) -> list[str]:
    return [s.path for s in proxy.seen if s.method == "GET" and s.path.endswith("s.jpg")]


@pytest.fixture
def make_loader(qtbot: QtBot) -> Iterator[type[ThumbnailLoader]]:
    made: list[ThumbnailLoader] = []

    class Tracked(ThumbnailLoader):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            made.append(self)

    yield Tracked
    for loader in made:
        loader.shutdown()


def test_first_load_fetches_once_then_memory_answers(
        qtbot: QtBot, proxy: FaultProxy, shared_host: HostWithKeys, tmp_path: Path,
        make_loader: type[ThumbnailLoader]) -> None:
    [url] = small_squares(proxy, shared_host.keys.key, 1)
    loader = make_loader(ThumbCache(tmp_path / "thumbs"))
    before = len(thumb_gets(proxy))
    assert loader.pixmap(url) is None
    with qtbot.waitSignal(loader.ready, timeout=WAIT) as ready:
        assert loader.request(url) is None
        for _ in range(5):  # repeat calls while pending schedule nothing more
            assert loader.request(url) is None
    assert ready.args == [url]
    pixmap = loader.pixmap(url)
    assert pixmap is not None
    assert (pixmap.width(), pixmap.height()) == (90, 90)
    assert loader.request(url) is pixmap, "a memory hit answers at once"
    assert loader.requests_made == 1
    assert len(thumb_gets(proxy)) - before == 1
    assert (tmp_path / "thumbs").is_dir()


def test_a_second_loader_on_the_same_folder_fetches_nothing(
        qtbot: QtBot, proxy: FaultProxy, shared_host: HostWithKeys, tmp_path: Path,
        make_loader: type[ThumbnailLoader]) -> None:
    urls = small_squares(proxy, shared_host.keys.key, 4)
    first = make_loader(ThumbCache(tmp_path / "thumbs"))
    for url in urls:
        first.request(url)
    qtbot.waitUntil(lambda: all(first.pixmap(u) is not None for u in urls), timeout=WAIT)
    fetched = len(thumb_gets(proxy))
    assert first.requests_made == 4

    second = make_loader(ThumbCache(tmp_path / "thumbs"))
    for url in urls:
        second.request(url)
    qtbot.waitUntil(lambda: all(second.pixmap(u) is not None for u in urls), timeout=WAIT)
    assert second.requests_made == 0
    assert len(thumb_gets(proxy)) == fetched, "the cache answered, not the host"
    a, b = first.pixmap(urls[2]), second.pixmap(urls[2])
    assert a is not None
    assert b is not None
    assert a.toImage() == b.toImage()


def test_keep_only_drops_loads_not_yet_started(
        qtbot: QtBot, proxy: FaultProxy, shared_host: HostWithKeys, tmp_path: Path,
        make_loader: type[ThumbnailLoader]) -> None:
    urls = small_squares(proxy, shared_host.keys.key, 5)
    before = len(thumb_gets(proxy))
    loader = make_loader(ThumbCache(tmp_path / "thumbs"), threads=1)
    # The first load hangs for a second (then the connection drops): the rest stay queued.
    proxy.plan(Stall(1.0))
    for url in urls:
        loader.request(url)
    assert loader.pending() == 5
    loader.keep_only({urls[0], urls[3]})
    assert loader.pending() == 2
    qtbot.waitUntil(lambda: loader.pending() == 0, timeout=WAIT)
    fetched = thumb_gets(proxy)[before:]
    assert sorted(fetched) == sorted("/" + u.split("/", 3)[3] for u in (urls[0], urls[3]))
    assert loader.pixmap(urls[1]) is None
    assert loader.error(urls[1]) is None, "dropped, not failed: it may be asked for again"
    assert loader.error(urls[0]) is not None
    assert loader.pixmap(urls[3]) is not None


def test_a_missing_image_fails_once_with_a_message(
        qtbot: QtBot, proxy: FaultProxy, tmp_path: Path,
        make_loader: type[ThumbnailLoader]) -> None:
    loader = make_loader(ThumbCache(tmp_path / "thumbs"))
    url = proxy.url + "nosuchimgs.jpg"
    with qtbot.waitSignal(loader.failed, timeout=WAIT) as failed:
        loader.request(url)
    assert failed.args[0] == url
    assert "404" in failed.args[1]
    assert loader.error(url) == failed.args[1]
    seen = proxy.count
    for _ in range(3):  # a view repainting the broken item does not refetch it
        assert loader.request(url) is None
    qtbot.wait(50)
    assert proxy.count == seen
    folder = tmp_path / "thumbs"
    assert not folder.exists() or not any(folder.iterdir()), "nothing cached for an error"


def test_a_damaged_cache_file_is_fetched_again(
        qtbot: QtBot, proxy: FaultProxy, shared_host: HostWithKeys, tmp_path: Path,
        make_loader: type[ThumbnailLoader]) -> None:
    [url] = small_squares(proxy, shared_host.keys.key, 1)
    cache = ThumbCache(tmp_path / "thumbs")
    cache.put(url, b"junk where a JPEG should be")
    loader = make_loader(cache)
    with qtbot.waitSignal(loader.ready, timeout=WAIT):
        loader.request(url)
    assert loader.requests_made == 1
    fixed = cache.get(url)
    assert fixed is not None
    assert fixed[:3] == b"\xff\xd8\xff"
    assert len(fixed) > 100


def test_memory_keeps_at_most_memory_items(
        qtbot: QtBot, proxy: FaultProxy, shared_host: HostWithKeys, tmp_path: Path,
        make_loader: type[ThumbnailLoader]) -> None:
    urls = small_squares(proxy, shared_host.keys.key, 3)
    loader = make_loader(ThumbCache(tmp_path / "thumbs"), memory_items=2)
    for url in urls:
        with qtbot.waitSignal(loader.ready, timeout=WAIT):
            loader.request(url)
    assert [loader.pixmap(u) is not None for u in urls] == [False, True, True]


def test_shutdown_waits_and_then_schedules_nothing(
        qtbot: QtBot, proxy: FaultProxy, shared_host: HostWithKeys, tmp_path: Path,
        make_loader: type[ThumbnailLoader]) -> None:
    urls = small_squares(proxy, shared_host.keys.key, 3)
    loader = make_loader(ThumbCache(tmp_path / "thumbs"), threads=1)
    for url in urls:
        loader.request(url)
    loader.shutdown()
    assert loader.pending() <= 1  # at most the one that was running when it stopped
    seen = proxy.count
    assert loader.request(urls[2]) is None
    qtbot.wait(50)
    assert proxy.count == seen
