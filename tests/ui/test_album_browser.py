"""The album browser against the real local host: each layout's arrangement (positions and
order), switching and saving a layout, viewing as a stranger, the keyboard, the thumbnail
cache (counted at a proxy in front of the host), and a 1,000-image album."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from imgur_desktop.core.api.v2 import UploadMeta, V2Client
from imgur_desktop.core.models import Album
from imgur_desktop.core.thumb_cache import ThumbCache
from imgur_desktop.server import admin
from imgur_desktop.ui.album_browser import AlbumBrowser
from imgur_desktop.ui.album_delegates import TILE, BlogDelegate
from imgur_desktop.ui.thumbnails import ThumbnailLoader
from tests.conftest import HostWithKeys
from tests.core.conftest import fast_transport, oauth_for
from tests.support.browser import Tokens, sign_in
from tests.support.faults import FaultProxy, Forward, Respond
from tests.ui.conftest import unique_png

pytestmark = pytest.mark.timeout(90)
WAIT = 20_000
BIG_ALBUM = 1000

MakeAlbum = Callable[..., Album]


# -- fixtures ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def owner(shared_host: HostWithKeys) -> V2Client:
    """A signed-in account of its own: alice is shared with tests that count her images, and
    a thousand more would upset them."""
    name, password = "albumviewer", "albumviewer-password"
    admin.add_user(shared_host.data_dir, name, password, is_pro=False)
    tokens = sign_in(shared_host.url, shared_host.keys, name, password)
    return V2Client(shared_host.api, oauth=oauth_for(shared_host, tokens),
                    transport=fast_transport())


@pytest.fixture(scope="module")
def bob(shared_host: HostWithKeys, bob_tokens: Tokens) -> V2Client:
    return V2Client(shared_host.api, oauth=oauth_for(shared_host, bob_tokens),
                    transport=fast_transport())


@pytest.fixture(scope="module")
def make_album(owner: V2Client) -> MakeAlbum:
    """An album of the owner's with ``n`` fresh images titled and captioned by position."""

    def make(n: int = 5, *, layout: str = "grid", privacy: str = "public",
             size: tuple[int, int] = (160, 120), title: str = "Trip") -> Album:
        hashes = [owner.upload_bytes(unique_png(size), f"p{i}.png",
                                     UploadMeta(title=f"Photo {i}", caption=f"Caption {i}"),
                                     account=True).hash
                  for i in range(n)]
        album = owner.create_album(title=title, description="A few photos", privacy=privacy,
                                   layout=layout, images=hashes)
        return owner.album(album.id)

    return make


@pytest.fixture
def proxy(shared_host: HostWithKeys) -> Iterator[FaultProxy]:
    with FaultProxy(shared_host.url) as front:
        yield front


@pytest.fixture
def make_browser(qtbot: QtBot, tmp_path: Path) -> Iterator[Callable[..., AlbumBrowser]]:
    made: list[tuple[AlbumBrowser, ThumbnailLoader]] = []

    def make(client: V2Client | None, *, cache: Path | None = None,
             size: tuple[int, int] = (900, 700)) -> AlbumBrowser:
        loader = ThumbnailLoader(ThumbCache(cache or tmp_path / "thumbs"))
        browser = AlbumBrowser(loader)
        qtbot.addWidget(browser)
        browser.set_client(client)
        browser.resize(*size)
        with qtbot.waitExposed(browser):
            browser.show()
        made.append((browser, loader))
        return browser

    yield make
    for browser, loader in made:
        browser._pool.waitForDone(20_000)
        loader.shutdown()


def anonymous(host_api: str, host: HostWithKeys) -> V2Client:
    return V2Client(host_api, key=host.keys.key, transport=fast_transport())


def open_and_wait(qtbot: QtBot, browser: AlbumBrowser, ref: str) -> Album:
    browser.open_album(ref)
    qtbot.waitUntil(lambda: browser.album() is not None or "could not" in
                    browser.message_text(), timeout=WAIT)
    album = browser.album()
    assert album is not None, browser.message_text()
    return album


