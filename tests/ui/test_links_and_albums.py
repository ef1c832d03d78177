"""The link lands on the clipboard in the chosen format; batches into a new album copy the
album's link; the destination bar and its layout picker."""

from __future__ import annotations

import itertools
import time
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QToolButton
from pytestqt.qtbot import QtBot

from imgur_desktop.app import Application
from imgur_desktop.core.api.v2 import OAuthCredentials, V2Client
from imgur_desktop.core.models import Album
from imgur_desktop.ui.destination_bar import NEW_ALBUM
from imgur_desktop.ui.layout_picker import LayoutPicker
from imgur_desktop.ui.upload_model import State
from imgur_desktop.ui.upload_queue import COPY_INTERVAL, AlbumTarget
from tests.conftest import HostWithKeys
from tests.support import images
from tests.support.browser import Tokens, signed_session
from tests.support.faults import Fault, FaultProxy, Forward, Respond, _Conn
from tests.ui.conftest import (
    UPLOAD_TIMEOUT,
    SignedIn,
    clipboard_text,
    drop,
    fetch,
    file_mime,
    unique_png,
    wait_done,
    write,
)

DESCRIPTIONS = {
    "blog": "Shows all the images on one page in a blog post style layout. Best for albums "
            "with a small to medium amount of images.",
    "vertical": "Shows one image at a time in a traditional style, with thumbnails to the "
                "right. Good for almost any album.",
    "horizontal": "Shows one image at a time in a traditional style, with thumbnails on top. "
                  "Best for albums that have high resolution photos.",
    "grid": "Shows all the images on one page as thumbnails that expand when clicked on. Best "
            "for albums with lots of images.",
}


def expected_link(fmt: str, original: str, page: str, alt: str) -> str:
    return {
        "direct": original,
        "page": page,
        "markdown": f"![{alt}]({original})",
        "bbcode": f"[img]{original}[/img]",
        "html": f'<a href="{page}"><img src="{original}" alt="{alt}"></a>',
    }[fmt]


@pytest.mark.parametrize("fmt", ["direct", "page", "markdown", "bbcode", "html"])
def test_the_link_is_copied_in_the_chosen_format(qtbot: QtBot, app: Application,
                                                 tmp_path: Path, fmt: str) -> None:
    app.window._apply_settings(replace(app.settings, link_format=fmt))
    content = unique_png()
    with qtbot.waitSignal(app.queue.linksCopied, timeout=UPLOAD_TIMEOUT) as copied:
        drop(app.window.drop_zone, file_mime(write(tmp_path, "shot.png", content)))
    (item,) = wait_done(qtbot, app.model, 1)
    assert item.image is not None
    original, page = item.image.links.original, item.image.links.imgur_page
    assert original.endswith(f"/{item.image.hash}.png")
    assert page.endswith(f"/{item.image.hash}")
    assert item.image.name == "shot.png"  # the uploader sees the file name: it is the alt text
    expected = expected_link(fmt, original, page, "shot.png")
    assert copied.args == [expected]
    assert clipboard_text() == expected
    assert app.window.status_text.text() == "Link copied"
    assert fetch(original) == content


def test_two_files_in_one_drop_copy_both_links_one_per_line(
        qtbot: QtBot, app: Application, tmp_path: Path) -> None:
    files = [write(tmp_path, "first.png", unique_png()), write(tmp_path, "second.gif",
                                                               images.gif())]
    drop(app.window.drop_zone, file_mime(*files))
    first, second = wait_done(qtbot, app.model, 2)
    assert first.image
    assert second.image
    assert clipboard_text() == f"{first.image.links.original}\n{second.image.links.original}"
    assert app.window.status_text.text() == "2 links copied"


