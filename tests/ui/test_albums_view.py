"""The Albums tab against the real local host: create (a grid album through the dialog, filled
in as a person would), edit and delete albums; add images by dropping hashes on an album or its
contents; reorder by dragging; set the cover; remove images. Every result is read back from
the service. A change the service refuses is shown and leaves the view as it was."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QMimeData, QModelIndex, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from imgur_desktop.core.api.v2 import V2Client
from imgur_desktop.core.models import Album
from imgur_desktop.ui.album_dialog import AlbumDialog
from imgur_desktop.ui.album_models import moved_order
from imgur_desktop.ui.albums_view import SIGN_IN_TEXT, AlbumsView, read_album_images
from imgur_desktop.ui.image_mime import to_mime
from imgur_desktop.ui.my_images import MyImagesView
from imgur_desktop.ui.thumbnails import ThumbnailLoader
from tests.conftest import HostWithKeys
from tests.support.faults import FaultProxy, Forward, Respond
from tests.ui.conftest import when_modal
from tests.ui.test_my_images import (
    WAIT,
    Account,
    loader,  # noqa: F401 (a fixture)
    new_account,
    press,
    upload,
)


@pytest.fixture
def make_view(qtbot: QtBot,
              loader: ThumbnailLoader) -> Iterator[Callable[[V2Client | None], AlbumsView]]:  # noqa: F811
    made: list[AlbumsView | MyImagesView] = []

    def make(client: V2Client | None) -> AlbumsView:
        view = AlbumsView(loader)
        made.append(view)
        qtbot.addWidget(view)
        view.resize(900, 560)
        with qtbot.waitExposed(view):
            view.show()
        view.set_client(client)
        idle(qtbot, view)
        return view

    yield make
    for view in made:
        view.shutdown()


def idle(qtbot: QtBot, view: AlbumsView | MyImagesView) -> None:
    qtbot.waitUntil(lambda: view.jobs.pending() == 0, timeout=WAIT)


def stored_order(client: V2Client, album_id: str) -> list[str]:
    return [i.hash for i in read_album_images(client, album_id)]


def stored_album(client: V2Client, album_id: str) -> Album:
    (album,) = [a for a in client.albums(count=100).items if a.id == album_id]
    return album


def contents(view: AlbumsView) -> list[str]:
    return view.images_model.hashes


def album_titles(view: AlbumsView) -> list[str]:
    model = view.albums_model
    return [model.data(model.index(r)) for r in range(model.rowCount())]


def click(qtbot: QtBot, view: QWidget, pos: QPoint,
          modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, modifier, pos)


def click_images(qtbot: QtBot, view: AlbumsView, *hashes: str) -> None:
    """Select images in the album's grid with clicks (Ctrl for each after the first)."""
    for n, hash_ in enumerate(hashes):
        index = view.images_model.index(view.images_model.row_of(hash_))
        click(qtbot, view.contents.viewport(), view.contents.visualRect(index).center(),
              Qt.KeyboardModifier.ControlModifier if n else Qt.KeyboardModifier.NoModifier)
    assert view.selected_hashes() == sorted(hashes, key=view.images_model.row_of)


def drop_at(widget: QWidget, pos: QPoint, mime: QMimeData) -> QDropEvent:
    """Drag ``mime`` over ``widget`` to ``pos`` and drop it there, as Qt delivers a drag."""
    enter = QDragEnterEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted(), "the drag was refused on entering"
    move = QDragMoveEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                          Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, move)
    assert move.isAccepted(), "the drag was refused over the drop point"
    event = QDropEvent(QPointF(pos), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)
    return event


def album_row_point(view: AlbumsView, album_id: str) -> QPoint:
    index = view.albums_model.index(view.albums_model.row_of(album_id))
    return view.album_list.visualRect(index).center()


# -- the album itself --------------------------------------------------------------------------

def test_signed_out_the_view_says_to_sign_in(make_view: Callable[..., AlbumsView]) -> None:
    view = make_view(None)
    assert view.stack.currentWidget() is view.signed_out
    assert view.signed_out.text() == SIGN_IN_TEXT