def settled(browser: AlbumBrowser) -> Callable[[], bool]:
    """Nothing left to ask for and nothing loading."""
    return lambda: not browser.refresh_pending() and browser.loader.pending() == 0


def thumbs_loaded(browser: AlbumBrowser, rows: range) -> Callable[[], bool]:
    def check() -> bool:
        album = browser.album()
        assert album is not None
        return all(browser.loader.pixmap(album.images[r].links.small_square or "") is not None
                   for r in rows)
    return check


# -- the four layouts --------------------------------------------------------------------------

def test_grid_places_tiles_left_to_right_then_wraps(
        qtbot: QtBot, make_album: MakeAlbum, make_browser: Callable[..., AlbumBrowser],
        shared_host: HostWithKeys) -> None:
    album = make_album(12, layout="grid")
    browser = make_browser(anonymous(shared_host.api, shared_host))
    shown = open_and_wait(qtbot, browser, album.id)
    assert [i.hash for i in shown.images] == [i.hash for i in album.images]
    assert browser.current_layout() == "grid"
    assert browser.picker.current() == "grid"
    view = browser.view_for_tests()
    assert view is not None
    assert view is browser.grid
    columns = view.viewport().width() // TILE
    assert 2 <= columns < 12
    rects = [browser.item_rect(r) for r in range(12)]
    for r in range(1, columns):  # the first row: same top, each right of the one before
        assert rects[r].top() == rects[0].top()
        assert rects[r].left() >= rects[r - 1].right()
    wrapped = rects[columns]  # the next one starts the second row, under the first
    assert wrapped.left() == rects[0].left()
    assert wrapped.top() >= rects[0].bottom()
    assert rects[0].size().width() == TILE
    qtbot.waitUntil(thumbs_loaded(browser, range(12)), timeout=WAIT)
    qtbot.waitUntil(lambda: not browser.fades.active(), timeout=WAIT)
    # The tile really shows the thumbnail (not the placeholder): sample its middle.
    grab = browser.grab().toImage()
    loaded = browser.loader.pixmap(album.images[3].links.small_square or "")
    assert loaded is not None
    expected = loaded.toImage().pixelColor(45, 45)
    got = grab.pixelColor(rects[3].center() * grab.devicePixelRatio())
    assert _close(got, expected), (got.name(), expected.name())


def _close(a: QColor, b: QColor, tolerance: int = 24) -> bool:
    return all(abs(x - y) <= tolerance for x, y in
               ((a.red(), b.red()), (a.green(), b.green()), (a.blue(), b.blue())))


def test_vertical_shows_one_image_with_thumbnails_to_its_right(
        qtbot: QtBot, make_album: MakeAlbum, make_browser: Callable[..., AlbumBrowser],
        shared_host: HostWithKeys) -> None:
    album = make_album(6, layout="vertical")
    browser = make_browser(anonymous(shared_host.api, shared_host))
    open_and_wait(qtbot, browser, album.id)
    assert browser.current_layout() == "vertical"
    main = browser.main_image_rect()
    strip = browser.widget_rect(browser.strip)
    assert browser.strip.isVisible()
    assert not main.isEmpty()
    assert strip.left() >= main.right(), (strip, main)
    assert strip.width() < main.width()
    rects = [browser.item_rect(r) for r in range(6)]
    for r in range(1, 6):  # a column: each under the one before
        assert rects[r].left() == rects[0].left()
        assert rects[r].top() >= rects[r - 1].bottom()
    assert strip.contains(rects[0].center())
    assert browser.panel.image is not None
    assert browser.panel.image.hash == album.images[0].hash
    assert browser.panel.title.text() == "Photo 0"
    assert browser.panel.caption.text() == "Caption 0"


