"""Issue #5's "done when", through the whole app against the real local host: a person signs
in, makes a grid album from five dropped photos, reorders it in the Albums tab, opens it in
each layout, signs out, and the token only ever lived in the keyring. The History tab shows
the same five uploads from the ledger."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from imgur_desktop.app import Application
from imgur_desktop.core.ledger import Ledger, State
from imgur_desktop.core.models import Album
from imgur_desktop.ui.albums_view import AlbumsView
from imgur_desktop.ui.destination_bar import NEW_ALBUM, NO_ALBUM
from imgur_desktop.ui.history_view import HistoryView
from imgur_desktop.ui.main_window import ALBUMS_TAB, HISTORY_TAB
from tests.conftest import ALICE, HostWithKeys
from tests.support.testkeyring import MemoryKeyring
from tests.ui.conftest import UPLOAD_TIMEOUT, drop, file_mime, unique_png, wait_done, write
from tests.ui.test_albums_view import (
    album_row_point,
    click_images,
    contents,
    drop_at,
    idle,
    stored_order,
)
from tests.ui.test_sign_in import (
    Browser,
    account_client,
    apps,  # noqa: F401 (fixture)
    assert_secrets_nowhere,
    launch,
    memory_keyring,  # noqa: F401 (fixture)
    tokens_in,
    wait_signed_in,
)


def test_sign_in_make_a_grid_album_reorder_browse_every_layout_sign_out(
        qtbot: QtBot, apps: list[Application], shared_host: HostWithKeys,  # noqa: F811
        memory_keyring: MemoryKeyring, tmp_path: Path,  # noqa: F811
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    app = launch(qtbot, tmp_path / "journey", shared_host, Browser(ALICE))
    apps.append(app)
    window, bar = app.window, app.window.destination
    qtbot.mouseClick(bar.sign_button, Qt.MouseButton.LeftButton)
    wait_signed_in(qtbot, app, "alice")
    stored = tokens_in(memory_keyring, shared_host, "alice")
    client = account_client(shared_host, stored["token"], stored["secret"])

    # A new grid album for the next drop, picked as a person picks it.
    bar.album.setCurrentIndex(bar.album.findData(NEW_ALBUM))
    qtbot.keyClicks(bar.title, "Five photos")
    qtbot.mouseClick(bar.layout_picker.buttons["grid"], Qt.MouseButton.LeftButton)
    photos = [write(tmp_path / "photos", f"p{n}.png", unique_png((80 + n, 60)))
              for n in range(5)]
    with qtbot.waitSignal(app.queue.albumCreated, timeout=UPLOAD_TIMEOUT) as made:
        drop(window.drop_zone, file_mime(*photos))
    album = made.args[0]
    assert isinstance(album, Album)
    items = wait_done(qtbot, app.model, 5)
    hashes = [i.image.hash for i in items if i.image is not None]
    assert stored_order(client, album.id) == hashes
    assert client.album(album.id).layout == "grid"

    # The ledger has the five, with their delete links and the album; History shows them.
    assert app.ledger is not None
    rows = Ledger(app.ledger.path).query()
    assert sorted(r.hash or "" for r in rows) == sorted(hashes)
    assert all(r.state == State.DONE and r.deletehash and r.album == album.id for r in rows)
    history = window.show_tab(HISTORY_TAB)
    assert isinstance(history, HistoryView)
    qtbot.waitUntil(lambda: history.model.rowCount() == 5, timeout=UPLOAD_TIMEOUT)

    # Reorder in the Albums tab: the last photo moves first, saved on the server.
    albums = window.show_tab(ALBUMS_TAB)
    assert isinstance(albums, AlbumsView)
    idle(qtbot, albums)
    albums.select_album(album.id)
    idle(qtbot, albums)
    qtbot.waitUntil(lambda: contents(albums) == hashes, timeout=UPLOAD_TIMEOUT)
    click_images(qtbot, albums, hashes[4])
    for _ in range(4):
        qtbot.mouseClick(albums.earlier_button, Qt.MouseButton.LeftButton)
        idle(qtbot, albums)
    wanted = [hashes[4], *hashes[:4]]
    assert stored_order(client, album.id) == wanted

    # One more photo, uploaded on its own, joins the album by a drag from the upload list.
    bar.album.setCurrentIndex(bar.album.findData(NO_ALBUM))
    window.tabs.setCurrentIndex(0)
    drop(window.drop_zone, file_mime(write(tmp_path / "photos", "p5.png", unique_png())))
    sixth = wait_done(qtbot, app.model, 6)[5]
    assert sixth.image is not None
    window.show_tab(ALBUMS_TAB)
    dragged = app.model.mimeData([app.model.index(5)])
    drop_at(albums.album_list.viewport(), album_row_point(albums, album.id), dragged)
    idle(qtbot, albums)
    wanted = [*wanted, sixth.image.hash]
    assert stored_order(client, album.id) == wanted

    # Open it from the Albums tab, and see it in each layout, in the new order.
    albums.select_album(album.id)
    with qtbot.waitSignal(albums.openRequested) as opened:
        qtbot.mouseClick(albums.open_button, Qt.MouseButton.LeftButton)
    browser = window.open_album(opened.args[0])
    qtbot.waitUntil(lambda: browser.model.rowCount() == 6, timeout=UPLOAD_TIMEOUT)
    assert browser.current_layout() == "grid"
    assert [browser.model.image(r).hash for r in range(6)] == wanted
    grid = [browser.item_rect(r) for r in range(5)]
    assert grid[0].top() == grid[1].top()
    assert grid[1].left() > grid[0].left()
    browser.set_layout("vertical")
    assert browser.widget_rect(browser.strip).left() >= browser.main_image_rect().right()
    browser.set_layout("horizontal")
    assert browser.widget_rect(browser.strip).bottom() <= browser.main_image_rect().top()
    browser.set_layout("blog")
    blog = [browser.item_rect(r) for r in range(5)]
    assert all(blog[n + 1].top() >= blog[n].bottom() for n in range(4))
    browser.close()

    # Sign out: the keyring entry goes; the token was never anywhere else.
    qtbot.mouseClick(bar.sign_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bar.account.text() == "Not signed in", timeout=UPLOAD_TIMEOUT)
    qtbot.waitUntil(lambda: f"oauth1|{shared_host.api}|alice" not in
                    memory_keyring.entries.get("imgur-desktop", {}), timeout=UPLOAD_TIMEOUT)
    assert_secrets_nowhere(app, [stored["token"], stored["secret"]], caplog)