def test_create_a_grid_album_through_the_dialog_then_edit_and_delete_it(
        qtbot: QtBot, shared_host: HostWithKeys,
        make_view: Callable[..., AlbumsView]) -> None:
    account = new_account(shared_host)
    client = account.client()
    view = make_view(client)
    assert view.albums_model.rowCount() == 0
    assert view.empty.isVisible()

    def create(dialog: AlbumDialog) -> None:
        qtbot.keyClicks(dialog.title, "Lisbon")
        qtbot.keyClicks(dialog.description, "Five days of trams")
        dialog.privacy.setCurrentIndex(dialog.privacy.findData("secret"))
        qtbot.mouseClick(dialog.layout_picker.buttons["grid"], Qt.MouseButton.LeftButton)
        assert dialog.layout_help.text().startswith("Shows all the images on one page as "
                                                    "thumbnails")
        qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Ok),
                         Qt.MouseButton.LeftButton)

    assert when_modal(AlbumDialog, create) is not None
    qtbot.mouseClick(view.new_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.albums_model.rowCount() == 1, timeout=WAIT)
    idle(qtbot, view)
    (made,) = client.albums().items
    assert (made.title, made.description, made.privacy, made.layout) == (
        "Lisbon", "Five days of trams", "secret", "grid")
    assert view.current_album_id() == made.id
    assert album_titles(view) == ["Lisbon"]
    assert not view.empty.isVisible()

    seen: dict[str, object] = {}

    def edit(dialog: AlbumDialog) -> None:
        seen.update(title=dialog.title.text(), privacy=dialog.privacy.currentData(),
                    layout=dialog.layout_picker.current(),
                    description=dialog.description.toPlainText())
        dialog.title.selectAll()
        qtbot.keyClicks(dialog.title, "Lisbon and Porto")
        dialog.privacy.setCurrentIndex(dialog.privacy.findData("public"))
        qtbot.mouseClick(dialog.layout_picker.buttons["vertical"], Qt.MouseButton.LeftButton)
        dialog.accept()

    when_modal(AlbumDialog, edit)
    qtbot.mouseClick(view.edit_button, Qt.MouseButton.LeftButton)
    idle(qtbot, view)
    assert seen == {"title": "Lisbon", "privacy": "secret", "layout": "grid",
                    "description": "Five days of trams"}  # prefilled from the album
    stored = stored_album(client, made.id)
    assert (stored.title, stored.description, stored.privacy, stored.layout) == (
        "Lisbon and Porto", "Five days of trams", "public", "vertical")
    assert album_titles(view) == ["Lisbon and Porto"]

    said: list[str] = []
    when_modal(QMessageBox, press(QMessageBox.StandardButton.No, said))
    qtbot.mouseClick(view.delete_button, Qt.MouseButton.LeftButton)
    assert said == ["Delete the album “Lisbon and Porto”? Its images stay in your account."]
    assert view.jobs.pending() == 0
    assert [a.id for a in client.albums().items] == [made.id]

    when_modal(QMessageBox, press(QMessageBox.StandardButton.Yes))
    qtbot.mouseClick(view.delete_button, Qt.MouseButton.LeftButton)
    idle(qtbot, view)
    assert client.albums().items == ()
    assert view.albums_model.rowCount() == 0
    assert view.current_album() is None


def test_open_emits_the_album_for_the_browser(qtbot: QtBot, shared_host: HostWithKeys,
                                              make_view: Callable[..., AlbumsView]) -> None:
    account = new_account(shared_host)
    client = account.client()
    client.create_album(title="first")
    second = client.create_album(title="second", layout="horizontal")
    view = make_view(client)
    where = album_row_point(view, second.id)
    # QTest's double click is only seen as one after a first click on the same spot.
    qtbot.mouseClick(view.album_list.viewport(), Qt.MouseButton.LeftButton, pos=where)
    with qtbot.waitSignal(view.openRequested, timeout=WAIT) as opened:
        qtbot.mouseDClick(view.album_list.viewport(), Qt.MouseButton.LeftButton, pos=where)
    album = opened.args[0]
    assert isinstance(album, Album)
    assert (album.id, album.title, album.layout) == (second.id, "second", "horizontal")


# -- images in albums --------------------------------------------------------------------------