def test_horizontal_shows_one_image_with_thumbnails_on_top(
        qtbot: QtBot, make_album: MakeAlbum, make_browser: Callable[..., AlbumBrowser],
        shared_host: HostWithKeys) -> None:
    album = make_album(6, layout="horizontal")
    browser = make_browser(anonymous(shared_host.api, shared_host))
    open_and_wait(qtbot, browser, album.id)
    assert browser.current_layout() == "horizontal"
    main = browser.main_image_rect()
    strip = browser.widget_rect(browser.strip)
    assert strip.bottom() <= main.top(), (strip, main)
    rects = [browser.item_rect(r) for r in range(6)]
    for r in range(1, 6):  # a row: each right of the one before
        assert rects[r].top() == rects[0].top()
        assert rects[r].left() >= rects[r - 1].right()
    assert strip.contains(rects[0].center())


def test_blog_stacks_every_image_full_width_with_titles_and_captions(
        qtbot: QtBot, make_album: MakeAlbum, make_browser: Callable[..., AlbumBrowser],
        shared_host: HostWithKeys) -> None:
    album = make_album(4, layout="blog", size=(300, 150))
    browser = make_browser(anonymous(shared_host.api, shared_host), size=(900, 1400))
    open_and_wait(qtbot, browser, album.id)
    assert browser.current_layout() == "blog"
    view = browser.view_for_tests()
    assert view is browser.blog
    width = view.viewport().width()
    rects = [browser.item_rect(r) for r in range(4)]
    for r, rect in enumerate(rects):
        assert rect.width() == width, "full width"
        assert rect.left() == rects[0].left()
        if r:
            assert rect.top() >= rects[r - 1].bottom(), "one under another, in album order"
    delegate = view.itemDelegate()
    assert isinstance(delegate, BlogDelegate)
    qtbot.waitUntil(lambda: all(browser.loader.pixmap(i.links.large_thumbnail or "")
                                for i in album.images), timeout=WAIT)
    qtbot.waitUntil(lambda: not browser.fades.active(), timeout=WAIT)
    grab = browser.grab().toImage()
    for r, image in enumerate(album.images):
        parts = delegate.geometry(image, rects[r].width())
        title = parts.title.translated(rects[r].topLeft())
        picture = parts.picture.translated(rects[r].topLeft())
        caption = parts.caption.translated(rects[r].topLeft())
        assert title.bottom() < picture.top() < picture.bottom() < caption.top()
        assert picture.size().toTuple() == (300, 150), "the large thumbnail at its own size"
        assert _has_ink(grab, title), f"title of row {r} painted"
        assert _has_ink(grab, caption), f"caption of row {r} painted"
    assert [browser.model.image(r).title for r in range(4)] == [f"Photo {r}" for r in range(4)]


def _has_ink(grab: QImage, rect: QRect) -> bool:
    """Some pixel in ``rect`` differs from the background at its top-left corner."""
    ratio = grab.devicePixelRatio()
    background = grab.pixelColor(QPoint(int(rect.left() * ratio), int(rect.top() * ratio)))
    for y in range(rect.top(), rect.bottom(), 2):
        for x in range(rect.left(), rect.right(), 2):
            if not _close(grab.pixelColor(int(x * ratio), int(y * ratio)), background, 60):
                return True
    return False


# -- saving, and who may ------------------------------------------------------------------------

def test_the_owner_switches_the_layout_and_saves_it_on_the_server(
        qtbot: QtBot, make_album: MakeAlbum, make_browser: Callable[..., AlbumBrowser],
        owner: V2Client, shared_host: HostWithKeys) -> None:
    album = make_album(3, layout="grid")
    browser = make_browser(owner)
    open_and_wait(qtbot, browser, album.id)
    assert browser.is_owned(), "the account's own album route answered: this is theirs"
    assert not browser.save_button.isEnabled(), "grid is already the album's layout"
    qtbot.mouseClick(browser.picker.buttons["vertical"], Qt.MouseButton.LeftButton)
    assert browser.current_layout() == "vertical"
    assert browser.save_button.isEnabled()
    with qtbot.waitSignal(browser.layoutSaved, timeout=WAIT) as saved:
        qtbot.mouseClick(browser.save_button, Qt.MouseButton.LeftButton)
    assert saved.args == [album.id, "vertical"]
    assert owner.album(album.id).layout == "vertical"
    assert anonymous(shared_host.api, shared_host).album(album.id).layout == "vertical"
    assert not browser.save_button.isEnabled(), "nothing left to save"
    assert "Vertical" in browser.message_text()