def test_a_big_drop_copies_its_links_at_first_at_last_and_seldom_between(
        qtbot: QtBot, app: Application, tmp_path: Path) -> None:
    """The first link is on the clipboard at once, the whole batch's when the last upload is
    done, and in between the clipboard is rewritten at most every COPY_INTERVAL seconds, not
    once per upload (a clipboard manager would keep every one)."""
    files = [write(tmp_path, f"shot{n}.png", unique_png()) for n in range(12)]
    copies: list[tuple[float, str]] = []
    app.queue.linksCopied.connect(lambda text: copies.append((time.monotonic(), text)))
    started = time.monotonic()
    drop(app.window.drop_zone, file_mime(*files))
    items = wait_done(qtbot, app.model, 12)
    qtbot.waitUntil(lambda: bool(copies) and copies[-1][1].count("\n") == 11)
    elapsed = time.monotonic() - started
    links = "\n".join(i.image.links.original for i in items if i.image)
    assert copies[0][1].count("\n") == 0  # the first upload's link alone, at once
    assert copies[-1][1] == links == clipboard_text()
    assert len(copies) < 12
    assert len(copies) <= 2 + elapsed / COPY_INTERVAL
    between = [b[0] - a[0] for a, b in itertools.pairwise(copies[:-1])]
    assert all(gap >= COPY_INTERVAL * 0.9 for gap in between), between


def test_auto_copy_off_leaves_the_clipboard_alone(qtbot: QtBot, app: Application,
                                                  tmp_path: Path) -> None:
    before = clipboard_text()
    app.window._apply_settings(replace(app.settings, auto_copy=False))
    drop(app.window.drop_zone, file_mime(write(tmp_path, "quiet.png", unique_png())))
    wait_done(qtbot, app.model, 1)
    assert clipboard_text() == before


def test_anonymous_cannot_pick_a_new_album_and_is_told_why(qtbot: QtBot,
                                                           app: Application) -> None:
    bar = app.window.destination
    assert "Anonymous" in bar.where.text()
    combo = bar.album
    entry = combo.model().index(combo.findData(NEW_ALBUM), 0)
    assert entry.data(Qt.ItemDataRole.DisplayRole) == "New album…"
    assert not (entry.flags() & Qt.ItemFlag.ItemIsEnabled)
    tip = entry.data(Qt.ItemDataRole.ToolTipRole)
    assert "Albums need an account" in tip
    assert "sign in" in tip
    assert not bar.new_album_allowed()
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Down)
    qtbot.keyClick(combo, Qt.Key.Key_End)
    assert combo.currentData() == "none"
    assert not bar.new_album.isVisible()
    assert app.queue.album_target.kind == "none"


def test_signed_in_the_new_album_entry_is_enabled(alice_window: SignedIn) -> None:
    bar = alice_window.window.destination
    assert bar.where.text() == "Uploading to: Local image host · alice"
    assert bar.new_album_allowed()
    entry = bar.album.model().index(bar.album.findData(NEW_ALBUM), 0)
    assert entry.flags() & Qt.ItemFlag.ItemIsEnabled
    assert not entry.data(Qt.ItemDataRole.ToolTipRole)


def test_a_batch_into_a_new_album_makes_it_with_the_picked_layout(
        qtbot: QtBot, alice_window: SignedIn, shared_host: HostWithKeys,
        alice_tokens: Tokens, tmp_path: Path) -> None:
    window, queue = alice_window.window, alice_window.queue
    bar = window.destination
    bar.album.setCurrentIndex(bar.album.findData(NEW_ALBUM))
    assert bar.new_album.isVisible()
    qtbot.keyClicks(bar.title, "Trip to the sea")
    bar.privacy.setCurrentIndex(bar.privacy.findData("secret"))
    with qtbot.waitSignal(bar.layout_picker.layoutChanged) as picked:
        qtbot.mouseClick(bar.layout_picker.buttons["grid"], Qt.MouseButton.LeftButton)
    assert picked.args == ["grid"]
    target = queue.album_target
    assert (target.kind, target.title, target.privacy, target.layout) == (
        "new", "Trip to the sea", "secret", "grid")

    contents = [unique_png(), images.jpeg()]
    files = [write(tmp_path, "sea1.png", contents[0]), write(tmp_path, "sea2.jpg", contents[1])]
    with qtbot.waitSignal(queue.albumCreated, timeout=UPLOAD_TIMEOUT) as made:
        drop(window.drop_zone, file_mime(*files))
    album = made.args[0]
    assert isinstance(album, Album)
    items = wait_done(qtbot, alice_window.model, 2)
    assert album.link
    assert clipboard_text() == album.link
    assert window.status_text.text() == f"Album ready: {album.link}"

    session = signed_session(shared_host.keys, alice_tokens)
    resp = session.get(f"{shared_host.api}album/{album.id}.json", timeout=10)
    assert resp.status_code == 200, resp.text
    data = resp.json()["album"]
    assert data["layout"] == "grid"
    assert data["title"] == "Trip to the sea"
    assert [i["image"]["hash"] for i in data["images"]] == [
        i.image.hash for i in items if i.image]
    mine = session.get(f"{shared_host.api}account/albums.json", timeout=10).json()
    (listed,) = [a for a in mine["albums"] if a["id"] == album.id]
    assert listed["privacy"] == "secret"
    # A secret album is not readable without its owner's signature.
    assert fetch_status(f"{shared_host.api}album/{album.id}.json") == 404