def test_images_dragged_from_my_images_onto_an_album_are_added(
        qtbot: QtBot, shared_host: HostWithKeys, loader: ThumbnailLoader,  # noqa: F811
        make_view: Callable[..., AlbumsView]) -> None:
    account = new_account(shared_host)
    client = account.client()
    hashes = upload(client, 5)
    other = client.create_album(title="other")
    target = client.create_album(title="target")
    view = make_view(client)
    view.select_album(other.id)
    idle(qtbot, view)

    mine = MyImagesView(loader)
    qtbot.addWidget(mine)
    mine.set_client(client)
    try:
        idle(qtbot, mine)
        mine.select_hashes([hashes[4], hashes[1], hashes[2]])
        mime = mine.model.mimeData(mine.list.selectedIndexes())  # what the drag carries
    finally:
        mine.shutdown()
    drop_at(view.album_list.viewport(), album_row_point(view, target.id), mime)
    idle(qtbot, view)
    # Added in the order they were shown in My images (newest first).
    assert stored_order(client, target.id) == [hashes[4], hashes[2], hashes[1]]
    assert stored_order(client, other.id) == []
    entry = view.albums_model.entry(target.id)
    assert entry is not None
    assert entry.count == 3  # the list says what the service now holds
    assert view.status.text() == "Added 3 images to “target”"

    # Into the open album: dropped on the empty space after its images, they go last.
    view.select_album(target.id)
    idle(qtbot, view)
    assert contents(view) == [hashes[4], hashes[2], hashes[1]]
    corner = view.contents.viewport().rect().bottomRight() - QPoint(5, 5)
    drop_at(view.contents.viewport(), corner, to_mime([hashes[0], hashes[3]]))
    idle(qtbot, view)
    expected = [hashes[4], hashes[2], hashes[1], hashes[0], hashes[3]]
    assert stored_order(client, target.id) == expected
    assert contents(view) == expected