def test_a_failed_save_is_shown_and_changes_nothing(
        qtbot: QtBot, make_album: MakeAlbum, make_browser: Callable[..., AlbumBrowser],
        owner: V2Client) -> None:
    album = make_album(2, layout="blog")
    browser = make_browser(owner)
    open_and_wait(qtbot, browser, album.id)
    owner.delete_album(album.id)  # gone behind the browser's back
    browser.set_layout("grid")
    browser.save_button.click()
    qtbot.waitUntil(lambda: "not saved" in browser.message_text(), timeout=WAIT)
    assert "Album not found" in browser.message_text()
    assert browser.save_button.isEnabled(), "the person can try again"


@pytest.mark.parametrize("who", ["stranger", "anonymous"])
def test_others_view_a_public_album_by_link_but_cannot_save(
        qtbot: QtBot, make_album: MakeAlbum, make_browser: Callable[..., AlbumBrowser],
        owner: V2Client, bob: V2Client, shared_host: HostWithKeys, who: str) -> None:
    album = make_album(4, layout="horizontal")
    client = bob if who == "stranger" else anonymous(shared_host.api, shared_host)
    browser = make_browser(client)
    shown = open_and_wait(qtbot, browser, f"{shared_host.url}a/{album.id}#2")
    assert [i.hash for i in shown.images] == [i.hash for i in album.images]
    assert browser.current_layout() == "horizontal"
    assert browser.current_index() == 2, "the #2 in the link opens the third image"
    assert browser.panel.image is not None
    assert browser.panel.image.hash == album.images[2].hash
    assert browser.title_label.text() == "Trip"
    assert browser.description_label.text() == "A few photos"
    assert not browser.is_owned()
    browser.set_layout("blog")  # viewing in another layout is anyone's right ...
    assert browser.current_layout() == "blog"
    assert not browser.save_button.isEnabled()  # ... saving it is the owner's
    browser.save_layout()  # even called directly, nothing is sent
    qtbot.wait(100)
    assert owner.album(album.id).layout == "horizontal"


def test_a_secret_album_is_not_shown_to_others(
        qtbot: QtBot, make_album: MakeAlbum, make_browser: Callable[..., AlbumBrowser],
        owner: V2Client, bob: V2Client) -> None:
    album = make_album(1, privacy="secret")
    browser = make_browser(bob)
    browser.open_album(album.id)
    qtbot.waitUntil(lambda: "could not be opened" in browser.message_text(), timeout=WAIT)
    assert "Album not found" in browser.message_text()
    assert browser.album() is None
    mine = make_browser(owner)  # its owner sees it: the call is signed
    assert open_and_wait(qtbot, mine, album.id).privacy in (None, "secret")
    assert mine.is_owned()


@pytest.mark.parametrize("ref", ["", "not an album!", "http://127.0.0.1:9/b/abc",
                                 "http://127.0.0.1:9/a/"])
def test_a_bad_reference_is_explained_without_asking_the_host(
        qtbot: QtBot, make_browser: Callable[..., AlbumBrowser], proxy: FaultProxy,
        shared_host: HostWithKeys, ref: str) -> None:
    browser = make_browser(anonymous(proxy.api, shared_host))
    browser.open_album(ref)
    text = browser.message_text()
    assert "album" in text.lower()
    assert "link" in text.lower()
    qtbot.wait(100)
    assert proxy.count == 0
    assert browser.album() is None