def fetch_status(url: str) -> int:
    import requests

    return requests.get(url, timeout=10).status_code


def test_uploads_signed_in_go_into_the_account(qtbot: QtBot, alice_window: SignedIn,
                                               shared_host: HostWithKeys,
                                               alice_tokens: Tokens, tmp_path: Path) -> None:
    drop(alice_window.window.drop_zone, file_mime(write(tmp_path, "mine.png", unique_png())))
    (item,) = wait_done(qtbot, alice_window.model, 1)
    assert item.image is not None
    session = signed_session(shared_host.keys, alice_tokens)
    resp = session.get(f"{shared_host.api}account/images/{item.image.hash}.json", timeout=10)
    assert resp.status_code == 200, resp.text
    assert clipboard_text() == item.image.links.original


def test_a_failed_file_in_a_new_album_batch_leaves_the_others_in_the_album(
        qtbot: QtBot, alice_window: SignedIn, shared_host: HostWithKeys,
        alice_tokens: Tokens, tmp_path: Path) -> None:
    window, queue = alice_window.window, alice_window.queue
    bar = window.destination
    bar.album.setCurrentIndex(bar.album.findData(NEW_ALBUM))
    files = [write(tmp_path, "ok.png", unique_png()),
             write(tmp_path, "bad.txt", b"text, not an image\n")]
    with qtbot.waitSignal(queue.albumCreated, timeout=UPLOAD_TIMEOUT) as made:
        drop(window.drop_zone, file_mime(*files))
    ok, bad = alice_window.model.items
    assert (ok.state, bad.state) == (State.DONE, State.FAILED)
    album = made.args[0]
    session = signed_session(shared_host.keys, alice_tokens)
    data = session.get(f"{shared_host.api}album/{album.id}.json", timeout=10).json()["album"]
    assert [i["image"]["hash"] for i in data["images"]] == [ok.image.hash if ok.image else ""]
    assert data["layout"] == "blog"  # the picker's default


# -- the layout picker on its own ---------------------------------------------------------------


def test_the_layout_picker_has_four_tiles_with_the_seeds_descriptions(qtbot: QtBot) -> None:
    picker = LayoutPicker()
    qtbot.addWidget(picker)
    with qtbot.waitExposed(picker):
        picker.show()
    tiles = picker.findChildren(QToolButton)
    assert len(tiles) == 4
    assert list(picker.buttons) == ["blog", "vertical", "horizontal", "grid"]
    for name, button in picker.buttons.items():
        assert button.accessibleDescription() == DESCRIPTIONS[name]
        assert DESCRIPTIONS[name] in button.toolTip()
        assert button.text() == name.capitalize()
        assert button.accessibleName() == f"{name.capitalize()} layout"
        assert not button.icon().isNull()
        assert button.isCheckable()
        assert LayoutPicker.description(name) == DESCRIPTIONS[name]
    assert picker.current() == "blog"


def test_the_layout_picker_selects_exactly_one_and_says_which(qtbot: QtBot) -> None:
    picker = LayoutPicker()
    qtbot.addWidget(picker)
    with qtbot.waitExposed(picker):
        picker.show()
    for name in ("vertical", "grid", "horizontal", "blog"):
        with qtbot.waitSignal(picker.layoutChanged) as changed:
            qtbot.mouseClick(picker.buttons[name], Qt.MouseButton.LeftButton)
        assert changed.args == [name]
        assert picker.current() == name
        assert [n for n, b in picker.buttons.items() if b.isChecked()] == [name]
    with qtbot.assertNotEmitted(picker.layoutChanged):
        qtbot.mouseClick(picker.buttons["blog"], Qt.MouseButton.LeftButton)
    assert picker.buttons["blog"].isChecked()
    with pytest.raises(ValueError, match="unknown layout"):
        picker.set_current("carousel")