def test_reorder_cover_and_remove_reach_the_server(
        qtbot: QtBot, shared_host: HostWithKeys,
        make_view: Callable[..., AlbumsView]) -> None:
    account = new_account(shared_host)
    client = account.client()
    a, b, c, d, e = upload(client, 5)
    album = client.create_album(title="ordered", images=[a, b, c, d, e])
    view = make_view(client)
    assert contents(view) == [a, b, c, d, e]

    # Drag d to the front: the model gets what the view would hand it on the drop.
    click_images(qtbot, view, d)
    mime = view.images_model.mimeData(view.contents.selectedIndexes())
    assert view.images_model.dropMimeData(mime, Qt.DropAction.CopyAction, 0, 0, QModelIndex())
    idle(qtbot, view)
    assert stored_order(client, album.id) == [d, a, b, c, e]
    assert contents(view) == [d, a, b, c, e]
    assert view.selected_hashes() == [d]

    # A real drop: a and b dragged onto the right half of the last image land after it.
    click_images(qtbot, view, a, b)
    mime = view.images_model.mimeData(view.contents.selectedIndexes())
    last = view.contents.visualRect(view.images_model.index(4))
    drop_at(view.contents.viewport(), last.center() + QPoint(last.width() // 4, 0), mime)
    idle(qtbot, view)
    assert stored_order(client, album.id) == [d, c, e, a, b]
    assert contents(view) == [d, c, e, a, b]

    # From the keyboard-reachable buttons too.
    click_images(qtbot, view, e)
    qtbot.mouseClick(view.earlier_button, Qt.MouseButton.LeftButton)
    idle(qtbot, view)
    assert stored_order(client, album.id) == [d, e, c, a, b]

    assert stored_album(client, album.id).cover == d  # no cover set: the first image
    click_images(qtbot, view, c)
    qtbot.mouseClick(view.cover_button, Qt.MouseButton.LeftButton)
    idle(qtbot, view)
    assert stored_album(client, album.id).cover == c
    assert client.album(album.id).cover == c
    assert view.images_model.is_cover(view.images_model.image_at(contents(view).index(c)))
    entry = view.albums_model.entry(album.id)
    assert entry is not None
    assert entry.album.cover == c
    assert entry.cover_url == client.account_image(c).links.small_square

    click_images(qtbot, view, e, a)
    qtbot.mouseClick(view.remove_button, Qt.MouseButton.LeftButton)
    idle(qtbot, view)
    assert stored_order(client, album.id) == [d, c, b]
    assert contents(view) == [d, c, b]
    assert client.account_image(e).hash == e  # removed from the album, not the account
    assert view.heading.text() == "ordered · 3 images"


def test_the_album_list_shows_count_and_cover_for_each_album(
        qtbot: QtBot, shared_host: HostWithKeys, loader: ThumbnailLoader,  # noqa: F811
        make_view: Callable[..., AlbumsView]) -> None:
    account = new_account(shared_host)
    client = account.client()
    a, b, c = upload(client, 3)
    first = client.create_album(title="two", images=[a, b], cover=b, privacy="hidden")
    second = client.create_album(title="one", images=[c])
    view = make_view(client)
    # The rows were painted, so each asked for its album's count and cover once.
    qtbot.waitUntil(lambda: all(e.count is not None for e in view.albums_model.entries),
                    timeout=WAIT)
    idle(qtbot, view)
    by_id = {e.album.id: e for e in view.albums_model.entries}
    assert (by_id[first.id].count, by_id[second.id].count) == (2, 1)
    assert by_id[first.id].cover_url == client.account_image(b).links.small_square
    assert by_id[second.id].cover_url == client.account_image(c).links.small_square
    cover = by_id[first.id].cover_url
    assert cover is not None
    qtbot.waitUntil(lambda: loader.pixmap(cover) is not None, timeout=WAIT)
    assert by_id[first.id].summary() == "2 images · Hidden · Blog layout"


# -- failures ----------------------------------------------------------------------------------

def test_a_change_the_server_refuses_is_shown_and_nothing_moves(
        qtbot: QtBot, shared_host: HostWithKeys,
        make_view: Callable[..., AlbumsView]) -> None:
    account = new_account(shared_host)
    a, b, c, d = upload(account.client(), 4)
    album = account.client().create_album(title="steady", images=[a, b, c])
    with FaultProxy(shared_host.url) as proxy:
        view = make_view(account.client(proxy.api, retries=False))
        assert contents(view) == [a, b, c]
        proxy.default = Respond(500, b"<h1>down</h1>")

        click_images(qtbot, view, c)
        mime = view.images_model.mimeData(view.contents.selectedIndexes())
        view.images_model.dropMimeData(mime, Qt.DropAction.CopyAction, 0, 0, QModelIndex())
        idle(qtbot, view)
        assert view.status.text().startswith("Not saved: The service had a problem")
        assert contents(view) == [a, b, c]

        drop_at(view.album_list.viewport(), album_row_point(view, album.id), to_mime([d]))
        idle(qtbot, view)
        assert view.status.text().startswith("Not saved: ")
        assert contents(view) == [a, b, c]
        assert view.albums_model.rowCount() == 1

        qtbot.mouseClick(view.cover_button, Qt.MouseButton.LeftButton)
        idle(qtbot, view)
        assert view.status.text().startswith("Not saved: ")

        proxy.default = Forward()
        qtbot.mouseClick(view.refresh_button, Qt.MouseButton.LeftButton)
        idle(qtbot, view)
        assert contents(view) == [a, b, c]
    client = account.client()
    assert stored_order(client, album.id) == [a, b, c]
    assert stored_album(client, album.id).cover == a


def test_a_stopped_host_while_loading_albums_is_shown(
        qtbot: QtBot, make_host: Callable[..., HostWithKeys],
        make_view: Callable[..., AlbumsView]) -> None:
    host = make_host()
    account: Account = new_account(host)
    client = account.client(retries=False)
    client.create_album(title="kept")
    view = make_view(client)
    assert album_titles(view) == ["kept"]
    host.host.stop()
    qtbot.mouseClick(view.refresh_button, Qt.MouseButton.LeftButton)
    idle(qtbot, view)
    assert view.status.text() == ("The albums could not be loaded: The service cannot be "
                                  "reached (is it running, and is the network up?).")
    assert album_titles(view) == ["kept"]


@pytest.mark.parametrize(("order", "moving", "target", "expected"), [
    ("abcde", "d", 0, "dabce"),
    ("abcde", "ab", 5, "cdeab"),
    ("abcde", "b", 2, "abcde"),  # just before itself: no change
    ("abcde", "be", 3, "acbed"),
    ("abcde", "a", 1, "abcde"),
])
def test_moved_order(order: str, moving: str, target: int, expected: str) -> None:
    assert "".join(moved_order(list(order), list(moving), target)) == expected