def test_no_service_is_explained(qtbot: QtBot,
                                 make_browser: Callable[..., AlbumBrowser]) -> None:
    browser = make_browser(None)
    browser.open_album("abcdefg")
    assert "No image service" in browser.message_text()


def test_thumbnails_that_fail_are_marked_and_explained(
        qtbot: QtBot, make_album: MakeAlbum, make_browser: Callable[..., AlbumBrowser],
        proxy: FaultProxy, shared_host: HostWithKeys) -> None:
    album = make_album(2, layout="grid")
    browser = make_browser(anonymous(proxy.api, shared_host))
    # The album comes through; both thumbnails then meet a host in trouble.
    proxy.plan(Forward(), Respond(503, b"<html>busy</html>"), Respond(503, b"<html>busy</html>"))
    shown = open_and_wait(qtbot, browser, album.id)
    qtbot.waitUntil(lambda: "could not be loaded" in browser.message_text(), timeout=WAIT)
    assert "503" in browser.message_text()
    for image in shown.images:
        qtbot.waitUntil(lambda i=image: browser.loader.error(i.links.small_square or "")
                        is not None, timeout=WAIT)
    seen = proxy.count
    browser.grid.viewport().repaint()  # repainting a broken tile does not ask again
    qtbot.wait(50)
    assert proxy.count == seen


def test_an_empty_album_says_so(
        qtbot: QtBot, owner: V2Client, make_browser: Callable[..., AlbumBrowser]) -> None:
    album = owner.create_album(title="Nothing yet", layout="vertical")
    browser = make_browser(owner)
    open_and_wait(qtbot, browser, album.id)
    assert "no images" in browser.message_text()
    assert browser.current_layout() == "vertical"
    assert browser.main_image_rect().isEmpty()
    qtbot.keyClick(browser.strip, Qt.Key.Key_Right)  # nothing to move to, nothing breaks
    assert browser.current_index() == 0


# -- the keyboard -------------------------------------------------------------------------------

def test_arrows_home_and_end_move_between_images(
        qtbot: QtBot, make_album: MakeAlbum, make_browser: Callable[..., AlbumBrowser],
        shared_host: HostWithKeys) -> None:
    album = make_album(5, layout="vertical")
    browser = make_browser(anonymous(shared_host.api, shared_host))
    open_and_wait(qtbot, browser, album.id)
    shown = browser.panel

    def at(row: int) -> None:
        assert browser.current_index() == row
        assert shown.image is not None
        assert shown.image.hash == album.images[row].hash
        assert browser.strip.currentIndex().row() == row

    target = browser.strip
    for key, row in ((Qt.Key.Key_Right, 1), (Qt.Key.Key_Down, 2), (Qt.Key.Key_Left, 1),
                     (Qt.Key.Key_Up, 0), (Qt.Key.Key_Up, 0), (Qt.Key.Key_End, 4),
                     (Qt.Key.Key_Right, 4), (Qt.Key.Key_Home, 0)):
        qtbot.keyClick(target, key)
        at(row)
    qtbot.keyClick(shown, Qt.Key.Key_Right)  # from the big image too
    at(1)
    browser.set_layout("blog")
    qtbot.keyClick(browser.blog, Qt.Key.Key_Down)
    assert browser.current_index() == 2
    assert browser.blog.currentIndex().row() == 2