def test_the_layout_picker_starts_at_the_layout_given(qtbot: QtBot) -> None:
    picker = LayoutPicker(current="horizontal")
    qtbot.addWidget(picker)
    assert picker.current() == "horizontal"


def test_a_row_retried_after_its_album_was_made_joins_that_album(
        qtbot: QtBot, alice_window: SignedIn, shared_host: HostWithKeys,
        alice_tokens: Tokens, tmp_path: Path) -> None:
    window, queue = alice_window.window, alice_window.queue
    window._apply_settings(replace(window.settings, max_upload_mb=0.1))
    bar = window.destination
    bar.album.setCurrentIndex(bar.album.findData(NEW_ALBUM))
    qtbot.keyClicks(bar.title, "Retried into the same album")
    small = write(tmp_path, "small.png", unique_png())
    large = write(tmp_path, "large.bmp", images.raster("BMP", (200, 200)))  # 120 KB
    with qtbot.waitSignal(queue.albumCreated, timeout=UPLOAD_TIMEOUT) as made:
        drop(window.drop_zone, file_mime(small, large))
    first = made.args[0]
    ok, big = alice_window.model.items
    assert (ok.state, big.state) == (State.DONE, State.FAILED)
    assert big.error == "large.bmp is 0.1 MB; the limit is 0.1 MB"

    window._apply_settings(replace(window.settings, max_upload_mb=10))
    with qtbot.waitSignal(queue.albumCreated, timeout=UPLOAD_TIMEOUT) as again:
        view = window.view
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton,
                         pos=view.action_point(1, "retry"))  # type: ignore[arg-type]
    assert big.state is State.DONE
    assert again.args[0].id == first.id
    assert clipboard_text() == first.link

    session = signed_session(shared_host.keys, alice_tokens)
    mine = session.get(f"{shared_host.api}account/albums.json", params={"count": "100"},
                       timeout=10).json()["albums"]
    assert [a["id"] for a in mine if a["title"] == "Retried into the same album"] == [first.id]
    data = session.get(f"{shared_host.api}album/{first.id}.json", timeout=10).json()["album"]
    assert [i["image"]["hash"] for i in data["images"]] == [
        ok.image.hash if ok.image else "", big.image.hash if big.image else ""]


class FirstAlbumPostFails(Fault):
    """Forwards everything, but answers the first ``failures`` album creations with a 503."""

    def __init__(self, failures: int) -> None:
        self.left = failures
        self.album_posts = 0

    def play(self, proxy: FaultProxy, conn: _Conn) -> None:
        if conn.method == "POST" and conn.target.startswith("/2/account/albums."):
            self.album_posts += 1
            if self.left > 0:
                self.left -= 1
                Respond(503, b"<html><body>Service Unavailable</body></html>").play(proxy, conn)
                return
        Forward().play(proxy, conn)


def test_an_album_the_host_failed_to_make_is_tried_again_by_itself(
        qtbot: QtBot, alice_window: SignedIn, shared_host: HostWithKeys,
        alice_tokens: Tokens, tmp_path: Path) -> None:
    fault = FirstAlbumPostFails(1)
    with FaultProxy(shared_host.url, default=fault) as front:
        keys = shared_host.keys
        alice_window.queue.set_client(V2Client(front.api, oauth=OAuthCredentials(
            keys.consumer_key, keys.consumer_secret, alice_tokens.token, alice_tokens.secret)))
        alice_window.queue.album_target = AlbumTarget("new", title="Second try",
                                                      layout="grid")
        files = [write(tmp_path, f"again{n}.png", unique_png()) for n in range(2)]
        with qtbot.waitSignal(alice_window.queue.albumCreated, timeout=UPLOAD_TIMEOUT) as made:
            drop(alice_window.window.drop_zone, file_mime(*files))
        album = made.args[0]
        items = wait_done(qtbot, alice_window.model, 2)
    assert fault.album_posts == 2  # refused once, made on the second try
    assert [i.hash for i in alice_window.client.album(album.id).images] == [
        i.image.hash for i in items if i.image]
    assert clipboard_text() == album.link