def test_grid_enter_expands_esc_collapses_then_closes(
        qtbot: QtBot, make_album: MakeAlbum, make_browser: Callable[..., AlbumBrowser],
        shared_host: HostWithKeys) -> None:
    album = make_album(12, layout="grid", size=(400, 300))
    browser = make_browser(anonymous(shared_host.api, shared_host))
    open_and_wait(qtbot, browser, album.id)
    grid = browser.grid
    columns = grid.viewport().width() // TILE
    assert columns < 11
    qtbot.keyClick(grid, Qt.Key.Key_Right)
    assert browser.current_index() == 1
    qtbot.keyClick(grid, Qt.Key.Key_Down)  # a row down: the same column, next row
    assert browser.current_index() == 1 + columns
    assert not browser.is_expanded()
    assert browser.main_image_rect().isEmpty()

    qtbot.keyClick(grid, Qt.Key.Key_Return)
    assert browser.is_expanded()
    assert browser.expanded_panel.isVisible()
    assert not grid.isVisible()
    assert browser.expanded_panel.image is not None
    assert browser.expanded_panel.image.hash == album.images[1 + columns].hash
    big = browser.main_image_rect()
    assert big.size().toTuple() == (400, 300), "expanded: the large image at its own size"
    qtbot.keyClick(browser.expanded_panel, Qt.Key.Key_Right)  # browse while expanded
    assert browser.expanded_panel.image.hash == album.images[2 + columns].hash

    qtbot.keyClick(browser.expanded_panel, Qt.Key.Key_Escape)
    assert not browser.is_expanded()
    assert grid.isVisible()
    assert grid.currentIndex().row() == 2 + columns

    rect = browser.item_rect(3)  # a click expands too
    qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton,
                     pos=grid.viewport().mapFrom(browser, rect.center()))
    assert browser.is_expanded()
    assert browser.current_index() == 3
    qtbot.keyClick(browser.expanded_panel, Qt.Key.Key_Escape)
    assert not browser.is_expanded()
    qtbot.keyClick(grid, Qt.Key.Key_Escape)  # nothing expanded: Esc closes the browser
    assert not browser.isVisible()


# -- thumbnails: the cache and a big album ------------------------------------------------------

def image_gets(proxy: FaultProxy) -> list[str]:
    """Thumbnail fetches the proxy relayed to the host (small squares and large ones)."""
    return [s.path for s in proxy.seen
            if s.method == "GET" and s.path.endswith(("s.jpg", "l.jpg"))]


def test_reopening_an_album_fetches_no_thumbnail_again(
        qtbot: QtBot, make_album: MakeAlbum, make_browser: Callable[..., AlbumBrowser],
        proxy: FaultProxy, shared_host: HostWithKeys, tmp_path: Path) -> None:
    album = make_album(8, layout="grid")
    client = anonymous(proxy.api, shared_host)
    cache = tmp_path / "shared-cache"
    first = make_browser(client, cache=cache)
    open_and_wait(qtbot, first, album.id)
    qtbot.waitUntil(thumbs_loaded(first, range(8)), timeout=WAIT)
    fetched = image_gets(proxy)
    assert sorted(fetched) == sorted(f"/{i.hash}s.jpg" for i in album.images), \
        "each small square fetched exactly once"
    assert first.loader.requests_made == 8
    first.close()

    again = make_browser(client, cache=cache)  # a new loader: nothing in memory
    album_calls = sum(1 for s in proxy.seen if f"/album/{album.id}" in s.path)
    open_and_wait(qtbot, again, album.id)
    qtbot.waitUntil(thumbs_loaded(again, range(8)), timeout=WAIT)
    assert sum(1 for s in proxy.seen if f"/album/{album.id}" in s.path) == album_calls + 1, \
        "the album itself was asked for again, through the proxy"
    assert image_gets(proxy) == fetched, "no thumbnail request reached the host"
    assert again.loader.requests_made == 0


@pytest.fixture(scope="module")
def big_album(owner: V2Client, shared_host: HostWithKeys) -> Album:
    """A 1,000-image album, made through the API (tiny PNGs, a few seconds)."""
    started = time.monotonic()
    hashes = [owner.upload_bytes(unique_png((8, 8)), f"b{i}.png", account=True).hash
              for i in range(BIG_ALBUM)]
    album = owner.create_album(title="Big", layout="grid", images=hashes)
    print(f"made a {BIG_ALBUM}-image album in {time.monotonic() - started:.1f}s")
    return album


def test_a_thousand_image_album_requests_only_what_is_on_screen(
        qtbot: QtBot, big_album: Album, make_browser: Callable[..., AlbumBrowser],
        proxy: FaultProxy, shared_host: HostWithKeys) -> None:
    browser = make_browser(anonymous(proxy.api, shared_host), size=(900, 700))
    started = time.monotonic()
    shown = open_and_wait(qtbot, browser, big_album.id)
    assert len(shown.images) == BIG_ALBUM
    assert browser.current_layout() == "grid"
    grid = browser.grid
    qtbot.waitUntil(lambda: bool(browser.requested_rows()), timeout=WAIT)
    opened = time.monotonic() - started
    qtbot.waitUntil(settled(browser), timeout=WAIT)

    # What the viewport holds: whole columns, and rows cut by its bottom edge count too.
    columns = grid.viewport().width() // TILE
    rows_on_screen = -(-grid.viewport().height() // TILE)
    on_screen = columns * rows_on_screen
    assert browser.requested_rows()[:on_screen] == list(range(on_screen))
    fetched = image_gets(proxy)
    # Every visible tile, plus one screen of prefetch below: never more.
    assert on_screen <= len(fetched) <= 2 * on_screen, (len(fetched), on_screen)
    assert browser.loader.requests_made == len(fetched)
    assert set(fetched) == {f"/{shown.images[r].hash}s.jpg" for r in range(len(fetched))}
    assert opened < 10, f"opening took {opened:.1f}s"

    # Fling through the whole album: each step repaints quickly; loads queued for rows that
    # scrolled away are dropped, so far fewer than 1,000 fetches follow.
    bar = grid.verticalScrollBar()
    slowest = 0.0
    for value in range(0, bar.maximum() + 1, max(1, bar.pageStep())):
        bar.setValue(value)
        began = time.monotonic()
        grid.viewport().repaint()
        slowest = max(slowest, time.monotonic() - began)
        qtbot.wait(1)
    bar.setValue(bar.maximum())
    qtbot.waitUntil(settled(browser), timeout=WAIT)
    assert slowest < 0.5, f"a repaint took {slowest:.2f}s"
    last_screen = browser.requested_rows()
    assert last_screen[-1] == BIG_ALBUM - 1
    assert len(last_screen) <= columns * (rows_on_screen + 1) * 2
    total = len(image_gets(proxy))
    assert total < BIG_ALBUM, f"{total} fetches: loads for rows scrolled past were not dropped"
    for r in last_screen[: columns * rows_on_screen]:
        assert browser.loader.pixmap(shown.images[r].links.small_square or "") is not None


def test_a_thousand_image_album_in_the_other_layouts(
        qtbot: QtBot, big_album: Album, make_browser: Callable[..., AlbumBrowser],
        proxy: FaultProxy, shared_host: HostWithKeys) -> None:
    browser = make_browser(anonymous(proxy.api, shared_host), size=(900, 700))
    shown = open_and_wait(qtbot, browser, big_album.id)
    qtbot.waitUntil(settled(browser), timeout=WAIT)
    for layout in ("blog", "vertical", "horizontal"):
        before = len(image_gets(proxy))
        began = time.monotonic()
        browser.set_layout(layout)
        browser.set_current(500)
        qtbot.waitUntil(lambda: not browser.refresh_pending()
                        and 500 in browser.requested_rows(), timeout=WAIT)
        took = time.monotonic() - began
        qtbot.waitUntil(settled(browser), timeout=WAIT)
        rows = browser.requested_rows()
        view = browser.view_for_tests()
        assert view is not None
        on_screen = [r for r in rows if view.viewport().rect().intersects(
            view.visualRect(browser.model.index(r, 0)))]
        assert 500 in on_screen
        assert len(rows) <= 2 * len(on_screen), (layout, len(rows), len(on_screen))
        new = len(image_gets(proxy)) - before
        # The rows' thumbnails, plus the big image and its two neighbours where one is shown.
        assert new <= len(rows) + (3 if layout != "blog" else 0), (layout, new, len(rows))
        assert took < 10
    assert shown.images[500].hash == (browser.panel.image.hash if browser.panel.image else "")
